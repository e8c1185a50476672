/**
 * The cost calculator's arithmetic (indexer/api/pricing.ts, shared with the explorer) against values worked
 * out by hand, including the per-request truncation of adjusted tokens and refused inputs.
 */
import { appCost, gpuEarnings, type LivePrice } from '../../../indexer/api/pricing';

// The local chain's defaults: 20 nanoTON per token, worker fee 10, prompt x1.0000, completion x2.0000.
const live: LivePrice = {
    pricePerToken: 20n,
    workerFeePerToken: 10n,
    promptMultiplier: 10_000,
    completionMultiplier: 20_000,
    coefficient: 1000,
};

describe('app cost', () => {
    it('prices queries x (prompt + completion) at the multipliers, per day and per 30-day month', () => {
        // 1000 queries of 500 prompt + 200 completion tokens: 500 + 400 = 900 adjusted tokens,
        // 18,000 nanoTON a query, 18,000,000 a day, 540,000,000 a month.
        expect(appCost({ queriesPerDay: 1000, promptTokens: 500, completionTokens: 200 }, live)).toEqual({
            adjustedTokensPerQuery: 900n,
            perQuery: 18_000n,
            perDay: 18_000_000n,
            perMonth: 540_000_000n,
        });
    });

    it('applies the coefficient and truncates per query, as the worker counts', () => {
        // coefficient 1.5x: 3 prompt tokens -> trunc(3*1.5) = 4; 3 completion -> trunc(3*1.5*2) = 9; 13 tokens x 20.
        expect(appCost({ queriesPerDay: 10, promptTokens: 3, completionTokens: 3 }, { ...live, coefficient: 1500 })).toEqual({
            adjustedTokensPerQuery: 13n,
            perQuery: 260n,
            perDay: 2600n,
            perMonth: 78_000n,
        });
        // Past 2^53 nanoTON the math stays exact: 1e9 queries x 2e7 adjusted tokens x 20 = 4e17.
        expect(appCost({ queriesPerDay: 1_000_000_000, promptTokens: 10_000_000, completionTokens: 5_000_000 }, live).perDay).toBe(
            400_000_000_000_000_000n,
        );
    });

    it('refuses inputs that are negative, fractional or too large, naming them', () => {
        expect(() => appCost({ queriesPerDay: -1, promptTokens: 1, completionTokens: 1 }, live)).toThrow(
            'daily queries must be a whole number from 0 to 1,000,000,000',
        );
        expect(() => appCost({ queriesPerDay: 1, promptTokens: 1.5, completionTokens: 1 }, live)).toThrow(
            'prompt tokens must be a whole number',
        );
        expect(() => appCost({ queriesPerDay: 1, promptTokens: 1, completionTokens: 10_000_001 }, live)).toThrow(
            'completion tokens must be a whole number from 0 to 10,000,000',
        );
        expect(() => appCost({ queriesPerDay: 1, promptTokens: 1, completionTokens: 1 }, { ...live, coefficient: NaN })).toThrow(
            'coefficient must be',
        );
    });
});

describe('GPU owner earnings', () => {
    it('turns tokens per second x utilization into completion tokens a day at the worker fee', () => {
        // 50 tok/s, 40% busy: 50 x 86,400 x 0.4 = 1,728,000 tokens; x2 completion multiplier x 10 nanoTON = 34,560,000.
        expect(gpuEarnings({ tokensPerSecond: 50, utilizationPercent: 40 }, live)).toEqual({
            tokensPerDay: 1_728_000n,
            perDay: 34_560_000n,
            perMonth: 1_036_800_000n,
        });
        // Coefficient 0.5x halves it; 0% busy earns nothing.
        expect(gpuEarnings({ tokensPerSecond: 50, utilizationPercent: 40 }, { ...live, coefficient: 500 }).perDay).toBe(17_280_000n);
        expect(gpuEarnings({ tokensPerSecond: 50, utilizationPercent: 0 }, live)).toEqual({ tokensPerDay: 0n, perDay: 0n, perMonth: 0n });
        // 1 tok/s at 1%: 864 tokens a day.
        expect(gpuEarnings({ tokensPerSecond: 1, utilizationPercent: 1 }, live).tokensPerDay).toBe(864n);
    });

    it('refuses a utilization above 100%', () => {
        expect(() => gpuEarnings({ tokensPerSecond: 1, utilizationPercent: 101 }, live)).toThrow(
            'utilization must be a whole number from 0 to 100',
        );
    });
});
