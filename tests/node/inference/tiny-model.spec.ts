/**
 * The committed model (cocoon/tiny-stories-1m) against torch + sentencepiece outputs recorded by
 * tools/model/reference.py: the tokenizer, the logits and the greedy continuations must agree.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Engine } from '../../../node/inference/engine/engine';
import { DEFAULT_MODEL_PATH } from '../../../node/inference/server/server';

interface Reference {
    tokenizer: { text: string; ids: number[]; decoded: string }[];
    generations: { prompt: string; prompt_ids: number[]; logits: number[]; greedy_ids: number[]; greedy_text: string }[];
}

const ref = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'tiny-stories-1m.reference.json'), 'utf8')) as Reference;

describe('cocoon/tiny-stories-1m', () => {
    const engine = Engine.load(DEFAULT_MODEL_PATH, { slots: 2 });
    const tok = engine.tokenizer;

    it('is the file the docs describe', () => {
        const sha = createHash('sha256').update(readFileSync(DEFAULT_MODEL_PATH)).digest('hex');
        const docs = readFileSync(join(__dirname, '..', '..', '..', 'node', 'inference', 'models', 'README.md'), 'utf8');
        expect(docs).toContain(sha);
        expect(engine.modelSha256).toBe(sha);
        expect(engine.modelName).toBe('cocoon/tiny-stories-1m');
        expect(engine.model.parameterCount()).toBeGreaterThan(900_000);
    });

    it('tokenizes exactly like sentencepiece and round-trips', () => {
        for (const c of ref.tokenizer) {
            expect({ text: c.text, ids: tok.encode(c.text, { bos: false }) }).toEqual({ text: c.text, ids: c.ids });
            expect(tok.decode(c.ids)).toBe(c.decoded);
            expect(tok.decode(tok.encode(c.text))).toBe(c.text);
        }
    });

    it('next-token logits agree with torch', () => {
        for (const g of ref.generations) {
            expect(tok.encode(g.prompt)).toEqual(g.prompt_ids);
            const cache = engine.model.newCache();
            const logits = engine.model.forward(cache, g.prompt_ids);
            let err = 0;
            let scale = 0;
            for (let i = 0; i < logits.length; i++) {
                err = Math.max(err, Math.abs(logits[i] - g.logits[i]));
                scale = Math.max(scale, Math.abs(g.logits[i]));
            }
            expect(err / scale).toBeLessThan(2e-4);
        }
    });

    it('greedy continuations are the same tokens and text as torch', async () => {
        for (const g of ref.generations) {
            const r = await engine.complete({ prompt: g.prompt_ids, maxTokens: g.greedy_ids.length, sampling: { temperature: 0 } });
            const ended = g.greedy_ids.some((id) => tok.endOfGeneration.has(id));
            expect(r.finishReason).toBe(ended ? 'stop' : 'length');
            expect(r.usage.completionTokens).toBe(g.greedy_ids.length);
            expect(r.text).toBe(
                tok.decode(
                    g.greedy_ids.filter((id) => !tok.endOfGeneration.has(id)),
                    { stripLeadingSpace: false },
                ),
            );
        }
    });

    it('writes readable stories that end on their own (EOS)', async () => {
        const r = await engine.complete({ prompt: tok.encode('Once upon a time'), sampling: { temperature: 0 } });
        expect(r.finishReason).toBe('stop');
        expect(r.text).toMatch(/^, .*\.$/s);
        const words = r.text.match(/[A-Za-z]+/g) ?? [];
        expect(words.length).toBeGreaterThan(30);
    });

    it('sampling is deterministic for a seed and honours max_tokens, stop and top_p', async () => {
        const prompt = tok.encode('Once upon a time');
        const run = (seed: number, extra = {}) =>
            engine.complete({ prompt, maxTokens: 40, sampling: { temperature: 0.9, topP: 0.95, seed, ...extra } });
        const [a, b, c] = [await run(11), await run(11), await run(12)];
        expect(a).toEqual(b);
        expect(c.text).not.toBe(a.text);
        expect(a.usage.completionTokens).toBeLessThanOrEqual(40);
        const stopped = await engine.complete({ prompt, maxTokens: 80, sampling: { temperature: 0 }, stop: ['named'] });
        expect(stopped.finishReason).toBe('stop');
        expect(stopped.text).not.toContain('named');
        const greedy = await engine.complete({ prompt, maxTokens: 80, sampling: { temperature: 0 } });
        expect(greedy.text.startsWith(stopped.text)).toBe(true);
        expect(greedy.text.slice(stopped.text.length).startsWith('named')).toBe(true);
    });

    it('cached tokens are real: a shared prefix is reused, the output is unchanged', async () => {
        const e = Engine.load(DEFAULT_MODEL_PATH, { slots: 1 });
        const prompt = tok.encode('<|user|>\nTell me a story about a dog named Max.<|end|>\n<|assistant|>\n');
        const first = await e.complete({ prompt, maxTokens: 20, sampling: { temperature: 0 } });
        expect(first.usage.cachedTokens).toBe(0);
        const second = await e.complete({ prompt, maxTokens: 20, sampling: { temperature: 0 } });
        expect(second.usage.cachedTokens).toBe(prompt.length - 1);
        expect(second.text).toBe(first.text);
        // A follow-up turn shares the whole first exchange as its prefix.
        const follow = tok.encode(
            `<|user|>\nTell me a story about a dog named Max.<|end|>\n<|assistant|>\n${first.text}<|end|>\n` +
                `<|user|>\nAnother one.<|end|>\n<|assistant|>\n`,
        );
        const third = await e.complete({ prompt: follow, maxTokens: 5, sampling: { temperature: 0 } });
        expect(third.usage.cachedTokens).toBeGreaterThanOrEqual(prompt.length);
    });
});
