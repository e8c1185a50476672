/** @jest-environment node */
import { addUsageCosts, parseTimingValue, timingHeaderName, timingHeaders, timingValue, usageCosts } from '../../../node/protocol';
import { adjustUsage } from '../../../node/common/tokens';

describe('X-Cocoon timing headers', () => {
    it('are wall-clock Unix seconds with six decimals, Start then End', () => {
        expect(timingHeaders('Worker', 1767225600123.4, 1767225601000)).toEqual([
            ['X-Cocoon-Worker-Start', '1767225600.123400'],
            ['X-Cocoon-Worker-End', '1767225601.000000'],
        ]);
        expect(timingHeaderName('Proxy', 'End')).toBe('X-Cocoon-Proxy-End');
        expect(timingHeaderName('Client', 'Start')).toBe('X-Cocoon-Client-Start');
        expect(timingValue(0)).toBe('0.000000');
        expect(() => timingValue(Number.NaN)).toThrow(RangeError);
        expect(() => timingValue(-1)).toThrow(RangeError);
    });

    it('read back to milliseconds; anything else is ignored', () => {
        expect(parseTimingValue('1767225600.123400')).toBe(1767225600123);
        expect(parseTimingValue(undefined)).toBeUndefined();
        expect(parseTimingValue('1767225600')).toBeUndefined();
        expect(parseTimingValue('1e9')).toBeUndefined();
    });
});

describe('usage cost fields', () => {
    // root params as the local network deploys them: price 20 nanoTON, cached 0.1x, completion and reasoning 8x
    const pricing = {
        pricePerToken: 20n,
        promptMultiplier: 10000n,
        cachedMultiplier: 1000n,
        completionMultiplier: 80000n,
        reasoningMultiplier: 80000n,
    };

    it('computes prompt, completion and total cost in nanoTON (worked by hand)', () => {
        const tokens = adjustUsage({ promptTokens: 1000, cachedTokens: 200, completionTokens: 300, reasoningTokens: 100 }, 1500n, pricing);
        // prompt (1000-200)*1.5 = 1200, cached 200*1.5*0.1 = 30, completion 200*1.5*8 = 2400, reasoning 100*1.5*8 = 1200
        expect(tokens).toEqual({ prompt: 1200n, cached: 30n, completion: 2400n, reasoning: 1200n, total: 4830n });
        expect(usageCosts(tokens, pricing.pricePerToken)).toEqual({
            prompt_total_cost: 24600,
            completion_total_cost: 72000,
            total_cost: 96600,
        });
    });

    it("agrees with upstream's double-precision formula on a grid of inputs, but where the double lands below an integer", () => {
        // upstream Ton.h adjust_tokens: (int64)((double)n * ((double)coef * 0.001) * (double)mult * 0.0001)
        const upstream = (n: number, coef: number, mult: number) => BigInt(Math.trunc(n * (coef * 0.001) * mult * 0.0001));
        const mismatches: string[] = [];
        for (const coef of [1, 999, 1000, 1001, 1500, 3333, 4000, 65535]) {
            for (const mult of [1, 1000, 3333, 10000, 80000, 1000000]) {
                for (const n of [0, 1, 3, 7, 10, 99, 100, 1234, 99999, 1_000_000, 123_456_789]) {
                    const t = adjustUsage({ promptTokens: n, cachedTokens: 0, completionTokens: 0, reasoningTokens: 0 }, BigInt(coef), {
                        ...pricing,
                        promptMultiplier: BigInt(mult),
                    });
                    if (t.prompt !== upstream(n, coef, mult))
                        mismatches.push(`n=${n} coef=${coef} mult=${mult}: ours ${t.prompt}, upstream ${upstream(n, coef, mult)}`);
                }
            }
        }
        // 10 × 65.535 × 100 is 65534.99999... in doubles: upstream bills one token less than the exact product.
        expect(mismatches).toEqual(['n=10 coef=65535 mult=1000000: ours 65535, upstream 65534']);
    });

    it("adds the fields to an answer's usage without touching the input; keeps big amounts exact", () => {
        const answer = JSON.parse('{"id":"x","usage":{"prompt_tokens":3,"completion_tokens":4},"__proto__":{"a":1}}');
        const tokens = { prompt: 3n, cached: 0n, completion: 4n, reasoning: 0n, total: 7n };
        const out = addUsageCosts(answer, tokens, 10n);
        expect(out.usage).toEqual({
            prompt_tokens: 3,
            completion_tokens: 4,
            prompt_total_cost: 30,
            completion_total_cost: 40,
            total_cost: 70,
        });
        expect(answer.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4 });
        expect(Object.hasOwn(out, '__proto__')).toBe(true);
        expect(addUsageCosts({ usage: 'bad' }, tokens, 10n).usage).toEqual({
            prompt_total_cost: 30,
            completion_total_cost: 40,
            total_cost: 70,
        });
        const huge = usageCosts({ prompt: 2n ** 60n, cached: 0n, completion: 0n, reasoning: 0n, total: 2n ** 60n }, 1n);
        expect(huge.total_cost).toBe((2n ** 60n).toString());
    });
});
