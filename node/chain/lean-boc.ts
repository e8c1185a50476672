/**
 * A lean reader for transaction BOCs, for any service that reads many transactions (the indexer, watchers).
 * @ton/core builds every cell with its hashes and parses every field of a transaction (measured: ~320 µs
 * per transaction); most readers need a dozen fields and the message bodies. This reader walks the BOC
 * bytes directly, computes no hash, and turns only message bodies into @ton/core cells, on first use.
 *
 * Layouts (block.tlb): Transaction, Message, CommonMsgInfo, TransactionDescr (ordinary), HashmapE 15.
 */
import { BitString, Cell } from '@ton/core';
import { lazyCell } from './lazy-cell';

/** Malformed bytes: not a BOC, or a cell that does not hold what its layout says. */
export class LeanBocError extends Error {
    constructor(
        readonly code: 'BAD_BOC' | 'BAD_TX',
        message: string,
    ) {
        super(message);
        this.name = 'LeanBocError';
    }
}

/** The parts of a message a lean reader yields (addresses as raw strings). */
export interface MessageLike {
    info:
        | {
              type: 'internal';
              src: string | null;
              dest: string | null;
              value: bigint;
              bounce: boolean;
              bounced: boolean;
              ihrDisabled?: boolean;
              createdLt: bigint;
          }
        | { type: 'external-in'; dest: string | null }
        | { type: 'external-out'; src: string | null };
    readonly body: Cell;
    /** First 32 bits of the body when the reader knows them without building the cell. */
    op?: number | null;
}

/**
 * The parts of a transaction a lean reader yields; a full @ton/core Transaction maps onto it too
 * (indexer/ingest/txfacts.ts fromCoreTransaction).
 */
export interface TxLike {
    lt: bigint;
    now: number;
    prevTransactionLt: bigint;
    prevTransactionHash: bigint;
    oldStatus: string;
    endStatus: string;
    inMessage: MessageLike | null;
    outMessages: { values(): Iterable<MessageLike> };
    totalFees: { coins: bigint };
    description: {
        type: string;
        aborted: boolean;
        /** Storage fees collected by the storage phase (absent: no storage phase). */
        storageFees?: bigint;
        computePhase:
            | { type: 'vm'; success: boolean; exitCode: number; gasFees?: bigint; gasUsed?: bigint }
            | { type: 'skipped'; reason?: ComputeSkipReason };
        actionPhase?: { success: boolean; resultCode: number; totalFwdFees?: bigint; totalActionFees?: bigint };
    };
}

/** Why the compute phase did not run (block.tlb ComputeSkipReason), in @ton/core's spelling. */
export type ComputeSkipReason = 'no-state' | 'bad-state' | 'no-gas' | 'suspended';

export interface LeanCell {
    data: Buffer;
    bits: number;
    refs: LeanCell[];
    exotic: boolean;
    /** The @ton/core cell, built on first use. */
    cell?: Cell;
}

const BOC_MAGIC = 0xb5ee9c72;

function readUintBytes(buf: Buffer, off: number, n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + buf[off + i];
    return v;
}

/** Root cells of a (possibly multi-root) BOC. */
export function parseBoc(buf: Buffer): LeanCell[] {
    if (buf.length < 6 || buf.readUInt32BE(0) !== BOC_MAGIC)
        throw new LeanBocError('BAD_BOC', 'not a bag of cells (generic BOC magic expected)');
    const flags = buf[4];
    const hasIdx = (flags & 0x80) !== 0;
    const sizeBytes = flags & 7;
    const offBytes = buf[5];
    let p = 6;
    const cellCount = readUintBytes(buf, p, sizeBytes);
    p += sizeBytes;
    const rootCount = readUintBytes(buf, p, sizeBytes);
    p += sizeBytes;
    p += sizeBytes; // absent
    p += offBytes; // total cells size
    const rootIdx: number[] = [];
    for (let i = 0; i < rootCount; i++, p += sizeBytes) rootIdx.push(readUintBytes(buf, p, sizeBytes));
    if (hasIdx) p += cellCount * offBytes;
    const raw: { data: Buffer; bits: number; refIdx: number[]; exotic: boolean }[] = new Array(cellCount);
    for (let i = 0; i < cellCount; i++) {
        const d1 = buf[p];
        const d2 = buf[p + 1];
        p += 2;
        if (d1 & 16) throw new LeanBocError('BAD_BOC', 'cells with stored hashes are not expected in transaction BOCs');
        const refsCount = d1 & 7;
        const dataBytes = Math.ceil(d2 / 2);
        const data = buf.subarray(p, p + dataBytes);
        p += dataBytes;
        let bits = dataBytes * 8;
        if (d2 & 1) {
            // Completion tag: the last byte ends with a 1 followed by zeros.
            const last = data[dataBytes - 1];
            let trailing = 0;
            while (trailing < 8 && ((last >> trailing) & 1) === 0) trailing++;
            bits -= trailing + 1;
        }
        const refIdx: number[] = [];
        for (let r = 0; r < refsCount; r++, p += sizeBytes) refIdx.push(readUintBytes(buf, p, sizeBytes));
        raw[i] = { data, bits, refIdx, exotic: (d1 & 8) !== 0 };
    }
    // Children always come after their parents in a BOC, so build from the end.
    const cells: LeanCell[] = new Array(cellCount);
    for (let i = cellCount - 1; i >= 0; i--) {
        const r = raw[i];
        cells[i] = { data: r.data, bits: r.bits, exotic: r.exotic, refs: r.refIdx.map((j) => cells[j]) };
    }
    return rootIdx.map((i) => cells[i]);
}

/** The @ton/core cell for a lean cell (and its subtree), built once. */
export function toCell(c: LeanCell): Cell {
    if (!c.cell) {
        const bits = new BitString(c.data, 0, c.bits);
        const refs = c.refs.map(toCell);
        c.cell = c.exotic ? new Cell({ bits, refs, exotic: true }) : lazyCell(bits, refs);
    }
    return c.cell;
}

export class LeanSlice {
    private ref = 0;
    constructor(
        readonly cell: LeanCell,
        private pos = 0,
    ) {}

    get remainingBits(): number {
        return this.cell.bits - this.pos;
    }

    bit(): boolean {
        if (this.pos >= this.cell.bits) throw new LeanBocError('BAD_TX', 'read past the end of a cell');
        const b = (this.cell.data[this.pos >> 3] >> (7 - (this.pos & 7))) & 1;
        this.pos++;
        return b === 1;
    }

    /** Unsigned integer up to 48 bits as a number (whole bytes at a time where the position allows). */
    uint(n: number): number {
        if (this.pos + n > this.cell.bits) throw new LeanBocError('BAD_TX', 'read past the end of a cell');
        const data = this.cell.data;
        let v = 0;
        let left = n;
        while (left > 0) {
            const bitInByte = this.pos & 7;
            const avail = 8 - bitInByte;
            const take = Math.min(avail, left);
            const byte = data[this.pos >> 3];
            const chunk = (byte >> (avail - take)) & ((1 << take) - 1);
            v = v * (1 << take) + chunk;
            this.pos += take;
            left -= take;
        }
        return v;
    }

    int(n: number): number {
        const v = this.uint(n);
        return v >= 2 ** (n - 1) ? v - 2 ** n : v;
    }

    big(n: number): bigint {
        let v = 0n;
        let left = n;
        while (left > 0) {
            const take = Math.min(left, 32);
            v = (v << BigInt(take)) | BigInt(this.uint(take));
            left -= take;
        }
        return v;
    }

    skip(n: number): void {
        if (this.pos + n > this.cell.bits) throw new LeanBocError('BAD_TX', 'skip past the end of a cell');
        this.pos += n;
    }

    bytesHex(n: number): string {
        if ((this.pos & 7) === 0 && this.pos + n * 8 <= this.cell.bits) {
            const start = this.pos >> 3;
            this.pos += n * 8;
            return this.cell.data.toString('hex', start, start + n);
        }
        let s = '';
        for (let i = 0; i < n; i++) s += this.uint(8).toString(16).padStart(2, '0');
        return s;
    }

    loadRef(): LeanCell {
        const r = this.cell.refs[this.ref++];
        if (!r) throw new LeanBocError('BAD_TX', 'missing cell reference');
        return r;
    }

    /** VarUInteger with an `lenBits`-bit byte length (Grams: 4). */
    varUint(lenBits: number): bigint {
        const len = this.uint(lenBits);
        return len === 0 ? 0n : this.big(len * 8);
    }

    coins(): bigint {
        return this.varUint(4);
    }

    /** MsgAddressInt / MsgAddressExt; returns the raw form of a standard internal address, else null. */
    address(): string | null {
        const tag = this.uint(2);
        if (tag === 0) return null;
        if (tag === 1) {
            this.skip(this.uint(9));
            return null;
        }
        if (this.bit()) this.skip(this.uint(5)); // anycast rewrite prefix
        if (tag === 2) {
            const wc = this.int(8);
            return `${wc}:${this.bytesHex(32)}`;
        }
        const len = this.uint(9);
        this.int(32);
        this.skip(len);
        return null;
    }

    /** The rest of this cell as a cell of its own (inline `Either X ^X` bodies). */
    rest(): LeanCell {
        const bits = this.cell.bits - this.pos;
        const out = Buffer.alloc(Math.ceil(bits / 8));
        let i = 0;
        for (; i + 8 <= bits; i += 8) out[i >> 3] = this.uint(8);
        for (; i < bits; i++) if (this.bit()) out[i >> 3] |= 0x80 >> (i & 7);
        const refs = this.cell.refs.slice(this.ref);
        this.ref = this.cell.refs.length;
        return { data: out, bits, refs, exotic: false };
    }

    /** HashmapE with `n`-bit keys whose values are references; returns values in key order. */
    dictOfRefs(n: number): LeanCell[] {
        if (!this.bit()) return [];
        const out: { key: number; value: LeanCell }[] = [];
        walkDict(this.loadRef(), n, 0, out);
        return out.sort((a, b) => a.key - b.key).map((e) => e.value);
    }
}

function walkDict(cell: LeanCell, n: number, prefix: number, out: { key: number; value: LeanCell }[]): void {
    const s = new LeanSlice(cell);
    const lenBits = Math.ceil(Math.log2(n + 1));
    let label = 0;
    let len: number;
    // Each s.bit() reads the next bit, so the repeated tests below are not duplicates.
    /* eslint-disable no-dupe-else-if */
    if (!s.bit()) {
        // hml_short: unary length then the bits
        len = 0;
        while (s.bit()) len++;
        for (let i = 0; i < len; i++) label = label * 2 + (s.bit() ? 1 : 0);
    } else if (!s.bit()) {
        len = s.uint(lenBits);
        for (let i = 0; i < len; i++) label = label * 2 + (s.bit() ? 1 : 0);
    } else {
        const v = s.bit() ? 1 : 0;
        len = s.uint(lenBits);
        for (let i = 0; i < len; i++) label = label * 2 + v;
    }
    /* eslint-enable no-dupe-else-if */
    const key = prefix * 2 ** len + label;
    const left = n - len;
    if (left === 0) {
        out.push({ key, value: s.loadRef() });
        return;
    }
    walkDict(s.loadRef(), left - 1, key * 2, out);
    walkDict(s.loadRef(), left - 1, key * 2 + 1, out);
}

const STATUS = ['uninitialized', 'frozen', 'active', 'non-existing'] as const;

function skipCurrencyCollection(s: LeanSlice): bigint {
    const grams = s.coins();
    if (s.bit()) s.loadRef(); // extra currencies
    return grams;
}

function skipStateInit(s: LeanSlice): void {
    if (s.bit()) s.skip(5);
    if (s.bit()) s.skip(2);
    if (s.bit()) s.loadRef();
    if (s.bit()) s.loadRef();
    if (s.bit()) s.loadRef();
}

function readMessage(cell: LeanCell): MessageLike {
    const s = new LeanSlice(cell);
    let info: MessageLike['info'];
    if (!s.bit()) {
        const ihrDisabled = s.bit();
        const bounce = s.bit();
        const bounced = s.bit();
        const src = s.address();
        const dest = s.address();
        const value = skipCurrencyCollection(s);
        s.coins();
        s.coins();
        const createdLt = s.big(64);
        s.skip(32);
        info = { type: 'internal', ihrDisabled, bounce, bounced, src, dest, value, createdLt };
        // eslint-disable-next-line no-dupe-else-if -- each s.bit() reads the next bit
    } else if (!s.bit()) {
        s.address();
        const dest = s.address();
        s.coins();
        info = { type: 'external-in', dest };
    } else {
        const src = s.address();
        s.address();
        s.skip(64 + 32);
        info = { type: 'external-out', src };
    }
    if (s.bit()) {
        if (s.bit()) s.loadRef();
        else skipStateInit(s);
    }
    const bodyLean = s.bit() ? s.loadRef() : s.rest();
    let body: Cell | undefined;
    return {
        info,
        op: bodyLean.bits >= 32 ? bodyLean.data.readUInt32BE(0) : null,
        get body(): Cell {
            return (body ??= toCell(bodyLean));
        },
    };
}

function readDescription(cell: LeanCell): TxLike['description'] {
    const s = new LeanSlice(cell);
    const tag = s.uint(4);
    if (tag !== 0) {
        // Tick-tock, split and merge transactions never run on the contracts the indexer follows.
        return { type: 'other', aborted: false, computePhase: { type: 'skipped' }, actionPhase: undefined };
    }
    s.bit(); // credit_first
    let storageFees: bigint | undefined;
    if (s.bit()) {
        storageFees = s.coins();
        if (s.bit()) s.coins();
        if (s.bit()) s.bit();
    }
    if (s.bit()) {
        if (s.bit()) s.coins();
        skipCurrencyCollection(s);
    }
    let computePhase: TxLike['description']['computePhase'];
    if (!s.bit()) {
        // cskip_no_state$00 cskip_bad_state$01 cskip_no_gas$10 cskip_suspended$110: two bits, three for the last.
        const r = s.uint(2);
        const reason: ComputeSkipReason = r === 0 ? 'no-state' : r === 1 ? 'bad-state' : r === 2 ? 'no-gas' : (s.skip(1), 'suspended');
        computePhase = { type: 'skipped', reason };
    } else {
        const success = s.bit();
        s.bit();
        s.bit();
        const gasFees = s.coins();
        const d = new LeanSlice(s.loadRef());
        const gasUsed = d.varUint(3);
        d.varUint(3);
        if (d.bit()) d.varUint(2);
        d.int(8);
        const exitCode = d.int(32);
        computePhase = { type: 'vm', success, exitCode, gasFees, gasUsed };
    }
    let actionPhase: TxLike['description']['actionPhase'];
    if (s.bit()) {
        const a = new LeanSlice(s.loadRef());
        const success = a.bit();
        a.bit();
        a.bit();
        if (a.bit()) a.bit();
        const totalFwdFees = a.bit() ? a.coins() : undefined;
        const totalActionFees = a.bit() ? a.coins() : undefined;
        actionPhase = { success, resultCode: a.int(32), totalFwdFees, totalActionFees };
    }
    const aborted = s.bit();
    return { type: 'generic', aborted, storageFees, computePhase, actionPhase };
}

/** Reads the fields the indexer uses from a transaction root cell. */
export function readTransaction(root: LeanCell): TxLike & { lt: bigint; now: number } {
    const s = new LeanSlice(root);
    if (s.uint(4) !== 0b0111) throw new LeanBocError('BAD_TX', 'not a transaction cell');
    s.skip(256);
    const lt = s.big(64);
    const prevTransactionHash = s.big(256);
    const prevTransactionLt = s.big(64);
    const now = s.uint(32);
    s.skip(15);
    const oldStatus = STATUS[s.uint(2)];
    const endStatus = STATUS[s.uint(2)];
    const msgs = new LeanSlice(s.loadRef());
    const inMessage = msgs.bit() ? readMessage(msgs.loadRef()) : null;
    const outCells = msgs.dictOfRefs(15);
    const totalFees = skipCurrencyCollection(s);
    s.loadRef(); // state update
    const description = readDescription(s.loadRef());
    const outMessages = outCells.map(readMessage);
    return {
        lt,
        now,
        prevTransactionLt,
        prevTransactionHash,
        oldStatus,
        endStatus,
        inMessage,
        outMessages: { values: () => outMessages },
        totalFees: { coins: totalFees },
        description,
    };
}
