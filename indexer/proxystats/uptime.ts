/**
 * Observed worker uptime from the proxies' stats pages (`worker_uptime`, node/proxy/uptime.ts): per worker
 * (owner + TLS key), the seconds it was connected and enabled within the proxy's window. Each read replaces
 * the source's rows: the proxy's window restarts with the proxy, and a worker it no longer lists is not
 * ours to remember. A failed read keeps the last rows (their seen_at tells how old they are).
 */
import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { workerUptime } from '../db/schema';
import type { StatsConsumer, StatsPage } from './collector';
import { field, rawAddress, rowsOf, type Json } from './page';

/** Rows read per page: a proxy with more workers than this is read for the first ones only. */
const MAX_WORKERS = 10_000;
/** Seconds fit the integer column (68 years). */
const MAX_SECONDS = 2 ** 31 - 1;

export interface ObservedUptime {
    owner: string;
    workerKey: string;
    up: boolean;
    uptimeSeconds: number;
    windowSeconds: number;
}

function seconds(v: Json): number | null {
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_SECONDS ? v : null;
}

/** The well-formed rows of a page's worker_uptime table; a row with a missing or impossible figure is skipped. */
export function uptimeFromPage(json: Json): ObservedUptime[] {
    const out = new Map<string, ObservedUptime>();
    for (const r of rowsOf(json, 'worker_uptime', MAX_WORKERS)) {
        const owner = rawAddress(field(r, 'owner'));
        const key = field(r, 'worker_key');
        const up = field(r, 'up');
        const uptimeSeconds = seconds(field(r, 'uptime_seconds'));
        const windowSeconds = seconds(field(r, 'window_seconds'));
        if (!owner || typeof key !== 'string' || !/^[0-9a-f]{64}$/.test(key) || typeof up !== 'boolean') continue;
        // More up-time than window is a lie or a bug; either way the row says nothing usable.
        if (uptimeSeconds === null || windowSeconds === null || uptimeSeconds > windowSeconds) continue;
        out.set(`${owner}/${key}`, { owner, workerKey: key, up, uptimeSeconds, windowSeconds });
    }
    return [...out.values()];
}

export class WorkerUptimeReports implements StatsConsumer {
    readonly name = 'worker-uptime';

    async consume(tx: DbOrTx, page: StatsPage): Promise<void> {
        const rows = uptimeFromPage(page.json);
        // A page without the table (an original proxy, or not a proxy at all) says nothing: keep what we had.
        if (!rows.length && field(page.json, 'worker_uptime') === undefined) return;
        await tx.delete(workerUptime).where(eq(workerUptime.source, page.source));
        if (rows.length) await tx.insert(workerUptime).values(rows.map((r) => ({ ...r, source: page.source, seenAt: page.readAt })));
    }
}
