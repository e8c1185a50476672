/** Network totals, a daily chart and the live feed of new transactions. */
import { useEffect, useMemo, useState } from 'react';
import type { ClientInfo, DailyStat, Overview as OverviewData, Page, ProxyInfo, StateCounts, TransactionInfo } from '../../../indexer/api/types';
import { apiBase, getJson, useApi, type Loadable } from '../api';
import { DailyChart, type Series } from '../Chart';
import { Addr, Empty, Int, Load, Ok, Ton, TxLink } from '../components';
import { formatInt, formatTime, formatTon, nanoToChartNumber } from '../format';

type Metric = 'txCount' | 'tokensCharged' | 'tonCharged' | 'workersPaid' | 'commission' | 'deposits';
const METRICS: Record<Metric, { label: string; ton: boolean }> = {
    txCount: { label: 'Transactions', ton: false },
    tokensCharged: { label: 'Tokens charged', ton: false },
    tonCharged: { label: 'TON charged', ton: true },
    workersPaid: { label: 'Paid to workers (TON)', ton: true },
    commission: { label: 'Proxy commission (TON)', ton: true },
    deposits: { label: 'Deposits (TON)', ton: true },
};

function Stat({ label, children, testId }: { label: string; children: React.ReactNode; testId: string }) {
    return (
        <div className="stat" data-testid={testId}>
            <div className="stat-label">{label}</div>
            <div className="stat-value">{children}</div>
        </div>
    );
}

function Counts({ c }: { c: StateCounts }) {
    return (
        <span className="muted small">
            {c.normal} active · {c.closing} closing · {c.closed} closed{c.outdated ? ` · ${c.outdated} outdated` : ''}
        </span>
    );
}

/** Axis/legend label for a TON amount already converted for plotting (small amounts keep 3 significant digits). */
function chartTon(v: number): string {
    if (v === 0) return '0';
    if (Math.abs(v) < 1) return Number(v.toPrecision(3)).toFixed(9).replace(/\.?0+$/, '');
    return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** Per-day chart of the network, or of one contract (`address`). */
export function Daily({ address, title = 'Per day' }: { address?: string; title?: string }) {
    const daily = useApi<Page<DailyStat>>(`/api/stats/daily?order=desc&limit=120${address ? `&address=${encodeURIComponent(address)}` : ''}`);
    const [metric, setMetric] = useState<Metric>('txCount');
    const series = useMemo<Series | null>(() => {
        if (daily.status !== 'ok' || daily.data.items.length === 0) return null;
        const days = [...daily.data.items].reverse();
        const m = METRICS[metric];
        return {
            label: m.label,
            x: days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000),
            y: days.map((d) => {
                const v = d[metric];
                return typeof v === 'number' ? v : m.ton ? nanoToChartNumber(v) : Number(v);
            }),
            format: (v) => (m.ton ? chartTon(v) : formatInt(Math.round(v))),
        };
    }, [daily, metric]);
    return (
        <section className="card">
            <div className="card-head">
                <h2>{title}</h2>
                <select aria-label="metric" value={metric} onChange={(e) => setMetric(e.target.value as Metric)} data-testid="metric">
                    {Object.entries(METRICS).map(([k, m]) => (
                        <option key={k} value={k}>
                            {m.label}
                        </option>
                    ))}
                </select>
            </div>
            <Load what="daily statistics" value={daily}>
                {(page) =>
                    page.items.length === 0 || !series ? (
                        <Empty>No daily statistics yet.</Empty>
                    ) : (
                        <>
                            <DailyChart series={series} />
                            <p className="muted small" data-testid="daily-range">
                                {page.items.length} days, {page.items[page.items.length - 1].day} to {page.items[0].day}
                            </p>
                        </>
                    )
                }
            </Load>
        </section>
    );
}

const FEED_MAX = 25;

/** Subscribes to /api/events/stream and keeps the newest transactions. */
function LiveFeed() {
    const [items, setItems] = useState<TransactionInfo[]>([]);
    const [state, setState] = useState<'connecting' | 'live' | 'reconnecting'>('connecting');
    useEffect(() => {
        const es = new EventSource(`${apiBase()}/api/events/stream?types=transaction`);
        es.onopen = () => setState('live');
        // EventSource reconnects by itself (retry: 2000 from the server) and resumes with Last-Event-ID.
        es.onerror = () => setState('reconnecting');
        es.addEventListener('transaction', (ev) => {
            const tx = JSON.parse((ev as MessageEvent<string>).data) as TransactionInfo;
            setItems((prev) => [tx, ...prev.filter((p) => p.hash !== tx.hash)].slice(0, FEED_MAX));
        });
        return () => es.close();
    }, []);
    return (
        <section className="card">
            <div className="card-head">
                <h2>Live</h2>
                <span className={`badge live-${state}`} data-testid="feed-state">
                    {state}
                </span>
            </div>
            {items.length === 0 ? (
                <Empty>Waiting for new transactions…</Empty>
            ) : (
                <ul className="feed" data-testid="live-feed">
                    {items.map((t) => (
                        <li key={t.hash} data-hash={t.hash}>
                            <TxLink hash={t.hash} /> <span className="op">{t.opName ?? t.op ?? 'no message'}</span> on <Addr address={t.account} kind={t.accountKind} />{' '}
                            <Ton nano={t.inValue} /> <Ok success={t.success} exitCode={t.exitCode} /> <span className="muted small">{formatTime(t.utime)}</span>
                        </li>
                    ))}
                </ul>
            )}
        </section>
    );
}

/** Pages a contract list to the end (or `maxPages`) and adds one nanoTON field per kind, exactly. */
const HELD_PAGE = 500;
const HELD_MAX_PAGES = 40;

interface Held {
    proxyStakes: string;
    proxyCommission: string;
    clientBalances: string;
    clientStakes: string;
    proxies: number;
    clients: number;
    /** True when a list was longer than HELD_MAX_PAGES pages and the sums are partial. */
    partial: boolean;
}

async function sumList<T>(path: string, pick: (row: T) => string[], signal: AbortSignal): Promise<{ sums: bigint[]; count: number; partial: boolean }> {
    let cursor: string | null = null;
    let sums: bigint[] = [];
    let count = 0;
    for (let i = 0; i < HELD_MAX_PAGES; i++) {
        const page: Page<T> = await getJson<Page<T>>(`${path}?limit=${HELD_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, signal);
        for (const row of page.items) {
            const vals = pick(row);
            if (sums.length === 0) sums = vals.map(() => 0n);
            vals.forEach((v, k) => (sums[k] += BigInt(v)));
        }
        count += page.items.length;
        cursor = page.nextCursor;
        if (!cursor) return { sums, count, partial: false };
    }
    return { sums, count, partial: true };
}

/**
 * TON held in contracts right now: the API has no network-wide sum of balances and stakes, so they are
 * added up here from the proxy and client lists (exact bigint sums, bounded to HELD_MAX_PAGES pages).
 */
function HeldInContracts() {
    const [held, setHeld] = useState<Loadable<Held>>({ status: 'loading' });
    useEffect(() => {
        const ctl = new AbortController();
        Promise.all([
            sumList<ProxyInfo>('/api/proxies', (p) => [p.stake, p.balance], ctl.signal),
            sumList<ClientInfo>('/api/clients', (c) => [c.balance, c.stake], ctl.signal),
        ]).then(
            ([p, c]) =>
                setHeld({
                    status: 'ok',
                    data: {
                        proxyStakes: (p.sums[0] ?? 0n).toString(),
                        proxyCommission: (p.sums[1] ?? 0n).toString(),
                        clientBalances: (c.sums[0] ?? 0n).toString(),
                        clientStakes: (c.sums[1] ?? 0n).toString(),
                        proxies: p.count,
                        clients: c.count,
                        partial: p.partial || c.partial,
                    },
                }),
            (error: Error) => {
                if (error.name !== 'AbortError') setHeld({ status: 'error', error });
            },
        );
        return () => ctl.abort();
    }, []);
    return (
        <Load what="contract balances" value={held}>
            {(h) => (
                <>
                    <div className="stats" data-testid="held">
                        <Stat label="Staked in proxies" testId="held-proxyStakes">
                            <Ton nano={h.proxyStakes} />
                        </Stat>
                        <Stat label="Commission held by proxies" testId="held-proxyCommission">
                            <Ton nano={h.proxyCommission} />
                        </Stat>
                        <Stat label="Client balances" testId="held-clientBalances">
                            <Ton nano={h.clientBalances} />
                        </Stat>
                        <Stat label="Client stakes" testId="held-clientStakes">
                            <Ton nano={h.clientStakes} />
                        </Stat>
                    </div>
                    <p className="muted small">
                        Held now, summed over {formatInt(h.proxies)} proxies and {formatInt(h.clients)} clients{h.partial ? ' (first contracts only: the lists are longer)' : ''}.
                    </p>
                </>
            )}
        </Load>
    );
}

export function OverviewPage() {
    const ov = useApi<OverviewData>('/api/overview');
    useEffect(() => {
        // A User Timing mark: the bench reads when the totals were rendered, without polling the page.
        if (ov.status === 'ok' && performance.getEntriesByName('overview-ready').length === 0) performance.mark('overview-ready');
    }, [ov.status]);
    return (
        <>
            <h1>Overview</h1>
            <Load what="overview" value={ov}>
                {(o) => (
                    <>
                        <div className="stats" data-testid="totals">
                            <Stat label="Deposited by clients" testId="total-deposits">
                                <Ton nano={o.totals.deposits} />
                            </Stat>
                            <Stat label="Charged to clients" testId="total-tonCharged">
                                <Ton nano={o.totals.tonCharged} />
                            </Stat>
                            <Stat label="Refunded to clients" testId="total-refunds">
                                <Ton nano={o.totals.refunds} />
                            </Stat>
                            <Stat label="Worker earnings" testId="total-workersPaid">
                                <Ton nano={o.totals.workersPaid} />
                            </Stat>
                            <Stat label="Proxy commission" testId="total-commission">
                                <Ton nano={o.totals.commission} />
                            </Stat>
                            <Stat label="Commission withdrawn" testId="total-commissionWithdrawn">
                                <Ton nano={o.totals.commissionWithdrawn} />
                            </Stat>
                            <Stat label="Tokens served (charged)" testId="total-tokensCharged">
                                <Int value={o.totals.tokensCharged} />
                            </Stat>
                            <Stat label="Tokens paid to workers" testId="total-tokensPaid">
                                <Int value={o.totals.tokensPaid} />
                            </Stat>
                            <Stat label="Transactions" testId="total-transactions">
                                <Int value={o.totals.transactions} /> <span className="muted small">({formatInt(o.totals.failedTransactions)} failed)</span>
                            </Stat>
                            <Stat label="Proxies" testId="count-proxies">
                                <Int value={o.proxies.total} /> <Counts c={o.proxies} />
                            </Stat>
                            <Stat label="Clients" testId="count-clients">
                                <Int value={o.clients.total} /> <Counts c={o.clients} />
                            </Stat>
                            <Stat label="Workers" testId="count-workers">
                                <Int value={o.workers.total} /> <Counts c={o.workers} />
                            </Stat>
                        </div>
                        <p className="muted small" data-testid="index-status">
                            Indexed to block {o.status.indexedSeqno ?? '—'} of {o.status.headSeqno ?? '—'}
                            {o.status.lagSeconds !== null ? ` (${formatInt(o.status.lagSeconds)} s behind)` : ''}, {formatInt(o.status.pendingTransactions)} pending
                            {o.root ? ` · price ${formatTon(o.root.pricePerToken)} TON/token` : ''}
                        </p>
                        {/* Mounted once the totals are in: its list paging must not delay them. */}
                        <HeldInContracts />
                    </>
                )}
            </Load>
            <Daily />
            <LiveFeed />
        </>
    );
}
