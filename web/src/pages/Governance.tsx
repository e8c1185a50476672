/** The root contract: current parameters, registered proxies, allowed hashes and the change history. */
import type { ModelsResponse, RootConfig, RootConfigChange } from '../../../indexer/api/types';
import { ApiRequestError, useApi, usePagedApi } from '../api';
import { Addr, Empty, Fields, Load, PagedTable, Table, Ton, TxLink, type Column } from '../components';
import { formatMultiplier, formatTime } from '../format';

function HashList({
    title,
    hashes,
    names,
    testId,
}: {
    title: string;
    hashes: string[];
    names?: Map<string, string | null>;
    testId: string;
}) {
    return (
        <>
            <h3>{title}</h3>
            {hashes.length === 0 ? (
                <Empty>None allowed.</Empty>
            ) : (
                <ul className="hashes" data-testid={testId}>
                    {hashes.map((h) => (
                        <li key={h}>
                            <span className="mono break">{h}</span>
                            {names?.get(h) ? <span className="muted"> ({names.get(h)})</span> : null}
                        </li>
                    ))}
                </ul>
            )}
        </>
    );
}

/** Fields of the root configuration that differ between a change and the one before it. */
export function changedFields(newer: RootConfig, older: RootConfig | undefined): string[] {
    if (!older) return [];
    return (Object.keys(newer) as (keyof RootConfig)[]).filter((k) => JSON.stringify(newer[k]) !== JSON.stringify(older[k]));
}

const historyColumns = (items: RootConfigChange[]): Column<RootConfigChange>[] => [
    { title: 'Time', cell: (c) => <span className="small">{formatTime(c.utime)}</span> },
    { title: 'Change', cell: (c) => <span className="op">{c.change}</span> },
    {
        title: 'Fields changed',
        cell: (c) => {
            const i = items.indexOf(c);
            const fields = changedFields(c.config, items[i + 1]?.config);
            return <span className="small">{i === items.length - 1 ? '—' : fields.length ? fields.join(', ') : 'none'}</span>;
        },
    },
    { title: 'Version', cell: (c) => c.version, className: 'right' },
    { title: 'Params version', cell: (c) => c.paramsVersion, className: 'right' },
    { title: 'Price per token', cell: (c) => <Ton nano={c.config.pricePerToken} />, className: 'right' },
    { title: 'Worker fee per token', cell: (c) => <Ton nano={c.config.workerFeePerToken} />, className: 'right' },
    { title: 'Transaction', cell: (c) => <TxLink hash={c.txHash} /> },
];

export function GovernancePage() {
    const root = useApi<RootConfig>('/api/root');
    const models = useApi<ModelsResponse>('/api/models');
    const history = usePagedApi<RootConfigChange>('/api/root/history?limit=20');
    const names = new Map(models.status === 'ok' ? models.data.models.map((m) => [m.hash, m.name] as const) : []);
    return (
        <>
            <h1>Governance</h1>
            {root.status === 'error' && root.error instanceof ApiRequestError && root.error.status === 404 ? (
                <Empty>The indexer has not read the root contract yet.</Empty>
            ) : (
                <Load what="root configuration" value={root}>
                    {(r) => (
                        <>
                            <section className="card">
                                <h2>Root parameters</h2>
                                <Fields
                                    testId="root-fields"
                                    rows={[
                                        ['Root', <Addr address={r.address} full />],
                                        ['Owner', <Addr address={r.owner} full />],
                                        ['Version', <span data-testid="root-version">{r.version}</span>],
                                        ['Params version', <span data-testid="root-paramsVersion">{r.paramsVersion}</span>],
                                        ['Network', r.isTest ? 'test' : 'production'],
                                        ['Price per token', <Ton nano={r.pricePerToken} testId="root-pricePerToken" />],
                                        ['Worker fee per token', <Ton nano={r.workerFeePerToken} testId="root-workerFeePerToken" />],
                                        ['Prompt multiplier', formatMultiplier(r.promptTokensPriceMultiplier)],
                                        ['Cached multiplier', formatMultiplier(r.cachedTokensPriceMultiplier)],
                                        ['Completion multiplier', formatMultiplier(r.completionTokensPriceMultiplier)],
                                        ['Reasoning multiplier', formatMultiplier(r.reasoningTokensPriceMultiplier)],
                                        ['Min proxy stake', <Ton nano={r.minProxyStake} testId="root-minProxyStake" />],
                                        ['Min client stake', <Ton nano={r.minClientStake} />],
                                        ['Proxy close delay', `${r.proxyDelayBeforeClose} s`],
                                        ['Client close delay', `${r.clientDelayBeforeClose} s`],
                                        ['Proxy code hash', <span className="mono break">{r.proxyCodeHash ?? '—'}</span>],
                                        ['Worker code hash', <span className="mono break">{r.workerCodeHash ?? '—'}</span>],
                                        ['Client code hash', <span className="mono break">{r.clientCodeHash ?? '—'}</span>],
                                    ]}
                                />
                            </section>
                            <section className="card">
                                <h2>Registered proxies</h2>
                                {r.registeredProxies.length === 0 ? (
                                    <Empty>No registered proxies.</Empty>
                                ) : (
                                    <Table
                                        rows={r.registeredProxies}
                                        rowKey={(p) => String(p.seqno)}
                                        testId="registered-proxies"
                                        columns={[
                                            { title: 'Seqno', cell: (p) => p.seqno },
                                            { title: 'Endpoint', cell: (p) => <span className="mono">{p.address}</span> },
                                        ]}
                                    />
                                )}
                            </section>
                            <section className="card">
                                <h2>Allowed hashes</h2>
                                <HashList title="Proxy images" hashes={r.proxyHashes} testId="proxy-hashes" />
                                <HashList title="Worker images" hashes={r.workerHashes} testId="worker-hashes" />
                                <HashList title="Models" hashes={r.modelHashes} names={names} testId="model-hashes" />
                            </section>
                        </>
                    )}
                </Load>
            )}
            <section className="card">
                <h2>History</h2>
                <PagedTable
                    list={history}
                    columns={historyColumns(history.items)}
                    rowKey={(c) => `${c.lt}:${c.txHash}`}
                    what="configuration changes"
                    testId="root-history"
                />
            </section>
        </>
    );
}
