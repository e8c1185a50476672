/**
 * The one hot loop of the engine, matrix x vector(s), as a hand-assembled WebAssembly SIMD function.
 *
 * Why: V8 runs the scalar TypeScript kernel at about 1.1 GMAC/s; f32x4 lanes give several times that,
 * which is what lifts decoding of the tiny model past 1,000 tokens/s on one core. The module is ~500
 * bytes built below (no toolchain needed); every float it touches lives in one WebAssembly.Memory, so
 * the weights and scratch buffers are allocated from an arena over that memory. When SIMD is missing
 * (very old runtimes), `createArena` returns a plain-JS arena and the scalar kernel is used instead.
 *
 * Numerics: products are summed in f32, four lanes at a time, so results differ from a float64 sum by
 * rounding only; the order is fixed, so outputs are bit-reproducible on every run and machine.
 */

export interface Arena {
    /** A zeroed Float32Array of `n` floats that the kernel can address. */
    alloc(n: number): Float32Array;
    /** out[t*d + o] = sum_i W[o*n + i] * x[t*n + i] for t < m, o < d. */
    matmul(out: Float32Array, W: Float32Array, x: Float32Array, m: number, n: number, d: number): void;
    readonly simd: boolean;
}

// --- a very small WebAssembly assembler -------------------------------------------------------------

function uleb(n: number): number[] {
    const out: number[] = [];
    do {
        let b = n & 0x7f;
        n >>>= 7;
        if (n) b |= 0x80;
        out.push(b);
    } while (n);
    return out;
}

function sleb(n: number): number[] {
    const out: number[] = [];
    for (;;) {
        const b = n & 0x7f;
        n >>= 7;
        if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

function section(id: number, body: number[]): number[] {
    return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
    return [...uleb(items.length), ...items.flat()];
}

function str(s: string): number[] {
    return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

const I32 = 0x7f,
    V128 = 0x7b;
const op = {
    get: (i: number) => [0x20, ...uleb(i)],
    set: (i: number) => [0x21, ...uleb(i)],
    const: (v: number) => [0x41, ...sleb(v)],
    add: [0x6a],
    mul: [0x6c],
    shl: [0x74],
    geU: [0x4f],
    gtU: [0x4b],
    block: [0x02, 0x40],
    loop: [0x03, 0x40],
    end: [0x0b],
    br: (d: number) => [0x0c, ...uleb(d)],
    brIf: (d: number) => [0x0d, ...uleb(d)],
    f32add: [0x92],
    f32store: (offset: number) => [0x38, 2, ...uleb(offset)],
    vload: (offset: number) => [0xfd, ...uleb(0), 4, ...uleb(offset)],
    vzero: [0xfd, ...uleb(12), ...new Array(16).fill(0)],
    f4add: [0xfd, ...uleb(228)],
    f4mul: [0xfd, ...uleb(230)],
    lane: (l: number) => [0xfd, ...uleb(31), l],
};

/** matmul(out, W, x, m, nBytes, d, dStrideBytes): rows o < d in blocks of 4 (d must be a multiple of 4). */
function matmulBody(): number[] {
    // params: 0 out, 1 W, 2 x, 3 m, 4 nb (row bytes, multiple of 16), 5 d (rows, multiple of 4), 6 db (out row stride bytes)
    // locals: 7 o, 8 t, 9 i, 10 w0, 11 w1, 12 w2, 13 w3, 14 xo, 15 oo, 16..19 a0..a3 (v128), 20 xv (v128)
    const [OUT, W, X, M, NB, D, DB, O, T, I, W0, W1, W2, W3, XO, OO, A0, A1, A2, A3, XV] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    ];
    const fma = (acc: number, w: number) => [
        ...op.get(acc),
        ...op.get(w),
        ...op.get(I),
        ...op.add,
        ...op.vload(0),
        ...op.get(XV),
        ...op.f4mul,
        ...op.f4add,
        ...op.set(acc),
    ];
    const hsum = (acc: number, off: number) => [
        ...op.get(OO),
        ...op.get(acc),
        ...op.lane(0),
        ...op.get(acc),
        ...op.lane(1),
        ...op.f32add,
        ...op.get(acc),
        ...op.lane(2),
        ...op.get(acc),
        ...op.lane(3),
        ...op.f32add,
        ...op.f32add,
        ...op.f32store(off),
    ];
    const code = [
        ...op.const(0),
        ...op.set(O),
        ...op.block,
        ...op.loop,
        ...op.get(O),
        ...op.get(D),
        ...op.geU,
        ...op.brIf(1),
        // w0 = W + o * nb; w1..w3 follow
        ...op.get(W),
        ...op.get(O),
        ...op.get(NB),
        ...op.mul,
        ...op.add,
        ...op.set(W0),
        ...op.get(W0),
        ...op.get(NB),
        ...op.add,
        ...op.set(W1),
        ...op.get(W1),
        ...op.get(NB),
        ...op.add,
        ...op.set(W2),
        ...op.get(W2),
        ...op.get(NB),
        ...op.add,
        ...op.set(W3),
        ...op.const(0),
        ...op.set(T),
        ...op.block,
        ...op.loop,
        ...op.get(T),
        ...op.get(M),
        ...op.geU,
        ...op.brIf(1),
        ...op.get(X),
        ...op.get(T),
        ...op.get(NB),
        ...op.mul,
        ...op.add,
        ...op.set(XO),
        ...op.vzero,
        ...op.set(A0),
        ...op.vzero,
        ...op.set(A1),
        ...op.vzero,
        ...op.set(A2),
        ...op.vzero,
        ...op.set(A3),
        ...op.const(0),
        ...op.set(I),
        ...op.block,
        ...op.loop,
        ...op.get(I),
        ...op.get(NB),
        ...op.geU,
        ...op.brIf(1),
        ...op.get(XO),
        ...op.get(I),
        ...op.add,
        ...op.vload(0),
        ...op.set(XV),
        ...fma(A0, W0),
        ...fma(A1, W1),
        ...fma(A2, W2),
        ...fma(A3, W3),
        ...op.get(I),
        ...op.const(16),
        ...op.add,
        ...op.set(I),
        ...op.br(0),
        ...op.end,
        ...op.end,
        // oo = out + t * db + o * 4
        ...op.get(OUT),
        ...op.get(T),
        ...op.get(DB),
        ...op.mul,
        ...op.add,
        ...op.get(O),
        ...op.const(2),
        ...op.shl,
        ...op.add,
        ...op.set(OO),
        ...hsum(A0, 0),
        ...hsum(A1, 4),
        ...hsum(A2, 8),
        ...hsum(A3, 12),
        ...op.get(T),
        ...op.const(1),
        ...op.add,
        ...op.set(T),
        ...op.br(0),
        ...op.end,
        ...op.end,
        ...op.get(O),
        ...op.const(4),
        ...op.add,
        ...op.set(O),
        ...op.br(0),
        ...op.end,
        ...op.end,
        ...op.end,
    ];
    const locals = vec([
        [9, I32],
        [5, V128],
    ]);
    const body = [...locals, ...code];
    return [...uleb(body.length), ...body];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
    const type = section(1, vec([[0x60, ...vec(new Array(7).fill([I32])), 0]]));
    const imports = section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x00, ...uleb(1)]]));
    const funcs = section(3, vec([[0]]));
    const exports = section(7, vec([[...str('matmul'), 0x00, 0]]));
    const code = section(10, vec([matmulBody()]));
    return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...type, ...imports, ...funcs, ...exports, ...code]);
}

let compiled: WebAssembly.Module | null | undefined;

function simdModule(): WebAssembly.Module | null {
    if (compiled === undefined) {
        const bytes = moduleBytes();
        compiled = typeof WebAssembly !== 'undefined' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    }
    return compiled;
}

/** Scalar fallback and remainder rows: four rows per pass share each x load. */
export function matmulJs(out: Float32Array, W: Float32Array, x: Float32Array, m: number, n: number, d: number, o0 = 0, dStride = d): void {
    let o = o0;
    for (; o + 3 < d; o += 4) {
        const w0 = o * n,
            w1 = w0 + n,
            w2 = w1 + n,
            w3 = w2 + n;
        for (let t = 0; t < m; t++) {
            const xo = t * n;
            let s0 = 0,
                s1 = 0,
                s2 = 0,
                s3 = 0;
            for (let i = 0; i < n; i++) {
                const xi = x[xo + i];
                s0 += W[w0 + i] * xi;
                s1 += W[w1 + i] * xi;
                s2 += W[w2 + i] * xi;
                s3 += W[w3 + i] * xi;
            }
            const oo = t * dStride + o;
            out[oo] = s0;
            out[oo + 1] = s1;
            out[oo + 2] = s2;
            out[oo + 3] = s3;
        }
    }
    for (; o < d; o++) {
        const w0 = o * n;
        for (let t = 0; t < m; t++) {
            const xo = t * n;
            let s = 0;
            for (let i = 0; i < n; i++) s += W[w0 + i] * x[xo + i];
            out[t * dStride + o] = s;
        }
    }
}

/**
 * An arena of `totalFloats` floats (plus alignment slack). `useSimd: false` forces the scalar kernel
 * (tests compare both).
 */
export function createArena(totalFloats: number, opts: { useSimd?: boolean } = {}): Arena {
    const mod = opts.useSimd === false ? null : simdModule();
    if (!mod) {
        return {
            simd: false,
            alloc: (n) => new Float32Array(n),
            matmul: (out, W, x, m, n, d) => matmulJs(out, W, x, m, n, d),
        };
    }
    const bytes = totalFloats * 4 + 64 * 1024;
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    const kernel = inst.exports.matmul as (out: number, W: number, x: number, m: number, nb: number, d: number, db: number) => void;
    const buffer = memory.buffer;
    let next = 0;
    return {
        simd: true,
        alloc(n: number): Float32Array {
            const start = next;
            next += Math.ceil((n * 4) / 16) * 16;
            if (next > buffer.byteLength) throw new RangeError(`arena exhausted (${next} > ${buffer.byteLength} bytes)`);
            return new Float32Array(buffer, start, n);
        },
        matmul(out, W, x, m, n, d) {
            if (n % 4 !== 0 || out.buffer !== buffer || W.buffer !== buffer || x.buffer !== buffer) {
                matmulJs(out, W, x, m, n, d);
                return;
            }
            const d4 = d & ~3;
            if (d4) kernel(out.byteOffset, W.byteOffset, x.byteOffset, m, n * 4, d4, d * 4);
            if (d4 !== d) matmulJs(out, W, x, m, n, d, d4, d);
        },
    };
}
