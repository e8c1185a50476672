/**
 * Llama-architecture forward pass on one CPU core in plain TypeScript.
 *
 * Speed comes from layout, not tricks: every weight matrix is a row-major Float32Array [out][in] (the
 * GGUF layout), Q/K/V are fused into one matrix and gate/up into another at load time, all activations
 * live in buffers allocated once, and the matrix-vector kernel computes four output rows per pass so
 * each input element is loaded once for four multiply-adds. Prefill runs the same kernels on a block of
 * tokens so each weight row is reused from cache for every token in the block. The matrix products run
 * in a WebAssembly SIMD kernel (simd.ts) over an arena that holds all weights and activations.
 *
 * RoPE is llama.cpp's LLAMA variant (rope type NORM): rotate interleaved pairs (x[2i], x[2i+1]) of each
 * head by pos * base^(-2i/headDim).
 */
import { InferenceError } from '../errors';
import { GgufFile, metaNumber, metaString, tensorF32 } from './gguf';
import { Arena, createArena } from './simd';

export interface ModelConfig {
    dim: number;
    nLayers: number;
    nHeads: number;
    nKvHeads: number;
    headDim: number;
    hidden: number;
    vocab: number;
    contextLength: number;
    eps: number;
    ropeBase: number;
}

interface Layer {
    attnNorm: Float32Array;
    /** [dim + 2*kvDim][dim]: q rows, then k rows, then v rows. */
    wqkv: Float32Array;
    wo: Float32Array;
    ffnNorm: Float32Array;
    /** [2*hidden][dim]: gate row i at 2i, up row i at 2i+1, so SwiGLU reads adjacent outputs. */
    wGateUp: Float32Array;
    wDown: Float32Array;
}

/** Keys and values of one sequence, all layers: [layer][position][kvDim]. */
export class KvCache {
    readonly k: Float32Array[];
    readonly v: Float32Array[];
    /** Tokens whose keys/values are stored, in order; tokens.length is the next position. */
    tokens: number[] = [];
    constructor(readonly cfg: ModelConfig) {
        const kvDim = cfg.nKvHeads * cfg.headDim;
        this.k = Array.from({ length: cfg.nLayers }, () => new Float32Array(cfg.contextLength * kvDim));
        this.v = Array.from({ length: cfg.nLayers }, () => new Float32Array(cfg.contextLength * kvDim));
    }
    /** Forget everything after `n` tokens (their slots are simply overwritten later). */
    truncate(n: number): void {
        if (n < this.tokens.length) this.tokens.length = n;
    }
}

/** Prefill block size: large enough to reuse weight rows across tokens, small enough for L2. */
const BLOCK = 32;

export class LlamaModel {
    readonly cfg: ModelConfig;
    readonly name: string;
    private readonly tokEmb: Float32Array;
    private readonly output: Float32Array;
    private readonly outNorm: Float32Array;
    private readonly layers: Layer[];
    private readonly ropeCos: Float32Array;
    private readonly ropeSin: Float32Array;
    // Scratch for a block of up to BLOCK tokens.
    private readonly x: Float32Array;
    private readonly xb: Float32Array;
    private readonly qkv: Float32Array;
    private readonly attOut: Float32Array;
    private readonly hb: Float32Array;
    private readonly hb2: Float32Array;
    private readonly att: Float32Array;
    readonly logits: Float32Array;
    private readonly arena: Arena;

    constructor(file: GgufFile, opts: { useSimd?: boolean } = {}) {
        const arch = metaString(file, 'general.architecture');
        if (arch !== 'llama') {
            throw new InferenceError(
                'UNSUPPORTED_MODEL',
                `architecture ${JSON.stringify(arch)} is not supported by the embedded engine (llama only); ` +
                    `serve it with llama.cpp or vLLM`,
            );
        }
        this.name = metaString(file, 'general.name', 'model');
        const dim = metaNumber(file, 'llama.embedding_length');
        const nHeads = metaNumber(file, 'llama.attention.head_count');
        const nKvHeads = metaNumber(file, 'llama.attention.head_count_kv', nHeads);
        const headDim = dim / nHeads;
        const emb = file.tensors.get('token_embd.weight');
        if (!emb) throw new InferenceError('MODEL_LOAD', 'tensor token_embd.weight is missing');
        const cfg: ModelConfig = {
            dim,
            nLayers: metaNumber(file, 'llama.block_count'),
            nHeads,
            nKvHeads,
            headDim,
            hidden: metaNumber(file, 'llama.feed_forward_length'),
            vocab: emb.dims[1],
            contextLength: metaNumber(file, 'llama.context_length'),
            eps: metaNumber(file, 'llama.attention.layer_norm_rms_epsilon', 1e-5),
            ropeBase: metaNumber(file, 'llama.rope.freq_base', 10000),
        };
        if (!Number.isInteger(headDim) || headDim % 2 || nHeads % nKvHeads) {
            throw new InferenceError('UNSUPPORTED_MODEL', `head layout dim=${dim} heads=${nHeads} kv_heads=${nKvHeads} is not supported`);
        }
        const ropeDims = metaNumber(file, 'llama.rope.dimension_count', headDim);
        if (ropeDims !== headDim)
            throw new InferenceError('UNSUPPORTED_MODEL', `partial RoPE (${ropeDims} of ${headDim}) is not supported`);
        this.cfg = cfg;
        const kvDim = nKvHeads * headDim;
        const hasOutput = file.tensors.has('output.weight');
        const perLayer = 2 * dim + (dim + 2 * kvDim) * dim + dim * dim + 3 * cfg.hidden * dim;
        const scratch = BLOCK * (3 * dim + dim + 2 * kvDim + 3 * cfg.hidden) + cfg.vocab;
        const pad = 4 * (cfg.nLayers * 8 + 16);
        this.arena = createArena(cfg.vocab * dim * (hasOutput ? 2 : 1) + dim + cfg.nLayers * perLayer + scratch + pad, opts);
        const check = (name: string, dims: number[]) => {
            const t = file.tensors.get(name);
            if (!t) throw new InferenceError('MODEL_LOAD', `tensor ${name} is missing`);
            if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
                throw new InferenceError('MODEL_LOAD', `tensor ${name} has shape [${t.dims}] but [${dims}] was expected`);
            }
            return name;
        };
        const expect = (name: string, dims: number[]) => {
            check(name, dims);
            const data = tensorF32(file, name);
            const out = this.arena.alloc(data.length);
            out.set(data);
            return out;
        };
        this.tokEmb = expect('token_embd.weight', [dim, cfg.vocab]);
        // Tied embeddings: no output.weight means the embedding matrix doubles as the output layer.
        this.output = hasOutput ? expect('output.weight', [dim, cfg.vocab]) : this.tokEmb;
        this.outNorm = expect('output_norm.weight', [dim]);
        this.layers = [];
        for (let l = 0; l < cfg.nLayers; l++) {
            const p = `blk.${l}.`;
            const wq = tensorF32(file, check(p + 'attn_q.weight', [dim, dim]));
            const wk = tensorF32(file, check(p + 'attn_k.weight', [dim, kvDim]));
            const wv = tensorF32(file, check(p + 'attn_v.weight', [dim, kvDim]));
            const wqkv = this.arena.alloc((dim + 2 * kvDim) * dim);
            wqkv.set(wq, 0);
            wqkv.set(wk, dim * dim);
            wqkv.set(wv, (dim + kvDim) * dim);
            const gate = tensorF32(file, check(p + 'ffn_gate.weight', [dim, cfg.hidden]));
            const up = tensorF32(file, check(p + 'ffn_up.weight', [dim, cfg.hidden]));
            const wGateUp = this.arena.alloc(2 * cfg.hidden * dim);
            for (let r = 0; r < cfg.hidden; r++) {
                wGateUp.set(gate.subarray(r * dim, (r + 1) * dim), 2 * r * dim);
                wGateUp.set(up.subarray(r * dim, (r + 1) * dim), (2 * r + 1) * dim);
            }
            this.layers.push({
                attnNorm: expect(p + 'attn_norm.weight', [dim]),
                wqkv,
                wo: expect(p + 'attn_output.weight', [dim, dim]),
                ffnNorm: expect(p + 'ffn_norm.weight', [dim]),
                wGateUp,
                wDown: expect(p + 'ffn_down.weight', [cfg.hidden, dim]),
            });
        }
        const half = headDim / 2;
        this.ropeCos = new Float32Array(cfg.contextLength * half);
        this.ropeSin = new Float32Array(cfg.contextLength * half);
        for (let pos = 0; pos < cfg.contextLength; pos++) {
            for (let i = 0; i < half; i++) {
                const a = pos * Math.pow(cfg.ropeBase, (-2 * i) / headDim);
                this.ropeCos[pos * half + i] = Math.cos(a);
                this.ropeSin[pos * half + i] = Math.sin(a);
            }
        }
        this.x = this.arena.alloc(BLOCK * dim);
        this.xb = this.arena.alloc(BLOCK * dim);
        this.qkv = this.arena.alloc(BLOCK * (dim + 2 * kvDim));
        this.attOut = this.arena.alloc(BLOCK * dim);
        this.hb = this.arena.alloc(BLOCK * 2 * cfg.hidden);
        this.hb2 = this.arena.alloc(BLOCK * cfg.hidden);
        this.att = new Float32Array(cfg.contextLength);
        this.logits = this.arena.alloc(cfg.vocab);
    }

    /** True when the WebAssembly SIMD kernel is in use (false: scalar fallback). */
    get simd(): boolean {
        return this.arena.simd;
    }

    parameterCount(): number {
        const l = this.layers[0];
        const perLayer = l.attnNorm.length + l.wqkv.length + l.wo.length + l.ffnNorm.length + l.wGateUp.length + l.wDown.length;
        return (
            this.tokEmb.length +
            (this.output === this.tokEmb ? 0 : this.output.length) +
            this.outNorm.length +
            perLayer * this.layers.length
        );
    }

    newCache(): KvCache {
        return new KvCache(this.cfg);
    }

    /**
     * Run `tokens` through the model, appending them to `cache` at positions cache.tokens.length...
     * Returns the logits of the last token (a view into a shared buffer, valid until the next call).
     */
    forward(cache: KvCache, tokens: ArrayLike<number>): Float32Array {
        const n = tokens.length;
        if (n === 0) throw new InferenceError('INVALID_REQUEST', 'forward() needs at least one token', 400, 'invalid_request_error');
        if (cache.tokens.length + n > this.cfg.contextLength) {
            throw new InferenceError(
                'CONTEXT_LENGTH_EXCEEDED',
                `${cache.tokens.length + n} tokens exceed the model's context length of ${this.cfg.contextLength}`,
                400,
                'invalid_request_error',
            );
        }
        for (let off = 0; off < n; off += BLOCK) {
            const m = Math.min(BLOCK, n - off);
            this.block(cache, tokens, off, m, off + m === n);
        }
        return this.logits;
    }

    private block(cache: KvCache, tokens: ArrayLike<number>, off: number, m: number, wantLogits: boolean): void {
        const { dim, hidden, nHeads, nKvHeads, headDim, vocab, eps } = this.cfg;
        const kvDim = nKvHeads * headDim;
        const qkvDim = dim + 2 * kvDim;
        const half = headDim / 2;
        const pos0 = cache.tokens.length;
        const x = this.x,
            xb = this.xb,
            qkv = this.qkv,
            attOut = this.attOut,
            hb = this.hb,
            hb2 = this.hb2;
        for (let t = 0; t < m; t++) {
            const id = tokens[off + t];
            if (!(id >= 0 && id < vocab)) {
                throw new InferenceError(
                    'INVALID_REQUEST',
                    `token id ${id} is outside the vocabulary (0..${vocab - 1})`,
                    400,
                    'invalid_request_error',
                );
            }
            x.set(this.tokEmb.subarray(id * dim, (id + 1) * dim), t * dim);
        }
        const scale = 1 / Math.sqrt(headDim);
        const group = nHeads / nKvHeads;
        for (let l = 0; l < this.layers.length; l++) {
            const L = this.layers[l];
            const kc = cache.k[l],
                vc = cache.v[l];
            rmsnorm(xb, x, L.attnNorm, m, dim, eps);
            this.arena.matmul(qkv, L.wqkv, xb, m, dim, qkvDim);
            for (let t = 0; t < m; t++) {
                const pos = pos0 + t;
                const base = t * qkvDim;
                const rc = pos * half;
                // Rotate q (dim) and k (kvDim) in one sweep: both are contiguous in qkv.
                for (let h = 0; h < (dim + kvDim) / headDim; h++) {
                    const o = base + h * headDim;
                    for (let i = 0; i < half; i++) {
                        const c = this.ropeCos[rc + i],
                            s = this.ropeSin[rc + i];
                        const a = qkv[o + 2 * i],
                            b = qkv[o + 2 * i + 1];
                        qkv[o + 2 * i] = a * c - b * s;
                        qkv[o + 2 * i + 1] = a * s + b * c;
                    }
                }
                kc.set(qkv.subarray(base + dim, base + dim + kvDim), pos * kvDim);
                vc.set(qkv.subarray(base + dim + kvDim, base + qkvDim), pos * kvDim);
            }
            for (let t = 0; t < m; t++) {
                const pos = pos0 + t;
                for (let h = 0; h < nHeads; h++) {
                    this.attend(
                        attOut,
                        t * dim + h * headDim,
                        qkv,
                        t * qkvDim + h * headDim,
                        kc,
                        vc,
                        ((h / group) | 0) * headDim,
                        kvDim,
                        headDim,
                        pos,
                        scale,
                    );
                }
            }
            this.arena.matmul(xb, L.wo, attOut, m, dim, dim);
            for (let i = 0; i < m * dim; i++) x[i] += xb[i];
            rmsnorm(xb, x, L.ffnNorm, m, dim, eps);
            this.arena.matmul(hb, L.wGateUp, xb, m, dim, 2 * hidden);
            for (let i = 0, j = 0; i < m * hidden; i++, j += 2) {
                const g = hb[j];
                hb2[i] = (g / (1 + Math.exp(-g))) * hb[j + 1];
            }
            this.arena.matmul(xb, L.wDown, hb2, m, hidden, dim);
            for (let i = 0; i < m * dim; i++) x[i] += xb[i];
        }
        for (let t = 0; t < m; t++) cache.tokens.push(tokens[off + t]);
        if (!wantLogits) return;
        const last = (m - 1) * dim;
        rmsnorm(xb, x.subarray(last, last + dim), this.outNorm, 1, dim, eps);
        this.arena.matmul(this.logits, this.output, xb, 1, dim, vocab);
    }

    private attend(
        out: Float32Array,
        oOff: number,
        qkv: Float32Array,
        qOff: number,
        kc: Float32Array,
        vc: Float32Array,
        kvOff: number,
        kvDim: number,
        hd: number,
        pos: number,
        scale: number,
    ): void {
        const att = this.att;
        let max = -Infinity;
        for (let p = 0; p <= pos; p++) {
            const ko = p * kvDim + kvOff;
            let s = 0;
            for (let i = 0; i < hd; i++) s += qkv[qOff + i] * kc[ko + i];
            s *= scale;
            att[p] = s;
            if (s > max) max = s;
        }
        let sum = 0;
        for (let p = 0; p <= pos; p++) {
            const e = Math.exp(att[p] - max);
            att[p] = e;
            sum += e;
        }
        const inv = 1 / sum;
        for (let i = 0; i < hd; i++) out[oOff + i] = 0;
        for (let p = 0; p <= pos; p++) {
            const a = att[p] * inv;
            const vo = p * kvDim + kvOff;
            for (let i = 0; i < hd; i++) out[oOff + i] += a * vc[vo + i];
        }
    }
}

function rmsnorm(out: Float32Array, x: Float32Array, w: Float32Array, m: number, dim: number, eps: number): void {
    for (let t = 0; t < m; t++) {
        const o = t * dim;
        let ss = 0;
        for (let i = 0; i < dim; i++) ss += x[o + i] * x[o + i];
        const r = 1 / Math.sqrt(ss / dim + eps);
        for (let i = 0; i < dim; i++) out[o + i] = x[o + i] * r * w[i];
    }
}
