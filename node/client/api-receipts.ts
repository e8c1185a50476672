/**
 * The receipts the client API hands out (beyond the original COCOON): kept by request id so a caller
 * whose HTTP stack drops trailers (most SDKs, browsers' fetch) can still fetch the signed receipt of an
 * answer with `GET /v1/receipts/{request id}`. Bounded by count and by age, so a busy daemon holds a
 * fixed amount of memory: the oldest receipt goes first.
 */
import type { Receipt } from '../common/receipt';

/** What every receipt answer carries: the worker's receipt plus the client's own check of it. */
export type ServedReceipt = Receipt & { verified: boolean };

export interface ReceiptStoreOptions {
    /** Receipts kept at most (default 10 000, about 6 MB). */
    maxEntries?: number;
    /** Seconds a receipt stays retrievable (default 3600). */
    maxAgeSeconds?: number;
    /** Clock (ms), for tests. */
    now?: () => number;
}

export const RECEIPT_STORE_DEFAULTS = { maxEntries: 10_000, maxAgeSeconds: 3600 } as const;

/** The request id as it appears in the X-Cocoon-Request-Id header and the receipt: 32 bytes, lower-case hex. */
export const REQUEST_ID = /^[0-9a-f]{64}$/;

export class ReceiptStore {
    private readonly byId = new Map<string, { at: number; receipt: ServedReceipt }>();
    private readonly maxEntries: number;
    private readonly maxAgeMs: number;
    private readonly now: () => number;

    constructor(opts: ReceiptStoreOptions = {}) {
        const maxEntries = opts.maxEntries ?? RECEIPT_STORE_DEFAULTS.maxEntries;
        const maxAge = opts.maxAgeSeconds ?? RECEIPT_STORE_DEFAULTS.maxAgeSeconds;
        if (!Number.isSafeInteger(maxEntries) || maxEntries < 0)
            throw new RangeError(`receipts.maxEntries must be a non-negative integer, got ${maxEntries}`);
        if (!Number.isFinite(maxAge) || maxAge < 0)
            throw new RangeError(`receipts.maxAgeSeconds must be a non-negative number, got ${maxAge}`);
        this.maxEntries = maxEntries;
        this.maxAgeMs = maxAge * 1000;
        this.now = opts.now ?? Date.now;
    }

    get size(): number {
        return this.byId.size;
    }

    put(requestId: string, receipt: ServedReceipt): void {
        if (this.maxEntries === 0) return;
        this.byId.delete(requestId);
        this.byId.set(requestId, { at: this.now(), receipt });
        this.prune();
    }

    get(requestId: string): ServedReceipt | null {
        this.prune();
        return this.byId.get(requestId)?.receipt ?? null;
    }

    /** Maps iterate in insertion order: the oldest entries are first. */
    private prune(): void {
        const oldest = this.now() - this.maxAgeMs;
        for (const [id, e] of this.byId) {
            if (this.byId.size <= this.maxEntries && e.at >= oldest) break;
            this.byId.delete(id);
        }
    }
}

/** The header / trailer form of a receipt: base64 of its JSON (what GET /v1/receipts/{id} answers). */
export const receiptHeaderValue = (r: ServedReceipt) => Buffer.from(JSON.stringify(r)).toString('base64');
