/**
 * TON amounts as text, exactly (bigint nanoTON, never a JS number), defined once for the CLI, the stats
 * pages and the admin answers. The explorer's display formatter (web/src/format.ts `formatTon`) adds
 * thousands separators and a fraction cap to the same digits; tests/web/format.spec.ts checks they agree.
 */
import { fromNano, toNano } from '@ton/core';

/** 1500000000n -> "1.5", 2000000000n -> "2": @ton/core's fromNano (exact, trailing zeros dropped). */
export function formatTon(nano: bigint): string {
    return fromNano(nano);
}

/**
 * 1500000000n -> "1.500000000": always 9 decimals, so amounts line up in the stats pages' tables (and the
 * admin answers' `*_ton` fields and messages that quote them read the same).
 */
export function formatTonFixed(nano: bigint): string {
    const sign = nano < 0n ? '-' : '';
    const abs = nano < 0n ? -nano : nano;
    return `${sign}${abs / 1_000_000_000n}.${(abs % 1_000_000_000n).toString().padStart(9, '0')}`;
}

const TON_AMOUNT = /^\d+(?:\.\d{1,9})?$/;

/**
 * "1.5" (TON) -> 1500000000n; undefined unless it is a plain decimal with at most 9 decimals (no sign, no
 * exponent, surrounding blanks ignored). Callers wrap the undefined in their own error (usage, bad request).
 */
export function parseTonAmount(text: string): bigint | undefined {
    const t = text.trim();
    return TON_AMOUNT.test(t) ? toNano(t) : undefined;
}
