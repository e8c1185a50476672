/** Transactions, events and daily series. */
import { and, asc, desc, eq, gte, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import { type DbOrTx } from '../../db/client';
import { accountDaily, dailyStats, events, transactions } from '../../db/schema';
import { decodeCursor, pageOf } from '../cursor';
import { dailyStat, eventInfo, opHex, transactionInfo } from '../serialize';
import type { ExitCodeTable } from '../exitcodes';
import {
    ACCOUNT_KINDS,
    EVENT_TYPES,
    type DailyStat,
    type EventInfo,
    type Page,
    type TransactionDetail,
    type TransactionInfo,
    type TxOutcome,
} from '../types';
import {
    INT32_MAX,
    MAX_LIMIT,
    limitOf,
    optAddress,
    optBool,
    optDay,
    optEnum,
    optEnumList,
    optInt,
    optOp,
    optString,
    optTime,
    type Query,
} from '../validate';

export const OUTCOMES: readonly TxOutcome[] = ['ok', 'note', 'failed'];

export async function listTransactions(db: DbOrTx, q: Query, exits: ExitCodeTable): Promise<Page<TransactionInfo>> {
    const limit = limitOf(q);
    const conds: SQL[] = [];
    const account = optAddress(q, 'account');
    if (account) conds.push(eq(transactions.account, account));
    const kind = optEnum(q, 'kind', ACCOUNT_KINDS);
    if (kind) conds.push(eq(transactions.accountKind, kind));
    const source = optAddress(q, 'source');
    if (source) conds.push(eq(transactions.source, source));
    const opName = optString(q, 'opName', 100);
    if (opName) conds.push(inArray(transactions.opName, opName.split(',')));
    const op = optOp(q, 'op');
    if (op !== undefined) conds.push(eq(transactions.op, op));
    const success = optBool(q, 'success');
    if (success !== undefined) conds.push(eq(transactions.success, success));
    const outcome = optEnumList(q, 'outcome', OUTCOMES);
    if (outcome?.length) conds.push(inArray(transactions.outcome, outcome));
    const block = optInt(q, 'block', 0, INT32_MAX);
    if (block !== undefined) conds.push(eq(transactions.blockSeqno, block));
    const pending = optBool(q, 'pending');
    if (pending !== undefined) conds.push(eq(transactions.pending, pending));
    const from = optTime(q, 'from');
    if (from !== undefined) conds.push(gte(transactions.utime, from));
    const to = optTime(q, 'to');
    if (to !== undefined) conds.push(lte(transactions.utime, to));
    const c = decodeCursor(q, 'ls');
    if (c) conds.push(sql`(${transactions.lt}, ${transactions.hash}) < (${c[0]}::bigint, ${c[1]})`);
    const rowsOut = await db
        .select()
        .from(transactions)
        .where(and(...conds))
        .orderBy(desc(transactions.lt), desc(transactions.hash))
        .limit(limit + 1);
    return pageOf(
        rowsOut,
        limit,
        (r) => transactionInfo(r, exits),
        (r) => [r.lt.toString(), r.hash],
    );
}

type StoredOut = { dest: string | null; value: string; op: number | null; name: string | null; createdLt: string | null };

export async function getTransaction(db: DbOrTx, hash: string, exits: ExitCodeTable): Promise<TransactionDetail | null> {
    const [t] = await db.select().from(transactions).where(eq(transactions.hash, hash));
    if (!t) return null;
    const evs = await db
        .select()
        .from(events)
        .where(and(eq(events.txLt, t.lt), eq(events.txHash, t.hash)))
        .orderBy(asc(events.idx));
    // The parent is the source's last transaction before the inbound message was created, if it sent it.
    let parent: TransactionDetail['parent'] = null;
    if (t.source && t.inCreatedLt !== null) {
        const [p] = await db
            .select({ hash: transactions.hash, account: transactions.account, opName: transactions.opName, out: transactions.outMessages })
            .from(transactions)
            .where(and(eq(transactions.account, t.source), sql`${transactions.lt} < ${t.inCreatedLt}`))
            .orderBy(desc(transactions.lt))
            .limit(1);
        const sent = ((p?.out as StoredOut[] | null) ?? []).some((o) => o.createdLt === t.inCreatedLt!.toString() && o.dest === t.account);
        if (p && sent) parent = { hash: p.hash, account: p.account, opName: p.opName };
    }
    const outs = (t.outMessages as StoredOut[] | null) ?? [];
    const outMessages = await Promise.all(
        outs.map(async (o) => {
            let child: string | null = null;
            if (o.dest && o.createdLt) {
                const [c] = await db
                    .select({ hash: transactions.hash })
                    .from(transactions)
                    .where(
                        and(
                            eq(transactions.account, o.dest),
                            eq(transactions.source, t.account),
                            sql`${transactions.inCreatedLt} = ${o.createdLt}::bigint`,
                        ),
                    )
                    .limit(1);
                child = c?.hash ?? null;
            }
            return { dest: o.dest, value: o.value, op: opHex(o.op), opName: o.name, createdLt: o.createdLt, child };
        }),
    );
    return { ...transactionInfo(t, exits), events: evs.map(eventInfo), parent, outMessages };
}

export async function listEvents(db: DbOrTx, q: Query): Promise<Page<EventInfo>> {
    const limit = limitOf(q);
    const conds: SQL[] = [];
    const types = optEnumList(q, 'type', EVENT_TYPES);
    if (types?.length) conds.push(inArray(events.type, types));
    for (const key of ['account', 'proxy', 'client', 'worker', 'owner'] as const) {
        const v = optAddress(q, key);
        if (v) conds.push(eq(events[key], v));
    }
    const address = optAddress(q, 'address');
    if (address) {
        conds.push(
            or(
                eq(events.account, address),
                eq(events.proxy, address),
                eq(events.client, address),
                eq(events.worker, address),
                eq(events.owner, address),
            )!,
        );
    }
    const success = optBool(q, 'success');
    if (success !== undefined) conds.push(eq(events.success, success));
    const pending = optBool(q, 'pending');
    if (pending !== undefined) conds.push(eq(events.pending, pending));
    const from = optTime(q, 'from');
    if (from !== undefined) conds.push(gte(events.utime, from));
    const to = optTime(q, 'to');
    if (to !== undefined) conds.push(lte(events.utime, to));
    const c = decodeCursor(q, 'lsn');
    if (c) conds.push(sql`(${events.txLt}, ${events.txHash}, ${events.idx}) < (${c[0]}::bigint, ${c[1]}, ${c[2]})`);
    const rowsOut = await db
        .select()
        .from(events)
        .where(and(...conds))
        .orderBy(desc(events.txLt), desc(events.txHash), desc(events.idx))
        .limit(limit + 1);
    return pageOf(rowsOut, limit, eventInfo, (r) => [r.txLt.toString(), r.txHash, r.idx]);
}

export async function listDailyStats(db: DbOrTx, q: Query): Promise<Page<DailyStat>> {
    const limit = optInt(q, 'limit', 1, MAX_LIMIT) ?? 366;
    const order = optEnum(q, 'order', ['asc', 'desc'] as const) ?? 'asc';
    // The network's series is daily_stats; one contract's is kept at ingest in account_daily.
    const address = optAddress(q, 'address');
    const table = address ? accountDaily : dailyStats;
    const conds: SQL[] = address ? [eq(accountDaily.address, address)] : [];
    const from = optDay(q, 'from');
    if (from) conds.push(gte(table.day, from));
    const to = optDay(q, 'to');
    if (to) conds.push(lte(table.day, to));
    const c = decodeCursor(q, 's');
    if (c) conds.push(order === 'asc' ? sql`${table.day} > ${c[0]}` : sql`${table.day} < ${c[0]}`);
    const rowsOut = await db
        .select()
        .from(table)
        .where(and(...conds))
        .orderBy(order === 'asc' ? asc(table.day) : desc(table.day))
        .limit(limit + 1);
    return pageOf(rowsOut, limit, dailyStat, (r) => [r.day]);
}
