/**
 * Live updates for /api/events/stream. The hub watches the database (not the ingest), so the API works the
 * same whether the indexer runs in this process or another one writes the database; an in-process ingest
 * calls poke() after each commit so subscribers hear about it at once instead of at the next poll.
 */
import { asc, desc, gt, lte, sql } from 'drizzle-orm';
import type { Response } from 'express';
import { rows, type DbOrTx } from '../db/client';
import { events, transactions } from '../db/schema';
import type { Logger } from '../../node/common/log';
import type { ExitCodeTable } from './exitcodes';
import { getOverview, getStatus } from './queries/status';
import { eventInfo, transactionInfo } from './serialize';
import type { EventInfo, StreamMessage, TransactionInfo } from './types';
import { INT64_MAX } from './validate';

export interface StreamFilter {
    types: Set<StreamMessage['type']>;
    /** Only rows touching this address (account or any key column). */
    address?: string;
}

interface Subscriber {
    res: Response;
    filter: StreamFilter;
}

/** SSE message id: the watermarks after this message, so a reconnect with Last-Event-ID resumes exactly. */
const idOf = (tx: bigint, ev: bigint) => `${tx}:${ev}`;
export function parseLastEventId(v: string | undefined): { tx: bigint; ev: bigint } | undefined {
    const m = v && /^(\d{1,19}):(\d{1,19})$/.exec(v);
    if (!m || BigInt(m[1]) > INT64_MAX || BigInt(m[2]) > INT64_MAX) return undefined;
    return { tx: BigInt(m[1]), ev: BigInt(m[2]) };
}

const BATCH = 500;
const STATUS_EVERY_MS = 3000;
/** Overview totals are recomputed at most this often while rows keep arriving (each costs a few queries). */
const OVERVIEW_EVERY_MS = 1000;
export const MAX_BACKLOG = 100;

export class StreamHub {
    private subs = new Set<Subscriber>();
    private lastTx = -1n;
    private lastEv = -1n;
    private timer?: NodeJS.Timeout;
    private heartbeat?: NodeJS.Timeout;
    private running: Promise<void> | null = null;
    private again = false;
    private lastStatusJson = '';
    private lastStatusAt = 0;
    /** Something that changes the overview happened since it was last sent. */
    private overviewDirty = false;
    private lastOverviewAt = 0;

    constructor(
        private db: DbOrTx,
        private log: Logger,
        private exits: ExitCodeTable,
        private pollMs = 1000,
    ) {}

    get subscriberCount(): number {
        return this.subs.size;
    }

    /**
     * Subscribes `res`. `backlog` sends the newest N transactions first (oldest of them first), so a feed is
     * not empty on load; they carry the current resume point, so a reconnect does not repeat them.
     */
    async add(res: Response, filter: StreamFilter, resume?: { tx: bigint; ev: bigint }, backlog = 0): Promise<void> {
        if (this.lastTx < 0n) await this.initWatermarks();
        // Everything that can fail is read before the headers go out, so a failure is still a clean error answer.
        const recent = backlog > 0 && filter.types.has('transaction') && !resume ? await this.recent(filter, backlog) : [];
        const overview = filter.types.has('overview') ? await getOverview(this.db) : null;
        const status = filter.types.has('status') ? await getStatus(this.db) : null;
        res.writeHead(200, {
            'Content-Type': 'text/event-stream; charset=utf-8',
            'Cache-Control': 'no-cache, no-transform',
            Connection: 'keep-alive',
            'X-Accel-Buffering': 'no',
        });
        res.write(`retry: 2000\n\n`);
        const sub: Subscriber = { res, filter };
        if (resume) await this.catchUp(sub, resume);
        const id = idOf(this.lastTx, this.lastEv);
        for (const t of recent) this.send(sub, { type: 'transaction', data: transactionInfo(t, this.exits) }, id);
        if (status) this.send(sub, { type: 'status', data: status }, id);
        if (overview) this.send(sub, { type: 'overview', data: overview }, id);
        this.subs.add(sub);
        res.on('close', () => this.subs.delete(sub));
        this.ensureTimers();
    }

    /** Ask for an immediate look at the database (the in-process ingest calls this after each commit). */
    poke(): void {
        if (this.subs.size === 0) return;
        void this.tick();
    }

    /** Something outside the chain tables changed the overview (a proxy report): send it again. */
    pokeOverview(): void {
        this.overviewDirty = true;
        this.poke();
    }

    /** The newest `n` transactions up to the current watermark that pass the filter, oldest first. */
    private async recent(filter: StreamFilter, n: number): Promise<(typeof transactions.$inferSelect)[]> {
        const got = await this.db
            .select()
            .from(transactions)
            .where(lte(transactions.id, this.lastTx))
            .orderBy(desc(transactions.id))
            .limit(filter.address ? BATCH : n);
        const kept = filter.address ? got.filter((t) => touches(transactionInfo(t, this.exits), filter.address!)).slice(0, n) : got;
        return kept.reverse();
    }

    close(): void {
        clearInterval(this.timer);
        clearInterval(this.heartbeat);
        this.timer = this.heartbeat = undefined;
        for (const s of this.subs) s.res.end();
        this.subs.clear();
    }

    private ensureTimers(): void {
        if (!this.timer) {
            this.timer = setInterval(() => void this.tick(), this.pollMs);
            this.timer.unref();
        }
        if (!this.heartbeat) {
            // Comments keep proxies and browsers from dropping an idle stream.
            this.heartbeat = setInterval(() => {
                for (const s of this.subs) s.res.write(': keep-alive\n\n');
            }, 15_000);
            this.heartbeat.unref();
        }
    }

    private async initWatermarks(): Promise<void> {
        const [m] = await rows<{ tx: string | null; ev: string | null }>(
            this.db,
            sql`select (select max(id) from transactions) as tx, (select max(id) from events) as ev`,
        );
        this.lastTx = BigInt(m.tx ?? '0');
        this.lastEv = BigInt(m.ev ?? '0');
    }

    /** Serialises polls: a poke during a poll schedules exactly one more. */
    private async tick(): Promise<void> {
        if (this.running) {
            this.again = true;
            return this.running;
        }
        this.running = (async () => {
            do {
                this.again = false;
                try {
                    await this.pollOnce();
                } catch (err) {
                    this.log.warn('stream poll failed', { err: (err as Error).message });
                }
            } while (this.again);
        })();
        try {
            await this.running;
        } finally {
            this.running = null;
        }
    }

    private async pollOnce(): Promise<void> {
        if (this.subs.size === 0) return;
        if (this.lastTx < 0n) await this.initWatermarks();
        for (;;) {
            const txs = await this.db
                .select()
                .from(transactions)
                .where(gt(transactions.id, this.lastTx))
                .orderBy(asc(transactions.id))
                .limit(BATCH);
            const evs = await this.db.select().from(events).where(gt(events.id, this.lastEv)).orderBy(asc(events.id)).limit(BATCH);
            for (const t of txs) {
                this.lastTx = t.id;
                this.broadcast({ type: 'transaction', data: transactionInfo(t, this.exits) });
            }
            for (const e of evs) {
                this.lastEv = e.id;
                this.broadcast({ type: 'event', data: eventInfo(e) });
            }
            // Rows and the totals they feed are committed together, so new rows mean new totals.
            if (txs.length || evs.length) this.overviewDirty = true;
            if (txs.length < BATCH && evs.length < BATCH) break;
        }
        await this.sendOverview();
        // Status counts whole tables; once every few seconds is plenty for a progress display.
        if (Date.now() - this.lastStatusAt < STATUS_EVERY_MS) return;
        this.lastStatusAt = Date.now();
        const status = await getStatus(this.db);
        const json = JSON.stringify(status);
        if (json !== this.lastStatusJson) {
            this.lastStatusJson = json;
            this.broadcast({ type: 'status', data: status });
        }
    }

    /** The overview to its subscribers when it changed, at most every OVERVIEW_EVERY_MS (the timer sends the rest). */
    private async sendOverview(): Promise<void> {
        if (!this.overviewDirty || Date.now() - this.lastOverviewAt < OVERVIEW_EVERY_MS) return;
        if (![...this.subs].some((s) => s.filter.types.has('overview'))) return;
        this.overviewDirty = false;
        this.lastOverviewAt = Date.now();
        this.broadcast({ type: 'overview', data: await getOverview(this.db) });
    }

    private async catchUp(sub: Subscriber, from: { tx: bigint; ev: bigint }): Promise<void> {
        const txs = await this.db
            .select()
            .from(transactions)
            .where(gt(transactions.id, from.tx))
            .orderBy(asc(transactions.id))
            .limit(BATCH);
        const evs = await this.db.select().from(events).where(gt(events.id, from.ev)).orderBy(asc(events.id)).limit(BATCH);
        let tx = from.tx;
        let ev = from.ev;
        for (const t of txs) {
            if (t.id > this.lastTx) break;
            tx = t.id;
            this.deliver(sub, { type: 'transaction', data: transactionInfo(t, this.exits) }, idOf(tx, ev));
        }
        for (const e of evs) {
            if (e.id > this.lastEv) break;
            ev = e.id;
            this.deliver(sub, { type: 'event', data: eventInfo(e) }, idOf(tx, ev));
        }
    }

    private broadcast(msg: StreamMessage): void {
        const id = idOf(this.lastTx, this.lastEv);
        for (const s of this.subs) this.deliver(s, msg, id);
    }

    private deliver(sub: Subscriber, msg: StreamMessage, id: string): void {
        if (!sub.filter.types.has(msg.type)) return;
        if (sub.filter.address && (msg.type === 'transaction' || msg.type === 'event') && !touches(msg.data, sub.filter.address)) return;
        this.send(sub, msg, id);
    }

    private send(sub: Subscriber, msg: StreamMessage, id: string): void {
        sub.res.write(`id: ${id}\nevent: ${msg.type}\ndata: ${JSON.stringify(msg.data)}\n\n`);
    }
}

function touches(d: TransactionInfo | EventInfo, address: string): boolean {
    if ('txLt' in d)
        return d.account === address || d.proxy === address || d.client === address || d.worker === address || d.owner === address;
    return d.account === address || d.source === address;
}
