import { Address, beginCell, BitReader, BitString, Cell, loadTransaction } from '@ton/core';
import { parseBoc, readTransaction, toCell } from '../../../node/chain/lean-boc';
import { fromCoreTransaction, txFacts } from '../../../indexer/ingest/txfacts';
import { buildTransaction, type TxSpec } from '../helpers/txbuild';

const A = Address.parseRaw('0:' + 'ab'.repeat(32));
const B = Address.parseRaw('0:' + '01'.repeat(32));
const C = Address.parseRaw('-1:' + 'ff'.repeat(32));
const small = beginCell().storeUint(0xf172e6c2, 32).storeUint(7, 64).storeCoins(5n).endCell();
const big = beginCell()
    .storeUint(0xbb63ff93, 32)
    .storeBuffer(Buffer.alloc(120, 3))
    .storeRef(beginCell().storeUint(1, 8).storeRef(beginCell().storeUint(2, 8)).endCell())
    .endCell();
const odd = beginCell().storeUint(5, 3).endCell();

function facts(spec: Omit<TxSpec, 'account' | 'lt' | 'now' | 'prevLt' | 'prevHash'>) {
    const tx = buildTransaction({ account: A, lt: 123_456_789n, now: 1_700_000_000, prevLt: 55n, prevHash: 0xdeadbeefn, ...spec });
    const boc = tx.raw.toBoc({ idx: false, crc32: false });
    const core = fromCoreTransaction(loadTransaction(Cell.fromBoc(boc)[0].beginParse()));
    const lean = readTransaction(parseBoc(boc)[0]);
    const view = (t: typeof core) => {
        const f = txFacts(t);
        return {
            ...f,
            body: f.body?.hash().toString('hex') ?? null,
            outMessages: f.outMessages.map((o) => ({ ...o, body: o.body.hash().toString('hex') })),
            lt: t.lt,
            now: t.now,
            prevLt: t.prevTransactionLt,
            prevHash: t.prevTransactionHash,
        };
    };
    return { core: view(core), lean: view(lean) };
}

describe('lean transaction reader', () => {
    const cases: [string, Omit<TxSpec, 'account' | 'lt' | 'now' | 'prevLt' | 'prevHash'>][] = [
        [
            'internal with inline body and one out message',
            { src: B, value: 10n ** 9n, body: small, out: [{ dest: B, value: 5n, body: small }] },
        ],
        ['internal with a body in a ref and nested refs', { src: B, value: 1n, body: big }],
        [
            'external with many out messages (dictionary forks)',
            {
                body: small,
                out: Array.from({ length: 7 }, (_, i) => ({
                    dest: i % 2 ? B : C,
                    value: BigInt(i * 1000 + 1),
                    body: i % 3 ? small : big,
                    bounce: i % 2 === 0,
                })),
            },
        ],
        ['failed transaction with exit code', { src: B, value: 3n, body: small, success: false, exitCode: 1007 }],
        ['deploy carrying a StateInit', { src: B, value: 2n, body: odd, deploy: true, init: { code: small, data: big } }],
        ['bounced inbound message', { src: C, value: 9n, body: small, bounced: true }],
        ['empty body', { src: B, value: 1n, body: Cell.EMPTY }],
        ['1-nanoTON note: compute skipped, no gas', { src: B, value: 1n, body: small, success: false, skipped: 'no-gas', storageFee: 3n }],
        ['compute skipped: no state', { src: B, value: 5n, body: small, success: false, skipped: 'no-state' }],
        ['compute skipped: bad state', { src: B, value: 5n, body: small, success: false, skipped: 'bad-state' }],
    ];
    it.each(cases)('reads the same facts as @ton/core: %s', (_name, spec) => {
        const { core, lean } = facts(spec);
        expect(lean).toEqual(core);
    });

    it('tells an intentional note from a failure, with the phase, reason and fee breakdown', () => {
        const pick = (f: ReturnType<typeof facts>['lean']) => [
            f.success,
            f.outcome,
            f.computeSkipped,
            f.exitCode,
            f.storageFee,
            f.computeFee,
            f.gasUsed,
            f.actionFee,
            f.fwdFee,
        ];
        expect(pick(facts({ src: B, value: 1n, body: small, success: false, skipped: 'no-gas', storageFee: 3n }).lean)).toEqual([
            false,
            'note',
            'no_gas',
            null,
            3n,
            0n,
            null,
            0n,
            0n,
        ]);
        // An external message that buys no gas is not a deliberate note.
        expect(pick(facts({ body: small, success: false, skipped: 'no-gas' }).lean).slice(0, 3)).toEqual([false, 'failed', 'no_gas']);
        expect(pick(facts({ src: B, value: 5n, body: small, success: false, skipped: 'no-state' }).lean).slice(0, 3)).toEqual([
            false,
            'failed',
            'no_state',
        ]);
        expect(pick(facts({ src: B, value: 3n, body: small, success: false, exitCode: 1007 }).lean)).toEqual([
            false,
            'failed',
            null,
            1007,
            0n,
            1_000_000n,
            5000n,
            0n,
            0n,
        ]);
        expect(pick(facts({ src: B, value: 3n, body: small }).lean).slice(0, 4)).toEqual([true, 'ok', null, 0]);
    });

    it('hands out cells that behave as @ton/core cells (hashes computed on demand)', () => {
        const deep = beginCell().storeUint(9, 16).storeRef(big).storeRef(small).storeMaybeRef(odd).endCell();
        const cell = toCell(parseBoc(deep.toBoc())[0]);
        expect(cell).toBeInstanceOf(Cell);
        expect(cell.isExotic).toBe(false);
        expect(cell.bits.equals(deep.bits)).toBe(true);
        expect(cell.refs.length).toBe(3);
        // Reading through the loaders' path (beginParse, loadRef) before anything is hashed.
        const sl = cell.beginParse();
        expect(sl.loadUint(16)).toBe(9);
        expect(sl.loadRef().beginParse().loadUint(32)).toBe(0xbb63ff93);
        expect(sl.loadRef().equals(small)).toBe(true);
        expect(sl.loadMaybeRef()?.hash().equals(odd.hash())).toBe(true);
        expect(cell.hash().equals(deep.hash())).toBe(true);
        expect([cell.depth(), cell.level(), cell.hash(0).toString('hex')]).toEqual([
            deep.depth(),
            deep.level(),
            deep.hash(0).toString('hex'),
        ]);
        expect(cell.equals(deep) && deep.equals(cell)).toBe(true);
        expect(cell.toBoc().equals(deep.toBoc())).toBe(true);
        expect(cell.toString()).toBe(deep.toString());
        expect(beginCell().storeRef(cell).endCell().hash().equals(beginCell().storeRef(deep).endCell().hash())).toBe(true);
    });

    it('reads integers, buffers and addresses from its cells exactly as @ton/core does', () => {
        let seed = 7;
        const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
        for (let round = 0; round < 300; round++) {
            const len = rnd(1024);
            const data = Buffer.from(Array.from({ length: Math.ceil(len / 8) + 1 }, () => rnd(256)));
            const bits = new BitString(data, 0, len);
            const cell = toCell(parseBoc(beginCell().storeBits(bits).endCell().toBoc())[0]);
            const fast = cell.beginParse();
            // The slice reads through the fast reader, not @ton/core's bit-by-bit one.
            const reader = (fast as unknown as { _reader: Record<string, unknown> })._reader;
            expect(reader._preloadUint).not.toBe((BitReader.prototype as unknown as Record<string, unknown>)._preloadUint);
            const core = new BitReader(bits);
            while (fast.remainingBits > 0) {
                const n = Math.min(fast.remainingBits, rnd(3) === 0 ? rnd(257) : rnd(65));
                if (rnd(5) === 0 && n >= 8) {
                    const bytes = n >> 3;
                    expect(fast.loadBuffer(bytes).equals(core.loadBuffer(bytes))).toBe(true);
                } else expect(fast.loadUintBig(n)).toBe(core.loadUintBig(n));
            }
            expect(() => fast.loadUint(1)).toThrow(/out of bounds/);
        }
        const a = beginCell().storeAddress(A).storeAddress(C).storeCoins(123_456_789n).storeUint(5, 3).endCell();
        const s = toCell(parseBoc(a.toBoc())[0]).beginParse();
        expect([s.loadAddress().equals(A), s.loadAddress().equals(C), s.loadCoins(), s.loadUint(3)]).toEqual([true, true, 123_456_789n, 5]);
    });

    it('rejects bytes that are not a BOC', () => {
        expect(() => parseBoc(Buffer.from('not a boc at all'))).toThrow('bag of cells');
    });
});

describe('native SHA-256 for @ton/core', () => {
    it('keeps cell hashes identical', () => {
        const before = big.hash().toString('hex');
        const { installNativeSha256 } = require('../../../node/chain/fast-hash') as typeof import('../../../node/chain/fast-hash');
        expect(installNativeSha256()).toBe(true);
        const rebuilt = beginCell()
            .storeUint(0xbb63ff93, 32)
            .storeBuffer(Buffer.alloc(120, 3))
            .storeRef(beginCell().storeUint(1, 8).storeRef(beginCell().storeUint(2, 8)).endCell())
            .endCell();
        expect(rebuilt.hash().toString('hex')).toBe(before);
    });
});
