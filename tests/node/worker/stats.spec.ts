import { forcedPayoutRefusal, PAYOUT_FEE_ESTIMATE } from '../../../node/worker/stats';

describe('worker payout action: a forced payout that costs more than it moves needs confirm=true', () => {
    const proxy = (signed: bigint, paid: bigint, name = 'EQ-proxy') => ({
        proxy_sc_address: name,
        earned_tokens_committed_to_blockchain: signed,
        paid_out_tokens: paid,
    });

    it('refuses, naming amount, proxy and fee, when a payout would move less than its fees', () => {
        // The case of issue 22: 0.0000018 TON moved for ~0.0096 TON of fees.
        expect(forcedPayoutRefusal([proxy(1900n, 100n)], 1n)).toBe(
            'a forced payout would move 0.000001800 TON from EQ-proxy for about 0.010000000 TON of fees each: ' +
                'add confirm=true to pay anyway, or leave it to the automatic payout (it waits for the minimum payout)',
        );
        expect(forcedPayoutRefusal([proxy(10n, 0n, 'A'), proxy(10n ** 9n, 0n, 'B')], 1000n)).toMatch(
            /^a forced payout would move 0\.000010000 TON from A for/,
        );
    });

    it('lets it run when every payout moves at least its fees, or nothing is owed', () => {
        expect(forcedPayoutRefusal([proxy(PAYOUT_FEE_ESTIMATE, 0n)], 1n)).toBeNull();
        expect(forcedPayoutRefusal([proxy(500n, 500n), proxy(0n, 0n)], 1n)).toBeNull();
        expect(forcedPayoutRefusal([], 1n)).toBeNull();
    });
});
