/** @jest-environment node */
import { randomBytes } from 'crypto';
import { keyPairFromSeed } from '@ton/crypto';
import { e2e } from '../../../node/protocol';
import { answerPostprocessor } from '../../../node/worker/answer-postprocess';

// price 20 nanoTON, coefficient 1.5x, multipliers: prompt 1x, cached 0.1x, completion 2x, reasoning 1x.
const PRICING = {
    pricePerToken: 20n,
    promptMultiplier: 10000n,
    cachedMultiplier: 1000n,
    completionMultiplier: 20000n,
    reasoningMultiplier: 10000n,
};
const USAGE = {
    prompt_tokens: 52,
    completion_tokens: 12,
    total_tokens: 64,
    prompt_tokens_details: { cached_tokens: 10 },
    completion_tokens_details: { reasoning_tokens: 4 },
};

describe('the cost fields the worker adds to usage (before hashing and signing)', () => {
    it('hand-computed nanoTON: prompt 42x1.5=63, cached 10x1.5x0.1=1, completion 8x1.5x2=24, reasoning 4x1.5=6', () => {
        const rewrite = answerPostprocessor({ coefficient: 1500n, pricing: PRICING });
        const out = rewrite({ id: 'x', usage: USAGE });
        expect(out).toEqual({
            id: 'x',
            usage: { ...USAGE, prompt_total_cost: (63 + 1) * 20, completion_total_cost: (24 + 6) * 20, total_cost: 94 * 20 },
        });
        expect(out.usage).toMatchObject({ prompt_total_cost: 1280, completion_total_cost: 600, total_cost: 1880 });
    });

    it('as upstream: only values whose usage raised a counter get costs, for the counters so far', () => {
        const rewrite = answerPostprocessor({
            coefficient: 1000n,
            pricing: { ...PRICING, cachedMultiplier: 10000n, completionMultiplier: 10000n },
        });
        expect(rewrite({ choices: [] })).toEqual({ choices: [] });
        expect(rewrite({ usage: { prompt_tokens: 5, completion_tokens: 1 } }).usage).toEqual({
            prompt_tokens: 5,
            completion_tokens: 1,
            prompt_total_cost: 100,
            completion_total_cost: 20,
            total_cost: 120,
        });
        expect(rewrite({ usage: { prompt_tokens: 5, completion_tokens: 1 } }).usage).toEqual({ prompt_tokens: 5, completion_tokens: 1 });
        expect(rewrite({ usage: { prompt_tokens: 5, completion_tokens: 3 } }).usage).toEqual({
            prompt_tokens: 5,
            completion_tokens: 3,
            prompt_total_cost: 100,
            completion_total_cost: 60,
            total_cost: 160,
        });
    });

    it('an encrypted request gets its answer encrypted to the sender, cost fields readable inside usage', () => {
        const worker = keyPairFromSeed(Buffer.alloc(32, 9));
        const client = randomBytes(32);
        const clientPublic = keyPairFromSeed(client).publicKey;
        const rewrite = answerPostprocessor({
            coefficient: 1500n,
            pricing: PRICING,
            encryptTo: { privateKey: worker.secretKey, receiver: clientPublic },
        });
        const sent = rewrite({ choices: [{ message: { role: 'assistant', content: 'Once upon a time' } }], usage: USAGE });
        expect(sent.is_encrypted).toBe('v1');
        expect(JSON.stringify(sent)).not.toContain('Once upon a time');
        expect(sent.usage).toMatchObject({ prompt_tokens: 52, total_cost: 1880 });
        const opened = e2e.decryptJson(sent, 'worker-to-client', { privateKey: client, expectedSender: worker.publicKey });
        expect(opened.value).toEqual({
            choices: [{ message: { role: 'assistant', content: 'Once upon a time' } }],
            usage: { ...USAGE, prompt_total_cost: 1280, completion_total_cost: 600, total_cost: 1880 },
        });
    });
});
