/** A small, deterministic network written straight into the tables, for API tests. */
import crypto from 'node:crypto';
import type { Db } from '../../../indexer/db/client';
import {
    accounts,
    clients,
    cursors,
    dailyStats,
    events,
    proxies,
    rootConfigHistory,
    roots,
    transactions,
    workers,
} from '../../../indexer/db/schema';
import { modelHash } from '../../../indexer/api/models';
import type { RootConfig } from '../../../indexer/api/types';
import { rebuildDays } from '../../../indexer/ingest/derived';

export const addr = (n: number) => `0:${n.toString(16).padStart(64, '0')}`;
export const txHash = (n: number) => crypto.createHash('sha256').update(`tx${n}`).digest('hex');

export const ROOT = addr(1);
export const OWNER = addr(9000);
export const PROXIES = [addr(100), addr(101), addr(102)];
export const CLIENTS = [addr(200), addr(201), addr(202), addr(203), addr(204), addr(205)];
export const WORKERS = [addr(300), addr(301), addr(302), addr(303)];
export const MODEL = 'Qwen/Qwen3-0.6B@abc:def';
export const BASE_UTIME = 1_767_225_600; // 2026-01-01T00:00:00Z

export function rootConfig(paramsVersion: number, price: bigint): RootConfig {
    return {
        address: ROOT,
        owner: OWNER,
        version: paramsVersion + 3,
        paramsVersion,
        structVersion: 3,
        uniqueId: 17,
        isTest: true,
        pricePerToken: price.toString(),
        workerFeePerToken: (price / 2n).toString(),
        promptTokensPriceMultiplier: 10000,
        cachedTokensPriceMultiplier: 1000,
        completionTokensPriceMultiplier: 20000,
        reasoningTokensPriceMultiplier: 15000,
        proxyDelayBeforeClose: 600,
        clientDelayBeforeClose: 300,
        minProxyStake: '1000000000',
        minClientStake: '1000000000',
        proxyCodeHash: 'aa'.repeat(32),
        workerCodeHash: 'bb'.repeat(32),
        clientCodeHash: 'cc'.repeat(32),
        lastProxySeqno: 2,
        registeredProxies: [
            { seqno: 1, address: '127.0.0.1:8801' },
            { seqno: 2, address: '10.0.0.2:9000 10.0.0.2:9001' },
        ],
        proxyHashes: ['11'.repeat(32)],
        workerHashes: ['22'.repeat(32)],
        modelHashes: [modelHash(MODEL), '33'.repeat(32)],
    };
}

export const TX_COUNT = 150;

export async function seed(db: Db): Promise<void> {
    const cfg = rootConfig(2, 20n);
    await db
        .insert(roots)
        .values({ address: ROOT, owner: OWNER, version: cfg.version, paramsVersion: 2, lastProxySeqno: 2, config: cfg, updatedLt: 5000n });
    await db.insert(rootConfigHistory).values([
        {
            root: ROOT,
            lt: 1000n,
            txHash: txHash(-1),
            utime: BASE_UTIME,
            change: 'initial',
            version: 3,
            paramsVersion: 1,
            pricePerToken: 10n,
            workerFeePerToken: 5n,
            config: rootConfig(1, 10n),
        },
        {
            root: ROOT,
            lt: 5000n,
            txHash: txHash(-2),
            utime: BASE_UTIME + 86400,
            change: 'root_change_params',
            version: 5,
            paramsVersion: 2,
            pricePerToken: 20n,
            workerFeePerToken: 10n,
            config: cfg,
        },
    ]);
    const acc = (address: string, kind: string, i: number, extra: Partial<typeof accounts.$inferInsert> = {}) => ({
        address,
        kind,
        discoveredVia: 'code_hash',
        status: 'active',
        tonBalance: BigInt(i) * 1_000_000_000n,
        paramsVersion: 2,
        firstLt: BigInt(1000 + i),
        lastLt: BigInt(100000 + i * 10),
        txCount: i,
        ...extra,
    });
    await db
        .insert(accounts)
        .values([
            acc(ROOT, 'root', 1, { discoveredVia: 'config', paramsVersion: null }),
            ...PROXIES.map((p, i) => acc(p, 'proxy', i + 2, { parent: ROOT, owner: OWNER, paramsVersion: i === 2 ? 1 : 2 })),
            ...CLIENTS.map((c, i) => acc(c, 'client', i + 5, { parent: PROXIES[i % 2], owner: addr(7000 + i) })),
            ...WORKERS.map((w, i) => acc(w, 'worker', i + 11, { parent: PROXIES[i % 2], owner: addr(8000 + i) })),
        ]);
    await db.insert(proxies).values(
        PROXIES.map((p, i) => ({
            address: p,
            owner: OWNER,
            root: ROOT,
            publicKey: 'ee'.repeat(32),
            state: i === 2 ? 2 : 0,
            balance: BigInt(i) * 100n,
            stake: BigInt(3 - i) * 1_000_000_000n,
            paramsVersion: i === 2 ? 1 : 2,
            pricePerToken: 20n,
            workerFeePerToken: 10n,
            tokensCharged: BigInt(1000 * (i + 1)),
            commissionEarned: BigInt(500 * (3 - i)),
        })),
    );
    await db.insert(clients).values(
        CLIENTS.map((c, i) => ({
            address: c,
            owner: addr(7000 + i),
            proxy: PROXIES[i % 2],
            state: i === 5 ? 1 : 0,
            balance: BigInt(i) * 10n ** 9n,
            stake: 10n ** 9n,
            tokensUsed: BigInt(i * 100),
            paramsVersion: 2,
            pricePerToken: 20n,
            tokensCharged: BigInt(i * 100),
            tonCharged: BigInt(i * 2000),
            deposited: BigInt(i) * 10n ** 9n,
        })),
    );
    await db.insert(workers).values(
        WORKERS.map((w, i) => ({
            address: w,
            owner: addr(8000 + i),
            proxy: PROXIES[i % 2],
            state: 0,
            tokens: BigInt(i * 50),
            paramsVersion: 2,
            tokensPaid: BigInt(i * 50),
            tonEarned: BigInt(i * 500),
        })),
    );
    const txs: (typeof transactions.$inferInsert)[] = [];
    const evs: (typeof events.$inferInsert)[] = [];
    for (let i = 0; i < TX_COUNT; i++) {
        const client = CLIENTS[i % CLIENTS.length];
        const isCharge = i % 3 === 0;
        const failed = i % 10 === 7;
        const lt = BigInt(2000 + i * 10);
        txs.push({
            lt,
            hash: txHash(i),
            account: client,
            accountKind: 'client',
            utime: BASE_UTIME + i * 1200,
            blockSeqno: 10 + i,
            op: isCharge ? 0xbb63ff93 : 0xf172e6c2,
            opName: isCharge ? 'ext_client_charge_signed' : 'ext_client_top_up',
            source: addr(7000 + (i % CLIENTS.length)),
            inValue: 700_000_000n,
            totalFees: 1_000_000n,
            success: !failed,
            outcome: failed ? 'failed' : 'ok',
            exitCode: failed ? 1000 : 0,
            pending: i >= TX_COUNT - 2,
        });
        evs.push({
            txLt: lt,
            txHash: txHash(i),
            idx: 0,
            type: isCharge ? 'charge' : 'deposit',
            account: client,
            utime: BASE_UTIME + i * 1200,
            success: !failed,
            exitCode: failed ? 1000 : 0,
            proxy: PROXIES[(i % CLIENTS.length) % 2],
            client,
            owner: addr(7000 + (i % CLIENTS.length)),
            amount: isCharge ? 2000n : 1_000_000_000n,
            tokens: isCharge ? 100n : null,
            payload: { message: isCharge ? 'ext_client_charge_signed' : 'ext_client_top_up', queryId: String(i) },
            pending: i >= TX_COUNT - 2,
        });
    }
    await db.insert(transactions).values(txs);
    await db.insert(events).values(evs);
    await db.insert(dailyStats).values([
        {
            day: '2026-01-01',
            txCount: 72,
            failedTxCount: 7,
            tokensCharged: 2400n,
            tonCharged: 48000n,
            deposits: 48n * 10n ** 9n,
            newClients: 6,
            newProxies: 3,
            newWorkers: 4,
        },
        { day: '2026-01-02', txCount: 72, failedTxCount: 7, tokensCharged: 2400n, tonCharged: 48000n, deposits: 48n * 10n ** 9n },
        { day: '2026-01-03', txCount: 4, tokensCharged: 100n, tonCharged: 2000n },
    ]);
    await rebuildDays(db, 'account_daily');
    await db.insert(cursors).values([
        { source: 'head', seqno: 200, utime: BASE_UTIME + 200 * 1200 },
        { source: 'final', seqno: 158, utime: BASE_UTIME + 148 * 1200 },
    ]);
}
