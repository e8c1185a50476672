/**
 * @ton/core cells for the lean BOC reader (lean-boc.ts) that cost only what their readers use: hashes are
 * computed on demand, and integers are read a byte at a time instead of a bit at a time.
 */
import { BitReader, BitString, Cell, CellType, Slice } from '@ton/core';

/**
 * @ton/core's BitReader reads integers one bit at a time with a BigInt addition per bit; the loaders of
 * every message body read opcodes, query ids, coins and addresses through it. This one reads whole bytes
 * (same results, same out-of-bounds error); everything else is inherited.
 */
const FastBitReader = class extends BitReader {};
interface BitsInternals {
    _data: Buffer;
    _offset: number;
    _length: number;
}
/** The bit position in `b._data` where `bits` bits at `offset` start; past the end fails as BitString.at() does. */
function startOf(b: BitsInternals, offset: number, bits: number): number {
    if (offset < 0 || offset + bits > b._length) throw new Error(`Index ${Math.max(offset, b._length)} > ${b._length} is out of bounds`);
    return b._offset + offset;
}
/** Up to 32 bits from bit position `pos` of `data`, as a number. */
function readBits(data: Buffer, pos: number, k: number): number {
    let v = 0;
    for (let i = 0; i < k; ) {
        const p = pos + i;
        const avail = 8 - (p & 7);
        const take = Math.min(avail, k - i);
        v = v * (1 << take) + ((data[p >> 3] >> (avail - take)) & ((1 << take) - 1));
        i += take;
    }
    return v;
}
Object.defineProperty(FastBitReader.prototype, '_preloadBuffer', {
    value(this: { _bits: BitString }, bytes: number, offset: number): Buffer {
        const b = this._bits as unknown as BitsInternals;
        const start = startOf(b, offset, bytes * 8);
        const data = b._data;
        if ((start & 7) === 0) return data.subarray(start >> 3, (start >> 3) + bytes);
        const out = Buffer.alloc(bytes);
        for (let i = 0; i < bytes; i++) out[i] = readBits(data, start + i * 8, 8);
        return out;
    },
});
// A Slice clones the reader it is given (and clones it again on slice.clone()): keep the clones fast too.
Object.defineProperty(FastBitReader.prototype, 'clone', {
    value(this: { _bits: BitString; _offset: number }) {
        return new FastBitReader(this._bits, this._offset);
    },
});
Object.defineProperty(FastBitReader.prototype, '_preloadUint', {
    value(this: { _bits: BitString }, bits: number, offset: number): bigint {
        if (bits === 0) return 0n;
        const b = this._bits as unknown as BitsInternals;
        const start = startOf(b, offset, bits);
        const data = b._data;
        if (bits <= 32) return BigInt(readBits(data, start, bits));
        let res = 0n;
        for (let i = 0; i < bits; i += 32) {
            const take = Math.min(32, bits - i);
            res = (res << BigInt(take)) | BigInt(readBits(data, start + i, take));
        }
        return res;
    },
});

/**
 * An ordinary cell that computes its hashes and depths only when asked. Message loaders read only bits and
 * refs of every body, and @ton/core's constructor hashes every cell up front: skipping that took the
 * indexer's decode from ~8.9k to ~14.7k tx/s. It is a Cell (same prototype, same methods); hash(),
 * depth(), level(), mask and serialisation build the real cell once and answer from it.
 */
interface LazyFields {
    type: CellType;
    bits: BitString;
    refs: Cell[];
    real?: Cell;
}
const lazyProto: object = Object.create(Cell.prototype, {
    full: {
        value(this: LazyFields): Cell {
            return (this.real ??= new Cell({ bits: this.bits, refs: this.refs }));
        },
    },
    mask: {
        get(this: LazyFields & { full(): Cell }) {
            return this.full().mask;
        },
    },
    // @ton/core keeps a cell's hashes and depths in private fields; the lazy cell forwards them unchanged.
    _hashes: {
        get(this: LazyFields & { full(): Cell }) {
            return (this.full() as unknown as { _hashes: Buffer[] })._hashes;
        },
    },
    _depths: {
        get(this: LazyFields & { full(): Cell }) {
            return (this.full() as unknown as { _depths: number[] })._depths;
        },
    },
    beginParse: {
        value(this: LazyFields) {
            return new Slice(new FastBitReader(this.bits), this.refs);
        },
    },
    hash: {
        value(this: LazyFields & { full(): Cell }, level = 3) {
            return this.full().hash(level);
        },
    },
    depth: {
        value(this: LazyFields & { full(): Cell }, level = 3) {
            return this.full().depth(level);
        },
    },
    level: {
        value(this: LazyFields & { full(): Cell }) {
            return this.full().level();
        },
    },
    equals: {
        value(this: LazyFields & { full(): Cell }, other: Cell) {
            return this.full().hash().equals(other.hash());
        },
    },
    [Symbol.for('nodejs.util.inspect.custom')]: {
        value(this: Cell) {
            return this.toString();
        },
    },
});

export function lazyCell(bits: BitString, refs: Cell[]): Cell {
    if (refs.length > 4 || bits.length > 1023) return new Cell({ bits, refs }); // let @ton/core reject it
    const c = Object.create(lazyProto) as LazyFields;
    c.type = CellType.Ordinary;
    c.bits = bits;
    c.refs = refs;
    return c as unknown as Cell;
}
