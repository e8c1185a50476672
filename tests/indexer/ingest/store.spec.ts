import { eq, sql } from 'drizzle-orm';
import { derivedMismatches, rebuildDerived } from '../../../indexer/ingest/derived';
import { insertAccounts, writeBatch, type Batch, type BatchTx } from '../../../indexer/ingest/store';
import type { DecodedEvent, DecodedTx, KnownAccount } from '../../../indexer/ingest/types';
import { migrationsFolder, rows } from '../../../indexer/db/client';
import fs from 'node:fs';
import path from 'node:path';
import { accountDaily, clients, cursors, dailyStats, events, proxies, transactions, workers, accounts } from '../../../indexer/db/schema';
import { openTestDatabase, type TestDatabase } from '../helpers/db';
import { addr, txHash } from '../helpers/seed';

const PROXY: KnownAccount = {
    address: addr(10),
    kind: 'proxy',
    codeHash: 'aa'.repeat(32),
    paramsVersion: 1,
    parent: addr(1),
    owner: addr(900),
    pricePerToken: 20n,
    workerFeePerToken: 12n,
};
const CLIENT: KnownAccount = {
    address: addr(20),
    kind: 'client',
    codeHash: 'cc'.repeat(32),
    paramsVersion: 1,
    parent: PROXY.address,
    owner: addr(901),
    pricePerToken: 20n,
    workerFeePerToken: null,
};
const WORKER: KnownAccount = {
    address: addr(30),
    kind: 'worker',
    codeHash: 'bb'.repeat(32),
    paramsVersion: 1,
    parent: PROXY.address,
    owner: addr(902),
    pricePerToken: null,
    workerFeePerToken: 12n,
};
const DAY = 1_767_225_600;

let n = 0;
function tx(
    account: KnownAccount,
    lt: bigint,
    evs: DecodedEvent[],
    opts: { success?: boolean; pending?: boolean; utime?: number; deployed?: boolean; note?: boolean } = {},
): BatchTx {
    const success = opts.success ?? !opts.note;
    const decoded: DecodedTx = {
        op: 1,
        opName: 'test_op',
        source: null,
        external: false,
        inValue: 1000n,
        totalFees: 7n,
        success,
        outcome: success ? 'ok' : opts.note ? 'note' : 'failed',
        exitCode: opts.note ? null : success ? 0 : 1000,
        actionResultCode: success ? 0 : null,
        computeSkipped: opts.note ? 'no_gas' : null,
        storageFee: 1n,
        computeFee: opts.note ? 0n : 5n,
        gasUsed: opts.note ? null : 1234n,
        actionFee: 1n,
        fwdFee: 3n,
        aborted: !success,
        bounced: false,
        outMsgs: 1,
        inCreatedLt: null,
        outMessages: [],
        deployed: opts.deployed ?? false,
        events: evs,
        peers: [],
    };
    return {
        account,
        chain: {
            account: account.address,
            lt,
            hash: txHash(Number(lt) * 1000 + n++),
            utime: opts.utime ?? DAY + Number(lt),
            seqno: Number(lt),
        },
        decoded,
        pending: opts.pending ?? false,
    };
}
const batchOf = (txs: BatchTx[]): Batch => ({ txs, accounts: [...new Set(txs.map((t) => t.chain.account))] });
const charge = (cum: bigint): DecodedEvent => ({
    type: 'charge',
    client: CLIENT.address,
    proxy: PROXY.address,
    cumulativeTokens: cum,
    payload: { newTokensUsed: cum.toString() },
});
const deposit = (amount: bigint): DecodedEvent => ({ type: 'deposit', client: CLIENT.address, proxy: PROXY.address, amount, payload: {} });
const payoutReq = (cum: bigint): DecodedEvent => ({
    type: 'payout_request',
    worker: WORKER.address,
    proxy: PROXY.address,
    cumulativeTokens: cum,
    payload: {},
});
const payout = (w: bigint, p: bigint): DecodedEvent[] => [
    { type: 'payout', worker: WORKER.address, proxy: PROXY.address, amount: w, payload: {} },
    { type: 'commission', proxy: PROXY.address, amount: p, payload: {} },
];

let database: TestDatabase;

beforeAll(async () => {
    database = await openTestDatabase();
});
afterAll(async () => {
    await database?.close();
});
beforeEach(async () => {
    await database.reset();
    await insertAccounts(
        database.db,
        [PROXY, CLIENT, WORKER].map((a) => ({ ...a, discoveredVia: 'code_hash' })),
    );
    await database.db.update(clients).set({ pricePerToken: 20n });
});

describe('writeBatch', () => {
    it('turns cumulative counters into deltas, prices charges and keeps totals equal to a rebuild', async () => {
        const { db } = database;
        await writeBatch(
            db,
            batchOf([
                tx(CLIENT, 1n, [deposit(5_000n)], { deployed: true }),
                tx(CLIENT, 2n, [charge(100n)]),
                tx(CLIENT, 3n, [charge(250n)]),
                tx(CLIENT, 4n, [charge(400n)], { success: false }),
            ]),
        );
        await writeBatch(
            db,
            batchOf([tx(CLIENT, 5n, [charge(300n)]), tx(WORKER, 6n, [payoutReq(90n)]), tx(PROXY, 7n, payout(90n * 12n, 90n * 8n))]),
        );
        const evs = await db.select().from(events).where(eq(events.type, 'charge')).orderBy(events.txLt);
        expect(evs.map((e) => [e.tokens, e.amount, e.success])).toEqual([
            [100n, 2000n, true],
            [150n, 3000n, true],
            [0n, 0n, false],
            [50n, 1000n, true],
        ]);
        const [c] = await db.select().from(clients);
        expect(c).toMatchObject({ tokensCharged: 300n, tonCharged: 6000n, deposited: 5000n });
        const [p] = await db.select().from(proxies);
        expect(p).toMatchObject({ tokensCharged: 300n, tokensPaid: 90n, commissionEarned: 720n, workersPaid: 1080n, deposits: 5000n });
        const [w] = await db.select().from(workers);
        expect(w).toMatchObject({ tokensPaid: 90n, tonEarned: 1080n });
        const [d] = await db.select().from(dailyStats);
        expect(d).toMatchObject({
            txCount: 7,
            failedTxCount: 1,
            fees: 49n,
            tokensCharged: 300n,
            tonCharged: 6000n,
            tokensPaid: 90n,
            workersPaid: 1080n,
            commission: 720n,
        });
        expect(await derivedMismatches(db)).toEqual([]);
        // Each contract's own series counts its transactions and every event that names it.
        const series = new Map((await db.select().from(accountDaily)).map((r) => [r.address, r]));
        expect(series.get(CLIENT.address)).toMatchObject({
            day: '2026-01-01',
            txCount: 5,
            failedTxCount: 1,
            tokensCharged: 300n,
            tonCharged: 6000n,
            deposits: 5000n,
            commission: 0n,
        });
        expect(series.get(PROXY.address)).toMatchObject({
            txCount: 1,
            tokensCharged: 300n,
            tokensPaid: 90n,
            workersPaid: 1080n,
            commission: 720n,
            deposits: 5000n,
            newClients: 0,
        });
        expect(series.get(WORKER.address)).toMatchObject({
            txCount: 1,
            tokensPaid: 90n,
            workersPaid: 1080n,
            commission: 0n,
            tokensCharged: 0n,
        });
        const [acc] = await db.select().from(accounts).where(eq(accounts.address, CLIENT.address));
        expect(acc).toMatchObject({ txCount: 5, firstLt: 1n, lastLt: 5n });
        const cur = await db
            .select()
            .from(cursors)
            .where(eq(cursors.source, `account:${CLIENT.address}`));
        expect(cur[0].lt).toBe(5n);
    });

    it('is idempotent: writing the same batch again adds nothing', async () => {
        const { db } = database;
        const b = batchOf([tx(CLIENT, 1n, [deposit(7n)]), tx(CLIENT, 2n, [charge(10n)])]);
        await writeBatch(db, b);
        const again = await writeBatch(db, b);
        expect(again.final).toBe(0);
        const [{ n: txCount }] = await rows<{ n: string }>(db, sql`select count(*) as n from transactions`);
        expect(Number(txCount)).toBe(2);
        const [c] = await db.select().from(clients);
        expect(c).toMatchObject({ tokensCharged: 10n, deposited: 7n });
        expect(await derivedMismatches(db)).toEqual([]);
    });

    it('keeps pending rows out of totals and replaces them when they become final or vanish', async () => {
        const { db } = database;
        await writeBatch(
            db,
            batchOf([
                tx(CLIENT, 1n, [charge(10n)]),
                tx(CLIENT, 2n, [charge(30n)], { pending: true }),
                tx(CLIENT, 3n, [deposit(99n)], { pending: true }),
            ]),
        );
        let [c] = await db.select().from(clients);
        expect(c).toMatchObject({ tokensCharged: 10n, deposited: 0n });
        expect((await db.select().from(transactions).where(eq(transactions.pending, true))).length).toBe(2);
        expect(
            (
                await db
                    .select()
                    .from(cursors)
                    .where(eq(cursors.source, `account:${CLIENT.address}`))
            )[0].lt,
        ).toBe(1n);

        // Next read: lt 2 is final now, lt 3 turned out different (a new hash), lt 4 is pending.
        const second = batchOf([
            tx(CLIENT, 2n, [charge(30n)]),
            tx(CLIENT, 3n, [deposit(11n)]),
            tx(CLIENT, 4n, [charge(31n)], { pending: true }),
        ]);
        second.txs[0].chain.hash = (await db.select().from(transactions).where(eq(transactions.lt, 2n)))[0].hash;
        await writeBatch(db, second);
        [c] = await db.select().from(clients);
        expect(c).toMatchObject({ tokensCharged: 30n, deposited: 11n });
        const all = await db.select().from(transactions).orderBy(transactions.lt);
        expect(all.map((t) => [t.lt, t.pending])).toEqual([
            [1n, false],
            [2n, false],
            [3n, false],
            [4n, true],
        ]);
        const pendingEv = await db.select().from(events).where(eq(events.pending, true));
        expect(pendingEv.map((e) => e.tokens)).toEqual([1n]);
        expect(await derivedMismatches(db)).toEqual([]);
    });

    it('rebuilds derived tables from events after damage', async () => {
        const { db } = database;
        await writeBatch(
            db,
            batchOf([
                tx(CLIENT, 1n, [deposit(5n)], { deployed: true }),
                tx(CLIENT, 2n, [charge(40n)], { utime: DAY + 86_400 }),
                tx(CLIENT, 3n, [{ type: 'deploy', success: true, payload: {} }]),
            ]),
        );
        await db.update(clients).set({ tokensCharged: 1n });
        await db.delete(dailyStats);
        await db.update(accountDaily).set({ txCount: 99 });
        expect((await derivedMismatches(db)).length).toBeGreaterThan(0);
        await rebuildDerived(db);
        expect(await derivedMismatches(db)).toEqual([]);
        const days = await db.select().from(dailyStats).orderBy(dailyStats.day);
        expect(days.map((d) => [d.day, d.txCount, d.newClients, d.tokensCharged])).toEqual([
            ['2026-01-01', 2, 1, 0n],
            ['2026-01-02', 1, 0, 40n],
        ]);
    });

    it('backfills account_daily for an existing database the way ingest fills it (migration 0002)', async () => {
        const { db } = database;
        await writeBatch(
            db,
            batchOf([
                tx(CLIENT, 1n, [deposit(5n)], { deployed: true }),
                tx(CLIENT, 2n, [charge(40n)], { utime: DAY + 86_400 }),
                tx(WORKER, 3n, [payoutReq(10n)]),
                tx(PROXY, 4n, payout(120n, 80n)),
            ]),
        );
        const before = await db.select().from(accountDaily).orderBy(accountDaily.address, accountDaily.day);
        // The proxy is named on both days.
        expect(before.map((r) => r.address)).toEqual([PROXY.address, PROXY.address, CLIENT.address, CLIENT.address, WORKER.address].sort());
        await db.delete(accountDaily);
        const migration = fs.readFileSync(path.join(migrationsFolder(), '0002_account_daily.sql'), 'utf8');
        const backfill = migration.split('--> statement-breakpoint')[1];
        await db.execute(sql.raw(backfill));
        expect(await db.select().from(accountDaily).orderBy(accountDaily.address, accountDaily.day)).toEqual(before);
        expect(await derivedMismatches(db)).toEqual([]);
    });
});
