/**
 * Writes small GGUF v3 files for tests: a llama-architecture model with seeded random weights and a
 * hand-made SentencePiece vocabulary, in F32 or F16. Independent of the engine's reader on purpose.
 */
import { writeFileSync } from 'node:fs';

export interface TinySpec {
    dim: number;
    nLayers: number;
    nHeads: number;
    nKvHeads: number;
    hidden: number;
    contextLength: number;
    f16?: boolean;
    tiedOutput?: boolean;
    seed?: number;
}

export interface TinyModel {
    spec: TinySpec;
    pieces: string[];
    scores: number[];
    types: number[];
    /** Row-major [out][in] like torch; ggml dims are reversed. Values already rounded to F16 when f16. */
    tensors: Map<string, { shape: number[]; data: Float64Array }>;
}

const ALIGN = 32;

function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** A vocabulary big enough for ASCII text: specials, 256 byte tokens, letters, a few merges. */
export function tinyVocab(): { pieces: string[]; scores: number[]; types: number[] } {
    const pieces = ['<unk>', '<s>', '</s>', '<|user|>', '<|assistant|>', '<|end|>'];
    const types = [2, 3, 3, 4, 4, 4];
    for (let b = 0; b < 256; b++) {
        pieces.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
        types.push(6);
    }
    const merges = ['\u2581t', 'he', '\u2581the', '\u2581a', 'in', 'er', 'an', '\u2581s', 'on', 'at', '\u2581o', 'ce'];
    const chars = '\u2581etaoinshrdlucmwfgypbvkjxqzTOIAS.,!?\'"'.split('');
    for (const p of merges) {
        pieces.push(p);
        types.push(1);
    }
    for (const c of chars) {
        pieces.push(c);
        types.push(1);
    }
    const scores = pieces.map((_, i) => (types[i] === 1 ? -i : 0));
    return { pieces, scores, types };
}

function f16Round(v: number): number {
    const f = new Float32Array([v]);
    const u = new Uint32Array(f.buffer)[0];
    const h = f32BitsToF16(u);
    return f16BitsToNumber(h);
}

export function f32BitsToF16(u: number): number {
    const sign = (u >>> 16) & 0x8000;
    const exp = ((u >>> 23) & 0xff) - 127 + 15;
    let mant = u & 0x7fffff;
    if (exp <= 0) {
        if (exp < -10) return sign;
        mant |= 0x800000;
        const shift = 14 - exp;
        let h = mant >>> shift;
        if ((mant >>> (shift - 1)) & 1 && (mant & ((1 << (shift - 1)) - 1) || h & 1)) h++;
        return sign | h;
    }
    if (exp >= 31) return sign | 0x7c00;
    let h = sign | (exp << 10) | (mant >>> 13);
    if (mant & 0x1000 && (mant & 0xfff || h & 1)) h++;
    return h;
}

function f16BitsToNumber(h: number): number {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) return s * m * 2 ** -24;
    return s * (1 + m / 1024) * 2 ** (e - 15);
}

export function buildTinyModel(spec: TinySpec): TinyModel {
    const r = rng(spec.seed ?? 42);
    const { pieces, scores, types } = tinyVocab();
    const vocab = pieces.length;
    const { dim, hidden } = spec;
    const kvDim = (dim / spec.nHeads) * spec.nKvHeads;
    const tensors = new Map<string, { shape: number[]; data: Float64Array }>();
    const add = (name: string, shape: number[], scale: number, offset = 0) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = new Float64Array(n);
        for (let i = 0; i < n; i++) {
            const v = offset + (r() * 2 - 1) * scale;
            data[i] = spec.f16 && shape.length === 2 ? f16Round(v) : Math.fround(v);
        }
        tensors.set(name, { shape, data });
    };
    add('token_embd.weight', [vocab, dim], 1);
    for (let l = 0; l < spec.nLayers; l++) {
        add(`blk.${l}.attn_norm.weight`, [dim], 0.2, 1);
        add(`blk.${l}.attn_q.weight`, [dim, dim], 0.3);
        add(`blk.${l}.attn_k.weight`, [kvDim, dim], 0.3);
        add(`blk.${l}.attn_v.weight`, [kvDim, dim], 0.3);
        add(`blk.${l}.attn_output.weight`, [dim, dim], 0.3);
        add(`blk.${l}.ffn_norm.weight`, [dim], 0.2, 1);
        add(`blk.${l}.ffn_gate.weight`, [hidden, dim], 0.3);
        add(`blk.${l}.ffn_up.weight`, [hidden, dim], 0.3);
        add(`blk.${l}.ffn_down.weight`, [dim, hidden], 0.3);
    }
    add('output_norm.weight', [dim], 0.2, 1);
    if (!spec.tiedOutput) add('output.weight', [vocab, dim], 0.5);
    return { spec, pieces, scores, types, tensors };
}

class Buf {
    parts: Buffer[] = [];
    len = 0;
    put(b: Buffer): void {
        this.parts.push(b);
        this.len += b.length;
    }
    u32(v: number): void {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(v);
        this.put(b);
    }
    i32(v: number): void {
        const b = Buffer.alloc(4);
        b.writeInt32LE(v);
        this.put(b);
    }
    u64(v: number): void {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(BigInt(v));
        this.put(b);
    }
    f32(v: number): void {
        const b = Buffer.alloc(4);
        b.writeFloatLE(v);
        this.put(b);
    }
    str(s: string): void {
        const b = Buffer.from(s, 'utf8');
        this.u64(b.length);
        this.put(b);
    }
    pad(): void {
        const p = (ALIGN - (this.len % ALIGN)) % ALIGN;
        if (p) this.put(Buffer.alloc(p));
    }
}

export function ggufBytes(model: TinyModel): Buffer {
    const { spec } = model;
    const kv: [string, (b: Buf) => void][] = [
        [
            'general.architecture',
            (b) => {
                b.u32(8);
                b.str('llama');
            },
        ],
        [
            'general.name',
            (b) => {
                b.u32(8);
                b.str('test/tiny-random');
            },
        ],
        [
            'llama.context_length',
            (b) => {
                b.u32(4);
                b.u32(spec.contextLength);
            },
        ],
        [
            'llama.embedding_length',
            (b) => {
                b.u32(4);
                b.u32(spec.dim);
            },
        ],
        [
            'llama.block_count',
            (b) => {
                b.u32(4);
                b.u32(spec.nLayers);
            },
        ],
        [
            'llama.feed_forward_length',
            (b) => {
                b.u32(4);
                b.u32(spec.hidden);
            },
        ],
        [
            'llama.attention.head_count',
            (b) => {
                b.u32(4);
                b.u32(spec.nHeads);
            },
        ],
        [
            'llama.attention.head_count_kv',
            (b) => {
                b.u32(4);
                b.u32(spec.nKvHeads);
            },
        ],
        [
            'llama.attention.layer_norm_rms_epsilon',
            (b) => {
                b.u32(6);
                b.f32(1e-5);
            },
        ],
        [
            'llama.rope.freq_base',
            (b) => {
                b.u32(6);
                b.f32(10000);
            },
        ],
        [
            'tokenizer.ggml.model',
            (b) => {
                b.u32(8);
                b.str('llama');
            },
        ],
        [
            'tokenizer.ggml.tokens',
            (b) => {
                b.u32(9);
                b.u32(8);
                b.u64(model.pieces.length);
                model.pieces.forEach((p) => b.str(p));
            },
        ],
        [
            'tokenizer.ggml.scores',
            (b) => {
                b.u32(9);
                b.u32(6);
                b.u64(model.scores.length);
                model.scores.forEach((s) => b.f32(s));
            },
        ],
        [
            'tokenizer.ggml.token_type',
            (b) => {
                b.u32(9);
                b.u32(5);
                b.u64(model.types.length);
                model.types.forEach((t) => b.i32(t));
            },
        ],
        [
            'tokenizer.ggml.bos_token_id',
            (b) => {
                b.u32(4);
                b.u32(1);
            },
        ],
        [
            'tokenizer.ggml.eos_token_id',
            (b) => {
                b.u32(4);
                b.u32(2);
            },
        ],
        [
            'tokenizer.ggml.add_bos_token',
            (b) => {
                b.u32(7);
                b.put(Buffer.from([1]));
            },
        ],
    ];
    const out = new Buf();
    out.put(Buffer.from('GGUF'));
    out.u32(3);
    out.u64(model.tensors.size);
    out.u64(kv.length);
    for (const [k, w] of kv) {
        out.str(k);
        w(out);
    }
    const blobs: Buffer[] = [];
    let offset = 0;
    for (const [name, t] of model.tensors) {
        const half = !!spec.f16 && t.shape.length === 2;
        out.str(name);
        out.u32(t.shape.length);
        [...t.shape].reverse().forEach((d) => out.u64(d));
        out.u32(half ? 1 : 0);
        out.u64(offset);
        const blob = Buffer.alloc(t.data.length * (half ? 2 : 4));
        t.data.forEach((v, i) => {
            if (half) blob.writeUInt16LE(f32BitsToF16(new Uint32Array(new Float32Array([v]).buffer)[0]), i * 2);
            else blob.writeFloatLE(v, i * 4);
        });
        const padded = Buffer.concat([blob, Buffer.alloc((ALIGN - (blob.length % ALIGN)) % ALIGN)]);
        blobs.push(padded);
        offset += padded.length;
    }
    out.pad();
    for (const b of blobs) out.put(b);
    return Buffer.concat(out.parts);
}

export function writeTinyGguf(path: string, model: TinyModel): void {
    writeFileSync(path, ggufBytes(model));
}
