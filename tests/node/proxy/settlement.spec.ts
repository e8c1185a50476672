import { toNano } from '@ton/core';
import { checkThresholds, feeWithinShare } from '../../../node/proxy/settlement';
import { DEFAULT_PROXY_THRESHOLDS } from '../../../node/proxy/config';
import { LOCAL_SETTLEMENT } from '../../../node/cli/up';

describe('settlement fee guard', () => {
    it('lets a settlement by time through only when the fee is at most the share of the amount', () => {
        // 0.01 TON fee, half of the amount at most: 0.02 TON is the least that moves.
        expect(feeWithinShare(toNano('0.02'), toNano('0.01'), 0.5)).toBe(true);
        expect(feeWithinShare(toNano('0.02') - 1n, toNano('0.01'), 0.5)).toBe(false);
        // The default 10%: 0.1 TON.
        expect(feeWithinShare(toNano('0.1'), toNano('0.01'), 0.1)).toBe(true);
        expect(feeWithinShare(toNano('0.1') - 1n, toNano('0.01'), 0.1)).toBe(false);
        expect(feeWithinShare(0n, 0n, 1)).toBe(true);
    });

    it('keeps the original by default (no settlement by time) and checks every limit', () => {
        expect(DEFAULT_PROXY_THRESHOLDS).toEqual({
            charge: toNano('1'),
            payout: toNano('10'),
            withdraw: toNano('10'),
            settleAfterMs: 0,
            feeEstimate: toNano('0.01'),
            maxFeeShare: 0.1,
        });
        expect(() => checkThresholds(DEFAULT_PROXY_THRESHOLDS)).not.toThrow();
        expect(() => checkThresholds(LOCAL_SETTLEMENT)).not.toThrow();
        expect(() => checkThresholds({ ...DEFAULT_PROXY_THRESHOLDS, maxFeeShare: 0 })).toThrow('max fee share must be in (0, 1], got 0');
        expect(() => checkThresholds({ ...DEFAULT_PROXY_THRESHOLDS, maxFeeShare: 1.5 })).toThrow(
            'max fee share must be in (0, 1], got 1.5',
        );
        expect(() => checkThresholds({ ...DEFAULT_PROXY_THRESHOLDS, maxFeeShare: Number.NaN })).toThrow(/max fee share/);
        expect(() => checkThresholds({ ...DEFAULT_PROXY_THRESHOLDS, settleAfterMs: -1 })).toThrow(
            'settle-after must be a whole number of ms >= 0, got -1',
        );
        expect(() => checkThresholds({ ...DEFAULT_PROXY_THRESHOLDS, charge: -1n })).toThrow('charge threshold must be >= 0, got -1');
    });
});
