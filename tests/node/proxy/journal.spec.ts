import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { keyPairFromSeed } from '@ton/crypto';
import { JournalError, SettleJournal } from '../../../node/proxy/journal';

const key = keyPairFromSeed(Buffer.alloc(32, 3)).secretKey;
const entry = (tokens: bigint) => ({
    client: { owner: '0:' + 'a'.repeat(64), contract: '0:' + 'b'.repeat(64) },
    worker: { owner: '0:' + 'c'.repeat(64), contract: '0:' + 'd'.repeat(64) },
    tokens,
});
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'journal-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('settle journal', () => {
    it('returns the entries after the committed sequence number on reopen', () => {
        const path = join(dir, 'j');
        const { journal } = SettleJournal.open(path, key, 0);
        journal.append(entry(10n));
        journal.append(entry(20n));
        journal.append(entry(30n));
        journal.close();
        const again = SettleJournal.open(path, key, 1);
        expect(again.pending.map((e) => [e.seq, e.tokens])).toEqual([
            [2, 20n],
            [3, 30n],
        ]);
        expect(again.journal.lastSeq).toBe(3);
        expect(again.journal.append(entry(1n))).toBe(4);
        again.journal.close();
    });

    it('drops a torn last line (killed mid-write) but refuses a tampered one', () => {
        const path = join(dir, 'j');
        const { journal } = SettleJournal.open(path, key, 0);
        journal.append(entry(10n));
        journal.append(entry(20n));
        journal.close();
        appendFileSync(path, '3 0:aa 0:bb');
        expect(SettleJournal.open(path, key, 0).pending.map((e) => e.tokens)).toEqual([10n, 20n]);
        const lines = readFileSync(path, 'utf8').split('\n');
        lines[0] = lines[0].replace(' 10 ', ' 99 ');
        writeFileSync(path, lines.join('\n'));
        expect(() => SettleJournal.open(path, key, 0)).toThrow(JournalError);
        expect(() => SettleJournal.open(path, keyPairFromSeed(Buffer.alloc(32, 4)).secretKey, 0)).toThrow(/not signed by this proxy/);
    });

    it('compacts only when the store holds every entry', () => {
        const path = join(dir, 'j');
        const { journal } = SettleJournal.open(path, key, 0);
        journal.append(entry(10n));
        journal.append(entry(20n));
        journal.compact(1);
        expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
        journal.compact(2);
        expect(readFileSync(path, 'utf8')).toBe('');
        journal.append(entry(5n));
        journal.close();
        expect(SettleJournal.open(path, key, 2).pending.map((e) => [e.seq, e.tokens])).toEqual([[3, 5n]]);
    });
});
