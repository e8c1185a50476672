/**
 * Unsettled usage as a proxy reports it: tokens served to clients and not yet charged on-chain, and tokens
 * earned by workers and not yet paid. The page's client and worker tables carry the proxy's ledger
 * (`used_tokens`, `earned_tokens`) next to what it last read from the contracts (`charged_tokens`,
 * `paid_tokens`); the difference, priced with the root config the page shows, is what is still off-chain.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { proxyReports } from '../db/schema';
import type { ProxyReportAccount } from '../domain';
import type { StatsConsumer, StatsPage } from './collector';
import { field, nat, rawAddress, rowsOf, type Json } from './page';

/** Rows read per table; a proxy beyond this many clients or workers is summed over the first ones only. */
const MAX_ROWS = 100_000;
/** Accounts kept in the stored detail (the largest unsettled amounts first). */
const MAX_DETAIL = 500;

export interface UnsettledReport {
    proxy: string;
    owner: string | null;
    tokensUncharged: bigint;
    tonUncharged: bigint;
    tokensUnpaid: bigint;
    tonUnpaid: bigint;
    clients: ProxyReportAccount[];
    workers: ProxyReportAccount[];
}

function accounts(
    rows: Json[],
    tokensKey: string,
    settledKey: string,
    price: bigint,
): { list: ProxyReportAccount[]; tokens: bigint; ton: bigint } {
    let tokens = 0n;
    const list: (ProxyReportAccount & { n: bigint })[] = [];
    for (const r of rows) {
        const used = nat(field(r, tokensKey));
        if (used === null) continue;
        // Not read from the chain yet (a new contract): nothing settled.
        const settled = nat(field(r, settledKey)) ?? 0n;
        const n = used > settled ? used - settled : 0n;
        tokens += n;
        list.push({
            address: rawAddress(field(r, 'sc_address')),
            owner: rawAddress(field(r, 'owner')),
            tokens: used.toString(),
            settled: settled.toString(),
            unsettled: n.toString(),
            unsettledTon: (n * price).toString(),
            n,
        });
    }
    list.sort((a, b) => (a.n < b.n ? 1 : a.n > b.n ? -1 : 0));
    return { list: list.slice(0, MAX_DETAIL).map(({ n: _n, ...a }) => a), tokens, ton: tokens * price };
}

/** The figures of one proxy stats page, or why the page is not one. */
export function unsettledFromPage(json: Json): UnsettledReport | string {
    const proxy = rawAddress(field(field(json, 'status'), 'contract'));
    if (!proxy) return "not a proxy stats page: status.contract is missing (is this the proxy's /jsonstats?)";
    const root = field(json, 'root_contract_config');
    const price = nat(field(root, 'price_per_token')) ?? 0n;
    const fee = nat(field(root, 'worker_fee_per_token')) ?? 0n;
    const c = accounts(rowsOf(json, 'clients', MAX_ROWS), 'used_tokens', 'charged_tokens', price);
    const w = accounts(rowsOf(json, 'workers', MAX_ROWS), 'earned_tokens', 'paid_tokens', fee);
    return {
        proxy,
        owner: rawAddress(field(field(json, 'status'), 'owner')),
        tokensUncharged: c.tokens,
        tonUncharged: c.ton,
        tokensUnpaid: w.tokens,
        tonUnpaid: w.ton,
        clients: c.list,
        workers: w.list,
    };
}

export class UnsettledUsage implements StatsConsumer {
    readonly name = 'unsettled';

    async consume(tx: DbOrTx, page: StatsPage): Promise<void> {
        const r = unsettledFromPage(page.json);
        if (typeof r === 'string') return this.failed(tx, page.source, page.readAt, r);
        const row = {
            source: page.source,
            proxy: r.proxy,
            owner: r.owner,
            seenAt: page.readAt,
            checkedAt: page.readAt,
            error: null,
            tokensUncharged: r.tokensUncharged,
            tonUncharged: r.tonUncharged,
            tokensUnpaid: r.tokensUnpaid,
            tonUnpaid: r.tonUnpaid,
            accounts: { clients: r.clients, workers: r.workers },
        };
        const { source: _s, ...update } = row;
        await tx.insert(proxyReports).values(row).onConflictDoUpdate({ target: proxyReports.source, set: update });
    }

    async failed(tx: DbOrTx, source: string, at: number, error: string): Promise<void> {
        await tx
            .insert(proxyReports)
            .values({ source, checkedAt: at, error: error.slice(0, 500), accounts: {} })
            .onConflictDoUpdate({ target: proxyReports.source, set: { checkedAt: at, error: sql`excluded.error` } });
    }
}
