/**
 * TL wire primitives used by the generated codec: little-endian ints, int64 as bigint, raw int128/int256,
 * TL strings/bytes (1-byte or 0xfe+3-byte length, zero padding to 4), Bool as boxed boolTrue/boolFalse.
 * The reader never trusts a length: every read is bounds-checked and fails with TL_DECODE.
 */
import { ProtocolError } from '../errors';

export const BOOL_TRUE = 0x997275b5;
export const BOOL_FALSE = 0xbc799737;
/** TL bytes longer than this need the 8-byte length form, which the C++ nodes don't accept either. */
export const MAX_TL_BYTES = 0xffffff;
/** TL bytes at least this long decode as views of the input (see TlReader.bytes). */
export const SHARED_BYTES_MIN = 1024;

export class TlWriter {
    private buf: Buffer;
    private pos = 0;

    constructor(initialSize = 256) {
        this.buf = Buffer.allocUnsafe(initialSize);
    }

    private ensure(n: number): void {
        if (this.pos + n <= this.buf.length) return;
        let size = this.buf.length * 2;
        while (size < this.pos + n) size *= 2;
        const next = Buffer.allocUnsafe(size);
        this.buf.copy(next, 0, 0, this.pos);
        this.buf = next;
    }

    int32(v: number, what = 'int'): void {
        if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
            throw new ProtocolError('TL_ENCODE', `${what}: ${String(v)} is not a 32-bit signed integer`);
        }
        this.ensure(4);
        this.buf.writeInt32LE(v, this.pos);
        this.pos += 4;
    }

    uint32(v: number, what = 'uint32'): void {
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
            throw new ProtocolError('TL_ENCODE', `${what}: ${String(v)} is not a 32-bit unsigned integer`);
        }
        this.ensure(4);
        this.buf.writeUInt32LE(v, this.pos);
        this.pos += 4;
    }

    long(v: bigint, what = 'long'): void {
        if (typeof v !== 'bigint' || v < -(1n << 63n) || v >= 1n << 63n) {
            throw new ProtocolError('TL_ENCODE', `${what}: ${String(v)} is not a 64-bit signed bigint`);
        }
        this.ensure(8);
        this.buf.writeBigInt64LE(v, this.pos);
        this.pos += 8;
    }

    double(v: number, what = 'double'): void {
        if (typeof v !== 'number') throw new ProtocolError('TL_ENCODE', `${what}: ${String(v)} is not a number`);
        this.ensure(8);
        this.buf.writeDoubleLE(v, this.pos);
        this.pos += 8;
    }

    bool(v: boolean, what = 'Bool'): void {
        if (typeof v !== 'boolean') throw new ProtocolError('TL_ENCODE', `${what}: ${String(v)} is not a boolean`);
        this.uint32(v ? BOOL_TRUE : BOOL_FALSE);
    }

    /** Fixed-size raw bytes (int128 = 16, int256 = 32). */
    fixed(v: Uint8Array, size: number, what = 'int'): void {
        if (!(v instanceof Uint8Array) || v.length !== size) {
            throw new ProtocolError('TL_ENCODE', `${what}: expected ${size} bytes, got ${describe(v)}`);
        }
        this.ensure(size);
        this.buf.set(v, this.pos);
        this.pos += size;
    }

    bytes(v: Uint8Array, what = 'bytes'): void {
        if (!(v instanceof Uint8Array)) throw new ProtocolError('TL_ENCODE', `${what}: expected bytes, got ${describe(v)}`);
        const len = v.length;
        if (len > MAX_TL_BYTES) {
            throw new ProtocolError('TL_ENCODE', `${what}: ${len} bytes exceed the TL limit of ${MAX_TL_BYTES}`);
        }
        const head = len < 254 ? 1 : 4;
        const total = (head + len + 3) & ~3;
        this.ensure(total);
        if (head === 1) {
            this.buf[this.pos] = len;
        } else {
            this.buf[this.pos] = 0xfe;
            this.buf.writeUIntLE(len, this.pos + 1, 3);
        }
        this.buf.set(v, this.pos + head);
        this.buf.fill(0, this.pos + head + len, this.pos + total);
        this.pos += total;
    }

    string(v: string, what = 'string'): void {
        if (typeof v !== 'string') throw new ProtocolError('TL_ENCODE', `${what}: ${describe(v)} is not a string`);
        this.bytes(Buffer.from(v, 'utf8'), what);
    }

    vector<T>(items: readonly T[], writeItem: (item: T) => void, what = 'vector'): void {
        if (!Array.isArray(items)) throw new ProtocolError('TL_ENCODE', `${what}: expected an array, got ${describe(items)}`);
        this.int32(items.length, what);
        for (const item of items) writeItem(item);
    }

    /** Raw bytes with no length (an already-serialised boxed object). */
    raw(v: Uint8Array): void {
        this.ensure(v.length);
        this.buf.set(v, this.pos);
        this.pos += v.length;
    }

    get length(): number {
        return this.pos;
    }

    /** The written bytes (a view; the writer must not be reused afterwards). */
    finish(): Buffer {
        return this.buf.subarray(0, this.pos);
    }
}

/** Used by generated writers before descending into a nested object. */
export function needObject(v: unknown, what: string): void {
    if (typeof v !== 'object' || v === null) {
        throw new ProtocolError('TL_ENCODE', `${what}: expected an object, got ${describe(v)}`);
    }
}

function describe(v: unknown): string {
    if (v instanceof Uint8Array) return `${v.length} bytes`;
    return v === undefined ? 'undefined' : v === null ? 'null' : typeof v;
}

export class TlReader {
    private readonly buf: Buffer;
    private pos = 0;

    constructor(data: Uint8Array) {
        this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
    }

    private need(n: number, what: string): void {
        if (this.pos + n > this.buf.length) {
            throw new ProtocolError(
                'TL_DECODE',
                `truncated TL data: ${what} needs ${n} bytes at offset ${this.pos}, only ${this.buf.length - this.pos} left`,
            );
        }
    }

    int32(what = 'int'): number {
        this.need(4, what);
        const v = this.buf.readInt32LE(this.pos);
        this.pos += 4;
        return v;
    }

    uint32(what = 'uint32'): number {
        this.need(4, what);
        const v = this.buf.readUInt32LE(this.pos);
        this.pos += 4;
        return v;
    }

    long(what = 'long'): bigint {
        this.need(8, what);
        const v = this.buf.readBigInt64LE(this.pos);
        this.pos += 8;
        return v;
    }

    double(what = 'double'): number {
        this.need(8, what);
        const v = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
        return v;
    }

    expectId(expected: number, what: string): void {
        const id = this.uint32(what);
        if (id !== expected) {
            throw new ProtocolError('TL_DECODE', `${what}: expected constructor 0x${hex32(expected)}, got 0x${hex32(id)}`);
        }
    }

    bool(what = 'Bool'): boolean {
        const id = this.uint32(what);
        if (id === BOOL_TRUE) return true;
        if (id === BOOL_FALSE) return false;
        throw new ProtocolError('TL_DECODE', `${what}: 0x${hex32(id)} is neither boolTrue nor boolFalse`);
    }

    fixed(size: number, what = 'int'): Buffer {
        this.need(size, what);
        const v = Buffer.from(this.buf.subarray(this.pos, this.pos + size));
        this.pos += size;
        return v;
    }

    bytes(what = 'bytes'): Buffer {
        this.need(1, what);
        const first = this.buf[this.pos];
        let len: number;
        let head: number;
        if (first < 254) {
            len = first;
            head = 1;
        } else if (first === 254) {
            this.need(4, what);
            len = this.buf.readUIntLE(this.pos + 1, 3);
            head = 4;
        } else {
            throw new ProtocolError('TL_DECODE', `${what}: 8-byte string lengths are not supported`);
        }
        const total = (head + len + 3) & ~3;
        this.need(total, what);
        const at = this.pos + head;
        // A large field (an answer piece, a request body) is a view of the frame it came in, not a copy:
        // a relayed piece used to be copied once per TL layer. Small fields (ids, keys, addresses) stay
        // copies, so a long-lived one never keeps a whole socket chunk alive.
        const v = len >= SHARED_BYTES_MIN ? this.buf.subarray(at, at + len) : Buffer.from(this.buf.subarray(at, at + len));
        this.pos += total;
        return v;
    }

    string(what = 'string'): string {
        return this.bytes(what).toString('utf8');
    }

    /** Vector length, sanity-checked against the bytes left so hostile counts cannot allocate. */
    count(minElemSize: number, what = 'vector'): number {
        const n = this.int32(what);
        const left = this.buf.length - this.pos;
        // Zero-size elements (empty bare constructors) cannot be bounded by the data; cap them instead.
        const limit = minElemSize > 0 ? Math.floor(left / minElemSize) : 1 << 20;
        if (n < 0 || n > limit) {
            throw new ProtocolError('TL_DECODE', `${what}: bad element count ${n} with ${left} bytes left`);
        }
        return n;
    }

    vector<T>(readItem: () => T, minElemSize: number, what = 'vector'): T[] {
        const n = this.count(minElemSize, what);
        const out = new Array<T>(n);
        for (let i = 0; i < n; i++) out[i] = readItem();
        return out;
    }

    get remaining(): number {
        return this.buf.length - this.pos;
    }

    /** TL objects must fill their buffer exactly (the C++ parser rejects trailing data too). */
    end(what: string): void {
        if (this.pos !== this.buf.length) {
            throw new ProtocolError('TL_DECODE', `${what}: ${this.buf.length - this.pos} unexpected trailing bytes`);
        }
    }
}

export function hex32(id: number): string {
    return (id >>> 0).toString(16).padStart(8, '0');
}
