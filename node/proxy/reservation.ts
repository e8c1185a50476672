/**
 * How many adjusted tokens a client may still use (COCOON ProxyClientInfo): uncharged usage is capped
 * by the stake, total usage by the deposit, minus what running requests have reserved.
 *
 *   available = min(balance/price + charged, charged + stake/price) - reserved - used
 */
import { adjust, MULTIPLIER_ONE } from '../common/tokens';
import type { CocoonParams } from '../../wrappers/params';

export interface ClientAccount {
    /** On-chain client contract balance (nanoTON) and stake. */
    balance: bigint;
    stake: bigint;
    /** Tokens already charged on-chain (the contract's tokens_used). */
    tokensCharged: bigint;
    /** Tokens used according to the proxy (ledger max). */
    tokensUsed: bigint;
    /** Tokens reserved by running requests. */
    tokensReserved: bigint;
}

export function tokensAvailable(c: ClientAccount, pricePerToken: bigint): bigint {
    if (pricePerToken <= 0n) throw new RangeError('price_per_token must be positive');
    const byDeposit = c.balance / pricePerToken + c.tokensCharged;
    const byStake = c.tokensCharged + c.stake / pricePerToken;
    const cap = byDeposit < byStake ? byDeposit : byStake;
    const left = cap - c.tokensReserved - c.tokensUsed;
    return left > 0n ? left : 0n;
}

/** The largest multiplier each side of a request is billed at (root params; 10000 = 1.0x). */
export interface ReserveMultipliers {
    /** max(prompt, cached): the request's bytes are an upper estimate of its prompt tokens. */
    prompt: bigint;
    /** max(completion, reasoning): max_tokens bounds the generated tokens. */
    completion: bigint;
}

export const UNIT_MULTIPLIERS: ReserveMultipliers = { prompt: MULTIPLIER_ONE, completion: MULTIPLIER_ONE };

/** The multipliers a reservation uses, from the root's params. */
export function reserveMultipliers(
    p: Pick<
        CocoonParams,
        'promptTokensPriceMultiplier' | 'cachedTokensPriceMultiplier' | 'completionTokensPriceMultiplier' | 'reasoningTokensPriceMultiplier'
    >,
): ReserveMultipliers {
    const max = (a: number, b: number) => BigInt(a > b ? a : b);
    return {
        prompt: max(p.promptTokensPriceMultiplier, p.cachedTokensPriceMultiplier),
        completion: max(p.completionTokensPriceMultiplier, p.reasoningTokensPriceMultiplier),
    };
}

/**
 * Tokens to reserve for one request: its size (an upper estimate of the prompt) and its output budget, at
 * the client's maximum price and the root's multipliers. It is also the most the request can be billed.
 */
export function tokensToReserve(
    maxTokens: bigint,
    requestBytes: number,
    maxCoefficient: bigint,
    m: ReserveMultipliers = UNIT_MULTIPLIERS,
): bigint {
    return adjust(BigInt(requestBytes), maxCoefficient, m.prompt) + adjust(maxTokens, maxCoefficient, m.completion);
}
