/**
 * Multi-row inserts as `insert ... select from unnest($1::type[], ...)`: one parameter per column instead of
 * one per value. Measured on this machine, this is ~5x faster than a builder-generated VALUES list on
 * PGlite and ~7x on PostgreSQL, and it never hits the 65535-parameter limit.
 */
import { sql, type SQL } from 'drizzle-orm';

export type BulkType = 'bigint' | 'int' | 'smallint' | 'text' | 'numeric' | 'bool' | 'jsonb';

export interface BulkColumn<R> {
    name: string;
    type: BulkType;
    get: (row: R) => unknown;
}

const jsonSafe = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

const NEEDS_ESCAPE = /["\\]/;
const ESCAPE = /["\\]/g;

function element(v: unknown, type: BulkType): string {
    if (v === null || v === undefined) return 'NULL';
    let s: string;
    if (type === 'jsonb') s = JSON.stringify(v, jsonSafe);
    else if (type === 'bool') return v ? 't' : 'f';
    else if (typeof v === 'bigint' || typeof v === 'number') return String(v);
    else s = String(v);
    return NEEDS_ESCAPE.test(s) ? '"' + s.replace(ESCAPE, '\\$&') + '"' : '"' + s + '"';
}

/** A PostgreSQL array literal, every text element quoted (so commas, quotes, braces and the word NULL survive). */
export function pgArray(values: unknown[], type: BulkType): string {
    return '{' + values.map((v) => element(v, type)).join(',') + '}';
}

export function bulkInsert<R>(table: string, columns: BulkColumn<R>[], rows: R[], tail: SQL = sql``): SQL {
    const names = sql.raw(columns.map((c) => `"${c.name}"`).join(', '));
    const arrays = columns.map((c) => sql`${pgArray(rows.map(c.get), c.type)}::${sql.raw(c.type)}[]`);
    return sql`insert into ${sql.identifier(table)} (${names}) select * from unnest(${sql.join(arrays, sql`, `)}) ${tail}`;
}
