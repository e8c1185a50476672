import { inArray, sql } from 'drizzle-orm';
import { rows, type DbOrTx } from '../../db/client';
import { cursors, roots } from '../../db/schema';
import type { Held, IndexerStatus, RootConfig, StateCounts, Totals, Overview } from '../types';
import { unsettledTotals } from './reports';

/**
 * Status counts whole tables, and the overview, health and live stream all ask for it: answers are reused
 * for STATUS_TTL_MS per database handle.
 */
const STATUS_TTL_MS = 2000;
const statusCache = new WeakMap<object, { at: number; value: Promise<IndexerStatus> }>();

export function getStatus(db: DbOrTx): Promise<IndexerStatus> {
    const hit = statusCache.get(db);
    if (hit && Date.now() - hit.at < STATUS_TTL_MS) return hit.value;
    const value = computeStatus(db);
    statusCache.set(db, { at: Date.now(), value });
    value.catch(() => statusCache.delete(db));
    return value;
}

async function computeStatus(db: DbOrTx): Promise<IndexerStatus> {
    const cur = await db
        .select()
        .from(cursors)
        .where(inArray(cursors.source, ['head', 'final']));
    const head = cur.find((c) => c.source === 'head');
    const fin = cur.find((c) => c.source === 'final');
    const [counts] = await rows<{ accounts: string; transactions: string; events: string; pending: string }>(
        db,
        sql`select (select count(*) from accounts) as accounts,
                   (select count(*) from transactions) as transactions,
                   (select count(*) from events) as events,
                   (select count(*) from transactions where pending) as pending`,
    );
    const headSeqno = head?.seqno ?? null;
    const indexedSeqno = fin?.seqno ?? null;
    return {
        headSeqno,
        headUtime: head?.utime ?? null,
        indexedSeqno,
        indexedUtime: fin?.utime ?? null,
        lagBlocks: headSeqno !== null && indexedSeqno !== null ? Math.max(0, headSeqno - indexedSeqno) : null,
        lagSeconds: head?.utime != null && fin?.utime != null ? Math.max(0, head.utime - fin.utime) : null,
        pendingTransactions: Number(counts.pending),
        accounts: Number(counts.accounts),
        transactions: Number(counts.transactions),
        events: Number(counts.events),
    };
}

/** The root followed by this database (one network per database). */
export async function getRootConfig(db: DbOrTx): Promise<RootConfig | null> {
    const [r] = await db.select({ config: roots.config }).from(roots).orderBy(roots.address).limit(1);
    return r ? (r.config as RootConfig) : null;
}

async function stateCounts(db: DbOrTx, table: 'proxies' | 'clients' | 'workers', currentPv: number | null): Promise<StateCounts> {
    const [r] = await rows<Record<keyof StateCounts, string>>(
        db,
        sql`select count(*) as total,
                   count(*) filter (where state = 0) as normal,
                   count(*) filter (where state = 1) as closing,
                   count(*) filter (where state = 2) as closed,
                   count(*) filter (where params_version < ${currentPv ?? -1}) as outdated
            from ${sql.identifier(table)}`,
    );
    return {
        total: Number(r.total),
        normal: Number(r.normal),
        closing: Number(r.closing),
        closed: Number(r.closed),
        outdated: Number(r.outdated),
    };
}

export async function getTotals(db: DbOrTx): Promise<Totals> {
    const [t] = await rows<Record<keyof Totals, string | null>>(
        db,
        sql`select coalesce(sum(tx_count), 0) as "transactions", coalesce(sum(failed_tx_count), 0) as "failedTransactions",
                   coalesce(sum(note_tx_count), 0) as "notes",
                   coalesce(sum(tokens_charged), 0) as "tokensCharged", coalesce(sum(ton_charged), 0) as "tonCharged",
                   coalesce(sum(tokens_paid), 0) as "tokensPaid", coalesce(sum(workers_paid), 0) as "workersPaid",
                   coalesce(sum(commission), 0) as "commission", coalesce(sum(commission_withdrawn), 0) as "commissionWithdrawn",
                   coalesce(sum(deposits), 0) as "deposits", coalesce(sum(refunds), 0) as "refunds"
            from daily_stats`,
    );
    const s = (v: string | null) => BigInt(v ?? '0').toString();
    return {
        transactions: Number(t.transactions),
        failedTransactions: Number(t.failedTransactions),
        notes: Number(t.notes),
        tokensCharged: s(t.tokensCharged),
        tonCharged: s(t.tonCharged),
        tokensPaid: s(t.tokensPaid),
        workersPaid: s(t.workersPaid),
        commission: s(t.commission),
        commissionWithdrawn: s(t.commissionWithdrawn),
        deposits: s(t.deposits),
        refunds: s(t.refunds),
    };
}

export async function getHeld(db: DbOrTx): Promise<Held> {
    const [r] = await rows<Record<keyof Held, string | null>>(
        db,
        sql`select (select coalesce(sum(stake), 0) from proxies) as "proxyStakes",
                   (select coalesce(sum(balance), 0) from proxies) as "proxyCommission",
                   (select coalesce(sum(balance), 0) from clients) as "clientBalances",
                   (select coalesce(sum(stake), 0) from clients) as "clientStakes"`,
    );
    const n = (v: string | null) => BigInt(v ?? '0');
    // A client contract counts its stake inside its balance, so client stakes are not added again.
    const total = n(r.proxyStakes) + n(r.proxyCommission) + n(r.clientBalances);
    return {
        proxyStakes: n(r.proxyStakes).toString(),
        proxyCommission: n(r.proxyCommission).toString(),
        clientBalances: n(r.clientBalances).toString(),
        clientStakes: n(r.clientStakes).toString(),
        total: total.toString(),
    };
}

export async function getOverview(db: DbOrTx): Promise<Overview> {
    const root = await getRootConfig(db);
    const pv = root?.paramsVersion ?? null;
    const [proxies, clients, workers, totals, held, unsettled, status, wallets] = await Promise.all([
        stateCounts(db, 'proxies', pv),
        stateCounts(db, 'clients', pv),
        stateCounts(db, 'workers', pv),
        getTotals(db),
        getHeld(db),
        unsettledTotals(db),
        getStatus(db),
        rows<{ n: string }>(db, sql`select count(*) as n from accounts where kind = 'wallet'`),
    ]);
    return { root, proxies, clients, workers, wallets: Number(wallets[0].n), totals, held, unsettled, status };
}
