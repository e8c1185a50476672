/**
 * Observed worker uptime: how long each worker (owner + its TLS key) has been connected to this proxy
 * and enabled, since this proxy started. Sampled from the live worker connections on a timer and before
 * every stats read, so a state change is seen within one sampling period. Published in the proxy's
 * /jsonstats (`worker_uptime`); the indexer reads it from there. Not persisted: a restart starts a new
 * window, which the published `window_seconds` makes explicit.
 */
import { UptimeMeter, type UptimeFigures } from '../common/uptime';

export interface ObservedWorker {
    owner: string;
    enabled: boolean;
    conn: { peer: { publicKey: Buffer } };
}

export interface WorkerUptimeRow {
    owner: string;
    worker_key: string;
    up: boolean;
    uptime_seconds: number;
    window_seconds: number;
    uptime_permille: number;
}

/** The columns of the published table, in order (the stats page and its readers share them). */
export const WORKER_UPTIME_COLUMNS: readonly (keyof WorkerUptimeRow)[] = [
    'owner',
    'worker_key',
    'up',
    'uptime_seconds',
    'window_seconds',
    'uptime_permille',
];

export const UPTIME_SAMPLE_MS = 1000;

function keyOf(w: ObservedWorker): string {
    return `${w.owner}/${w.conn.peer.publicKey.toString('hex')}`;
}

export class WorkerUptime {
    private readonly meter: UptimeMeter;

    constructor(clock: () => number = Date.now) {
        this.meter = new UptimeMeter(clock);
    }

    /** Samples the workers connected now; one with several connections counts as up when any is enabled. */
    observe(workers: readonly ObservedWorker[]): void {
        const up = new Map<string, boolean>();
        for (const w of workers) up.set(keyOf(w), (up.get(keyOf(w)) ?? false) || w.enabled);
        this.meter.observe(up);
    }

    rows(): WorkerUptimeRow[] {
        return this.meter.keys().map((k) => {
            const f = this.meter.figures(k) as UptimeFigures;
            const slash = k.lastIndexOf('/');
            return {
                owner: k.slice(0, slash),
                worker_key: k.slice(slash + 1),
                up: f.up,
                uptime_seconds: Math.floor(f.upMs / 1000),
                window_seconds: Math.floor(f.windowMs / 1000),
                uptime_permille: f.permille,
            };
        });
    }
}
