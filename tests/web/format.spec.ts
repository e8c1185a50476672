import { formatInt, formatMultiplier, formatTon, nanoToChartNumber, shortAddress, sumNano } from '../../web/src/format';

describe('explorer money formatting', () => {
    it('formats nanoTON exactly with string math', () => {
        expect(formatTon('0')).toBe('0');
        expect(formatTon('1')).toBe('0.000000001');
        expect(formatTon('1000000000')).toBe('1');
        expect(formatTon('1500000000')).toBe('1.5');
        expect(formatTon('96000000000')).toBe('96');
        expect(formatTon('-2500000000')).toBe('-2.5');
        expect(formatTon(123456789012345678901234567890n)).toBe('123,456,789,012,345,678,901.23456789');
        // 2^53 + 1 nanoTON: a JS number would print ...992 instead of ...993.
        expect(formatTon('9007199254740993')).toBe('9,007,199.254740993');
        expect(formatTon('000120')).toBe('0.00000012');
        expect(formatTon(null)).toBe('—');
    });

    it('truncates (never rounds up) to the requested fraction digits', () => {
        expect(formatTon('1999999999', 2)).toBe('1.99');
        expect(formatTon('1000000001', 3)).toBe('1');
        expect(formatTon('-1', 3)).toBe('0');
    });

    it('formats counters, multipliers, addresses', () => {
        expect(formatInt('1234567890123456789012')).toBe('1,234,567,890,123,456,789,012');
        expect(formatInt(148)).toBe('148');
        expect(formatMultiplier(10000)).toBe('1×');
        expect(formatMultiplier(15000)).toBe('1.5×');
        expect(formatMultiplier(1000)).toBe('0.1×');
        expect(shortAddress(`0:${'ab'.repeat(32)}`)).toBe('0:ababab…abab');
        expect(sumNano(['1', '999999999999999999999', null])).toBe('1000000000000000000000');
        expect(nanoToChartNumber('2500000000')).toBe(2.5);
    });
});
