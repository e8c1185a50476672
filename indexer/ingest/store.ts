/**
 * Writes one batch in one database transaction: transactions, events, derived increments, refreshed
 * states, root history and cursors commit together or not at all, which is what makes kill -9 harmless.
 *
 * Invariant kept here: for each account, rows at or below its cursor are final and complete; pending rows
 * (above the cursor) are deleted and rewritten by the next batch that touches the account. Derived
 * counters only ever receive final rows, so replays and re-reads never double count.
 */
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { rows, type Db, type DbOrTx } from '../db/client';
import { bulkInsert, pgArray, type BulkColumn } from '../db/bulk';
import {
    accounts,
    clients,
    codeHashes,
    cursors,
    events,
    proxies,
    registries,
    rootConfigHistory,
    roots,
    transactions,
    workers,
} from '../db/schema';
import type { EventType, RootConfig } from '../domain';
import { Increments } from './derived';
import type { AccountState, DecodedTx, KnownAccount, RootChange, TxMeta } from './types';

export interface BatchTx {
    account: KnownAccount;
    chain: TxMeta;
    decoded: DecodedTx;
    pending: boolean;
}

export interface SourceCursor {
    source: string;
    seqno?: number | null;
    utime?: number | null;
    lt?: bigint | null;
    hash?: string | null;
}

export interface Batch {
    txs: BatchTx[];
    /** Accounts whose rows above the cursor this batch rewrites (their pending rows are replaced). */
    accounts: string[];
    states?: AccountState[];
    rootChanges?: (RootChange & { root: string; pending: boolean })[];
    sourceCursors?: SourceCursor[];
}

type TxRow = typeof transactions.$inferInsert;
type EventRow = typeof events.$inferInsert;

const TX_COLUMNS: BulkColumn<TxRow>[] = [
    { name: 'lt', type: 'bigint', get: (r) => r.lt },
    { name: 'hash', type: 'text', get: (r) => r.hash },
    { name: 'account', type: 'text', get: (r) => r.account },
    { name: 'account_kind', type: 'text', get: (r) => r.accountKind },
    { name: 'utime', type: 'int', get: (r) => r.utime },
    { name: 'block_seqno', type: 'int', get: (r) => r.blockSeqno },
    { name: 'op', type: 'bigint', get: (r) => r.op },
    { name: 'op_name', type: 'text', get: (r) => r.opName },
    { name: 'source', type: 'text', get: (r) => r.source },
    { name: 'external', type: 'bool', get: (r) => r.external },
    { name: 'in_value', type: 'numeric', get: (r) => r.inValue },
    { name: 'total_fees', type: 'numeric', get: (r) => r.totalFees },
    { name: 'success', type: 'bool', get: (r) => r.success },
    { name: 'outcome', type: 'text', get: (r) => r.outcome },
    { name: 'exit_code', type: 'int', get: (r) => r.exitCode },
    { name: 'action_result_code', type: 'int', get: (r) => r.actionResultCode },
    { name: 'compute_skipped', type: 'text', get: (r) => r.computeSkipped },
    { name: 'storage_fee', type: 'numeric', get: (r) => r.storageFee },
    { name: 'compute_fee', type: 'numeric', get: (r) => r.computeFee },
    { name: 'gas_used', type: 'bigint', get: (r) => r.gasUsed },
    { name: 'action_fee', type: 'numeric', get: (r) => r.actionFee },
    { name: 'fwd_fee', type: 'numeric', get: (r) => r.fwdFee },
    { name: 'aborted', type: 'bool', get: (r) => r.aborted },
    { name: 'bounced', type: 'bool', get: (r) => r.bounced },
    { name: 'out_msgs', type: 'smallint', get: (r) => r.outMsgs },
    { name: 'in_created_lt', type: 'bigint', get: (r) => r.inCreatedLt },
    { name: 'out_messages', type: 'jsonb', get: (r) => r.outMessages },
    { name: 'pending', type: 'bool', get: (r) => r.pending },
];

const EVENT_COLUMNS: BulkColumn<EventRow>[] = [
    { name: 'tx_lt', type: 'bigint', get: (r) => r.txLt },
    { name: 'tx_hash', type: 'text', get: (r) => r.txHash },
    { name: 'idx', type: 'smallint', get: (r) => r.idx },
    { name: 'type', type: 'text', get: (r) => r.type },
    { name: 'account', type: 'text', get: (r) => r.account },
    { name: 'utime', type: 'int', get: (r) => r.utime },
    { name: 'success', type: 'bool', get: (r) => r.success },
    { name: 'exit_code', type: 'int', get: (r) => r.exitCode },
    { name: 'proxy', type: 'text', get: (r) => r.proxy },
    { name: 'client', type: 'text', get: (r) => r.client },
    { name: 'worker', type: 'text', get: (r) => r.worker },
    { name: 'owner', type: 'text', get: (r) => r.owner },
    { name: 'amount', type: 'numeric', get: (r) => r.amount },
    { name: 'tokens', type: 'numeric', get: (r) => r.tokens },
    { name: 'payload', type: 'jsonb', get: (r) => r.payload },
    { name: 'pending', type: 'bool', get: (r) => r.pending },
];

const CURSOR_COLUMNS: BulkColumn<{ source: string; lt: bigint; hash: string }>[] = [
    { name: 'source', type: 'text', get: (r) => r.source },
    { name: 'lt', type: 'bigint', get: (r) => r.lt },
    { name: 'hash', type: 'text', get: (r) => r.hash },
];

export interface BatchResult {
    transactions: number;
    events: number;
    final: number;
}

const CHUNK = 1000;
/** Rows per unnest insert: one statement per batch in practice, bounded to keep each statement's text small. */
const BULK = 5000;

function chunks<T>(items: T[], size = CHUNK): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
}

/** Latest cumulative token counter per client/worker among final rows. */
async function loadCounters(db: DbOrTx, clientAddrs: string[], workerAddrs: string[]): Promise<Map<string, bigint>> {
    const m = new Map<string, bigint>();
    for (const part of chunks(clientAddrs)) {
        for (const r of await db
            .select({ a: clients.address, t: clients.tokensCharged })
            .from(clients)
            .where(inArray(clients.address, part)))
            m.set(r.a, r.t);
    }
    for (const part of chunks(workerAddrs)) {
        for (const r of await db.select({ a: workers.address, t: workers.tokensPaid }).from(workers).where(inArray(workers.address, part)))
            m.set(r.a, r.t);
    }
    return m;
}

function counterKey(type: string, e: { client?: string | null; worker?: string | null }): string | null {
    if (type === 'charge') return e.client ?? null;
    if (type === 'payout_request') return e.worker ?? null;
    return null;
}

export async function writeBatch(db: Db, batch: Batch): Promise<BatchResult> {
    const txs = [...batch.txs].sort((a, b) =>
        a.chain.account < b.chain.account
            ? -1
            : a.chain.account > b.chain.account
              ? 1
              : a.chain.lt < b.chain.lt
                ? -1
                : a.chain.lt > b.chain.lt
                  ? 1
                  : 0,
    );
    let eventCount = 0;
    let finalCount = 0;
    await db.transaction(async (tx) => {
        if (batch.accounts.length) {
            for (const part of chunks(batch.accounts)) {
                await tx.delete(events).where(and(eq(events.pending, true), inArray(events.account, part)));
                await tx.delete(transactions).where(and(eq(transactions.pending, true), inArray(transactions.account, part)));
                await tx.delete(rootConfigHistory).where(and(eq(rootConfigHistory.pending, true), inArray(rootConfigHistory.root, part)));
            }
        }

        const clientKeys = new Set<string>();
        const workerKeys = new Set<string>();
        for (const t of txs)
            for (const e of t.decoded.events)
                if (e.cumulativeTokens !== undefined) {
                    if (e.type === 'charge' && e.client) clientKeys.add(e.client);
                    if (e.type === 'payout_request' && e.worker) workerKeys.add(e.worker);
                }
        const counters =
            clientKeys.size || workerKeys.size ? await loadCounters(tx, [...clientKeys], [...workerKeys]) : new Map<string, bigint>();

        const txRows: TxRow[] = [];
        const eventRows: EventRow[] = [];
        /** What each final transaction adds to the derived tables, applied only if its row was new. */
        const contributions: {
            key: string;
            t: BatchTx;
            events: {
                type: string;
                success: boolean;
                proxy: string | null;
                client: string | null;
                worker: string | null;
                amount: bigint | null;
                tokens: bigint | null;
            }[];
        }[] = [];

        for (const t of txs) {
            const c = t.chain;
            const d = t.decoded;
            txRows.push({
                lt: c.lt,
                hash: c.hash,
                account: c.account,
                accountKind: t.account.kind,
                utime: c.utime,
                blockSeqno: c.seqno,
                op: d.op,
                opName: d.opName,
                source: d.source,
                external: d.external,
                inValue: d.inValue,
                totalFees: d.totalFees,
                success: d.success,
                outcome: d.outcome,
                exitCode: d.exitCode,
                actionResultCode: d.actionResultCode,
                computeSkipped: d.computeSkipped,
                storageFee: d.storageFee,
                computeFee: d.computeFee,
                gasUsed: d.gasUsed,
                actionFee: d.actionFee,
                fwdFee: d.fwdFee,
                aborted: d.aborted,
                bounced: d.bounced,
                outMsgs: d.outMsgs,
                inCreatedLt: d.inCreatedLt,
                outMessages: d.outMessages.length
                    ? d.outMessages.map((o) => ({
                          dest: o.dest,
                          value: o.value.toString(),
                          op: o.op,
                          name: o.name,
                          createdLt: o.createdLt?.toString() ?? null,
                      }))
                    : null,
                pending: t.pending,
            });
            const contribution = { key: `${c.lt}:${c.hash}`, t, events: [] as (typeof contributions)[number]['events'] };
            if (!t.pending) contributions.push(contribution);
            d.events.forEach((e, idx) => {
                const success = e.success ?? d.success;
                let tokens: bigint | null = null;
                let amount = e.amount ?? null;
                const key = counterKey(e.type, e);
                if (e.cumulativeTokens !== undefined && key) {
                    const prev = counters.get(key) ?? 0n;
                    tokens = success && e.cumulativeTokens > prev ? e.cumulativeTokens - prev : 0n;
                    if (success && e.cumulativeTokens > prev) counters.set(key, e.cumulativeTokens);
                    // Charges are priced here because only now is the delta known.
                    if (e.type === 'charge' && amount === null && t.account.pricePerToken !== null)
                        amount = tokens * t.account.pricePerToken;
                }
                const row = {
                    txLt: c.lt,
                    txHash: c.hash,
                    idx,
                    type: e.type,
                    account: c.account,
                    utime: c.utime,
                    success,
                    exitCode: d.exitCode,
                    proxy: e.proxy ?? null,
                    client: e.client ?? null,
                    worker: e.worker ?? null,
                    owner: e.owner ?? null,
                    amount,
                    tokens,
                    payload: e.payload,
                    pending: t.pending,
                };
                eventRows.push(row);
                contribution.events.push(row);
            });
        }
        eventCount = eventRows.length;

        const inserted = new Set<string>();
        for (const part of chunks(txRows, BULK)) {
            const got = await rows<{ lt: string | bigint; hash: string }>(
                tx,
                bulkInsert('transactions', TX_COLUMNS, part, sql`on conflict do nothing returning lt, hash`),
            );
            for (const r of got) inserted.add(`${r.lt}:${r.hash}`);
        }
        for (const part of chunks(eventRows, BULK))
            await tx.execute(bulkInsert('events', EVENT_COLUMNS, part, sql`on conflict do nothing`));

        // A row that already existed was counted when it was first written; counting only new rows keeps totals exact.
        const inc = new Increments();
        const stats = new Map<
            string,
            { n: number; firstLt: bigint; firstUtime: number; lastLt: bigint; lastHash: string; lastUtime: number }
        >();
        const cursorsOut = new Map<string, { lt: bigint; hash: string }>();
        for (const { key, t, events: evs } of contributions) {
            const c = t.chain;
            cursorsOut.set(c.account, { lt: c.lt, hash: c.hash });
            if (!inserted.has(key)) continue;
            finalCount++;
            inc.addTx(c.account, c.utime, t.decoded.outcome, t.decoded.totalFees);
            const s = stats.get(c.account);
            if (!s) stats.set(c.account, { n: 1, firstLt: c.lt, firstUtime: c.utime, lastLt: c.lt, lastHash: c.hash, lastUtime: c.utime });
            else Object.assign(s, { n: s.n + 1, lastLt: c.lt, lastHash: c.hash, lastUtime: c.utime });
            for (const e of evs) {
                if (!e.success) continue;
                const counted = {
                    type: e.type as EventType,
                    utime: c.utime,
                    account: c.account,
                    proxy: e.proxy,
                    client: e.client,
                    worker: e.worker,
                    amount: e.amount,
                    tokens: e.tokens,
                };
                if (e.type === 'deploy') inc.addDeploy(counted, t.account.kind);
                else inc.addEvent(counted);
            }
        }

        if (stats.size) {
            const list = [...stats];
            await tx.execute(sql`update accounts a set tx_count = a.tx_count + v.n,
                    first_lt = coalesce(a.first_lt, v.first_lt), first_utime = coalesce(a.first_utime, v.first_utime),
                    last_lt = v.last_lt, last_hash = v.last_hash, last_utime = v.last_utime, updated_at = now()
                from unnest(${pgArray(
                    list.map(([a]) => a),
                    'text',
                )}::text[], ${pgArray(
                    list.map(([, s]) => s.n),
                    'int',
                )}::int[],
                    ${pgArray(
                        list.map(([, s]) => s.firstLt),
                        'bigint',
                    )}::bigint[], ${pgArray(
                        list.map(([, s]) => s.firstUtime),
                        'int',
                    )}::int[],
                    ${pgArray(
                        list.map(([, s]) => s.lastLt),
                        'bigint',
                    )}::bigint[], ${pgArray(
                        list.map(([, s]) => s.lastHash),
                        'text',
                    )}::text[],
                    ${pgArray(
                        list.map(([, s]) => s.lastUtime),
                        'int',
                    )}::int[]) as v(address, n, first_lt, first_utime, last_lt, last_hash, last_utime)
                where a.address = v.address`);
        }
        await inc.apply(tx);

        for (const rc of batch.rootChanges ?? []) {
            await tx
                .insert(rootConfigHistory)
                .values({
                    root: rc.root,
                    lt: rc.lt,
                    txHash: rc.hash,
                    utime: rc.utime,
                    change: rc.change,
                    version: rc.config.version,
                    paramsVersion: rc.config.paramsVersion,
                    pricePerToken: BigInt(rc.config.pricePerToken),
                    workerFeePerToken: BigInt(rc.config.workerFeePerToken),
                    config: rc.config,
                    pending: rc.pending,
                })
                .onConflictDoNothing();
            if (!rc.pending) await recordCodeHashes(tx, rc.root, rc.config, rc.lt);
        }

        await writeStates(tx, batch.states ?? []);

        if (cursorsOut.size) {
            const list = [...cursorsOut].map(([a, c]) => ({ source: `account:${a}`, lt: c.lt, hash: c.hash }));
            await tx.execute(
                bulkInsert(
                    'cursors',
                    CURSOR_COLUMNS,
                    list,
                    sql`on conflict (source) do update set lt = excluded.lt, hash = excluded.hash, updated_at = now()`,
                ),
            );
        }
        for (const sc of batch.sourceCursors ?? []) await writeSourceCursor(tx, sc);
    });
    return { transactions: txs.length, events: eventCount, final: finalCount };
}

export async function writeSourceCursor(db: DbOrTx, sc: SourceCursor): Promise<void> {
    const values = { source: sc.source, seqno: sc.seqno ?? null, utime: sc.utime ?? null, lt: sc.lt ?? null, hash: sc.hash ?? null };
    await db
        .insert(cursors)
        .values(values)
        .onConflictDoUpdate({
            target: cursors.source,
            set: { seqno: values.seqno, utime: values.utime, lt: values.lt, hash: values.hash, updatedAt: sql`now()` },
        });
}

/** Child code hashes of a params version, used to classify accounts. */
export async function recordCodeHashes(db: DbOrTx, root: string, config: RootConfig, lt: bigint | null): Promise<void> {
    const rowsIn = (
        [
            ['proxy', config.proxyCodeHash],
            ['worker', config.workerCodeHash],
            ['client', config.clientCodeHash],
        ] as const
    )
        .filter(([, h]) => !!h)
        .map(([kind, h]) => ({ codeHash: h as string, kind, paramsVersion: config.paramsVersion, root, firstLt: lt }));
    if (rowsIn.length) await db.insert(codeHashes).values(rowsIn).onConflictDoNothing();
}

/** root for a proxy or registry, proxy for a client or worker. */
function parentOf(k: AccountState['kindState']): string | undefined {
    if (k?.kind === 'proxy' || k?.kind === 'registry') return k.root;
    if (k?.kind === 'client' || k?.kind === 'worker') return k.proxy;
    return undefined;
}

type StateOf<K extends string> = Extract<NonNullable<AccountState['kindState']>, { kind: K }>;

/** Current states of many accounts in a few statements (the root, rare, goes through writeState). */
export async function writeStates(db: DbOrTx, states: AccountState[]): Promise<void> {
    const rest = states.filter((s) => s.kindState?.kind !== 'root');
    for (const s of states) if (s.kindState?.kind === 'root') await writeState(db, s);
    if (!rest.length) return;
    const info = rest.map((s) => {
        const k = s.kindState;
        return {
            s,
            paramsVersion: k && 'paramsVersion' in k ? k.paramsVersion : null,
            owner: k && 'owner' in k ? k.owner : null,
            parent: parentOf(k) ?? null,
        };
    });
    await db.execute(sql`update accounts a set status = v.status, ton_balance = v.balance, state_seqno = v.seqno, updated_at = now(),
            code_hash = coalesce(v.code_hash, a.code_hash), params_version = coalesce(v.params_version, a.params_version),
            owner = coalesce(v.owner, a.owner), parent = coalesce(v.parent, a.parent)
        from unnest(${pgArray(
            info.map((i) => i.s.address),
            'text',
        )}::text[], ${pgArray(
            info.map((i) => i.s.status),
            'text',
        )}::text[],
            ${pgArray(
                info.map((i) => i.s.balance),
                'numeric',
            )}::numeric[], ${pgArray(
                info.map((i) => i.s.seqno),
                'int',
            )}::int[],
            ${pgArray(
                info.map((i) => i.s.codeHash),
                'text',
            )}::text[], ${pgArray(
                info.map((i) => i.paramsVersion),
                'int',
            )}::int[],
            ${pgArray(
                info.map((i) => i.owner),
                'text',
            )}::text[], ${pgArray(
                info.map((i) => i.parent),
                'text',
            )}::text[])
            as v(address, status, balance, seqno, code_hash, params_version, owner, parent)
        where a.address = v.address`);
    const of = <K extends 'proxy' | 'client' | 'worker'>(kind: K) =>
        rest.filter((s) => s.kindState?.kind === kind).map((s) => ({ address: s.address, ...(s.kindState as StateOf<K>) }));
    const upsert = async <R>(table: string, cols: BulkColumn<R>[], list: R[]) => {
        if (!list.length) return;
        const set = cols
            .filter((c) => c.name !== 'address')
            .map((c) => `${c.name} = excluded.${c.name}`)
            .join(', ');
        await db.execute(bulkInsert(table, cols, list, sql`on conflict (address) do update set ${sql.raw(set)}`));
    };
    await upsert<ReturnType<typeof of<'proxy'>>[number]>(
        'proxies',
        [
            { name: 'address', type: 'text', get: (r) => r.address },
            { name: 'owner', type: 'text', get: (r) => r.owner },
            { name: 'public_key', type: 'text', get: (r) => r.publicKey },
            { name: 'root', type: 'text', get: (r) => r.root },
            { name: 'state', type: 'smallint', get: (r) => r.state },
            { name: 'balance', type: 'numeric', get: (r) => r.balance },
            { name: 'stake', type: 'numeric', get: (r) => r.stake },
            { name: 'unlock_ts', type: 'int', get: (r) => r.unlockTs },
            { name: 'params_version', type: 'int', get: (r) => r.paramsVersion },
            { name: 'price_per_token', type: 'numeric', get: (r) => r.pricePerToken },
            { name: 'worker_fee_per_token', type: 'numeric', get: (r) => r.workerFeePerToken },
            { name: 'min_proxy_stake', type: 'numeric', get: (r) => r.minProxyStake },
            { name: 'min_client_stake', type: 'numeric', get: (r) => r.minClientStake },
        ],
        of('proxy'),
    );
    await upsert<ReturnType<typeof of<'client'>>[number]>(
        'clients',
        [
            { name: 'address', type: 'text', get: (r) => r.address },
            { name: 'owner', type: 'text', get: (r) => r.owner },
            { name: 'proxy', type: 'text', get: (r) => r.proxy },
            { name: 'proxy_public_key', type: 'text', get: (r) => r.proxyPublicKey },
            { name: 'state', type: 'smallint', get: (r) => r.state },
            { name: 'balance', type: 'numeric', get: (r) => r.balance },
            { name: 'stake', type: 'numeric', get: (r) => r.stake },
            { name: 'tokens_used', type: 'numeric', get: (r) => r.tokensUsed },
            { name: 'unlock_ts', type: 'int', get: (r) => r.unlockTs },
            { name: 'secret_hash', type: 'text', get: (r) => r.secretHash },
            { name: 'params_version', type: 'int', get: (r) => r.paramsVersion },
            { name: 'price_per_token', type: 'numeric', get: (r) => r.pricePerToken },
        ],
        of('client'),
    );
    await upsert<ReturnType<typeof of<'worker'>>[number]>(
        'workers',
        [
            { name: 'address', type: 'text', get: (r) => r.address },
            { name: 'owner', type: 'text', get: (r) => r.owner },
            { name: 'proxy', type: 'text', get: (r) => r.proxy },
            { name: 'proxy_public_key', type: 'text', get: (r) => r.proxyPublicKey },
            { name: 'state', type: 'smallint', get: (r) => r.state },
            { name: 'tokens', type: 'numeric', get: (r) => r.tokens },
            { name: 'params_version', type: 'int', get: (r) => r.paramsVersion },
            { name: 'worker_fee_per_token', type: 'numeric', get: (r) => r.workerFeePerToken },
        ],
        of('worker'),
    );
    for (const s of rest) if (s.kindState?.kind === 'registry') await writeState(db, s);
}

/** Current state of one account (accounts row + its kind's table). */
export async function writeState(db: DbOrTx, s: AccountState): Promise<void> {
    const k = s.kindState;
    const paramsVersion = k && 'paramsVersion' in k ? k.paramsVersion : k?.kind === 'root' ? k.config.paramsVersion : undefined;
    const owner = k && 'owner' in k ? k.owner : k?.kind === 'root' ? k.config.owner : undefined;
    const parent = parentOf(k);
    await db
        .update(accounts)
        .set({
            status: s.status,
            tonBalance: s.balance,
            stateSeqno: s.seqno,
            updatedAt: sql`now()`,
            ...(s.codeHash ? { codeHash: s.codeHash } : {}),
            ...(paramsVersion !== undefined && k?.kind !== 'root' ? { paramsVersion } : {}),
            ...(owner !== undefined ? { owner } : {}),
            ...(parent !== undefined ? { parent } : {}),
        })
        .where(eq(accounts.address, s.address));
    if (!k) return;
    switch (k.kind) {
        case 'root': {
            const c = k.config;
            const set = {
                owner: c.owner,
                version: c.version,
                paramsVersion: c.paramsVersion,
                lastProxySeqno: c.lastProxySeqno,
                config: c,
                updatedLt: s.lastLt,
                stateSeqno: s.seqno,
            };
            await db
                .insert(roots)
                .values({ address: s.address, ...set })
                .onConflictDoUpdate({ target: roots.address, set });
            await recordCodeHashes(db, s.address, c, s.lastLt);
            break;
        }
        case 'proxy': {
            const { kind: _k, ...set } = k;
            await db
                .insert(proxies)
                .values({ address: s.address, ...set })
                .onConflictDoUpdate({ target: proxies.address, set });
            break;
        }
        case 'client': {
            const { kind: _k, ...set } = k;
            await db
                .insert(clients)
                .values({ address: s.address, ...set })
                .onConflictDoUpdate({ target: clients.address, set });
            break;
        }
        case 'worker': {
            const { kind: _k, ...set } = k;
            await db
                .insert(workers)
                .values({ address: s.address, ...set })
                .onConflictDoUpdate({ target: workers.address, set });
            break;
        }
        case 'registry': {
            const { kind: _k, profile, ...rest } = k;
            const set = { ...rest, profile, gpuModel: profile?.gpuModel ?? null };
            await db
                .insert(registries)
                .values({ address: s.address, ...set })
                .onConflictDoUpdate({ target: registries.address, set });
            break;
        }
        case 'wallet':
            break;
    }
}

type Found = KnownAccount & { discoveredVia: string };
const col = (name: string, type: BulkColumn<Found>['type'], get: (a: Found) => unknown): BulkColumn<Found> => ({ name, type, get });
const FOUND_ACCOUNT = [
    col('address', 'text', (a) => a.address),
    col('kind', 'text', (a) => a.kind),
    col('code_hash', 'text', (a) => a.codeHash),
    col('params_version', 'int', (a) => a.paramsVersion),
    col('parent', 'text', (a) => a.parent),
    col('owner', 'text', (a) => a.owner),
    col('discovered_via', 'text', (a) => a.discoveredVia),
];
// Prices are stored with the account so a restarted engine prices events exactly like the first run.
const FOUND_KIND: Record<'proxy' | 'client' | 'worker', { table: string; columns: BulkColumn<Found>[] }> = {
    proxy: {
        table: 'proxies',
        columns: [
            col('address', 'text', (a) => a.address),
            col('params_version', 'int', (a) => a.paramsVersion),
            col('owner', 'text', (a) => a.owner),
            col('root', 'text', (a) => a.parent),
            col('price_per_token', 'numeric', (a) => a.pricePerToken),
            col('worker_fee_per_token', 'numeric', (a) => a.workerFeePerToken),
        ],
    },
    client: {
        table: 'clients',
        columns: [
            col('address', 'text', (a) => a.address),
            col('params_version', 'int', (a) => a.paramsVersion),
            col('owner', 'text', (a) => a.owner),
            col('proxy', 'text', (a) => a.parent),
            col('price_per_token', 'numeric', (a) => a.pricePerToken),
        ],
    },
    worker: {
        table: 'workers',
        columns: [
            col('address', 'text', (a) => a.address),
            col('params_version', 'int', (a) => a.paramsVersion),
            col('owner', 'text', (a) => a.owner),
            col('proxy', 'text', (a) => a.parent),
            col('worker_fee_per_token', 'numeric', (a) => a.workerFeePerToken),
        ],
    },
};

// A row created early by a counter increment gets the columns it still lacks; known values stay.
const FILL_NULLS = Object.fromEntries(
    Object.entries(FOUND_KIND).map(([kind, { table, columns }]) => [
        kind,
        sql.raw(
            `on conflict (address) do update set ${columns
                .slice(1)
                .map((c) => `${c.name} = coalesce(${table}.${c.name}, excluded.${c.name})`)
                .join(', ')}`,
        ),
    ]),
) as Record<keyof typeof FOUND_KIND, SQL>;

/** Registers accounts found by discovery (idempotent; existing rows keep their data). */
export async function insertAccounts(db: DbOrTx, found: Found[]): Promise<void> {
    for (const part of chunks(found, BULK)) {
        await db.execute(bulkInsert('accounts', FOUND_ACCOUNT, part, sql`on conflict do nothing`));
        for (const [kind, { table, columns }] of Object.entries(FOUND_KIND)) {
            const rowsOf = part.filter((a) => a.kind === kind);
            if (rowsOf.length) await db.execute(bulkInsert(table, columns, rowsOf, FILL_NULLS[kind as keyof typeof FOUND_KIND]));
        }
    }
}
