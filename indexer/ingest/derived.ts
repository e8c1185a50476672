/**
 * Derived facts (per-contract totals, per-day aggregates) as increments computed from one batch of final
 * rows, plus a full rebuild from the events table used to verify the increments and to repair.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rows, type DbOrTx } from '../db/client';
import { bulkInsert, type BulkColumn, type BulkType } from '../db/bulk';
import type { EventType, TxOutcome } from '../domain';

export interface ProxyDelta {
    tokensCharged: bigint;
    tokensPaid: bigint;
    commissionEarned: bigint;
    commissionWithdrawn: bigint;
    workersPaid: bigint;
    deposits: bigint;
    refunds: bigint;
}
export interface ClientDelta {
    tokensCharged: bigint;
    tonCharged: bigint;
    deposited: bigint;
    refunded: bigint;
}
export interface WorkerDelta {
    tokensPaid: bigint;
    tonEarned: bigint;
}
export interface DayDelta {
    txCount: number;
    failedTxCount: number;
    noteTxCount: number;
    fees: bigint;
    tokensCharged: bigint;
    tonCharged: bigint;
    tokensPaid: bigint;
    workersPaid: bigint;
    commission: bigint;
    commissionWithdrawn: bigint;
    deposits: bigint;
    refunds: bigint;
    stakes: bigint;
    newProxies: number;
    newClients: number;
    newWorkers: number;
}

const zeroProxy = (): ProxyDelta => ({
    tokensCharged: 0n,
    tokensPaid: 0n,
    commissionEarned: 0n,
    commissionWithdrawn: 0n,
    workersPaid: 0n,
    deposits: 0n,
    refunds: 0n,
});
const zeroClient = (): ClientDelta => ({ tokensCharged: 0n, tonCharged: 0n, deposited: 0n, refunded: 0n });
const zeroWorker = (): WorkerDelta => ({ tokensPaid: 0n, tonEarned: 0n });
const zeroDay = (): DayDelta => ({
    txCount: 0,
    failedTxCount: 0,
    noteTxCount: 0,
    fees: 0n,
    tokensCharged: 0n,
    tonCharged: 0n,
    tokensPaid: 0n,
    workersPaid: 0n,
    commission: 0n,
    commissionWithdrawn: 0n,
    deposits: 0n,
    refunds: 0n,
    stakes: 0n,
    newProxies: 0,
    newClients: 0,
    newWorkers: 0,
});

export const dayOf = (utime: number): string => new Date(utime * 1000).toISOString().slice(0, 10);

function bucket<T>(m: Map<string, T>, key: string, zero: () => T): T {
    let v = m.get(key);
    if (!v) m.set(key, (v = zero()));
    return v;
}

/** What one final event contributes; the single place that says which event feeds which total. */
export interface CountedEvent {
    type: EventType;
    utime: number;
    account: string;
    proxy: string | null;
    client: string | null;
    worker: string | null;
    amount: bigint | null;
    tokens: bigint | null;
}

export class Increments {
    readonly proxies = new Map<string, ProxyDelta>();
    readonly clients = new Map<string, ClientDelta>();
    readonly workers = new Map<string, WorkerDelta>();
    readonly days = new Map<string, DayDelta>();
    /** Keyed `<address> <day>`: each contract's own series (account_daily). */
    readonly accountDays = new Map<string, DayDelta>();

    /** The network's day and the day of every distinct contract named. */
    private daysOf(utime: number, addresses: (string | null | undefined)[]): DayDelta[] {
        const day = dayOf(utime);
        const out = [bucket(this.days, day, zeroDay)];
        const seen: string[] = [];
        for (const a of addresses) {
            if (!a || seen.includes(a)) continue;
            seen.push(a);
            out.push(bucket(this.accountDays, `${a} ${day}`, zeroDay));
        }
        return out;
    }

    addTx(account: string, utime: number, outcome: TxOutcome, fees: bigint): void {
        for (const d of this.daysOf(utime, [account])) {
            d.txCount++;
            if (outcome === 'failed') d.failedTxCount++;
            else if (outcome === 'note') d.noteTxCount++;
            d.fees += fees;
        }
    }

    addDeploy(e: Pick<CountedEvent, 'utime' | 'account' | 'proxy' | 'client' | 'worker'>, kind: string): void {
        for (const d of this.daysOf(e.utime, [e.account, e.proxy, e.client, e.worker])) {
            if (kind === 'proxy') d.newProxies++;
            else if (kind === 'client') d.newClients++;
            else if (kind === 'worker') d.newWorkers++;
        }
    }

    /** Only successful, final events are passed here. */
    addEvent(e: CountedEvent): void {
        const amount = e.amount ?? 0n;
        const tokens = e.tokens ?? 0n;
        const proxy = () => (e.proxy ? bucket(this.proxies, e.proxy, zeroProxy) : zeroProxy());
        const client = () => (e.client ? bucket(this.clients, e.client, zeroClient) : zeroClient());
        const worker = () => (e.worker ? bucket(this.workers, e.worker, zeroWorker) : zeroWorker());
        switch (e.type) {
            case 'deposit':
                client().deposited += amount;
                proxy().deposits += amount;
                break;
            case 'charge':
                client().tokensCharged += tokens;
                client().tonCharged += amount;
                proxy().tokensCharged += tokens;
                break;
            case 'refund':
                client().refunded += amount;
                proxy().refunds += amount;
                break;
            case 'payout_request':
                worker().tokensPaid += tokens;
                proxy().tokensPaid += tokens;
                break;
            case 'payout':
                worker().tonEarned += amount;
                proxy().workersPaid += amount;
                break;
            case 'commission':
                proxy().commissionEarned += amount;
                break;
            case 'commission_withdrawal':
                proxy().commissionWithdrawn += amount;
                break;
            default:
                break;
        }
        const add = DAY_FEEDS.get(e.type);
        if (add) for (const d of this.daysOf(e.utime, [e.account, e.proxy, e.client, e.worker])) add(d, amount, tokens);
    }

    /** Adds everything to the tables (rows are created when missing). */
    async apply(db: DbOrTx): Promise<void> {
        const inc = (col: string) => sql.raw(`${col} = t.${col} + excluded.${col}`);
        if (this.proxies.size) {
            const vals = [...this.proxies].map(
                ([a, d]) =>
                    sql`(${a}, ${d.tokensCharged}::numeric, ${d.tokensPaid}::numeric, ${d.commissionEarned}::numeric,
                        ${d.commissionWithdrawn}::numeric, ${d.workersPaid}::numeric, ${d.deposits}::numeric, ${d.refunds}::numeric)`,
            );
            const cols = [
                'tokens_charged',
                'tokens_paid',
                'commission_earned',
                'commission_withdrawn',
                'workers_paid',
                'deposits',
                'refunds',
            ];
            await db.execute(
                sql`insert into proxies as t (address, ${sql.raw(cols.join(', '))}) values ${sql.join(vals, sql`, `)}
                    on conflict (address) do update set ${sql.join(cols.map(inc), sql`, `)}`,
            );
        }
        if (this.clients.size) {
            const vals = [...this.clients].map(
                ([a, d]) =>
                    sql`(${a}, ${d.tokensCharged}::numeric, ${d.tonCharged}::numeric, ${d.deposited}::numeric, ${d.refunded}::numeric)`,
            );
            const cols = ['tokens_charged', 'ton_charged', 'deposited', 'refunded'];
            await db.execute(
                sql`insert into clients as t (address, ${sql.raw(cols.join(', '))}) values ${sql.join(vals, sql`, `)}
                    on conflict (address) do update set ${sql.join(cols.map(inc), sql`, `)}`,
            );
        }
        if (this.workers.size) {
            const vals = [...this.workers].map(([a, d]) => sql`(${a}, ${d.tokensPaid}::numeric, ${d.tonEarned}::numeric)`);
            const cols = ['tokens_paid', 'ton_earned'];
            await db.execute(
                sql`insert into workers as t (address, ${sql.raw(cols.join(', '))}) values ${sql.join(vals, sql`, `)}
                    on conflict (address) do update set ${sql.join(cols.map(inc), sql`, `)}`,
            );
        }
        await upsertDays(db, 'daily_stats', this.days);
        await upsertDays(db, 'account_daily', this.accountDays);
    }
}

/** Column and field of every per-day counter, in table order. */
const DAY_FIELDS: [string, keyof DayDelta][] = [
    ['tx_count', 'txCount'],
    ['failed_tx_count', 'failedTxCount'],
    ['note_tx_count', 'noteTxCount'],
    ['fees', 'fees'],
    ['tokens_charged', 'tokensCharged'],
    ['ton_charged', 'tonCharged'],
    ['tokens_paid', 'tokensPaid'],
    ['workers_paid', 'workersPaid'],
    ['commission', 'commission'],
    ['commission_withdrawn', 'commissionWithdrawn'],
    ['deposits', 'deposits'],
    ['refunds', 'refunds'],
    ['stakes', 'stakes'],
    ['new_proxies', 'newProxies'],
    ['new_clients', 'newClients'],
    ['new_workers', 'newWorkers'],
];
const DAY_COLUMNS = DAY_FIELDS.map(([c]) => c);

interface DayRow {
    key: string;
    d: DayDelta;
}
const DAY_COUNTER_COLUMNS: BulkColumn<DayRow>[] = DAY_FIELDS.map(([name, field]) => ({
    name,
    type: (typeof zeroDay()[field] === 'number' ? 'int' : 'numeric') as BulkType,
    get: (r) => r.d[field],
}));

/** The two day tables: their key columns, read from the Increments map key (`<day>` or `<address> <day>`). */
const DAY_TABLES: Record<'daily_stats' | 'account_daily', BulkColumn<DayRow>[]> = {
    daily_stats: [{ name: 'day', type: 'text', get: (r) => r.key }],
    account_daily: [
        { name: 'address', type: 'text', get: (r) => r.key.slice(0, r.key.indexOf(' ')) },
        { name: 'day', type: 'text', get: (r) => r.key.slice(r.key.indexOf(' ') + 1) },
    ],
};

/** Adds a batch's day counters to a day table in one statement (one array per column). */
async function upsertDays(db: DbOrTx, table: keyof typeof DAY_TABLES, m: Map<string, DayDelta>): Promise<void> {
    if (!m.size) return;
    const keys = DAY_TABLES[table];
    const set = DAY_COLUMNS.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ');
    const list = [...m].map(([key, d]) => ({ key, d }));
    await db.execute(
        bulkInsert(
            table,
            [...keys, ...DAY_COUNTER_COLUMNS],
            list,
            sql.raw(`on conflict (${keys.map((k) => k.name).join(', ')}) do update set ${set}`),
        ),
    );
}

/** Which day counter each event type feeds (the same for the network's day and a contract's). */
const DAY_FEEDS = new Map<EventType, (d: DayDelta, amount: bigint, tokens: bigint) => void>([
    ['deposit', (d, amount) => (d.deposits += amount)],
    [
        'charge',
        (d, amount, tokens) => {
            d.tokensCharged += tokens;
            d.tonCharged += amount;
        },
    ],
    ['refund', (d, amount) => (d.refunds += amount)],
    ['payout_request', (d, _amount, tokens) => (d.tokensPaid += tokens)],
    ['payout', (d, amount) => (d.workersPaid += amount)],
    ['commission', (d, amount) => (d.commission += amount)],
    ['commission_withdrawal', (d, amount) => (d.commissionWithdrawn += amount)],
    ['stake', (d, amount) => (d.stakes += amount)],
]);

/**
 * Per-day totals from final rows: the network's (daily_stats), or with `perAccount` each contract's
 * (account_daily): its transactions, and events naming it as account, proxy, client or worker.
 */
export function dailyQuery(perAccount = false): SQL {
    const day = (col: string) => sql.raw(`to_char(to_timestamp(${col}) at time zone 'UTC', 'YYYY-MM-DD')`);
    const key = sql.raw(perAccount ? '1, 2' : '1');
    const named = perAccount
        ? sql`cross join lateral (
              select distinct x from unnest(array[e.account, e.proxy, e.client, e.worker]) as x where x is not null) as n(address)`
        : sql``;
    return sql`with tx as (
        select ${sql.raw(perAccount ? 'account as address, ' : '')}${day('utime')} as day, count(*) as tx_count,
               count(*) filter (where outcome = 'failed') as failed_tx_count, count(*) filter (where outcome = 'note') as note_tx_count,
               sum(total_fees) as fees
        from transactions where not pending group by ${key}),
      ev as (
        select ${sql.raw(perAccount ? 'n.address, ' : '')}${day('e.utime')} as day,
          coalesce(sum(e.tokens) filter (where e.type = 'charge'), 0) as tokens_charged,
          coalesce(sum(e.amount) filter (where e.type = 'charge'), 0) as ton_charged,
          coalesce(sum(e.tokens) filter (where e.type = 'payout_request'), 0) as tokens_paid,
          coalesce(sum(e.amount) filter (where e.type = 'payout'), 0) as workers_paid,
          coalesce(sum(e.amount) filter (where e.type = 'commission'), 0) as commission,
          coalesce(sum(e.amount) filter (where e.type = 'commission_withdrawal'), 0) as commission_withdrawn,
          coalesce(sum(e.amount) filter (where e.type = 'deposit'), 0) as deposits,
          coalesce(sum(e.amount) filter (where e.type = 'refund'), 0) as refunds,
          coalesce(sum(e.amount) filter (where e.type = 'stake'), 0) as stakes,
          count(*) filter (where e.type = 'deploy' and a.kind = 'proxy') as new_proxies,
          count(*) filter (where e.type = 'deploy' and a.kind = 'client') as new_clients,
          count(*) filter (where e.type = 'deploy' and a.kind = 'worker') as new_workers
        from events e ${named} left join accounts a on a.address = e.account
        where e.success and not e.pending group by ${key})
      select ${sql.raw(perAccount ? 'coalesce(tx.address, ev.address) as address, ' : '')}coalesce(tx.day, ev.day) as day,
        coalesce(tx.tx_count, 0) as tx_count, coalesce(tx.failed_tx_count, 0) as failed_tx_count,
        coalesce(tx.note_tx_count, 0) as note_tx_count,
        coalesce(tx.fees, 0) as fees, coalesce(ev.tokens_charged, 0) as tokens_charged, coalesce(ev.ton_charged, 0) as ton_charged,
        coalesce(ev.tokens_paid, 0) as tokens_paid, coalesce(ev.workers_paid, 0) as workers_paid, coalesce(ev.commission, 0) as commission,
        coalesce(ev.commission_withdrawn, 0) as commission_withdrawn, coalesce(ev.deposits, 0) as deposits,
        coalesce(ev.refunds, 0) as refunds,
        coalesce(ev.stakes, 0) as stakes, coalesce(ev.new_proxies, 0) as new_proxies, coalesce(ev.new_clients, 0) as new_clients,
        coalesce(ev.new_workers, 0) as new_workers
      from tx full join ev on ${sql.raw(perAccount ? 'ev.address = tx.address and ' : '')}ev.day = tx.day`;
}

/**
 * The same totals recomputed from final rows in SQL. `rebuildDerived` overwrites the tables with them;
 * `derivedMismatches` lists differences (used by tests and `indexer verify`).
 */
const RECOMPUTE = {
    proxies: sql`select p.address,
        coalesce(sum(e.tokens) filter (where e.type = 'charge'), 0) as tokens_charged,
        coalesce(sum(e.tokens) filter (where e.type = 'payout_request'), 0) as tokens_paid,
        coalesce(sum(e.amount) filter (where e.type = 'commission'), 0) as commission_earned,
        coalesce(sum(e.amount) filter (where e.type = 'commission_withdrawal'), 0) as commission_withdrawn,
        coalesce(sum(e.amount) filter (where e.type = 'payout'), 0) as workers_paid,
        coalesce(sum(e.amount) filter (where e.type = 'deposit'), 0) as deposits,
        coalesce(sum(e.amount) filter (where e.type = 'refund'), 0) as refunds
      from proxies p left join events e on e.proxy = p.address and e.success and not e.pending
      group by p.address`,
    clients: sql`select c.address,
        coalesce(sum(e.tokens) filter (where e.type = 'charge'), 0) as tokens_charged,
        coalesce(sum(e.amount) filter (where e.type = 'charge'), 0) as ton_charged,
        coalesce(sum(e.amount) filter (where e.type = 'deposit'), 0) as deposited,
        coalesce(sum(e.amount) filter (where e.type = 'refund'), 0) as refunded
      from clients c left join events e on e.client = c.address and e.success and not e.pending
      group by c.address`,
    workers: sql`select w.address,
        coalesce(sum(e.tokens) filter (where e.type = 'payout_request'), 0) as tokens_paid,
        coalesce(sum(e.amount) filter (where e.type = 'payout'), 0) as ton_earned
      from workers w left join events e on e.worker = w.address and e.success and not e.pending
      group by w.address`,
    daily_stats: dailyQuery(),
    account_daily: dailyQuery(true),
};

const DERIVED_COLUMNS = {
    proxies: ['tokens_charged', 'tokens_paid', 'commission_earned', 'commission_withdrawn', 'workers_paid', 'deposits', 'refunds'],
    clients: ['tokens_charged', 'ton_charged', 'deposited', 'refunded'],
    workers: ['tokens_paid', 'ton_earned'],
};

export async function derivedMismatches(db: DbOrTx): Promise<string[]> {
    const out: string[] = [];
    for (const table of ['proxies', 'clients', 'workers'] as const) {
        const cols = DERIVED_COLUMNS[table];
        const diff = await rows<Record<string, string>>(
            db,
            sql`select t.address, ${sql.raw(cols.map((c) => `t.${c} as "${c}", r.${c} as "r_${c}"`).join(', '))}
                from ${sql.identifier(table)} t join (${RECOMPUTE[table]}) r on r.address = t.address
                where ${sql.raw(cols.map((c) => `t.${c} <> r.${c}`).join(' or '))}`,
        );
        for (const d of diff)
            for (const c of cols)
                if (String(d[c]) !== String(d[`r_${c}`]))
                    out.push(`${table}.${c}[${d.address}]: stored ${d[c]}, recomputed ${d[`r_${c}`]}`);
    }
    // Day tables: a day missing on one side counts as zeros there.
    const cols = DAY_COLUMNS;
    for (const table of ['daily_stats', 'account_daily'] as const) {
        const keys = DAY_TABLES[table].map((k) => k.name);
        const recompute = RECOMPUTE[table];
        const keyValues = sql.raw(keys.map((k) => `coalesce(t.${k}, r.${k}) as ${k}`).join(', '));
        const bothValues = sql.raw(cols.map((c) => `coalesce(t.${c}, 0) as "${c}", coalesce(r.${c}, 0) as "r_${c}"`).join(', '));
        const diff = await rows<Record<string, string>>(
            db,
            sql`select ${keyValues}, ${bothValues}
                from ${sql.identifier(table)} t full join (${recompute}) r on ${sql.raw(keys.map((k) => `r.${k} = t.${k}`).join(' and '))}
                where ${sql.raw(cols.map((c) => `coalesce(t.${c}, 0) <> coalesce(r.${c}, 0)`).join(' or '))}`,
        );
        for (const d of diff)
            for (const c of cols)
                if (String(d[c]) !== String(d[`r_${c}`]))
                    out.push(`${table}.${c}[${keys.map((k) => d[k]).join(' ')}]: stored ${d[c]}, recomputed ${d[`r_${c}`]}`);
    }
    return out;
}

export async function rebuildDerived(db: DbOrTx): Promise<void> {
    for (const table of ['proxies', 'clients', 'workers'] as const) {
        const cols = DERIVED_COLUMNS[table];
        await db.execute(
            sql`update ${sql.identifier(table)} t set ${sql.raw(cols.map((c) => `${c} = r.${c}`).join(', '))}
                from (${RECOMPUTE[table]}) r where r.address = t.address`,
        );
    }
    await rebuildDays(db, 'daily_stats');
    await rebuildDays(db, 'account_daily');
}

/** Recomputes a day table from the final rows (also used by tests that write rows directly). */
export async function rebuildDays(db: DbOrTx, table: keyof typeof DAY_TABLES): Promise<void> {
    const cols = [...DAY_TABLES[table].map((k) => k.name), ...DAY_COLUMNS].join(', ');
    await db.execute(sql.raw(`delete from ${table}`));
    await db.execute(sql`insert into ${sql.identifier(table)} (${sql.raw(cols)}) select ${sql.raw(cols)} from (${RECOMPUTE[table]}) r`);
}
