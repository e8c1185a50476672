/**
 * The cost fields upstream's worker writes into an answer's `usage` (9060ce5 AnswerPostprocessor):
 *   prompt_total_cost     = (adjusted prompt + adjusted cached) × price_per_token
 *   completion_total_cost = (adjusted completion + adjusted reasoning) × price_per_token
 *   total_cost            = all four adjusted classes × price_per_token
 * in nanoTON, with tokens adjusted by coefficient/1000 and the root's per-class multipliers/10000 and
 * truncated (node/common/tokens.ts). Upstream truncates a double product, we compute it exactly: the two
 * agree except where the double lands just below an integer (10 tokens at coefficient 65535 and a 100x
 * multiplier: upstream 65534, exact 65535; tests/node/protocol/timing-costs.spec.ts has the grid).
 * Upstream adds the fields to each JSON value of the answer
 * whose `usage` raised a counter, before encrypting it; so does addUsageCosts.
 */
import { type AdjustedTokens, usageCosts } from '../common/tokens';

export type UsageCosts = ReturnType<typeof usageCosts>;

export { usageCosts };

/**
 * Returns `answer` with the three fields merged into its `usage` object (created when absent), leaving
 * the input untouched. `answer` is parsed JSON from the backend: only its own `usage` key is read.
 */
export function addUsageCosts<T extends object>(
    answer: T,
    tokens: AdjustedTokens,
    pricePerToken: bigint,
): T & { usage: Record<string, unknown> } {
    const own = Object.hasOwn(answer, 'usage') ? (answer as { usage?: unknown }).usage : undefined;
    const usage = typeof own === 'object' && own !== null && !Array.isArray(own) ? own : {};
    return { ...answer, usage: { ...usage, ...usageCosts(tokens, pricePerToken) } };
}
