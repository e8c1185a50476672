/**
 * Reads proxies' stats pages (`/jsonstats` on a proxy's stats port, COCOON ProxyRunner http stats) on a
 * schedule and hands each answer to consumers, which turn it into rows. The collector knows HTTP, timing and
 * size limits; what a page *means* is the consumers' business, so a new figure is a new consumer (unsettled
 * usage and model names today; per-worker observed uptime from `worker_connections` is the obvious next one).
 */
import type { Db, DbOrTx } from '../db/client';
import type { Logger } from '../../node/common/log';
import type { Json } from './page';

/** One successful read of a stats page. */
export interface StatsPage {
    source: string;
    /** Unix seconds. */
    readAt: number;
    /** The parsed answer (untrusted: read it through page.ts). */
    json: Json;
}

export interface StatsConsumer {
    readonly name: string;
    /** Turns one successful read into rows; all consumers of one read share one database transaction. */
    consume(tx: DbOrTx, page: StatsPage): Promise<void>;
    /** Records that a read failed (the figures of the last successful read stay as they were). */
    failed?(tx: DbOrTx, source: string, at: number, error: string): Promise<void>;
}

export interface CollectorOptions {
    db: Db;
    consumers: StatsConsumer[];
    log: Logger;
    /** Stats URLs (a `/jsonstats` path is added to a URL that names only the server). */
    sources?: readonly string[];
    /** Pause between two reads of every source (default 5000 ms). */
    intervalMs?: number;
    /** Per-read timeout (default 3000 ms). */
    timeoutMs?: number;
    /** Largest answer accepted (default 4 MiB: a proxy with thousands of clients stays far below). */
    maxBytes?: number;
    /** Called after a round wrote something (the API's live stream sends a fresh overview). */
    onChange?: () => void;
}

export const DEFAULT_STATS_INTERVAL_MS = 5000;

/** `http://host:port` -> `http://host:port/jsonstats`; a URL with a path is kept as given. */
export function statsUrl(given: string): string {
    const u = new URL(given);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`'${given}' is not an http(s) URL`);
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/jsonstats';
    return u.toString();
}

export class ProxyStatsCollector {
    private readonly sources = new Set<string>();
    private timer?: NodeJS.Timeout;
    private round: Promise<void> | null = null;
    private stopped = false;

    constructor(private readonly opts: CollectorOptions) {
        for (const s of opts.sources ?? []) this.sources.add(statsUrl(s));
    }

    get sourceList(): string[] {
        return [...this.sources];
    }

    /** Starts reading every source now and then every intervalMs. */
    start(): void {
        this.stopped = false;
        this.schedule(0);
    }

    /** Adds a source (e.g. `cocoon up` once its proxy is listening) and reads it at once. */
    add(url: string): void {
        this.sources.add(statsUrl(url));
        if (!this.stopped) this.schedule(0);
    }

    async stop(): Promise<void> {
        this.stopped = true;
        clearTimeout(this.timer);
        this.timer = undefined;
        await this.round;
    }

    /** One round: every source read in parallel, each result written in its own database transaction. */
    collectOnce(): Promise<void> {
        this.round ??= this.runRound().finally(() => (this.round = null));
        return this.round;
    }

    private schedule(ms: number): void {
        clearTimeout(this.timer);
        if (this.stopped || this.sources.size === 0) return;
        this.timer = setTimeout(() => {
            void this.collectOnce().finally(() => this.schedule(this.opts.intervalMs ?? DEFAULT_STATS_INTERVAL_MS));
        }, ms);
        this.timer.unref();
    }

    private async runRound(): Promise<void> {
        const results = await Promise.all(this.sourceList.map((s) => this.readOne(s)));
        if (results.length) this.opts.onChange?.();
    }

    private async readOne(source: string): Promise<void> {
        const at = Math.floor(Date.now() / 1000);
        let page: StatsPage | null = null;
        let error: string | null = null;
        try {
            page = { source, readAt: at, json: await this.fetchJson(source) };
        } catch (err) {
            error = (err as Error).message;
        }
        try {
            await this.opts.db.transaction(async (tx) => {
                for (const c of this.opts.consumers) {
                    if (page) await c.consume(tx, page);
                    else await c.failed?.(tx, source, at, error!);
                }
            });
            if (error) this.opts.log.warn('proxy stats unreadable', { source, error });
        } catch (err) {
            this.opts.log.error('proxy stats not stored', { source, err: (err as Error).message });
        }
    }

    private async fetchJson(source: string): Promise<Json> {
        const maxBytes = this.opts.maxBytes ?? 4 * 1024 * 1024;
        const res = await fetch(source, {
            signal: AbortSignal.timeout(this.opts.timeoutMs ?? 3000),
            headers: { accept: 'application/json' },
        });
        if (!res.ok) throw new Error(`HTTP ${res.status} from ${source}`);
        const declared = Number(res.headers.get('content-length') ?? '0');
        if (declared > maxBytes) throw new Error(`answer of ${declared} bytes is larger than ${maxBytes}`);
        const body = await res.text();
        if (body.length > maxBytes) throw new Error(`answer larger than ${maxBytes} bytes`);
        try {
            return JSON.parse(body) as Json;
        } catch {
            throw new Error(`not JSON: is ${source} a proxy's /jsonstats?`);
        }
    }
}
