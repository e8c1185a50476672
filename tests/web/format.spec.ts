import { Address } from '@ton/core';
import { friendlyAddress } from '../../web/src/address';
import {
    formatDuration,
    formatInt,
    formatMultiplier,
    formatTon,
    nanoToChartNumber,
    shortAddress,
    sumNano,
    timeAgo,
} from '../../web/src/format';
import { formatTon as formatTonText } from '../../node/common/ton';

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

    it('shows the same digits as the CLI and stats (node/common/ton.ts), only grouped', () => {
        for (const n of [0n, 1n, 1_500_000_000n, -2_500_000_000n, 9_007_199_254_740_993n, 123456789012345678901234567890n]) {
            expect(formatTon(n).replace(/,/g, '')).toBe(formatTonText(n));
        }
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

describe('explorer addresses and times', () => {
    const raw = '0:' + 'ab'.repeat(32);
    it('shows user-friendly addresses exactly as @ton/core writes them', () => {
        const a = Address.parseRaw(raw);
        expect(friendlyAddress(raw, { bounceable: true, testnet: false })).toBe(a.toString({ bounceable: true, testOnly: false }));
        expect(friendlyAddress(raw, { bounceable: false, testnet: false })).toBe(a.toString({ bounceable: false, testOnly: false }));
        expect(friendlyAddress(raw, { bounceable: true, testnet: true })).toBe(a.toString({ bounceable: true, testOnly: true }));
        expect(friendlyAddress(raw, { bounceable: false, testnet: true })).toBe(a.toString({ bounceable: false, testOnly: true }));
        expect(friendlyAddress(raw, { bounceable: true, testnet: false })).toMatch(/^EQ/);
        expect(friendlyAddress(raw, { bounceable: false, testnet: false })).toMatch(/^UQ/);
        const master = '-1:' + '01'.repeat(32);
        expect(friendlyAddress(master, { bounceable: true, testnet: false })).toBe(Address.parseRaw(master).toString());
        expect(friendlyAddress('not-an-address', { bounceable: true, testnet: false })).toBe('not-an-address');
    });

    it('says how long ago', () => {
        const now = 1_767_225_600_000;
        const t = now / 1000;
        expect([
            timeAgo(t, now),
            timeAgo(t - 42, now),
            timeAgo(t - 300, now),
            timeAgo(t - 7200, now),
            timeAgo(t - 86400, now),
            timeAgo(t - 3 * 86400, now),
            timeAgo(t + 60, now),
        ]).toEqual(['just now', '42 s ago', '5 min ago', '2 h ago', '1 day ago', '3 days ago', 'in the future']);
    });

    it('formats durations as their two largest units', () => {
        expect([0, 1, 59, 60, 65, 3599, 3600, 3660, 7322, 86400, 90061, -5].map(formatDuration)).toEqual([
            '0 s',
            '1 s',
            '59 s',
            '1 min',
            '1 min 5 s',
            '59 min 59 s',
            '1 h',
            '1 h 1 min',
            '2 h 2 min',
            '1 d',
            '1 d 1 h',
            '0 s',
        ]);
    });
});
