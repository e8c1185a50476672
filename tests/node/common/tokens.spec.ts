import { adjust, adjustUsage, usageCosts, type TokenPricing } from '../../../node/common/tokens';

const pricing: TokenPricing = {
    pricePerToken: 20n,
    promptMultiplier: 10000n,
    cachedMultiplier: 1000n,
    completionMultiplier: 40000n,
    reasoningMultiplier: 20000n,
};

describe('token metering', () => {
    it('adjusts by coefficient/1000 and multiplier/10000, truncating', () => {
        expect(adjust(100n, 1000n, 10000n)).toBe(100n);
        expect(adjust(100n, 1500n, 10000n)).toBe(150n);
        expect(adjust(3n, 1000n, 3333n)).toBe(0n); // 0.9999 truncates to 0
        expect(adjust(7n, 1234n, 5678n)).toBe(4n); // 7*1.234*0.5678 = 4.904...
        expect(adjust(0n, 5000n, 10000n)).toBe(0n);
        // Exact where double arithmetic would round: 2^60 tokens at 1.0x stay exact.
        expect(adjust(1n << 60n, 1000n, 10000n)).toBe(1n << 60n);
    });

    it('splits usage into four classes, each billed once at its multiplier', () => {
        // COCOON's benchmark backend usage: prompt 34 (11 cached), completion 100 (10 reasoning).
        const t = adjustUsage({ promptTokens: 34, cachedTokens: 11, completionTokens: 100, reasoningTokens: 10 }, 1000n, pricing);
        expect(t).toEqual({ prompt: 23n, cached: 1n, completion: 360n, reasoning: 20n, total: 404n });
        const doubled = adjustUsage({ promptTokens: 34, cachedTokens: 11, completionTokens: 100, reasoningTokens: 10 }, 2000n, pricing);
        expect(doubled.total).toBe(808n);
    });

    it('clamps inconsistent usage instead of billing negative tokens, and rejects garbage', () => {
        const t = adjustUsage({ promptTokens: 5, cachedTokens: 9, completionTokens: 3, reasoningTokens: 7 }, 1000n, pricing);
        expect(t.prompt).toBe(0n);
        expect(t.completion).toBe(0n);
        expect(t.total).toBe(0n + 0n + 6n + 0n);
        expect(() => adjustUsage({ promptTokens: -1, cachedTokens: 0, completionTokens: 0, reasoningTokens: 0 }, 1000n, pricing)).toThrow(
            /prompt_tokens/,
        );
        expect(() => adjustUsage({ promptTokens: 1.5, cachedTokens: 0, completionTokens: 0, reasoningTokens: 0 }, 1000n, pricing)).toThrow(
            RangeError,
        );
        expect(() => adjustUsage({ promptTokens: 1, cachedTokens: 0, completionTokens: 0, reasoningTokens: 0 }, -1n, pricing)).toThrow(
            /coefficient/,
        );
    });

    it('reports costs in nanoTON as the worker injects them into usage', () => {
        const t = adjustUsage({ promptTokens: 34, cachedTokens: 11, completionTokens: 100, reasoningTokens: 10 }, 1000n, pricing);
        expect(usageCosts(t, 20n)).toEqual({ prompt_total_cost: 480, completion_total_cost: 7600, total_cost: 8080 });
        expect(usageCosts({ prompt: 0n, cached: 0n, completion: 0n, reasoning: 0n, total: 1n << 60n }, 1000n).total_cost).toBe(
            ((1n << 60n) * 1000n).toString(),
        );
    });
});
