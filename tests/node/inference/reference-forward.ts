/**
 * A deliberately naive float64 llama forward pass, written from the math (no KV cache, no fused
 * matrices, no SIMD, full recomputation per call), to check the engine against.
 */
import { TinyModel } from './gguf-fixture';

export function referenceLogits(model: TinyModel, tokens: number[]): number[][] {
    const { dim, nLayers, nHeads, nKvHeads, hidden } = model.spec;
    const hd = dim / nHeads;
    const get = (name: string) => model.tensors.get(name)!.data;
    const vocab = model.pieces.length;
    const matvec = (w: Float64Array, rows: number, cols: number, x: number[]) =>
        Array.from({ length: rows }, (_, r) => {
            let s = 0;
            for (let c = 0; c < cols; c++) s += w[r * cols + c] * x[c];
            return s;
        });
    const rms = (x: number[], w: Float64Array) => {
        const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
        return x.map((v, i) => (v / Math.sqrt(ms + 1e-5)) * w[i]);
    };
    const rope = (v: number[], pos: number) => {
        const out = v.slice();
        for (let h = 0; h < v.length / hd; h++) {
            for (let i = 0; i < hd / 2; i++) {
                const theta = pos * Math.pow(10000, (-2 * i) / hd);
                const a = v[h * hd + 2 * i],
                    b = v[h * hd + 2 * i + 1];
                out[h * hd + 2 * i] = a * Math.cos(theta) - b * Math.sin(theta);
                out[h * hd + 2 * i + 1] = a * Math.sin(theta) + b * Math.cos(theta);
            }
        }
        return out;
    };
    const emb = get('token_embd.weight');
    let xs = tokens.map((t) => Array.from(emb.subarray(t * dim, (t + 1) * dim)));
    const kvDim = nKvHeads * hd;
    for (let l = 0; l < nLayers; l++) {
        const p = `blk.${l}.`;
        const normed = xs.map((x) => rms(x, get(p + 'attn_norm.weight')));
        const q = normed.map((x, t) => rope(matvec(get(p + 'attn_q.weight'), dim, dim, x), t));
        const k = normed.map((x, t) => rope(matvec(get(p + 'attn_k.weight'), kvDim, dim, x), t));
        const v = normed.map((x) => matvec(get(p + 'attn_v.weight'), kvDim, dim, x));
        const attn = xs.map((_, t) => {
            const out = new Array(dim).fill(0);
            for (let h = 0; h < nHeads; h++) {
                const kh = Math.floor(h / (nHeads / nKvHeads));
                const scores: number[] = [];
                for (let s = 0; s <= t; s++) {
                    let d = 0;
                    for (let i = 0; i < hd; i++) d += q[t][h * hd + i] * k[s][kh * hd + i];
                    scores.push(d / Math.sqrt(hd));
                }
                const m = Math.max(...scores);
                const e = scores.map((x) => Math.exp(x - m));
                const z = e.reduce((a, b) => a + b, 0);
                for (let s = 0; s <= t; s++) for (let i = 0; i < hd; i++) out[h * hd + i] += (e[s] / z) * v[s][kh * hd + i];
            }
            return out;
        });
        xs = xs.map((x, t) => {
            const o = matvec(get(p + 'attn_output.weight'), dim, dim, attn[t]);
            return x.map((val, i) => val + o[i]);
        });
        xs = xs.map((x) => {
            const n = rms(x, get(p + 'ffn_norm.weight'));
            const g = matvec(get(p + 'ffn_gate.weight'), hidden, dim, n);
            const u = matvec(get(p + 'ffn_up.weight'), hidden, dim, n);
            const act = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
            const d = matvec(get(p + 'ffn_down.weight'), dim, hidden, act);
            return x.map((val, i) => val + d[i]);
        });
    }
    const out = model.tensors.get('output.weight')?.data ?? emb;
    return xs.map((x) => matvec(out, vocab, dim, rms(x, get('output_norm.weight'))));
}
