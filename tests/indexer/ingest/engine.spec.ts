/**
 * Engine mechanics on an in-memory chain: discovery (block scan and message peers), paging back to the
 * cursor, batching, pending rows under confirmations, and resuming after a crash at any chain call.
 * The message decoding here is a small stand-in; the real decoder is tested on the local chain.
 */
import { sql } from 'drizzle-orm';
import { IngestEngine } from '../../../indexer/ingest/engine';
import { derivedMismatches } from '../../../indexer/ingest/derived';
import type { Decoder, StateReader } from '../../../indexer/ingest/ports';
import type { AccountState, DecodedEvent, KnownAccount } from '../../../indexer/ingest/types';
import { txFacts } from '../../../indexer/ingest/txfacts';
import { rows, type Db } from '../../../indexer/db/client';
import { silentLogger } from '../../../node/common/log';
import type { RootConfig } from '../../../indexer/api/types';
import { openTestDatabase, type TestDatabase } from '../helpers/db';
import { FakeChain, body } from '../helpers/fake-chain';
import { rootConfig } from '../helpers/seed';

const OP_DEPOSIT = 1;
const OP_CHARGE = 2;
const OP_NOTIFY = 3;

const decoder: Decoder = {
    decode(t, acc) {
        const f = txFacts(t.tx);
        const s = f.body?.beginParse();
        const value = s && s.remainingBits >= 160 ? (s.skip(96), s.loadUintBig(64)) : 0n;
        const events: DecodedEvent[] = [];
        if (f.deployed) events.push({ type: 'deploy', success: true, payload: {} });
        if (f.op === OP_DEPOSIT)
            events.push({ type: 'deposit', client: acc.address, proxy: acc.parent, amount: value, payload: { amount: value.toString() } });
        if (f.op === OP_CHARGE)
            events.push({ type: 'charge', client: acc.address, proxy: acc.parent, cumulativeTokens: value, payload: {} });
        if (f.op === OP_NOTIFY) events.push({ type: 'state_notification', client: f.source, proxy: acc.address, payload: {} });
        return { ...f, opName: f.op === null ? null : `op${f.op}`, outMsgs: f.outMessages.length, outMessages: [], events };
    },
};

function statesFor(chain: FakeChain, root: string): StateReader {
    const cfg: RootConfig = { ...rootConfig(1, 10n), address: root };
    return {
        async read(acc: KnownAccount, seqno: number): Promise<AccountState> {
            const txs = chain.accounts.get(acc.address)!.txs.filter((t) => (t.seqno ?? 0) <= seqno);
            const base = {
                address: acc.address,
                status: 'active' as const,
                balance: 1000n,
                codeHash: acc.codeHash,
                seqno,
                lastLt: txs.length ? txs[txs.length - 1].lt : null,
            };
            if (acc.kind === 'root') return { ...base, kindState: { kind: 'root', config: cfg } };
            return base;
        },
        async classify(address, _seqno, ctx) {
            const acc = chain.accounts.get(address);
            if (!acc?.kind || acc.kind === 'root') return null;
            if (acc.kind === 'wallet' && !ctx.viaMessage) return null;
            // Clients name the proxy that first heard from them; the stand-in uses the lowest known proxy.
            const proxy = [...ctx.known.values()].find((k) => k.kind === 'proxy');
            return {
                address,
                kind: acc.kind,
                codeHash: acc.kind,
                paramsVersion: 1,
                parent: acc.kind === 'client' ? (proxy?.address ?? null) : acc.kind === 'proxy' ? ctx.root : null,
                owner: null,
                pricePerToken: acc.kind === 'client' ? 10n : null,
                workerFeePerToken: null,
                discoveredVia: ctx.viaMessage ? 'message' : 'code_hash',
            };
        },
    };
}

/** root -> proxy -> clients; one client only reachable through messages, a wallet outside the network. */
function buildNetwork(chain: FakeChain, clientsN: number, rounds: number): { root: string } {
    const root = chain.account(1, 'root');
    const proxy = chain.account(2, 'proxy');
    const wallet = chain.account(3, null);
    const clients = Array.from({ length: clientsN }, (_, i) => chain.account(100 + i, 'client'));
    chain.send(root, body(9));
    chain.send(proxy, body(9), { src: root });
    chain.mine();
    for (let r = 0; r < rounds; r++) {
        clients.forEach((c, i) => {
            chain.send(c, body(OP_DEPOSIT, 1000n), {
                src: wallet,
                value: 2000n,
                out: [{ dest: proxy, value: 1500n, body: body(OP_NOTIFY) }],
            });
            chain.send(proxy, body(OP_NOTIFY), { src: c, value: 1500n });
            chain.send(c, body(OP_CHARGE, BigInt((r + 1) * 10 + i)), { success: r % 4 !== 3 });
        });
        chain.mine();
    }
    return { root: root.toRawString() };
}

async function snapshot(db: Db): Promise<unknown> {
    return {
        txs: await rows(db, sql`select lt::text, hash, account, pending, success, op_name from transactions order by lt, hash`),
        events: await rows(db, sql`select tx_lt::text, idx, type, tokens::text, amount::text, pending from events order by tx_lt, idx`),
        accounts: await rows(db, sql`select address, kind, tx_count, last_lt::text from accounts order by address`),
        clients: await rows(
            db,
            sql`select address, tokens_charged::text, ton_charged::text, deposited::text from clients order by address`,
        ),
        daily: await rows(db, sql`select * from daily_stats order by day`),
    };
}

let database: TestDatabase;
beforeAll(async () => {
    database = await openTestDatabase();
});
afterAll(async () => {
    await database?.close();
});
beforeEach(() => database.reset());

const engineFor = (chain: FakeChain, root: string, extra: Partial<ConstructorParameters<typeof IngestEngine>[0]> = {}) =>
    new IngestEngine({
        db: database.db,
        chain,
        decoder,
        states: statesFor(chain, root),
        rootAddress: root,
        log: silentLogger,
        pipelineWrites: database.kind === 'postgres',
        ...extra,
    });

describe('IngestEngine', () => {
    it('indexes every transaction of every network account once, discovering by block scan and messages', async () => {
        const chain = new FakeChain();
        const { root } = buildNetwork(chain, 5, 6);
        const engine = engineFor(chain, root, { pageSize: 7, batchSize: 13 });
        const r = await engine.runOnce();
        expect(r.transactions).toBe(chain.totalTxs());
        const [{ n }] = await rows<{ n: string }>(database.db, sql`select count(*) as n from transactions`);
        expect(Number(n)).toBe(chain.totalTxs());
        const kinds = await rows<{ kind: string; n: string }>(
            database.db,
            sql`select kind, count(*) as n from accounts group by kind order by kind`,
        );
        expect(kinds.map((k) => [k.kind, Number(k.n)])).toEqual([
            ['client', 5],
            ['proxy', 1],
            ['root', 1],
        ]);
        expect(await derivedMismatches(database.db)).toEqual([]);
        // Cumulative 10..15, 20..25, 30..35, (40..45 failed), 50..55, 60..65: each client is charged its last successful counter.
        const cl = await rows<{ address: string; tokens_charged: string; ton_charged: string }>(
            database.db,
            sql`select address, tokens_charged, ton_charged from clients order by address`,
        );
        expect(cl.map((c) => Number(c.tokens_charged))).toEqual([60, 61, 62, 63, 64]);
        expect(cl.map((c) => Number(c.ton_charged))).toEqual([600, 610, 620, 630, 640]);

        const again = await engine.runOnce();
        expect(again.transactions).toBe(0);

        for (let r2 = 0; r2 < 2; r2++) {
            chain.send(chain.accounts.get(cl[0].address)!.address, body(OP_CHARGE, 100n + BigInt(r2)));
            chain.mine();
        }
        const more = await engine.runOnce();
        expect(more.transactions).toBe(2);
        const [c0] = await rows<{ tokens_charged: string }>(
            database.db,
            sql`select tokens_charged from clients where address = ${cl[0].address}`,
        );
        expect(c0.tokens_charged).toBe('101');
        expect(await derivedMismatches(database.db)).toEqual([]);
    });

    it('keeps the newest blocks pending under confirmations and finalises them later', async () => {
        const chain = new FakeChain();
        const { root } = buildNetwork(chain, 3, 4);
        const engine = engineFor(chain, root, { confirmations: 2, batchSize: 5, pageSize: 3 });
        await engine.runOnce();
        const pending = await rows<{ n: string }>(database.db, sql`select count(*) as n from transactions where pending`);
        // Head is block 6 (empty), final is 4: the last round (block 5, 3 clients x 3 txs) is pending.
        expect(Number(pending[0].n)).toBe(9);
        expect(await derivedMismatches(database.db)).toEqual([]);
        chain.mine();
        chain.mine();
        await engine.runOnce();
        const after = await rows<{ n: string; p: string }>(
            database.db,
            sql`select count(*) as n, count(*) filter (where pending) as p from transactions`,
        );
        expect(Number(after[0].n)).toBe(chain.totalTxs());
        expect(Number(after[0].p)).toBe(0);
        expect(await derivedMismatches(database.db)).toEqual([]);
    });

    it('resumes after a crash at any point with the same database as an uninterrupted run', async () => {
        const reference = new FakeChain();
        const { root } = buildNetwork(reference, 4, 5);
        await engineFor(reference, root, { batchSize: 6, pageSize: 4, confirmations: 1 }).runOnce();
        const expected = await snapshot(database.db);
        const calls = reference.calls;
        expect(calls).toBeGreaterThan(20);

        for (const failAt of [3, Math.floor(calls / 3), Math.floor(calls / 2), calls - 2]) {
            await database.reset();
            const chain = new FakeChain();
            buildNetwork(chain, 4, 5);
            chain.failAt = failAt;
            await expect(engineFor(chain, root, { batchSize: 6, pageSize: 4, confirmations: 1 }).runOnce()).rejects.toThrow(
                'simulated crash',
            );
            chain.failAt = null;
            await engineFor(chain, root, { batchSize: 6, pageSize: 4, confirmations: 1 }).runOnce();
            expect(await snapshot(database.db)).toEqual(expected);
            expect(await derivedMismatches(database.db)).toEqual([]);
        }
    });
});
