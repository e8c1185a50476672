/**
 * GPU owners: the registry contracts (declared hardware, models, uptime commitment) joined with what the
 * chain paid their workers and the uptime the proxies observed. List with filters and CSV; one page per owner.
 */
import { useMemo, type FormEvent } from 'react';
import {
    LIST_SORTS,
    REGISTRY_STATUS_NAMES,
    type GpuOwnerDetail,
    type GpuOwnerInfo,
    type GpuOwnerPayout,
    type GpuProfileChange,
    type ObservedWorkerUptime,
} from '../../../indexer/api/types';
import { useApi, usePagedApi } from '../api';
import { DailyChart, type Series } from '../Chart';
import { Addr, Ago, Empty, Fields, Int, Load, PagedTable, StateBadge, Table, Ton, TxLink, type Column } from '../components';
import { formatDuration, formatPermille, formatTime, nanoToChartNumber } from '../format';
import { link, navigate } from '../router';
import { OFF_CHAIN_LABEL, chartTon } from './Overview';

/** '' is every status; 'none' (never registered) is not a state a listed owner can be in. */
const STATUSES = ['', ...REGISTRY_STATUS_NAMES.filter((s) => s !== 'none')];
const FILTERS = ['gpuModel', 'model', 'status', 'sort'] as const;

function Uptime({ declared, observed }: { declared: number | null | undefined; observed: number | null }) {
    return (
        <span data-testid="uptime" data-declared={declared ?? ''} data-observed={observed ?? ''}>
            {formatPermille(declared)} <span className="muted small">declared</span> / {formatPermille(observed)}{' '}
            <span className="muted small">observed</span>
        </span>
    );
}

const OWNER_COLUMNS: Column<GpuOwnerInfo>[] = [
    { title: 'Owner', cell: (o) => <Addr address={o.owner} href={link('gpu-owners', o.owner)} /> },
    { title: 'GPU', cell: (o) => o.profile?.gpuModel ?? '—' },
    { title: 'GPUs', cell: (o) => o.profile?.gpuCount ?? '—', className: 'right' },
    { title: 'VRAM (MiB)', cell: (o) => <Int value={o.profile?.vramMib} />, className: 'right' },
    { title: 'Models', cell: (o) => <span className="small">{o.profile?.models.join(', ') || '—'}</span> },
    { title: 'Status', cell: (o) => <StateBadge state={o.status} /> },
    { title: 'Uptime', cell: (o) => <Uptime declared={o.profile?.uptimePermille} observed={o.observedUptimePermille} /> },
    { title: 'Tokens served', cell: (o) => <Int value={o.tokensServed} />, className: 'right' },
    { title: 'TON earned', cell: (o) => <Ton nano={o.tonEarned} />, className: 'right' },
    { title: 'Last active', cell: (o) => <Ago utime={o.lastActive} /> },
];

export function GpuOwnersPage({ query }: { query: URLSearchParams }) {
    const params = new URLSearchParams();
    for (const k of FILTERS) {
        const v = query.get(k);
        if (v) params.set(k, v);
    }
    const qs = params.toString();
    const list = usePagedApi<GpuOwnerInfo>(`/api/gpu-owners?${qs ? `${qs}&` : ''}limit=50`);
    const apply = (e: FormEvent<HTMLFormElement>) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const next = new URLSearchParams();
        for (const k of FILTERS) {
            const v = String(f.get(k) ?? '').trim();
            if (v) next.set(k, v);
        }
        navigate(`${link('gpu-owners')}${next.size ? `?${next}` : ''}`);
    };
    return (
        <>
            <h1>GPU owners</h1>
            <p className="muted small">
                Hardware and models as each owner declares them in the on-chain registry; earnings are the chain's payouts to the owner's
                worker contracts. Observed uptime is {OFF_CHAIN_LABEL.replace('the proxy', 'the proxies')}.
            </p>
            <form className="filters" onSubmit={apply} key={qs} data-testid="gpu-filters">
                <label>
                    GPU model <input name="gpuModel" defaultValue={query.get('gpuModel') ?? ''} placeholder="H100" maxLength={64} />
                </label>
                <label>
                    Model <input name="model" defaultValue={query.get('model') ?? ''} maxLength={64} />
                </label>
                <label>
                    Status{' '}
                    <select name="status" defaultValue={query.get('status') ?? ''}>
                        {STATUSES.map((s) => (
                            <option key={s} value={s}>
                                {s || 'any'}
                            </option>
                        ))}
                    </select>
                </label>
                <label>
                    Sort by{' '}
                    <select name="sort" defaultValue={query.get('sort') ?? LIST_SORTS.gpuOwners[0]} data-testid="sort">
                        {LIST_SORTS.gpuOwners.map((s) => (
                            <option key={s} value={s}>
                                {s}
                            </option>
                        ))}
                    </select>
                </label>
                <button type="submit">Apply</button>
            </form>
            <PagedTable list={list} columns={OWNER_COLUMNS} rowKey={(o) => o.address} what="GPU owners" testId="gpu-owners" />
        </>
    );
}

const WORKER_COLUMNS: Column<GpuOwnerDetail['workerContracts'][number]>[] = [
    { title: 'Worker contract', cell: (w) => <Addr address={w.address} kind="worker" /> },
    { title: 'Proxy', cell: (w) => <Addr address={w.proxy} kind="proxy" /> },
    { title: 'Tokens paid', cell: (w) => <Int value={w.tokensPaid} />, className: 'right' },
    { title: 'TON earned', cell: (w) => <Ton nano={w.tonEarned} />, className: 'right' },
    { title: 'Last active', cell: (w) => <Ago utime={w.lastActive} /> },
];

const PAYOUT_COLUMNS: Column<GpuOwnerPayout>[] = [
    { title: 'Time', cell: (p) => <Ago utime={p.utime} /> },
    { title: 'Amount', cell: (p) => <Ton nano={p.amount} />, className: 'right' },
    { title: 'Worker contract', cell: (p) => <Addr address={p.worker} kind="worker" /> },
    { title: 'Transaction', cell: (p) => <TxLink hash={p.txHash} /> },
];

function Duration({ seconds, testId }: { seconds: number; testId: string }) {
    return (
        <span data-testid={testId} data-seconds={seconds}>
            {formatDuration(seconds)}
        </span>
    );
}

const UPTIME_COLUMNS: Column<ObservedWorkerUptime>[] = [
    {
        title: 'Worker key',
        cell: (u) => (
            <span className="mono small" title={u.workerKey}>
                {u.workerKey.slice(0, 16)}…
            </span>
        ),
    },
    { title: 'Now', cell: (u) => <StateBadge state={u.up ? 'up' : 'down'} /> },
    { title: 'Uptime', cell: (u) => formatPermille(u.uptimePermille), className: 'right' },
    // The seconds behind the ratio: a stopped worker's up time stops growing while its window goes on.
    { title: 'Up', cell: (u) => <Duration seconds={u.uptimeSeconds} testId="uptime-up" />, className: 'right' },
    { title: 'Window', cell: (u) => <Duration seconds={u.windowSeconds} testId="uptime-window" />, className: 'right' },
    { title: 'Proxy stats', cell: (u) => <span className="small break">{u.source}</span> },
    { title: 'Read', cell: (u) => <Ago utime={u.seenAt} /> },
];

const HISTORY_COLUMNS: Column<GpuProfileChange>[] = [
    { title: 'Time', cell: (h) => <Ago utime={h.utime} /> },
    {
        title: 'Change',
        cell: (h) =>
            h.type === 'gpu_status' ? `status: ${h.status ?? '?'}` : h.type === 'gpu_register' ? 'registered' : 'profile updated',
    },
    {
        title: 'Profile',
        cell: (h) =>
            h.profile ? (
                <span className="small">
                    {`${h.profile.gpuCount} × ${h.profile.gpuModel}, ${h.profile.vramMib} MiB, ` + h.profile.models.join(', ')}
                </span>
            ) : (
                '—'
            ),
    },
    { title: 'Transaction', cell: (h) => <TxLink hash={h.txHash} /> },
];

/** Payouts summed per UTC day, oldest first. */
function payoutSeries(payouts: GpuOwnerPayout[]): Series | null {
    if (!payouts.length) return null;
    const byDay = new Map<number, bigint>();
    for (const p of payouts) {
        const day = Math.floor(p.utime / 86400) * 86400;
        byDay.set(day, (byDay.get(day) ?? 0n) + BigInt(p.amount));
    }
    const days = [...byDay.keys()].sort((a, b) => a - b);
    return { label: 'TON paid', x: days, y: days.map((d) => nanoToChartNumber(byDay.get(d)!.toString())), format: chartTon };
}

export function GpuOwnerPage({ address }: { address: string }) {
    const o = useApi<GpuOwnerDetail>(`/api/gpu-owners/${encodeURIComponent(address)}`);
    const series = useMemo(() => (o.status === 'ok' ? payoutSeries(o.data.payouts) : null), [o]);
    return (
        <>
            <h1>GPU owner</h1>
            <Load what="GPU owner" value={o}>
                {(x) => (
                    <>
                        <section className="card">
                            <Fields
                                testId="gpu-owner-fields"
                                rows={[
                                    ['Owner', <Addr address={x.owner} full />],
                                    ['Registry contract', <Addr address={x.address} full />],
                                    ['Status', <StateBadge state={x.status} />],
                                    ['GPU', x.profile ? `${x.profile.gpuCount} × ${x.profile.gpuModel}` : '—'],
                                    [
                                        'VRAM',
                                        x.profile ? (
                                            <>
                                                <Int value={x.profile.vramMib} /> MiB
                                            </>
                                        ) : (
                                            '—'
                                        ),
                                    ],
                                    ['TEE', x.profile?.tee ?? '—'],
                                    ['CPU', x.profile ? `${x.profile.cpuModel} (${x.profile.cpuCores} cores)` : '—'],
                                    [
                                        'RAM',
                                        x.profile ? (
                                            <>
                                                <Int value={x.profile.ramMib} /> MiB
                                            </>
                                        ) : (
                                            '—'
                                        ),
                                    ],
                                    ['Region', x.profile?.region || '—'],
                                    ['Models', x.profile?.models.join(', ') || '—'],
                                    ['Uptime', <Uptime declared={x.profile?.uptimePermille} observed={x.observedUptimePermille} />],
                                    ['Tokens served', <Int value={x.tokensServed} testId="owner-tokensServed" />],
                                    ['TON earned (on-chain payouts)', <Ton nano={x.tonEarned} testId="owner-tonEarned" />],
                                    ['Registration deposit', <Ton nano={x.deposit} />],
                                    ['Registered', formatTime(x.registeredAt)],
                                    ['Profile updated', formatTime(x.updatedAt)],
                                    ['Last active', <Ago utime={x.lastActive} />],
                                ]}
                            />
                        </section>
                        <section className="card">
                            <h2>Worker contracts</h2>
                            {x.workerContracts.length ? (
                                <Table rows={x.workerContracts} columns={WORKER_COLUMNS} rowKey={(w) => w.address} testId="owner-workers" />
                            ) : (
                                <Empty>No worker contracts of this owner yet.</Empty>
                            )}
                        </section>
                        <section className="card">
                            <h2>Payouts</h2>
                            {series && <DailyChart series={series} />}
                            {x.payouts.length ? (
                                <Table
                                    rows={x.payouts}
                                    columns={PAYOUT_COLUMNS}
                                    rowKey={(p) => `${p.txHash}:${p.worker}`}
                                    testId="owner-payouts"
                                />
                            ) : (
                                <Empty>No payouts yet.</Empty>
                            )}
                        </section>
                        <section className="card">
                            <h2>
                                Observed uptime <span className="badge offchain">{OFF_CHAIN_LABEL}</span>
                            </h2>
                            {x.uptime.length ? (
                                <Table
                                    rows={x.uptime}
                                    columns={UPTIME_COLUMNS}
                                    rowKey={(u) => `${u.source}/${u.workerKey}`}
                                    testId="owner-uptime"
                                />
                            ) : (
                                <Empty>No proxy the indexer reads (--proxy-stats) reports this owner's workers.</Empty>
                            )}
                        </section>
                        <section className="card">
                            <h2>Profile history</h2>
                            {x.history.length ? (
                                <Table
                                    rows={x.history}
                                    columns={HISTORY_COLUMNS}
                                    rowKey={(h) => `${h.txHash}:${h.type}`}
                                    testId="owner-history"
                                />
                            ) : (
                                <Empty>No registry messages yet.</Empty>
                            )}
                        </section>
                    </>
                )}
            </Load>
        </>
    );
}
