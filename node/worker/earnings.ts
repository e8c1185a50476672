/**
 * What a GPU owner earned and is owed, per proxy contract, in nanoTON: the worker contract pays
 * `tokens × worker_fee_per_token` to the owner (contracts/worker.tact), so on-chain earnings are the
 * contract's paid tokens times the fee, and pending is the proxy-signed, not yet cashed part. Also the
 * payout fee guard: a payout whose fee would eat more than a share of what it moves waits.
 */
import type { UptimeFigures } from '../common/uptime';

/**
 * What one payout costs the worker's wallet in fees: docs/contracts.md measures 0.0101 TON for a worker
 * payout (`npm run bench:gas`); issue 22 saw ~0.0096 TON.
 */
export const PAYOUT_FEE_ESTIMATE = 10_000_000n;

/** Default largest fee share a payout may cost, per-mille of the amount it moves (50 = 5%). */
export const DEFAULT_MAX_PAYOUT_FEE_PERMILLE = 50;

/**
 * Whether a payout moving `amount` nanoTON is worth its `fee`: the fee must be at most `maxFeePermille`
 * per-mille of the amount. Nothing to move is never worth a payout.
 */
export function payoutFeeAcceptable(amount: bigint, fee: bigint, maxFeePermille: number): boolean {
    if (amount <= 0n) return false;
    return fee * 1000n <= amount * BigInt(maxFeePermille);
}

export interface ProxyEarningsInput {
    proxy_sc_address: string;
    sc_address: string;
    connected: boolean;
    earned_tokens_committed_to_blockchain: bigint;
    earned_tokens_max_known: bigint;
    paid_out_tokens: bigint;
}

export interface ProxyEarnings {
    proxy_sc_address: string;
    sc_address: string;
    connected: boolean;
    /** Tokens the proxy counted for this worker (its highest report). */
    tokens_served: bigint;
    /** Tokens the worker contract has paid out on-chain. */
    paid_tokens: bigint;
    /** nanoTON paid to the owner on-chain: paid_tokens × worker_fee_per_token. */
    earned_nanoton: bigint;
    /** Tokens the proxy signed and the contract has not paid yet. */
    pending_tokens: bigint;
    /** nanoTON those are worth. */
    pending_nanoton: bigint;
    /** What cashing the pending part out would cost now (estimate, nanoTON). */
    payout_fee_nanoton: bigint;
    /** Whether the fee guard lets the automatic payout cash it out. */
    payout_fee_ok: boolean;
    /** Connected-and-enabled seconds as this worker saw it, since the worker started. */
    uptime_seconds: number;
    /** The window those seconds are out of (since the worker first connected to this proxy). */
    uptime_window_seconds: number;
    uptime_permille: number;
}

export function proxyEarnings(
    p: ProxyEarningsInput,
    opts: { feePerToken: bigint; payoutFee: bigint; maxFeePermille: number; uptime: UptimeFigures | null },
): ProxyEarnings {
    const pending =
        p.earned_tokens_committed_to_blockchain > p.paid_out_tokens ? p.earned_tokens_committed_to_blockchain - p.paid_out_tokens : 0n;
    const pendingNano = pending * opts.feePerToken;
    const u = opts.uptime;
    return {
        proxy_sc_address: p.proxy_sc_address,
        sc_address: p.sc_address,
        connected: p.connected,
        tokens_served: p.earned_tokens_max_known,
        paid_tokens: p.paid_out_tokens,
        earned_nanoton: p.paid_out_tokens * opts.feePerToken,
        pending_tokens: pending,
        pending_nanoton: pendingNano,
        payout_fee_nanoton: opts.payoutFee,
        payout_fee_ok: payoutFeeAcceptable(pendingNano, opts.payoutFee, opts.maxFeePermille),
        uptime_seconds: u ? Math.floor(u.upMs / 1000) : 0,
        uptime_window_seconds: u ? Math.floor(u.windowMs / 1000) : 0,
        uptime_permille: u?.permille ?? 0,
    };
}
