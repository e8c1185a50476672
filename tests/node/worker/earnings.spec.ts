import { UptimeMeter } from '../../../node/common/uptime';
import { DEFAULT_MAX_PAYOUT_FEE_PERMILLE, PAYOUT_FEE_ESTIMATE, payoutFeeAcceptable, proxyEarnings } from '../../../node/worker/earnings';

describe('worker earnings and the payout fee guard', () => {
    it('accepts a payout only when its fee is at most the share of the amount (default 5%)', () => {
        expect(DEFAULT_MAX_PAYOUT_FEE_PERMILLE).toBe(50);
        // 0.01 TON fee: 5% of 0.2 TON exactly is accepted, one nanoTON less is not.
        expect(payoutFeeAcceptable(200_000_000n, PAYOUT_FEE_ESTIMATE, 50)).toBe(true);
        expect(payoutFeeAcceptable(199_999_999n, PAYOUT_FEE_ESTIMATE, 50)).toBe(false);
        expect(payoutFeeAcceptable(100_000_000n, PAYOUT_FEE_ESTIMATE, 100)).toBe(true);
        expect(payoutFeeAcceptable(0n, 0n, 1000)).toBe(false);
        expect(payoutFeeAcceptable(1n, 0n, 0)).toBe(true);
    });

    it('splits a proxy contract into earned on-chain and pending, in nanoTON', () => {
        const meter = new UptimeMeter(() => 0);
        meter.set('p', true, 0);
        meter.set('p', false, 30_000);
        const e = proxyEarnings(
            {
                proxy_sc_address: 'P',
                sc_address: 'W',
                connected: true,
                earned_tokens_committed_to_blockchain: 1500n,
                earned_tokens_max_known: 1700n,
                paid_out_tokens: 1000n,
            },
            { feePerToken: 400_000n, payoutFee: PAYOUT_FEE_ESTIMATE, maxFeePermille: 50, uptime: meter.figures('p', 40_000) },
        );
        expect(e).toEqual({
            proxy_sc_address: 'P',
            sc_address: 'W',
            connected: true,
            tokens_served: 1700n,
            paid_tokens: 1000n,
            earned_nanoton: 400_000_000n,
            pending_tokens: 500n,
            pending_nanoton: 200_000_000n,
            payout_fee_nanoton: 10_000_000n,
            payout_fee_ok: true,
            uptime_seconds: 30,
            uptime_window_seconds: 40,
            uptime_permille: 750,
        });
        // Paid beyond what this worker saw signed (another process of the same owner): nothing pending.
        const over = proxyEarnings(
            {
                proxy_sc_address: 'P',
                sc_address: 'W',
                connected: false,
                earned_tokens_committed_to_blockchain: 10n,
                earned_tokens_max_known: 10n,
                paid_out_tokens: 20n,
            },
            { feePerToken: 1n, payoutFee: 1n, maxFeePermille: 50, uptime: null },
        );
        expect(over).toMatchObject({
            pending_tokens: 0n,
            pending_nanoton: 0n,
            payout_fee_ok: false,
            uptime_seconds: 0,
            uptime_permille: 0,
        });
    });
});
