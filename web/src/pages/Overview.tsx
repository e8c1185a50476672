/** Network totals, a daily chart and the live feed of new transactions. */
import { useEffect, useMemo, useState } from 'react';
import type {
    DailyStat,
    Held,
    Overview as OverviewData,
    Page,
    StateCounts,
    Totals,
    TransactionInfo,
    UnsettledTotals,
} from '../../../indexer/api/types';
import { apiBase, useApi } from '../api';
import { DailyChart, type Series } from '../Chart';
import { Addr, Ago, Empty, Int, Load, Outcome, Ton, TxLink } from '../components';
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
export function chartTon(v: number): string {
    if (v === 0) return '0';
    if (Math.abs(v) < 1)
        return Number(v.toPrecision(3))
            .toFixed(9)
            .replace(/\.?0+$/, '');
    return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** Per-day chart of the network, or of one contract (`address`). */
export function Daily({ address, title = 'Per day' }: { address?: string; title?: string }) {
    const daily = useApi<Page<DailyStat>>(
        `/api/stats/daily?order=desc&limit=120${address ? `&address=${encodeURIComponent(address)}` : ''}`,
    );
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

type StreamState = 'connecting' | 'live' | 'reconnecting';

/**
 * One server-sent-events subscription for the page: the newest transactions (the server sends the latest
 * ones first, so the feed is not empty on load) and the overview totals whenever they change.
 */
function useLiveOverview(): { items: TransactionInfo[]; overview: OverviewData | null; state: StreamState } {
    const [items, setItems] = useState<TransactionInfo[]>([]);
    const [overview, setOverview] = useState<OverviewData | null>(null);
    const [state, setState] = useState<StreamState>('connecting');
    useEffect(() => {
        const es = new EventSource(`${apiBase()}/api/events/stream?types=transaction,overview&backlog=${FEED_MAX}`);
        es.onopen = () => setState('live');
        // EventSource reconnects by itself (retry: 2000 from the server) and resumes with Last-Event-ID.
        es.onerror = () => setState('reconnecting');
        es.addEventListener('transaction', (ev) => {
            const tx = JSON.parse((ev as MessageEvent<string>).data) as TransactionInfo;
            setItems((prev) => [tx, ...prev.filter((p) => p.hash !== tx.hash)].slice(0, FEED_MAX));
        });
        es.addEventListener('overview', (ev) => setOverview(JSON.parse((ev as MessageEvent<string>).data) as OverviewData));
        return () => es.close();
    }, []);
    return { items, overview, state };
}

function LiveFeed({ items, state }: { items: TransactionInfo[]; state: StreamState }) {
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
                            <TxLink hash={t.hash} /> <span className="op">{t.opName ?? t.op ?? 'no message'}</span> on{' '}
                            <Addr address={t.account} kind={t.accountKind} /> <Ton nano={t.inValue} /> <Outcome t={t} />{' '}
                            <Ago utime={t.utime} />
                        </li>
                    ))}
                </ul>
            )}
        </section>
    );
}

type NanoOf<T> = { [K in keyof T]: T[K] extends string ? K : never }[keyof T];

/** One card per entry: a label and a nanoTON (`ton`) or integer field of the same object. */
function StatCards<T>({
    of,
    cards,
    prefix,
    testId,
    children,
}: {
    of: T;
    cards: { key: NanoOf<T>; label: string; ton?: boolean }[];
    prefix: string;
    testId: string;
    children?: React.ReactNode;
}) {
    return (
        <div className="stats" data-testid={testId}>
            {cards.map(({ key, label, ton }) => {
                const v = of[key] as unknown as string;
                return (
                    <Stat key={String(key)} label={label} testId={`${prefix}-${String(key)}`}>
                        {ton === false ? <Int value={v} /> : <Ton nano={v} />}
                    </Stat>
                );
            })}
            {children}
        </div>
    );
}

const TOTAL_CARDS: { key: NanoOf<Totals>; label: string; ton?: boolean }[] = [
    { key: 'deposits', label: 'Deposited by clients' },
    { key: 'tonCharged', label: 'Charged to clients' },
    { key: 'refunds', label: 'Refunded to clients' },
    { key: 'workersPaid', label: 'Worker earnings' },
    { key: 'commission', label: 'Proxy commission' },
    { key: 'commissionWithdrawn', label: 'Commission withdrawn' },
    { key: 'tokensCharged', label: 'Tokens served (charged)', ton: false },
    { key: 'tokensPaid', label: 'Tokens paid to workers', ton: false },
];

/** TON held in the contracts now (the indexer sums the current contract states). */
const HELD_CARDS: { key: NanoOf<Held>; label: string }[] = [
    { key: 'total', label: 'Total held' },
    { key: 'proxyStakes', label: 'Staked in proxies' },
    { key: 'proxyCommission', label: 'Commission held by proxies' },
    { key: 'clientBalances', label: 'Client balances (stakes included)' },
    { key: 'clientStakes', label: 'of which client stakes' },
];

/** What proxies report as served but not yet settled on-chain (off-chain: the chain proves none of it yet). */
const UNSETTLED_CARDS: { key: NanoOf<UnsettledTotals>; label: string; ton?: boolean }[] = [
    { key: 'tokensUncharged', label: 'Tokens served, not yet charged', ton: false },
    { key: 'tonUncharged', label: 'Not yet charged to clients' },
    { key: 'tokensUnpaid', label: 'Tokens owed to workers, not yet paid', ton: false },
    { key: 'tonUnpaid', label: 'Owed to workers, not yet paid' },
];

export const OFF_CHAIN_LABEL = 'off-chain, reported by the proxy';

export function Unsettled({ u }: { u: UnsettledTotals }) {
    return (
        <>
            <h2 className="section-title">
                Not yet settled <span className="badge offchain">{OFF_CHAIN_LABEL}</span>
            </h2>
            {u.sources === 0 ? (
                <p className="muted small" data-testid="unsettled-none">
                    The indexer reads no proxy's stats (start it with --proxy-stats to see usage not yet settled on-chain).
                </p>
            ) : (
                <>
                    <StatCards of={u} cards={UNSETTLED_CARDS} prefix="unsettled" testId="unsettled" />
                    <p className="muted small" data-testid="unsettled-source">
                        {u.reachable} of {u.sources} proxy stats page{u.sources === 1 ? '' : 's'} answered
                        {u.seenAt !== null ? `; figures as of ${formatTime(u.seenAt)}` : ''}.
                    </p>
                </>
            )}
        </>
    );
}

const COUNT_CARDS: { key: 'proxies' | 'clients' | 'workers'; label: string }[] = [
    { key: 'proxies', label: 'Proxies' },
    { key: 'clients', label: 'Clients' },
    { key: 'workers', label: 'Workers' },
];

export function OverviewPage() {
    const loaded = useApi<OverviewData>('/api/overview');
    const live = useLiveOverview();
    // The stream's overview is newer than the first answer once it arrives.
    const ov = live.overview && loaded.status !== 'error' ? { status: 'ok' as const, data: live.overview, reload: loaded.reload } : loaded;
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
                        <StatCards of={o.totals} cards={TOTAL_CARDS} prefix="total" testId="totals">
                            <Stat label="Transactions" testId="total-transactions">
                                <Int value={o.totals.transactions} />{' '}
                                <span className="muted small">
                                    ({formatInt(o.totals.failedTransactions)} failed, {formatInt(o.totals.notes)} state notes)
                                </span>
                            </Stat>
                            {COUNT_CARDS.map(({ key, label }) => (
                                <Stat key={key} label={label} testId={`count-${key}`}>
                                    <Int value={o[key].total} /> <Counts c={o[key]} />
                                </Stat>
                            ))}
                        </StatCards>
                        <p className="muted small" data-testid="index-status">
                            Indexed to block {o.status.indexedSeqno ?? '—'} of {o.status.headSeqno ?? '—'}
                            {o.status.lagSeconds !== null ? ` (${formatInt(o.status.lagSeconds)} s behind)` : ''},{' '}
                            {formatInt(o.status.pendingTransactions)} pending
                            {o.root ? ` · price ${formatTon(o.root.pricePerToken)} TON/token` : ''}
                        </p>
                        <h2 className="section-title">Held in contracts now</h2>
                        <StatCards of={o.held} cards={HELD_CARDS} prefix="held" testId="held" />
                        <Unsettled u={o.unsettled} />
                    </>
                )}
            </Load>
            <Daily />
            <LiveFeed items={live.items} state={live.state} />
        </>
    );
}
