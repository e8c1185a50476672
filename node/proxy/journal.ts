/**
 * The proxy's settle journal: one line per finished request (who used how many tokens), appended
 * synchronously before the client sees the request end. The store commits ledgers every second; the
 * journal covers the gap, so a proxy killed with kill -9 replays what finished since its last commit
 * instead of forgetting it (the original loses up to one commit interval). Lines carry an HMAC under a
 * key derived from the proxy key, so an edited journal is refused like an edited store.
 */
import { createHash, createHmac, timingSafeEqual } from 'crypto';
import { closeSync, existsSync, fdatasyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'fs';

export interface JournalEntry {
    seq: number;
    client: { owner: string; contract: string };
    worker: { owner: string; contract: string };
    tokens: bigint;
}

export class JournalError extends Error {}

export class SettleJournal {
    private fd: number;
    private seq: number;
    private readonly key: Buffer;

    private constructor(private readonly path: string, secretKey: Buffer, lastSeq: number, private readonly fsync: boolean) {
        this.key = createHash('sha256').update('cocoon-proxy-journal').update(secretKey).digest();
        this.fd = openSync(path, 'a');
        this.seq = lastSeq;
    }

    /** Opens the journal and returns the entries written after `committedSeq` (those the store lacks). */
    static open(path: string, secretKey: Buffer, committedSeq: number, opts: { fsync?: boolean } = {}): { journal: SettleJournal; pending: JournalEntry[] } {
        const key = createHash('sha256').update('cocoon-proxy-journal').update(secretKey).digest();
        const pending: JournalEntry[] = [];
        let last = committedSeq;
        if (existsSync(path)) {
            const lines = readFileSync(path, 'utf8').split('\n');
            for (const [i, line] of lines.entries()) {
                if (!line) continue;
                const parts = line.split(' ');
                // A torn last line (killed mid-write) was never acknowledged to anyone: drop it.
                if (parts.length !== 7) {
                    if (i === lines.length - 1 || (i === lines.length - 2 && lines[lines.length - 1] === '')) continue;
                    throw new JournalError(`settle journal ${path} line ${i + 1} is malformed`);
                }
                const mac = createHmac('sha256', key).update(parts.slice(0, 6).join(' ')).digest();
                const given = Buffer.from(parts[6], 'hex');
                if (given.length !== mac.length || !timingSafeEqual(given, mac)) {
                    if (i >= lines.length - 2) continue;
                    throw new JournalError(`settle journal ${path} line ${i + 1} is not signed by this proxy's key: the file was modified or belongs to another proxy`);
                }
                const seq = Number(parts[0]);
                if (seq > last) last = seq;
                if (seq > committedSeq) {
                    pending.push({ seq, client: { owner: parts[1], contract: parts[2] }, worker: { owner: parts[3], contract: parts[4] }, tokens: BigInt(parts[5]) });
                }
            }
        }
        return { journal: new SettleJournal(path, secretKey, last, opts.fsync ?? true), pending };
    }

    get lastSeq(): number {
        return this.seq;
    }

    append(e: Omit<JournalEntry, 'seq'>): number {
        const seq = ++this.seq;
        const body = `${seq} ${e.client.owner} ${e.client.contract} ${e.worker.owner} ${e.worker.contract} ${e.tokens}`;
        writeSync(this.fd, `${body} ${createHmac('sha256', this.key).update(body).digest('hex')}\n`);
        // On disk before the client sees its answer end: a power loss (unlike kill -9, which the page cache
        // survives) must not lose a line whose tokens the caller was told about.
        if (this.fsync) fdatasyncSync(this.fd);
        return seq;
    }

    /** Empties the journal once the store holds everything up to `committedSeq` (nothing newer was written). */
    compact(committedSeq: number): void {
        if (committedSeq !== this.seq) return;
        ftruncateSync(this.fd, 0);
        // The store's commit (fsynced by its database) covers these lines; the truncation itself may be lazy.
    }

    close(): void {
        closeSync(this.fd);
    }
}
