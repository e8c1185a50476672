/** Proxies, clients, workers and "any address" lookups. */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { CONTRACT_STATE, CONTRACT_STATE_NAMES } from '../../../wrappers/contractState';
import type { DbOrTx } from '../../db/client';
import { accounts, clients, proxies, workers } from '../../db/schema';
import { decodeCursor, pageOf } from '../cursor';
import { accountInfo, clientInfo, proxyInfo, workerInfo } from '../serialize';
import {
    LIST_SORTS,
    type AddressDetail,
    type ClientInfo,
    type ListSort,
    type LiveAccount,
    type Page,
    type ProxyInfo,
    type WorkerInfo,
} from '../types';
import { INT32_MAX, limitOf, optAddress, optBool, optEnum, optInt, type Query } from '../validate';
import { reportsFor } from './reports';
import { getRootConfig } from './status';

/** The SQL of each sort order (LIST_SORTS names them); null: by address. */
const SORTS = {
    proxies: {
        lastActivity: sql`coalesce(${accounts.lastLt}, 0)::numeric`,
        tokensCharged: sql`${proxies.tokensCharged}`,
        commissionEarned: sql`${proxies.commissionEarned}`,
        stake: sql`${proxies.stake}`,
        address: null,
    },
    clients: {
        lastActivity: sql`coalesce(${accounts.lastLt}, 0)::numeric`,
        tokensCharged: sql`${clients.tokensCharged}`,
        deposited: sql`${clients.deposited}`,
        balance: sql`${clients.balance}`,
        address: null,
    },
    workers: {
        lastActivity: sql`coalesce(${accounts.lastLt}, 0)::numeric`,
        tokensPaid: sql`${workers.tokensPaid}`,
        tonEarned: sql`${workers.tonEarned}`,
        address: null,
    },
} satisfies { [L in 'proxies' | 'clients' | 'workers']: Record<ListSort<L>, SQL | null> };

/** Keyset condition + order for a sort expression (null = by address). */
function keyset(expr: SQL | null, q: Query): { where?: SQL; order: SQL[]; key: (v: string, address: string) => (string | number)[] } {
    if (expr === null) {
        const c = decodeCursor(q, 's');
        return { where: c ? sql`${accounts.address} > ${c[0]}` : undefined, order: [sql`${accounts.address} asc`], key: (_v, a) => [a] };
    }
    const c = decodeCursor(q, 'is');
    return {
        where: c ? sql`(${expr}, ${accounts.address}) < (${c[0]}::numeric, ${c[1]})` : undefined,
        order: [sql`${expr} desc`, sql`${accounts.address} desc`],
        key: (v, a) => [v, a],
    };
}

function commonFilters(q: Query, table: typeof proxies | typeof clients | typeof workers, pv: number | null): SQL[] {
    const conds: SQL[] = [];
    const state = optEnum(q, 'state', CONTRACT_STATE_NAMES);
    if (state) conds.push(sql`${table.state} = ${CONTRACT_STATE[state]}`);
    const owner = optAddress(q, 'owner');
    if (owner) conds.push(eq(table.owner, owner));
    const paramsVersion = optInt(q, 'paramsVersion', 0, INT32_MAX);
    if (paramsVersion !== undefined) conds.push(eq(accounts.paramsVersion, paramsVersion));
    const out = optBool(q, 'outdated');
    if (out !== undefined) conds.push(out ? sql`${accounts.paramsVersion} < ${pv ?? -1}` : sql`${accounts.paramsVersion} >= ${pv ?? -1}`);
    return conds;
}

const proxyCounts = {
    clientCount: sql<number>`(select count(*)::int from ${clients} where ${clients.proxy} = ${proxies.address})`,
    workerCount: sql<number>`(select count(*)::int from ${workers} where ${workers.proxy} = ${proxies.address})`,
};

export async function listProxies(db: DbOrTx, q: Query): Promise<Page<ProxyInfo>> {
    const limit = limitOf(q);
    const pv = (await getRootConfig(db))?.paramsVersion ?? null;
    const sort = optEnum(q, 'sort', LIST_SORTS.proxies) ?? LIST_SORTS.proxies[0];
    const expr = SORTS.proxies[sort];
    const ks = keyset(expr, q);
    const conds = commonFilters(q, proxies, pv);
    if (ks.where) conds.push(ks.where);
    const rowsOut = await db
        .select({ a: accounts, p: proxies, ...proxyCounts, sortValue: sql<string>`${expr ?? sql`''`}::text` })
        .from(proxies)
        .innerJoin(accounts, eq(accounts.address, proxies.address))
        .where(and(...conds))
        .orderBy(...ks.order)
        .limit(limit + 1);
    const reports = await reportsFor(
        db,
        rowsOut.map((r) => r.a.address),
    );
    return pageOf(
        rowsOut,
        limit,
        (r) => proxyInfo(r.a, r.p, r, pv, reports.get(r.a.address) ?? null),
        (r) => ks.key(r.sortValue, r.a.address),
    );
}

export async function listClients(db: DbOrTx, q: Query): Promise<Page<ClientInfo>> {
    const limit = limitOf(q);
    const pv = (await getRootConfig(db))?.paramsVersion ?? null;
    const sort = optEnum(q, 'sort', LIST_SORTS.clients) ?? LIST_SORTS.clients[0];
    const expr = SORTS.clients[sort];
    const ks = keyset(expr, q);
    const conds = commonFilters(q, clients, pv);
    const proxy = optAddress(q, 'proxy');
    if (proxy) conds.push(eq(clients.proxy, proxy));
    if (ks.where) conds.push(ks.where);
    const rowsOut = await db
        .select({ a: accounts, c: clients, sortValue: sql<string>`${expr ?? sql`''`}::text` })
        .from(clients)
        .innerJoin(accounts, eq(accounts.address, clients.address))
        .where(and(...conds))
        .orderBy(...ks.order)
        .limit(limit + 1);
    return pageOf(
        rowsOut,
        limit,
        (r) => clientInfo(r.a, r.c, pv),
        (r) => ks.key(r.sortValue, r.a.address),
    );
}

export async function listWorkers(db: DbOrTx, q: Query): Promise<Page<WorkerInfo>> {
    const limit = limitOf(q);
    const pv = (await getRootConfig(db))?.paramsVersion ?? null;
    const sort = optEnum(q, 'sort', LIST_SORTS.workers) ?? LIST_SORTS.workers[0];
    const expr = SORTS.workers[sort];
    const ks = keyset(expr, q);
    const conds = commonFilters(q, workers, pv);
    const proxy = optAddress(q, 'proxy');
    if (proxy) conds.push(eq(workers.proxy, proxy));
    if (ks.where) conds.push(ks.where);
    const rowsOut = await db
        .select({ a: accounts, w: workers, sortValue: sql<string>`${expr ?? sql`''`}::text` })
        .from(workers)
        .innerJoin(accounts, eq(accounts.address, workers.address))
        .where(and(...conds))
        .orderBy(...ks.order)
        .limit(limit + 1);
    return pageOf(
        rowsOut,
        limit,
        (r) => workerInfo(r.a, r.w, pv),
        (r) => ks.key(r.sortValue, r.a.address),
    );
}

export async function getProxy(db: DbOrTx, address: string, pv?: number | null): Promise<ProxyInfo | null> {
    const rootPv = pv === undefined ? ((await getRootConfig(db))?.paramsVersion ?? null) : pv;
    const [r] = await db
        .select({ a: accounts, p: proxies, ...proxyCounts })
        .from(proxies)
        .innerJoin(accounts, eq(accounts.address, proxies.address))
        .where(eq(proxies.address, address));
    if (!r) return null;
    const reports = await reportsFor(db, [address]);
    return proxyInfo(r.a, r.p, r, rootPv, reports.get(address) ?? null);
}

export async function getClient(db: DbOrTx, address: string, pv?: number | null): Promise<ClientInfo | null> {
    const rootPv = pv === undefined ? ((await getRootConfig(db))?.paramsVersion ?? null) : pv;
    const [r] = await db
        .select({ a: accounts, c: clients })
        .from(clients)
        .innerJoin(accounts, eq(accounts.address, clients.address))
        .where(eq(clients.address, address));
    return r ? clientInfo(r.a, r.c, rootPv) : null;
}

export async function getWorker(db: DbOrTx, address: string, pv?: number | null): Promise<WorkerInfo | null> {
    const rootPv = pv === undefined ? ((await getRootConfig(db))?.paramsVersion ?? null) : pv;
    const [r] = await db
        .select({ a: accounts, w: workers })
        .from(workers)
        .innerJoin(accounts, eq(accounts.address, workers.address))
        .where(eq(workers.address, address));
    return r ? workerInfo(r.a, r.w, rootPv) : null;
}

/** Contracts owned by `owner` (at most `cap` of each kind). */
export async function ownedBy(db: DbOrTx, owner: string, cap = 100): Promise<AddressDetail['owns']> {
    const [p, c, w] = await Promise.all([
        db.select({ a: proxies.address }).from(proxies).where(eq(proxies.owner, owner)).orderBy(proxies.address).limit(cap),
        db.select({ a: clients.address }).from(clients).where(eq(clients.owner, owner)).orderBy(clients.address).limit(cap),
        db.select({ a: workers.address }).from(workers).where(eq(workers.owner, owner)).orderBy(workers.address).limit(cap),
    ]);
    return { proxies: p.map((r) => r.a), clients: c.map((r) => r.a), workers: w.map((r) => r.a) };
}

/** Reads an address the indexer does not follow (an owner's wallet) from the chain. */
export type LiveReader = (address: string) => Promise<LiveAccount>;

export async function getAddress(db: DbOrTx, address: string, live?: LiveReader): Promise<AddressDetail | null> {
    const root = await getRootConfig(db);
    const pv = root?.paramsVersion ?? null;
    const [acc] = await db.select().from(accounts).where(eq(accounts.address, address));
    const owns = await ownedBy(db, address);
    const kind = acc?.kind;
    const detail: AddressDetail = {
        address,
        account: acc ? accountInfo(acc) : null,
        proxy: kind === 'proxy' ? await getProxy(db, address, pv) : null,
        client: kind === 'client' ? await getClient(db, address, pv) : null,
        worker: kind === 'worker' ? await getWorker(db, address, pv) : null,
        root: kind === 'root' && root?.address === address ? root : null,
        owns,
        live: null,
    };
    const ownsAny = owns.proxies.length + owns.clients.length + owns.workers.length > 0;
    if (!acc && !ownsAny) return null;
    // A followed contract's balance is in its row; a wallet is read from the chain when the indexer can.
    if (!acc && live) detail.live = await live(address);
    return detail;
}
