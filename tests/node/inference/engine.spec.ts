import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../../node/inference/engine/engine';
import { readGguf } from '../../../node/inference/engine/gguf';
import { LlamaModel } from '../../../node/inference/engine/model';
import { buildTinyModel, ggufBytes, TinySpec, writeTinyGguf } from './gguf-fixture';
import { referenceLogits } from './reference-forward';

const SPECS: [string, TinySpec][] = [
    ['F32, separate output, MHA', { dim: 16, nLayers: 2, nHeads: 2, nKvHeads: 2, hidden: 24, contextLength: 32, seed: 1 }],
    [
        'F16, tied output, GQA',
        { dim: 24, nLayers: 2, nHeads: 4, nKvHeads: 2, hidden: 40, contextLength: 32, f16: true, tiedOutput: true, seed: 2 },
    ],
    ['odd sizes (scalar remainder rows)', { dim: 12, nLayers: 1, nHeads: 3, nKvHeads: 1, hidden: 18, contextLength: 16, seed: 3 }],
];

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
    let scale = 0;
    let err = 0;
    for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
    for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
    return err / scale;
}

describe('engine forward pass against an independent float64 reference', () => {
    const tokens = [1, 300, 270, 290, 310, 275, 5, 280, 299, 301, 285, 2, 290];

    for (const [name, spec] of SPECS) {
        for (const simd of [true, false]) {
            it(`${name}, ${simd ? 'SIMD' : 'scalar'} kernel: every position's logits match`, () => {
                const tiny = buildTinyModel(spec);
                const model = new LlamaModel(readGguf(ggufBytes(tiny)), { useSimd: simd });
                if (simd && spec.dim % 4 === 0) expect(model.simd).toBe(true);
                const ref = referenceLogits(tiny, tokens);
                const cache = model.newCache();
                for (let t = 0; t < tokens.length; t++) {
                    const logits = model.forward(cache, [tokens[t]]);
                    expect(maxRelErr(logits, ref[t])).toBeLessThan(1e-4);
                }
            });
        }
    }

    it('a prefill block gives the same last logits as token-by-token decoding, and so does a reused prefix', () => {
        const tiny = buildTinyModel(SPECS[1][1]);
        const model = new LlamaModel(readGguf(ggufBytes(tiny)));
        const one = model.newCache();
        let step: Float32Array = new Float32Array(0);
        for (const t of tokens) step = Float32Array.from(model.forward(one, [t]));
        const block = model.newCache();
        const all = Float32Array.from(model.forward(block, tokens));
        expect(maxRelErr(all, step)).toBeLessThan(1e-5);
        // Reuse the first 7 positions, recompute the rest after truncation.
        block.truncate(7);
        const reused = Float32Array.from(model.forward(block, tokens.slice(7)));
        expect(Array.from(reused)).toEqual(Array.from(all));
    });

    it('refuses quantised tensors, unknown architectures and truncated files with clear codes', () => {
        const tiny = buildTinyModel(SPECS[0][1]);
        const bytes = ggufBytes(tiny);
        expect(() => readGguf(bytes.subarray(0, 100))).toThrow(/truncated|GGUF/);
        const badMagic = Buffer.from(bytes);
        badMagic.write('GGML', 0);
        expect(() => readGguf(badMagic)).toThrow(/bad magic/);
        const arch = Buffer.from(
            bytes.toString('latin1').replace('\x05\x00\x00\x00\x00\x00\x00\x00llama', '\x05\x00\x00\x00\x00\x00\x00\x00gpt2x'),
            'latin1',
        );
        expect(() => new LlamaModel(readGguf(arch))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MODEL' }));
        const file = readGguf(bytes);
        file.tensors.get('blk.0.attn_q.weight')!.type = 8;
        expect(() => new LlamaModel(file)).toThrow(/Q8_0.*llama\.cpp/);
    });

    it('context overflow is a CONTEXT_LENGTH_EXCEEDED error, not a crash', () => {
        const model = new LlamaModel(readGguf(ggufBytes(buildTinyModel(SPECS[2][1]))));
        const cache = model.newCache();
        expect(() => model.forward(cache, new Array(17).fill(5))).toThrow(expect.objectContaining({ code: 'CONTEXT_LENGTH_EXCEEDED' }));
    });
});

describe('engine generation on a random tiny model', () => {
    let dir: string;
    let engine: Engine;
    beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), 'cocoon-inf-'));
        const path = join(dir, 'tiny.gguf');
        writeTinyGguf(path, buildTinyModel({ dim: 16, nLayers: 2, nHeads: 2, nKvHeads: 1, hidden: 32, contextLength: 64, seed: 9 }));
        engine = Engine.load(path, { slots: 2 });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('greedy decoding equals the argmax of the reference logits step by step', async () => {
        const tiny = buildTinyModel({ dim: 16, nLayers: 2, nHeads: 2, nKvHeads: 1, hidden: 32, contextLength: 64, seed: 9 });
        const prompt = [1, 290, 300, 310];
        // Random weights can end on EOS early; ban it so the comparison covers several steps.
        const bias = new Map([
            [2, -100],
            [5, -100],
        ]);
        const ids: number[] = [];
        const toks = [...prompt];
        for (let i = 0; i < 6; i++) {
            const logits = referenceLogits(tiny, toks).at(-1)!;
            for (const [id, b] of bias) logits[id] += b;
            const next = logits.indexOf(Math.max(...logits));
            ids.push(next);
            toks.push(next);
        }
        const r = await engine.complete({ prompt, maxTokens: 6, sampling: { temperature: 0 }, logitBias: bias });
        expect(r.usage).toEqual({ promptTokens: 4, cachedTokens: expect.any(Number), completionTokens: 6, reasoningTokens: 0 });
        expect(r.finishReason).toBe('length');
        expect(r.text).toBe(engine.tokenizer.decode(ids, { stripLeadingSpace: false }));
    });

    it('the same seed gives the same text; another seed gives another', async () => {
        const run = (seed: number) =>
            engine.complete({
                prompt: [1, 290],
                maxTokens: 20,
                sampling: { temperature: 1.2, seed },
                logitBias: new Map([
                    [2, -100],
                    [5, -100],
                ]),
            });
        const a = await run(7);
        const b = await run(7);
        const c = await run(8);
        expect(a.text).toBe(b.text);
        expect(a.usage.completionTokens).toBe(20);
        expect(c.text).not.toBe(a.text);
    });
});
