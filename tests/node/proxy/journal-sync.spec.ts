/**
 * The settle journal's fsync (issue 22 item 12): lines are written at once (kill -9 keeps them) and
 * flushed to disk by one group fdatasync per event-loop turn on the threadpool, never blocking the loop;
 * close() flushes what is left.
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { keyPairFromSeed } from '@ton/crypto';
import { SettleJournal } from '../../../node/proxy/journal';

const key = keyPairFromSeed(Buffer.alloc(32, 3)).secretKey;
const entry = (tokens: bigint) => ({
    client: { owner: '0:' + 'a'.repeat(64), contract: '0:' + 'b'.repeat(64) },
    worker: { owner: '0:' + 'c'.repeat(64), contract: '0:' + 'd'.repeat(64) },
    tokens,
});
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'journal-sync-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function synced(j: SettleJournal): Promise<void> {
    while (j.syncedSeq < j.lastSeq) await new Promise((r) => setImmediate(r));
}

it('writes each line at once, flushes a turn of appends with one deferred fdatasync, and keeps up with later lines', async () => {
    const path = join(dir, 'j');
    const { journal } = SettleJournal.open(path, key, 0);
    for (let i = 1; i <= 50; i++) journal.append(entry(BigInt(i)));
    // In the file already (the page cache survives kill -9); the disk flush has not been waited for.
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(50);
    expect(journal.syncedSeq).toBe(0);
    await synced(journal);
    expect(journal.syncedSeq).toBe(50);
    journal.append(entry(51n));
    expect(journal.syncedSeq).toBe(50);
    await synced(journal);
    expect(journal.syncedSeq).toBe(51);
    journal.close();
});

it('without fsync (bench comparison) every written line counts as synced; close flushes the rest when on', () => {
    const off = SettleJournal.open(join(dir, 'off'), key, 0, { fsync: false }).journal;
    off.append(entry(1n));
    expect(off.syncedSeq).toBe(1);
    off.close();
    const on = SettleJournal.open(join(dir, 'on'), key, 0).journal;
    on.append(entry(1n));
    on.close(); // synchronous flush: nothing is left for a callback after the file is closed
    const reopened = SettleJournal.open(join(dir, 'on'), key, 0);
    expect(reopened.pending.map((e) => e.tokens)).toEqual([1n]);
    reopened.journal.close();
});
