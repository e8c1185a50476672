/**
 * GGUF (v2/v3) reader: metadata and F32/F16 tensors, the subset a llama-architecture model needs.
 * Tensors are returned as Float32Array (F16 is widened once at load), so the forward pass has a single
 * code path. Quantised types are rejected with a clear error: serve those through llama.cpp instead.
 */
import { readFileSync } from 'node:fs';
import { InferenceError } from '../errors';

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
    name: string;
    /** ggml order: dims[0] is the row length (innermost). */
    dims: number[];
    type: number;
    offset: number;
}

export interface GgufFile {
    version: number;
    metadata: Map<string, GgufValue>;
    tensors: Map<string, GgufTensorInfo>;
    /** Absolute byte offset of the tensor data section. */
    dataOffset: number;
    bytes: Uint8Array;
}

export const GGML_TYPE_F32 = 0;
export const GGML_TYPE_F16 = 1;
const TYPE_NAMES: Record<number, string> = { 0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 30: 'BF16' };

const enum V {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    BOOL,
    STRING,
    ARRAY,
    U64,
    I64,
    F64,
}

class Cursor {
    pos = 0;
    private readonly view: DataView;
    private readonly decoder = new TextDecoder('utf-8');
    constructor(private readonly bytes: Uint8Array) {
        this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    need(n: number): void {
        if (this.pos + n > this.bytes.length) throw loadError(`truncated file (needed ${n} bytes at offset ${this.pos})`);
    }
    u8(): number {
        this.need(1);
        return this.view.getUint8(this.pos++);
    }
    u32(): number {
        this.need(4);
        const v = this.view.getUint32(this.pos, true);
        this.pos += 4;
        return v;
    }
    u64(): number {
        this.need(8);
        const v = this.view.getBigUint64(this.pos, true);
        this.pos += 8;
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw loadError(`length ${v} at offset ${this.pos - 8} is too large`);
        return Number(v);
    }
    str(): string {
        const n = this.u64();
        this.need(n);
        const s = this.decoder.decode(this.bytes.subarray(this.pos, this.pos + n));
        this.pos += n;
        return s;
    }
    value(type: number): GgufValue {
        const p = this.pos;
        switch (type) {
            case V.U8:
                return this.u8();
            case V.I8:
                this.need(1);
                this.pos += 1;
                return this.view.getInt8(p);
            case V.U16:
                this.need(2);
                this.pos += 2;
                return this.view.getUint16(p, true);
            case V.I16:
                this.need(2);
                this.pos += 2;
                return this.view.getInt16(p, true);
            case V.U32:
                return this.u32();
            case V.I32:
                this.need(4);
                this.pos += 4;
                return this.view.getInt32(p, true);
            case V.F32:
                this.need(4);
                this.pos += 4;
                return this.view.getFloat32(p, true);
            case V.BOOL:
                return this.u8() !== 0;
            case V.STRING:
                return this.str();
            case V.U64:
                this.need(8);
                this.pos += 8;
                return this.view.getBigUint64(p, true);
            case V.I64:
                this.need(8);
                this.pos += 8;
                return this.view.getBigInt64(p, true);
            case V.F64:
                this.need(8);
                this.pos += 8;
                return this.view.getFloat64(p, true);
            case V.ARRAY: {
                const itemType = this.u32();
                const n = this.u64();
                const out: GgufValue[] = new Array(n);
                for (let i = 0; i < n; i++) out[i] = this.value(itemType);
                return out;
            }
            default:
                throw loadError(`unknown metadata value type ${type} at offset ${p}`);
        }
    }
}

function loadError(detail: string): InferenceError {
    return new InferenceError('MODEL_LOAD', `not a readable GGUF model: ${detail}`);
}

export function readGguf(pathOrBytes: string | Uint8Array): GgufFile {
    let bytes: Uint8Array;
    if (typeof pathOrBytes === 'string') {
        try {
            bytes = readFileSync(pathOrBytes);
        } catch (e) {
            throw new InferenceError('MODEL_LOAD', `cannot read model file ${pathOrBytes}: ${(e as Error).message}`);
        }
    } else {
        bytes = pathOrBytes;
    }
    const c = new Cursor(bytes);
    c.need(4);
    const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
    if (magic !== 'GGUF') throw loadError(`bad magic ${JSON.stringify(magic)} (expected "GGUF")`);
    c.pos = 4;
    const version = c.u32();
    if (version !== 2 && version !== 3) throw loadError(`GGUF version ${version} is not supported (2 or 3)`);
    const nTensors = c.u64();
    const nKv = c.u64();
    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < nKv; i++) {
        const key = c.str();
        metadata.set(key, c.value(c.u32()));
    }
    const tensors = new Map<string, GgufTensorInfo>();
    for (let i = 0; i < nTensors; i++) {
        const name = c.str();
        const nd = c.u32();
        if (nd > 4) throw loadError(`tensor ${name} has ${nd} dimensions`);
        const dims: number[] = [];
        for (let d = 0; d < nd; d++) dims.push(c.u64());
        const type = c.u32();
        const offset = c.u64();
        tensors.set(name, { name, dims, type, offset });
    }
    const align = Number(metadata.get('general.alignment') ?? 32);
    const dataOffset = Math.ceil(c.pos / align) * align;
    return { version, metadata, tensors, dataOffset, bytes };
}

/** Widen IEEE half to float (denormals, infinities and NaN included). */
export function f16ToF32(h: number): number {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) return s * m * 2 ** -24;
    if (e === 31) return m ? NaN : s * Infinity;
    return s * (1 + m / 1024) * 2 ** (e - 15);
}

let f16Table: Float32Array | undefined;

export function tensorF32(file: GgufFile, name: string): Float32Array {
    const t = file.tensors.get(name);
    if (!t) throw loadError(`tensor ${name} is missing`);
    const n = t.dims.reduce((a, b) => a * b, 1);
    const start = file.dataOffset + t.offset;
    const width = t.type === GGML_TYPE_F32 ? 4 : t.type === GGML_TYPE_F16 ? 2 : 0;
    if (!width) {
        const tn = TYPE_NAMES[t.type] ?? `type ${t.type}`;
        throw new InferenceError(
            'UNSUPPORTED_MODEL',
            `tensor ${name} is ${tn}; the embedded engine reads F32/F16 only (serve quantised models with llama.cpp)`,
        );
    }
    if (start + n * width > file.bytes.length) throw loadError(`tensor ${name} runs past the end of the file`);
    const view = new DataView(file.bytes.buffer, file.bytes.byteOffset + start, n * width);
    const out = new Float32Array(n);
    if (width === 4) {
        for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
    } else {
        if (!f16Table) {
            f16Table = new Float32Array(65536);
            for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32(h);
        }
        for (let i = 0; i < n; i++) out[i] = f16Table[view.getUint16(i * 2, true)];
    }
    return out;
}

export function metaNumber(file: GgufFile, key: string, fallback?: number): number {
    const v = file.metadata.get(key);
    if (v === undefined) {
        if (fallback !== undefined) return fallback;
        throw loadError(`metadata ${key} is missing`);
    }
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    throw loadError(`metadata ${key} is not a number`);
}

export function metaString(file: GgufFile, key: string, fallback?: string): string {
    const v = file.metadata.get(key);
    if (typeof v === 'string') return v;
    if (v === undefined && fallback !== undefined) return fallback;
    throw loadError(`metadata ${key} is missing or not a string`);
}
