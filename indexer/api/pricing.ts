/**
 * Price arithmetic shared by the API and the explorer's cost calculator (import-free, like types.ts, so the
 * web app can bundle it). All money is bigint nanoTON. Adjusted tokens follow the worker's counting rule,
 * per request and per token class: trunc(n * coefficient/1000 * multiplier/10000).
 */

const SECONDS_PER_DAY = 86_400n;
/** A month in the calculator is 30 days. */
export const DAYS_PER_MONTH = 30n;

export function adjustTokens(n: bigint, coefficient: number, multiplier: number): bigint {
    return (n * BigInt(coefficient) * BigInt(multiplier)) / 10_000_000n;
}

/** The live price: root params (price, worker fee, multipliers in 1/10000) and the worker's coefficient (1000 = 1.0x). */
export interface LivePrice {
    pricePerToken: bigint;
    workerFeePerToken: bigint;
    promptMultiplier: number;
    completionMultiplier: number;
    coefficient: number;
}

export interface Amounts {
    perDay: bigint;
    perMonth: bigint;
}

export interface AppUsage {
    queriesPerDay: number;
    promptTokens: number;
    completionTokens: number;
}

export interface GpuThroughput {
    /** Completion tokens per second the GPU generates while busy. */
    tokensPerSecond: number;
    /** Share of the day it is busy, 0..100. */
    utilizationPercent: number;
}

/** Bounds of the calculator's inputs (an out-of-range value is refused, not clamped). */
export const LIMITS = {
    queriesPerDay: 1_000_000_000,
    tokens: 10_000_000,
    tokensPerSecond: 10_000_000,
    utilizationPercent: 100,
    coefficient: 999_999_999,
} as const;

function whole(name: string, v: number, max: number): bigint {
    if (!Number.isSafeInteger(v) || v < 0 || v > max)
        throw new RangeError(`${name} must be a whole number from 0 to ${max.toLocaleString('en-US')}`);
    return BigInt(v);
}

function checkPrice(p: LivePrice): void {
    whole('coefficient', p.coefficient, LIMITS.coefficient);
}

/** What an app pays: every query is billed on its own (the per-request truncation is kept). */
export function appCost(u: AppUsage, p: LivePrice): Amounts & { perQuery: bigint; adjustedTokensPerQuery: bigint } {
    checkPrice(p);
    const queries = whole('daily queries', u.queriesPerDay, LIMITS.queriesPerDay);
    const prompt = whole('prompt tokens', u.promptTokens, LIMITS.tokens);
    const completion = whole('completion tokens', u.completionTokens, LIMITS.tokens);
    const adjusted =
        adjustTokens(prompt, p.coefficient, p.promptMultiplier) + adjustTokens(completion, p.coefficient, p.completionMultiplier);
    const perQuery = adjusted * p.pricePerToken;
    const perDay = perQuery * queries;
    return { adjustedTokensPerQuery: adjusted, perQuery, perDay, perMonth: perDay * DAYS_PER_MONTH };
}

/** What a GPU owner earns: the busy share of a day's completion tokens at the worker fee. */
export function gpuEarnings(g: GpuThroughput, p: LivePrice): Amounts & { tokensPerDay: bigint } {
    checkPrice(p);
    const tps = whole('tokens per second', g.tokensPerSecond, LIMITS.tokensPerSecond);
    const util = whole('utilization', g.utilizationPercent, LIMITS.utilizationPercent);
    const tokensPerDay = (tps * SECONDS_PER_DAY * util) / 100n;
    const perDay = adjustTokens(tokensPerDay, p.coefficient, p.completionMultiplier) * p.workerFeePerToken;
    return { tokensPerDay, perDay, perMonth: perDay * DAYS_PER_MONTH };
}
