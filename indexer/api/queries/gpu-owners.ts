/**
 * GPU owners: a registry contract (the owner's declared profile) joined with every worker contract of the
 * same owner address (what they were paid on-chain). Earnings are the workers' derived counters, built
 * from final payout events, so they equal the on-chain payouts to the nanoTON.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rows, type DbOrTx } from '../../db/client';
import { decodeCursor, pageOf } from '../cursor';
import {
    LIST_SORTS,
    REGISTRY_STATUS_NAMES,
    type GpuOwnerDetail,
    type GpuOwnerInfo,
    type GpuOwnerPayout,
    type GpuOwnerList,
    type GpuProfileChange,
    type ListSort,
    type ObservedWorkerUptime,
} from '../types';
import { limitOf, optEnum, optString, type Query } from '../validate';
import type { GpuProfile } from '../../ingest/types';

const GPU_STATUSES = REGISTRY_STATUS_NAMES;

interface Row {
    address: string;
    owner: string;
    status: number;
    deposit: string;
    registered_at: number;
    updated_at: number;
    profile: GpuProfile | null;
    workers: string;
    tokens_served: string;
    ton_earned: string;
    last_active: number | null;
    observed_permille: number | null;
    /** The sort expression's value as text (the page cursor's first key). */
    sort_value: string;
}

/**
 * Sort keys, all descending. Numeric expressions, not the text aliases the answer carries ('500' sorts
 * above '1500' as text); a missing value is -1, so it sorts last and a keyset cursor can compare it.
 */
const SORT_KEY: Record<ListSort<'gpuOwners'>, SQL> = {
    tonEarned: sql`coalesce(w.ton_earned, 0)`,
    tokensServed: sql`coalesce(w.tokens_paid, 0)`,
    lastActive: sql`coalesce(greatest(a.last_utime, w.last_utime), -1)`,
    gpuCount: sql`coalesce((r.profile->>'gpuCount')::bigint, -1)`,
    vramMib: sql`coalesce((r.profile->>'vramMib')::bigint, -1)`,
    observedUptime: sql`coalesce(u.permille, -1)`,
};

function select(where: SQL, key: SQL, limit: number): SQL {
    return sql`select r.address, r.owner, r.status, r.deposit::text as deposit, r.registered_at, r.updated_at, r.profile,
            coalesce(w.n, 0)::text as workers, coalesce(w.tokens_paid, 0)::text as tokens_served,
            coalesce(w.ton_earned, 0)::text as ton_earned,
            greatest(a.last_utime, w.last_utime) as last_active, u.permille as observed_permille, (${key})::text as sort_value
        from registries r
        left join accounts a on a.address = r.address
        left join lateral (
            select count(*) as n, sum(wk.tokens_paid) as tokens_paid, sum(wk.ton_earned) as ton_earned, max(wa.last_utime) as last_utime
            from workers wk left join accounts wa on wa.address = wk.address where wk.owner = r.owner
        ) w on true
        left join lateral (
            -- Seconds over seconds, not an average of ratios: a worker watched for a day weighs more than one seen for a minute.
            select case when sum(wu.window_seconds) > 0
                then least(1000, floor(sum(wu.uptime_seconds)::numeric * 1000 / sum(wu.window_seconds)))::int end as permille
            from worker_uptime wu where wu.owner = r.owner
        ) u on true
        where ${where}
        order by ${key} desc, r.address asc
        limit ${limit}`;
}

function info(r: Row): GpuOwnerInfo {
    return {
        address: r.address,
        owner: r.owner,
        status: GPU_STATUSES[r.status] ?? 'none',
        deposit: r.deposit,
        registeredAt: r.registered_at,
        updatedAt: r.updated_at,
        profile: r.profile,
        workers: Number(r.workers),
        tokensServed: r.tokens_served,
        tonEarned: r.ton_earned,
        lastActive: r.last_active,
        observedUptimePermille: r.observed_permille,
    };
}

export async function listGpuOwners(db: DbOrTx, q: Query): Promise<GpuOwnerList> {
    const conds: SQL[] = [sql`true`];
    const gpuModel = optString(q, 'gpuModel', 64);
    // Substring, case-insensitive: "H100" finds "NVIDIA H100 80GB HBM3". % and _ are escaped.
    if (gpuModel) conds.push(sql`r.gpu_model ilike ${'%' + gpuModel.replace(/[\\%_]/g, (c) => '\\' + c) + '%'}`);
    const model = optString(q, 'model', 64);
    if (model) conds.push(sql`r.profile->'models' ? ${model}`);
    const status = optEnum(q, 'status', GPU_STATUSES);
    if (status) conds.push(sql`r.status = ${GPU_STATUSES.indexOf(status)}`);
    const sort = optEnum(q, 'sort', LIST_SORTS.gpuOwners) ?? LIST_SORTS.gpuOwners[0];
    const key = SORT_KEY[sort];
    // Keyset paging on (key desc, address asc): rows the indexer adds between two pages shift nothing.
    const after = decodeCursor(q, 'is');
    if (after) conds.push(sql`(${key} < ${after[0]}::numeric or (${key} = ${after[0]}::numeric and r.address > ${after[1]}))`);
    const limit = limitOf(q);
    const list = await rows<Row>(db, select(sql.join(conds, sql` and `), key, limit + 1));
    return pageOf(list, limit, info, (r) => [r.sort_value, r.address]);
}

/** One owner by the registry address or the owner's address. */
export async function getGpuOwner(db: DbOrTx, address: string): Promise<GpuOwnerDetail | null> {
    const [r] = await rows<Row>(db, select(sql`(r.address = ${address} or r.owner = ${address})`, sql`r.updated_at`, 1));
    if (!r) return null;
    const workers = await rows<{
        address: string;
        proxy: string | null;
        tokens_paid: string;
        ton_earned: string;
        last_utime: number | null;
    }>(
        db,
        sql`select wk.address, wk.proxy, wk.tokens_paid::text as tokens_paid, wk.ton_earned::text as ton_earned, wa.last_utime
            from workers wk left join accounts wa on wa.address = wk.address where wk.owner = ${r.owner} order by wk.address`,
    );
    const payouts = await rows<{ utime: number; tx_hash: string; worker: string | null; proxy: string | null; amount: string }>(
        db,
        sql`select e.utime, e.tx_hash, e.worker, e.proxy, e.amount::text as amount from events e
            where e.type = 'payout' and e.success and not e.pending and e.worker in (select address from workers where owner = ${r.owner})
            order by e.tx_lt desc limit 500`,
    );
    const history = await rows<{ utime: number; tx_hash: string; type: string; payload: { status?: string; profile?: GpuProfile | null } }>(
        db,
        sql`select e.utime, e.tx_hash, e.type, e.payload from events e
            where e.account = ${r.address} and e.type in ('gpu_register', 'gpu_update', 'gpu_status') and e.success and not e.pending
            order by e.tx_lt desc limit 200`,
    );
    const uptime = await rows<{
        source: string;
        worker_key: string;
        up: boolean;
        uptime_seconds: number;
        window_seconds: number;
        seen_at: number;
    }>(
        db,
        sql`select source, worker_key, up, uptime_seconds, window_seconds, seen_at
            from worker_uptime where owner = ${r.owner} order by worker_key, source`,
    );
    return {
        ...info(r),
        workerContracts: workers.map((w) => ({
            address: w.address,
            proxy: w.proxy,
            tokensPaid: w.tokens_paid,
            tonEarned: w.ton_earned,
            lastActive: w.last_utime,
        })),
        payouts: payouts.map(
            (p): GpuOwnerPayout => ({ utime: p.utime, txHash: p.tx_hash, worker: p.worker, proxy: p.proxy, amount: p.amount }),
        ),
        history: history.map(
            (h): GpuProfileChange => ({
                utime: h.utime,
                txHash: h.tx_hash,
                type: h.type as GpuProfileChange['type'],
                status: typeof h.payload.status === 'string' ? h.payload.status : null,
                profile: h.payload.profile ?? null,
            }),
        ),
        uptime: uptime.map(
            (u): ObservedWorkerUptime => ({
                source: u.source,
                workerKey: u.worker_key,
                up: u.up,
                uptimeSeconds: u.uptime_seconds,
                windowSeconds: u.window_seconds,
                uptimePermille: u.window_seconds > 0 ? Math.min(1000, Math.floor((u.uptime_seconds * 1000) / u.window_seconds)) : 0,
                seenAt: u.seen_at,
            }),
        ),
    };
}
