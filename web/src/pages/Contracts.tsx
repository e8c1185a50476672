/** Proxies, clients and workers: sortable lists and one contract's detail with its related contracts. */
import {
    LIST_SORTS,
    type AddressDetail,
    type ClientInfo,
    type ProxyInfo,
    type ProxyReport,
    type WorkerInfo,
} from '../../../indexer/api/types';
import { useApi, usePagedApi } from '../api';
import { Addr, Empty, Fields, Int, Load, PagedTable, StateBadge, Ton, type Column } from '../components';
import { formatTime } from '../format';
import { link, navigate } from '../router';
import { Daily, OFF_CHAIN_LABEL } from './Overview';
import { AccountTransactions } from './Transactions';

function SortSelect({ page, options, value }: { page: string; options: readonly string[]; value: string }) {
    return (
        <label className="filters">
            Sort by{' '}
            <select value={value} onChange={(e) => navigate(`${link(page)}?sort=${e.target.value}`)} data-testid="sort">
                {options.map((o) => (
                    <option key={o} value={o}>
                        {o}
                    </option>
                ))}
            </select>
        </label>
    );
}

const PROXY_COLUMNS: Column<ProxyInfo>[] = [
    { title: 'Proxy', cell: (p) => <Addr address={p.address} kind="proxy" /> },
    { title: 'State', cell: (p) => <StateBadge state={p.outdated ? `${p.state} (outdated)` : p.state} /> },
    { title: 'Stake', cell: (p) => <Ton nano={p.stake} />, className: 'right' },
    { title: 'Commission earned', cell: (p) => <Ton nano={p.commissionEarned} />, className: 'right' },
    { title: 'Tokens charged', cell: (p) => <Int value={p.tokensCharged} />, className: 'right' },
    { title: 'Clients', cell: (p) => p.clientCount, className: 'right' },
    { title: 'Workers', cell: (p) => p.workerCount, className: 'right' },
    { title: 'Last activity', cell: (p) => <span className="small">{formatTime(p.lastUtime)}</span> },
];

const CLIENT_COLUMNS: Column<ClientInfo>[] = [
    { title: 'Client', cell: (c) => <Addr address={c.address} kind="client" /> },
    { title: 'State', cell: (c) => <StateBadge state={c.state} /> },
    { title: 'Balance', cell: (c) => <Ton nano={c.balance} />, className: 'right' },
    { title: 'Deposited', cell: (c) => <Ton nano={c.deposited} />, className: 'right' },
    { title: 'Charged', cell: (c) => <Ton nano={c.tonCharged} />, className: 'right' },
    { title: 'Tokens', cell: (c) => <Int value={c.tokensCharged} />, className: 'right' },
    { title: 'Proxy', cell: (c) => <Addr address={c.proxy} kind="proxy" /> },
];

const WORKER_COLUMNS: Column<WorkerInfo>[] = [
    { title: 'Worker', cell: (w) => <Addr address={w.address} kind="worker" /> },
    { title: 'State', cell: (w) => <StateBadge state={w.state} /> },
    { title: 'Earned', cell: (w) => <Ton nano={w.tonEarned} />, className: 'right' },
    { title: 'Tokens paid', cell: (w) => <Int value={w.tokensPaid} />, className: 'right' },
    { title: 'Owner', cell: (w) => <Addr address={w.owner} /> },
    { title: 'Proxy', cell: (w) => <Addr address={w.proxy} kind="proxy" /> },
];

function sortOf(kind: 'proxies' | 'clients' | 'workers', query: URLSearchParams): string {
    const s = query.get('sort');
    const options: readonly string[] = LIST_SORTS[kind];
    return s && options.includes(s) ? s : options[0];
}

export function ProxiesPage({ query }: { query: URLSearchParams }) {
    const sort = sortOf('proxies', query);
    const list = usePagedApi<ProxyInfo>(`/api/proxies?sort=${sort}`);
    return (
        <>
            <h1>Proxies</h1>
            <SortSelect page="proxies" options={LIST_SORTS.proxies} value={sort} />
            <PagedTable list={list} columns={PROXY_COLUMNS} rowKey={(p) => p.address} what="proxies" testId="proxies" />
        </>
    );
}

export function ClientsPage({ query }: { query: URLSearchParams }) {
    const sort = sortOf('clients', query);
    const list = usePagedApi<ClientInfo>(`/api/clients?sort=${sort}`);
    return (
        <>
            <h1>Clients</h1>
            <SortSelect page="clients" options={LIST_SORTS.clients} value={sort} />
            <PagedTable list={list} columns={CLIENT_COLUMNS} rowKey={(c) => c.address} what="clients" testId="clients" />
        </>
    );
}

export function WorkersPage({ query }: { query: URLSearchParams }) {
    const sort = sortOf('workers', query);
    const list = usePagedApi<WorkerInfo>(`/api/workers?sort=${sort}`);
    return (
        <>
            <h1>Workers</h1>
            <SortSelect page="workers" options={LIST_SORTS.workers} value={sort} />
            <PagedTable list={list} columns={WORKER_COLUMNS} rowKey={(w) => w.address} what="workers" testId="workers" />
        </>
    );
}

function Related<T extends { address: string }>({
    title,
    path,
    columns,
    what,
}: {
    title: string;
    path: string;
    columns: Column<T>[];
    what: string;
}) {
    const list = usePagedApi<T>(path);
    return (
        <section className="card">
            <h2>{title}</h2>
            <PagedTable list={list} columns={columns} rowKey={(r) => r.address} what={what} testId={`related-${what}`} />
        </section>
    );
}

function common(a: ProxyInfo | ClientInfo | WorkerInfo): [string, React.ReactNode][] {
    return [
        [
            'Address',
            <span data-testid="detail-friendly">
                <Addr address={a.address} kind={a.kind} full />
            </span>,
        ],
        [
            'Raw address',
            <span className="mono break small" data-testid="detail-address">
                {a.address}
            </span>,
        ],
        ['Owner', <Addr address={a.owner} full />],
        ['Contract balance', <Ton nano={a.tonBalance} testId="detail-tonBalance" />],
        ['Params version', a.paramsVersion ?? '—'],
        ['Transactions', <Int value={a.txCount} />],
        ['First seen', formatTime(a.firstUtime)],
        ['Last activity', formatTime(a.lastUtime)],
    ];
}

/** The proxy's own report of usage not yet settled (off-chain), next to the on-chain figures above. */
function ProxyReportView({ report }: { report: ProxyReport | null }) {
    return (
        <section className="card" data-testid="proxy-report">
            <h2>
                Not yet settled <span className="badge offchain">{OFF_CHAIN_LABEL}</span>
            </h2>
            {!report ? (
                <p className="muted">The indexer does not read this proxy's stats page (--proxy-stats).</p>
            ) : (
                <>
                    <Fields
                        testId="proxy-report-fields"
                        rows={[
                            ['Tokens served, not yet charged', <Int value={report.tokensUncharged} testId="report-tokensUncharged" />],
                            ['Not yet charged to clients', <Ton nano={report.tonUncharged} testId="report-tonUncharged" />],
                            ['Tokens owed to workers, not yet paid', <Int value={report.tokensUnpaid} testId="report-tokensUnpaid" />],
                            ['Owed to workers, not yet paid', <Ton nano={report.tonUnpaid} testId="report-tonUnpaid" />],
                            ['Reported', report.seenAt !== null ? formatTime(report.seenAt) : 'never'],
                            ['Source', <span className="mono break">{report.source}</span>],
                        ]}
                    />
                    {report.error && (
                        <p className="state error" role="alert">
                            Last read failed: {report.error} (the figures above are from the last successful read).
                        </p>
                    )}
                </>
            )}
        </section>
    );
}

export function ProxyPage({ address }: { address: string }) {
    const p = useApi<ProxyInfo>(`/api/proxies/${encodeURIComponent(address)}`);
    const enc = encodeURIComponent(address);
    return (
        <>
            <h1>Proxy</h1>
            <Load what="proxy" value={p}>
                {(x) => (
                    <>
                        <section className="card">
                            <Fields
                                testId="proxy-fields"
                                rows={[
                                    ['State', <StateBadge state={x.outdated ? `${x.state} (outdated)` : x.state} />],
                                    ...common(x),
                                    ['Stake', <Ton nano={x.stake} testId="detail-stake" />],
                                    ['Commission held', <Ton nano={x.balance} testId="detail-balance" />],
                                    ['Commission earned', <Ton nano={x.commissionEarned} testId="detail-commissionEarned" />],
                                    ['Commission withdrawn', <Ton nano={x.commissionWithdrawn} />],
                                    ['Paid to workers', <Ton nano={x.workersPaid} />],
                                    ['Client deposits', <Ton nano={x.deposits} />],
                                    ['Refunds', <Ton nano={x.refunds} />],
                                    ['Tokens charged', <Int value={x.tokensCharged} testId="detail-tokensCharged" />],
                                    ['Tokens paid', <Int value={x.tokensPaid} />],
                                    ['Price per token', <Ton nano={x.pricePerToken} />],
                                    ['Worker fee per token', <Ton nano={x.workerFeePerToken} />],
                                    ['Public key', <span className="mono break">{x.publicKey ?? '—'}</span>],
                                    ['Unlocks', x.unlockTs ? formatTime(x.unlockTs) : '—'],
                                ]}
                            />
                        </section>
                        <ProxyReportView report={x.report} />
                        <Daily address={address} title="This proxy per day" />
                        <Related<ClientInfo>
                            title="Clients"
                            path={`/api/clients?proxy=${enc}&limit=20`}
                            columns={CLIENT_COLUMNS}
                            what="clients"
                        />
                        <Related<WorkerInfo>
                            title="Workers"
                            path={`/api/workers?proxy=${enc}&limit=20`}
                            columns={WORKER_COLUMNS}
                            what="workers"
                        />
                        <AccountTransactions address={address} />
                    </>
                )}
            </Load>
        </>
    );
}

export function ClientPage({ address }: { address: string }) {
    const c = useApi<ClientInfo>(`/api/clients/${encodeURIComponent(address)}`);
    return (
        <>
            <h1>Client</h1>
            <Load what="client" value={c}>
                {(x) => (
                    <>
                        <section className="card">
                            <Fields
                                testId="client-fields"
                                rows={[
                                    ['State', <StateBadge state={x.outdated ? `${x.state} (outdated)` : x.state} />],
                                    ['Proxy', <Addr address={x.proxy} kind="proxy" full />],
                                    ...common(x),
                                    ['Balance (deposit left)', <Ton nano={x.balance} testId="detail-balance" />],
                                    ['Stake', <Ton nano={x.stake} testId="detail-stake" />],
                                    ['Deposited', <Ton nano={x.deposited} testId="detail-deposited" />],
                                    ['Charged', <Ton nano={x.tonCharged} testId="detail-tonCharged" />],
                                    ['Refunded', <Ton nano={x.refunded} />],
                                    ['Tokens charged', <Int value={x.tokensCharged} testId="detail-tokensCharged" />],
                                    ['Tokens used (contract)', <Int value={x.tokensUsed} />],
                                    ['Price per token', <Ton nano={x.pricePerToken} />],
                                    ['Unlocks', x.unlockTs ? formatTime(x.unlockTs) : '—'],
                                ]}
                            />
                        </section>
                        <Daily address={address} title="This client per day" />
                        <AccountTransactions address={address} />
                    </>
                )}
            </Load>
        </>
    );
}

export function WorkerPage({ address }: { address: string }) {
    const w = useApi<WorkerInfo>(`/api/workers/${encodeURIComponent(address)}`);
    return (
        <>
            <h1>Worker</h1>
            <Load what="worker" value={w}>
                {(x) => (
                    <>
                        <section className="card">
                            <Fields
                                testId="worker-fields"
                                rows={[
                                    ['State', <StateBadge state={x.outdated ? `${x.state} (outdated)` : x.state} />],
                                    ['Proxy', <Addr address={x.proxy} kind="proxy" full />],
                                    ...common(x),
                                    ['Earned', <Ton nano={x.tonEarned} testId="detail-tonEarned" />],
                                    ['Tokens paid', <Int value={x.tokensPaid} testId="detail-tokensPaid" />],
                                    ['Tokens (contract)', <Int value={x.tokens} />],
                                    ['Worker fee per token', <Ton nano={x.workerFeePerToken} />],
                                    [
                                        'GPU owner',
                                        x.owner ? (
                                            <a href={link('gpu-owners', x.owner)} data-testid="gpu-owner-link">
                                                hardware, all workers and uptime of this owner
                                            </a>
                                        ) : (
                                            '—'
                                        ),
                                    ],
                                ]}
                            />
                        </section>
                        <Daily address={address} title="This worker per day" />
                        <AccountTransactions address={address} />
                    </>
                )}
            </Load>
        </>
    );
}

/** Any address: sends contracts to their page, shows what an owner wallet owns. */
export function AddressPage({ address }: { address: string }) {
    const d = useApi<AddressDetail>(`/api/addresses/${encodeURIComponent(address)}`);
    return (
        <>
            <h1>Address</h1>
            <Load what="address" value={d}>
                {(x) => {
                    const kind = x.account?.kind;
                    const owned = [
                        ...x.owns.proxies.map((a) => ['proxy', a] as const),
                        ...x.owns.clients.map((a) => ['client', a] as const),
                        ...x.owns.workers.map((a) => ['worker', a] as const),
                    ];
                    return (
                        <section className="card">
                            <p className="mono break" data-testid="detail-address">
                                {x.address}
                            </p>
                            {kind === 'proxy' || kind === 'client' || kind === 'worker' ? (
                                <p>
                                    This is a {kind} contract: <Addr address={x.address} kind={kind} full />
                                </p>
                            ) : kind === 'root' ? (
                                <p>
                                    The root contract: see <a href={link('governance')}>Governance</a>.
                                </p>
                            ) : null}
                            {x.account && (
                                <p>
                                    Contract balance <Ton nano={x.account.tonBalance} />
                                </p>
                            )}
                            {x.live && (
                                <p data-testid="live-balance">
                                    {x.live.error ? (
                                        <>Balance unavailable: {x.live.error}</>
                                    ) : (
                                        <>
                                            Wallet balance <Ton nano={x.live.balance} testId="wallet-balance" />{' '}
                                            <span className="muted small">
                                                ({x.live.status ?? 'unknown'}, read from the chain {formatTime(x.live.readAt)})
                                            </span>
                                        </>
                                    )}
                                </p>
                            )}
                            {x.owns.workers.length > 0 && (
                                <p>
                                    <a href={link('gpu-owners', x.address)} data-testid="gpu-owner-link">
                                        As a GPU owner: registry profile, worker contracts and uptime
                                    </a>
                                </p>
                            )}
                            <h2>Owns</h2>
                            {owned.length === 0 ? (
                                <Empty>Owns no indexed contracts.</Empty>
                            ) : (
                                <ul data-testid="owns">
                                    {owned.map(([k, a]) => (
                                        <li key={a}>
                                            {k} <Addr address={a} kind={k} full />
                                        </li>
                                    ))}
                                </ul>
                            )}
                        </section>
                    );
                }}
            </Load>
            {d.status === 'ok' && <AccountTransactions address={address} by={d.data.account ? 'account' : 'source'} />}
        </>
    );
}
