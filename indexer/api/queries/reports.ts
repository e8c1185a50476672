/** The proxies' own reports of unsettled usage (off-chain, read from their stats pages by the collector). */
import { asc, inArray, sql } from 'drizzle-orm';
import { rows, type DbOrTx } from '../../db/client';
import { modelNames, proxyReports } from '../../db/schema';
import { proxyReport } from '../serialize';
import type { ProxyReport, UnsettledTotals } from '../types';

type ReportRow = typeof proxyReports.$inferSelect;

/** Most recent first: the latest successful read wins, then the latest attempt. */
const newer = (a: ReportRow, b: ReportRow) => (a.seenAt ?? -1) - (b.seenAt ?? -1) || a.checkedAt - b.checkedAt;

/** The latest report naming each of these proxies (several stats URLs may name one proxy). */
export async function reportsFor(db: DbOrTx, proxies: string[]): Promise<Map<string, ReportRow>> {
    const out = new Map<string, ReportRow>();
    if (!proxies.length) return out;
    for (const r of await db.select().from(proxyReports).where(inArray(proxyReports.proxy, proxies))) {
        const cur = out.get(r.proxy!);
        if (!cur || newer(r, cur) > 0) out.set(r.proxy!, r);
    }
    return out;
}

export async function listReports(db: DbOrTx): Promise<ProxyReport[]> {
    return (await db.select().from(proxyReports).orderBy(asc(proxyReports.source))).map(proxyReport);
}

/** Sums over the latest successful report per proxy; a proxy with only failed reads adds nothing. */
export async function unsettledTotals(db: DbOrTx): Promise<UnsettledTotals> {
    const [r] = await rows<{ tu: string; tonu: string; tp: string; tonp: string; seen: number | null; sources: string; reachable: string }>(
        db,
        sql`with latest as (
              select distinct on (proxy) * from proxy_reports where proxy is not null and seen_at is not null
              order by proxy, seen_at desc, checked_at desc)
            select coalesce((select sum(tokens_uncharged) from latest), 0) as tu,
                   coalesce((select sum(ton_uncharged) from latest), 0) as tonu,
                   coalesce((select sum(tokens_unpaid) from latest), 0) as tp, coalesce((select sum(ton_unpaid) from latest), 0) as tonp,
                   (select min(seen_at) from latest) as seen,
                   (select count(*) from proxy_reports) as sources, (select count(*) from proxy_reports where error is null) as reachable`,
    );
    const s = (v: string) => BigInt(v).toString();
    return {
        tokensUncharged: s(r.tu),
        tonUncharged: s(r.tonu),
        tokensUnpaid: s(r.tp),
        tonUnpaid: s(r.tonp),
        sources: Number(r.sources),
        reachable: Number(r.reachable),
        seenAt: r.seen === null ? null : Number(r.seen),
    };
}

/** Model names the proxies' stats pages announced (workers' models), to show next to their on-chain hashes. */
export async function learnedModelNames(db: DbOrTx): Promise<string[]> {
    return (await db.select({ name: modelNames.name }).from(modelNames).orderBy(asc(modelNames.name))).map((r) => r.name);
}
