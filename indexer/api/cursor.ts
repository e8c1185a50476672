/**
 * Opaque keyset cursors: base64url(JSON array of the last row's sort key). Keyset (not offset) paging
 * stays correct while the indexer inserts rows between two page requests.
 */
import { badParam, INT64_MAX, storableText, type Query } from './validate';

export type CursorKey = (string | number)[];

export function encodeCursor(key: CursorKey): string {
    return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * Decodes `?cursor=` and checks its shape against `shape`, one letter per key: 's' text, 'i' numeric(40)
 * integer string, 'l' bigint integer string (logical times), 'n' smallint number. Values outside the
 * column's range are rejected here, so a forged cursor is a 400, never a database error.
 */
export function decodeCursor(q: Query, shape: string): CursorKey | undefined {
    const raw = Object.hasOwn(q, 'cursor') ? q.cursor : undefined;
    if (raw === undefined || raw === '') return undefined;
    const bad = () => badParam('cursor', 'malformed; pass back the nextCursor of a previous page unchanged');
    if (typeof raw !== 'string' || raw.length > 512) throw bad();
    let key: unknown;
    try {
        key = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    } catch {
        throw bad();
    }
    if (!Array.isArray(key) || key.length !== shape.length) throw bad();
    key.forEach((v, i) => {
        const kind = shape[i];
        const ok =
            kind === 'n'
                ? typeof v === 'number' && Number.isInteger(v) && v >= -32768 && v <= 32767
                : kind === 'i'
                  ? typeof v === 'string' && /^-?\d{1,40}$/.test(v)
                  : kind === 'l'
                    ? typeof v === 'string' && /^\d{1,19}$/.test(v) && BigInt(v) <= INT64_MAX
                    : typeof v === 'string' && v.length <= 200 && storableText(v);
        if (!ok) throw bad();
    });
    return key as CursorKey;
}

/** Fetch limit+1 rows, return `limit` of them and a cursor if there was more. */
export function pageOf<R, T>(
    rows: R[],
    limit: number,
    map: (r: R) => T,
    key: (r: R) => CursorKey,
): { items: T[]; nextCursor: string | null } {
    const more = rows.length > limit;
    const kept = more ? rows.slice(0, limit) : rows;
    return { items: kept.map(map), nextCursor: more && kept.length ? encodeCursor(key(kept[kept.length - 1])) : null };
}
