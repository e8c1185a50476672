/** Root configuration history. */
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { rootConfigHistory } from '../../db/schema';
import { decodeCursor, pageOf } from '../cursor';
import type { Page, RootConfig, RootConfigChange } from '../types';
import { INT32_MAX, limitOf, optInt, type Query } from '../validate';

export async function rootHistory(db: DbOrTx, q: Query): Promise<Page<RootConfigChange>> {
    const limit = limitOf(q);
    const conds: SQL[] = [];
    const pv = optInt(q, 'paramsVersion', 0, INT32_MAX);
    if (pv !== undefined) conds.push(eq(rootConfigHistory.paramsVersion, pv));
    const c = decodeCursor(q, 'l');
    if (c) conds.push(sql`${rootConfigHistory.lt} < ${c[0]}::bigint`);
    const rowsOut = await db
        .select()
        .from(rootConfigHistory)
        .where(and(...conds))
        .orderBy(desc(rootConfigHistory.lt))
        .limit(limit + 1);
    return pageOf(
        rowsOut,
        limit,
        (r) => ({
            lt: r.lt.toString(),
            txHash: r.txHash,
            utime: r.utime,
            change: r.change,
            version: r.version,
            paramsVersion: r.paramsVersion,
            pending: r.pending,
            config: r.config as RootConfig,
        }),
        (r) => [r.lt.toString()],
    );
}
