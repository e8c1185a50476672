import { fromNano } from '@ton/core';
import { formatTon, formatTonFixed, parseTonAmount } from '../../../node/common/ton';

const SAMPLES = [0n, 1n, 10n, 1_000_000_000n, 1_500_000_000n, 2_000_000_000n, -2_500_000_000n, 9_007_199_254_740_993n, 10n ** 30n + 1n];

describe('TON amounts as text', () => {
    it('formatTon is the shortest exact form (@ton/core fromNano)', () => {
        expect(formatTon(1_500_000_000n)).toBe('1.5');
        expect(formatTon(2_000_000_000n)).toBe('2');
        expect(formatTon(1n)).toBe('0.000000001');
        expect(formatTon(-2_500_000_000n)).toBe('-2.5');
        expect(formatTon(9_007_199_254_740_993n)).toBe('9007199.254740993');
        for (const n of SAMPLES) expect(formatTon(n)).toBe(fromNano(n));
    });

    it('formatTonFixed always has 9 decimals and the same value', () => {
        expect(formatTonFixed(0n)).toBe('0.000000000');
        expect(formatTonFixed(1_500_000_000n)).toBe('1.500000000');
        expect(formatTonFixed(-1n)).toBe('-0.000000001');
        for (const n of SAMPLES) expect(parseTonAmount(formatTonFixed(n < 0n ? -n : n))).toBe(n < 0n ? -n : n);
    });

    it('parseTonAmount reads what formatTon writes, and nothing looser', () => {
        for (const n of SAMPLES.filter((x) => x >= 0n)) expect(parseTonAmount(formatTon(n))).toBe(n);
        expect(parseTonAmount(' 2.5 ')).toBe(2_500_000_000n);
        expect(parseTonAmount('007')).toBe(7_000_000_000n);
        for (const bad of ['', '-1', '+1', '1e9', '.5', '1.', '1.0000000001', '0x10', '1,5', 'Infinity']) {
            expect(parseTonAmount(bad)).toBeUndefined();
        }
    });
});
