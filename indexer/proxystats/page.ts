/**
 * Reading a proxy's /jsonstats answer, which is untrusted data from the network: every key is looked up as
 * an own property (never through Object.prototype), every number is checked, and anything of the wrong
 * shape reads as missing instead of throwing.
 */
import { Address } from '@ton/core';

export type Json = unknown;

/** `obj[key]` when `obj` is a plain JSON object that has `key` itself; undefined otherwise. */
export function field(obj: Json, key: string): Json {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || !Object.hasOwn(obj, key)) return undefined;
    return (obj as Record<string, Json>)[key];
}

/** A section of the page that is a table (array of row objects), at most `max` rows. */
export function rowsOf(page: Json, section: string, max: number): Json[] {
    const v = field(page, section);
    return Array.isArray(v) ? v.slice(0, max) : [];
}

/** A non-negative decimal integer (a bigint written as a string, or a safe JS integer); null otherwise. */
export function nat(v: Json): bigint | null {
    if (typeof v === 'string' && /^\d{1,40}$/.test(v)) return BigInt(v);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
    return null;
}

/** A TON address in any form -> raw; null when it is not one. */
export function rawAddress(v: Json): string | null {
    if (typeof v !== 'string' || v.length > 100) return null;
    try {
        return Address.parse(v).toRawString();
    } catch {
        return null;
    }
}

/** A short printable string (names, labels); null when it is not one or is too long. */
export function text(v: Json, maxLength: number): string | null {
    return typeof v === 'string' && v.length > 0 && v.length <= maxLength && !/[\u0000-\u001f]/.test(v) ? v : null;
}
