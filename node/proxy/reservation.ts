/**
 * How many adjusted tokens a client may still use (COCOON ProxyClientInfo): uncharged usage is capped
 * by the stake, total usage by the deposit, minus what running requests have reserved.
 *
 *   available = min(balance/price + charged, charged + stake/price) - reserved - used
 */
import { adjust, MULTIPLIER_ONE } from '../common/tokens';

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

/** Tokens to reserve for one request: its output budget plus its size, at the client's maximum price. */
export function tokensToReserve(maxTokens: bigint, requestBytes: number, maxCoefficient: bigint): bigint {
    return adjust(maxTokens + BigInt(requestBytes), maxCoefficient, MULTIPLIER_ONE);
}
