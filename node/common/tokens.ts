/**
 * Token metering (COCOON CountTokens): backend usage -> adjusted tokens, the unit the chain bills in.
 *
 *   adjusted(n) = n · coefficient/1000 · multiplier/10000, truncated
 *
 * The original computes this in double precision; here it is exact integer arithmetic, so the result
 * never differs by one token from what a verifier recomputes. For every realistic input the two agree.
 */

/** Prices and multipliers from the root params cell (struct v3). 10000 = 1.0x. */
export interface TokenPricing {
    pricePerToken: bigint;
    promptMultiplier: bigint;
    cachedMultiplier: bigint;
    completionMultiplier: bigint;
    reasoningMultiplier: bigint;
}

/** Raw counters as the backend reports them in `usage`. */
/** The root's price fields, as the worker bills with them (and a test recomputes a receipt). */
export function tokenPricing(p: {
    pricePerToken: bigint;
    promptTokensPriceMultiplier: number;
    cachedTokensPriceMultiplier: number;
    completionTokensPriceMultiplier: number;
    reasoningTokensPriceMultiplier: number;
}): TokenPricing {
    return {
        pricePerToken: p.pricePerToken,
        promptMultiplier: BigInt(p.promptTokensPriceMultiplier),
        cachedMultiplier: BigInt(p.cachedTokensPriceMultiplier),
        completionMultiplier: BigInt(p.completionTokensPriceMultiplier),
        reasoningMultiplier: BigInt(p.reasoningTokensPriceMultiplier),
    };
}

export interface BackendUsage {
    promptTokens: number;
    cachedTokens: number;
    completionTokens: number;
    reasoningTokens: number;
}

/** Adjusted tokens per class and their sum (TL `tokensUsed`). */
export interface AdjustedTokens {
    prompt: bigint;
    cached: bigint;
    completion: bigint;
    reasoning: bigint;
    total: bigint;
}

export const COEFFICIENT_ONE = 1000n;
export const MULTIPLIER_ONE = 10000n;

export function adjust(count: bigint, coefficient: bigint, multiplier: bigint): bigint {
    if (count <= 0n) return 0n;
    return (count * coefficient * multiplier) / (COEFFICIENT_ONE * MULTIPLIER_ONE);
}

function nonNegative(n: number, what: string): bigint {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`usage.${what} must be a non-negative integer, got ${n}`);
    return BigInt(n);
}

/**
 * Splits usage into the four billed classes. Cached tokens are part of prompt_tokens and reasoning
 * tokens part of completion_tokens, so each is billed once, at its own multiplier. A backend that
 * reports more cached than prompt tokens (or more reasoning than completion) is clamped, never negative.
 */
export function adjustUsage(usage: BackendUsage, coefficient: bigint, pricing: TokenPricing): AdjustedTokens {
    if (coefficient < 0n) throw new RangeError(`coefficient must be non-negative, got ${coefficient}`);
    const prompt = nonNegative(usage.promptTokens, 'prompt_tokens');
    const cached = nonNegative(usage.cachedTokens, 'cached_tokens');
    const completion = nonNegative(usage.completionTokens, 'completion_tokens');
    const reasoning = nonNegative(usage.reasoningTokens, 'reasoning_tokens');
    const cachedPart = cached < prompt ? cached : prompt;
    const reasoningPart = reasoning < completion ? reasoning : completion;
    const out = {
        prompt: adjust(prompt - cachedPart, coefficient, pricing.promptMultiplier),
        cached: adjust(cachedPart, coefficient, pricing.cachedMultiplier),
        completion: adjust(completion - reasoningPart, coefficient, pricing.completionMultiplier),
        reasoning: adjust(reasoningPart, coefficient, pricing.reasoningMultiplier),
    };
    return { ...out, total: out.prompt + out.cached + out.completion + out.reasoning };
}

/** A JSON value for a nanoTON amount: a number, as the original emits, unless it would lose precision. */
function jsonAmount(v: bigint): number | string {
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** The cost fields the worker adds to `usage` (nanoTON, as COCOON's worker does). */
export function usageCosts(tokens: AdjustedTokens, pricePerToken: bigint) {
    return {
        prompt_total_cost: jsonAmount((tokens.prompt + tokens.cached) * pricePerToken),
        completion_total_cost: jsonAmount((tokens.completion + tokens.reasoning) * pricePerToken),
        total_cost: jsonAmount(tokens.total * pricePerToken),
    };
}
