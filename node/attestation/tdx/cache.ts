/**
 * Verified-quote cache keyed by SHA-256 of the quote (the original keeps 10000 attestation results).
 * Entries expire so time-dependent checks (certificate validity, collateral freshness) are redone.
 */
import { createHash } from 'crypto';

export class QuoteCache<T> {
    private readonly entries = new Map<string, { at: number; value: T }>();

    constructor(
        private readonly maxEntries = 10_000,
        private readonly ttlMs = 10 * 60_000,
    ) {}

    static key(quote: Buffer): string {
        return createHash('sha256').update(quote).digest('hex');
    }

    get(key: string, nowMs: number): T | undefined {
        const e = this.entries.get(key);
        if (!e) return undefined;
        if (nowMs - e.at >= this.ttlMs || nowMs < e.at) {
            this.entries.delete(key);
            return undefined;
        }
        return e.value;
    }

    set(key: string, value: T, nowMs: number): void {
        if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
            const oldest = this.entries.keys().next().value;
            if (oldest !== undefined) this.entries.delete(oldest);
        }
        this.entries.set(key, { at: nowMs, value });
    }

    get size(): number {
        return this.entries.size;
    }
}
