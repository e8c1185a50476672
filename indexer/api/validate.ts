/**
 * Query/path parameter parsing with clear 400s. Every parser names the parameter it rejects, so the
 * explorer (and curl users) see exactly what to fix.
 */
import { Address } from '@ton/core';
import type { ApiErrorBody } from './types';

export class ApiError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
        readonly param?: string,
    ) {
        super(message);
    }

    body(): ApiErrorBody {
        const type = this.status === 404 ? 'not_found_error' : this.status >= 500 ? 'server_error' : 'invalid_request_error';
        return { error: { message: this.message, type, code: this.code, ...(this.param ? { param: this.param } : {}) } };
    }
}

export const badParam = (param: string, message: string) => new ApiError(400, 'invalid_parameter', `${param}: ${message}`, param);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

export type Query = Record<string, unknown>;

/** Largest value of a PostgreSQL integer column (unix times, block numbers, versions). */
export const INT32_MAX = 2 ** 31 - 1;
/** Largest value of a PostgreSQL bigint column (logical times, row ids). */
export const INT64_MAX = 2n ** 63n - 1n;

/** True for text PostgreSQL can store: no NUL character (the database rejects it with an error). */
export const storableText = (v: string): boolean => !v.includes('\u0000');

function single(q: Query, name: string): string | undefined {
    // Own properties only: a parameter name never reaches Object.prototype.
    const v = Object.hasOwn(q, name) ? q[name] : undefined;
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw badParam(name, 'must be given once, as a plain value');
    if (!storableText(v)) throw badParam(name, 'must not contain a NUL character');
    return v;
}

/** Rejects parameters the endpoint does not know, so a typo does not silently return unfiltered data. */
export function onlyKnown(q: Query, known: readonly string[]): void {
    for (const key of Object.keys(q)) {
        if (!known.includes(key)) throw badParam(key, `unknown parameter; allowed: ${known.join(', ') || '(none)'}`);
    }
}

/** Any address form (raw `0:hex`, user-friendly base64/base64url) -> raw form. */
export function parseAddress(value: string, param: string): string {
    if (value.length > 100) throw badParam(param, 'not a TON address (raw 0:<hex> or user-friendly form)');
    try {
        return Address.parse(value.trim()).toRawString();
    } catch {
        throw badParam(param, 'not a TON address (raw 0:<hex> or user-friendly form)');
    }
}

export function optAddress(q: Query, name: string): string | undefined {
    const v = single(q, name);
    return v === undefined ? undefined : parseAddress(v, name);
}

export function optInt(q: Query, name: string, min: number, max: number): number | undefined {
    const v = single(q, name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v)) throw badParam(name, 'must be an integer');
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw badParam(name, `must be between ${min} and ${max}`);
    return n;
}

export function optBool(q: Query, name: string): boolean | undefined {
    const v = single(q, name);
    if (v === undefined) return undefined;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw badParam(name, 'must be true or false');
}

export function optEnum<T extends string>(q: Query, name: string, allowed: readonly T[]): T | undefined {
    const v = single(q, name);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) throw badParam(name, `must be one of ${allowed.join(', ')}`);
    return v as T;
}

/** Comma-separated list of enum values. */
export function optEnumList<T extends string>(q: Query, name: string, allowed: readonly T[]): T[] | undefined {
    const v = single(q, name);
    if (v === undefined) return undefined;
    const parts = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    for (const p of parts)
        if (!(allowed as readonly string[]).includes(p)) throw badParam(name, `'${p}' is not one of ${allowed.join(', ')}`);
    return parts as T[];
}

export function optString(q: Query, name: string, maxLength: number): string | undefined {
    const v = single(q, name);
    if (v !== undefined && v.length > maxLength) throw badParam(name, `longer than ${maxLength} characters`);
    return v;
}

/** Unix seconds or an ISO date/time, within what the database stores (1970 to 2038). */
export function optTime(q: Query, name: string): number | undefined {
    const v = single(q, name);
    if (v === undefined) return undefined;
    if (/^\d+$/.test(v)) return optInt(q, name, 0, INT32_MAX);
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw badParam(name, 'must be unix seconds or an ISO 8601 date');
    const s = Math.floor(ms / 1000);
    if (s < 0 || s > INT32_MAX) throw badParam(name, 'must be between 1970-01-01 and 2038-01-19');
    return s;
}

export function optDay(q: Query, name: string): string | undefined {
    const v = single(q, name);
    if (v === undefined) return undefined;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v + 'T00:00:00Z'))) throw badParam(name, 'must be a day, YYYY-MM-DD');
    return v;
}

export function parseHash(value: string, param: string): string {
    const v = value.trim();
    if (/^[0-9a-fA-F]{64}$/.test(v)) return v.toLowerCase();
    if (/^[A-Za-z0-9+/_-]{43}=?$/.test(v)) {
        const buf = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
        if (buf.length === 32) return buf.toString('hex');
    }
    throw badParam(param, 'must be a 256-bit hash (64 hex characters or base64)');
}

export function optOp(q: Query, name: string): number | undefined {
    const v = single(q, name);
    if (v === undefined) return undefined;
    const n = /^0x[0-9a-fA-F]{1,8}$/.test(v) ? parseInt(v.slice(2), 16) : /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw badParam(name, 'must be a uint32 opcode (0x1234abcd or decimal)');
    return n;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export function limitOf(q: Query): number {
    return optInt(q, 'limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
}
