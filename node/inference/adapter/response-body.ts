/**
 * A backend response body as an async iterable of the raw bytes, read once. Buffers what arrives
 * before the consumer asks for it, pauses the connection while more than 64 KiB wait (so a slow
 * consumer slows the backend instead of filling memory), feeds each buffer to the usage counter as it
 * is handed over, and fails the call when the backend goes silent for `idleMs` (time the consumer
 * spends not reading does not count).
 */
import { InferenceError } from '../errors';
import type { Exchange } from './http1';
import type { UsageCounter } from './usage-counter';

const HIGH_WATER = 64 * 1024;

export interface ResponseBodyOptions {
    exchange: Exchange;
    counter: UsageCounter;
    idleMs: number;
    /** The backend sent nothing for idleMs. */
    onIdle(): void;
    /** The consumer stopped iterating before the end (break, return). */
    onStop(): void;
    /** Called once, when the body is done for good: read to the end, failed, or abandoned. */
    finish(): void;
}

type Waiter = { resolve(r: IteratorResult<Uint8Array>): void; reject(e: unknown): void };

export class ResponseBody implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
    private readonly queue: Buffer[] = [];
    private queued = 0;
    private ended = false;
    private error: unknown = null;
    private waiter: Waiter | null = null;
    private iterated = false;
    private finished = false;
    private paused = false;
    private idleTimer: NodeJS.Timeout | null;

    constructor(private readonly o: ResponseBodyOptions) {
        this.idleTimer = setTimeout(() => this.onIdleTimer(), o.idleMs);
    }

    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
        if (this.iterated) {
            const err = new InferenceError('BODY_CONSUMED', 'the response body can be read only once');
            return { next: () => Promise.reject(err) };
        }
        this.iterated = true;
        return this;
    }

    /** Bytes from the connection. */
    push(chunk: Buffer): void {
        if (this.error || this.ended) return;
        this.idleTimer?.refresh();
        const w = this.waiter;
        if (w) {
            this.waiter = null;
            this.o.counter.push(chunk);
            w.resolve({ value: chunk, done: false });
            return;
        }
        this.queue.push(chunk);
        this.queued += chunk.length;
        if (this.queued > HIGH_WATER && !this.paused) {
            this.paused = true;
            this.o.exchange.pause();
        }
    }

    /** The body arrived completely. */
    end(): void {
        if (this.error || this.ended) return;
        this.ended = true;
        this.clearIdle();
        const w = this.waiter;
        if (w) {
            this.waiter = null;
            this.done();
            w.resolve({ value: undefined, done: true });
        }
    }

    /** The call failed (connection lost, timeout, cancelled): the consumer's next read rejects with `err`. */
    fail(err: unknown): void {
        if (this.error || this.finished) return;
        this.error = err;
        this.clearIdle();
        const w = this.waiter;
        this.waiter = null;
        this.done();
        w?.reject(err);
    }

    next(): Promise<IteratorResult<Uint8Array>> {
        if (this.error) {
            this.done();
            return Promise.reject(this.error);
        }
        if (this.queue.length) {
            const chunk = this.queue.shift()!;
            this.queued -= chunk.length;
            if (this.paused && this.queued === 0) {
                this.paused = false;
                this.o.exchange.resume();
            }
            this.o.counter.push(chunk);
            return Promise.resolve({ value: chunk, done: false });
        }
        if (this.ended) {
            this.done();
            return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
    }

    return(): Promise<IteratorResult<Uint8Array>> {
        if (!this.finished && !this.error) this.o.onStop();
        this.done();
        return Promise.resolve({ value: undefined, done: true });
    }

    private onIdleTimer(): void {
        // A paused connection is the consumer's doing, not the backend's silence.
        if (this.paused) this.idleTimer?.refresh();
        else this.o.onIdle();
    }

    private clearIdle(): void {
        if (this.idleTimer) clearTimeout(this.idleTimer);
        this.idleTimer = null;
    }

    private done(): void {
        if (this.finished) return;
        this.finished = true;
        this.clearIdle();
        this.o.finish();
    }
}
