/**
 * The proxy's per-client / per-worker token ledger (COCOON ProxySignedPayments).
 *
 * Three counters, each monotonic:
 *   max        tokens of every finished request (in memory, grows first);
 *   db         value of `max` at the last proxy-database commit;
 *   committed  value at the last database seqno whose save-state note is confirmed on-chain.
 * Only `committed` is ever signed: a rolled-back database can never fall below a signature already
 * handed out, because that signature only covers a state the chain has witnessed.
 */
export interface LedgerSnapshot {
    max: bigint;
    db: bigint;
    committed: bigint;
    /** (db seqno -> max at that seqno) not yet confirmed on-chain, ascending by seqno. */
    pending: [number, bigint][];
}

export class SignedPaymentsLedger {
    private max: bigint;
    private db: bigint;
    private committed: bigint;
    private pending: [number, bigint][];

    constructor(s: Partial<LedgerSnapshot> = {}) {
        this.max = s.max ?? 0n;
        this.db = s.db ?? this.max;
        this.committed = s.committed ?? 0n;
        this.pending = [...(s.pending ?? [])];
        if (this.committed > this.db || this.db > this.max) {
            throw new RangeError(`ledger counters out of order: committed ${this.committed} <= db ${this.db} <= max ${this.max} must hold`);
        }
    }

    get tokensMax(): bigint {
        return this.max;
    }
    get tokensCommittedToDb(): bigint {
        return this.db;
    }
    get tokensCommittedToBlockchain(): bigint {
        return this.committed;
    }

    /** A finished request adds its adjusted tokens. */
    add(tokens: bigint): void {
        if (tokens < 0n) throw new RangeError(`cannot add negative tokens (${tokens})`);
        this.max += tokens;
    }

    /** The proxy database committed seqno `seqno` with the current `max`. Returns true when it changed. */
    committedToDb(seqno: number): boolean {
        if (this.max === this.db) return false;
        const last = this.pending[this.pending.length - 1];
        if (last && last[0] >= seqno) throw new RangeError(`db seqno must grow: ${seqno} after ${last[0]}`);
        this.db = this.max;
        this.pending.push([seqno, this.max]);
        return true;
    }

    /** The save-state note for `seqno` is on-chain: everything committed at or before it becomes signable. */
    committedToBlockchain(seqno: number): boolean {
        let changed = false;
        while (this.pending.length && this.pending[0][0] <= seqno) {
            const [, tokens] = this.pending.shift()!;
            if (tokens > this.committed) {
                this.committed = tokens;
                changed = true;
            }
        }
        return changed;
    }

    snapshot(): LedgerSnapshot {
        return { max: this.max, db: this.db, committed: this.committed, pending: this.pending.map(([s, t]) => [s, t]) };
    }
}
