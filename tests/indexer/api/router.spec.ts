import http from 'node:http';
import { Address } from '@ton/core';
import { startApiServer, type ApiServer } from '../../../indexer/api/server';
import { ENDPOINTS } from '../../../indexer/api/openapi';
import { modelHash } from '../../../indexer/api/models';
import { events, registries, transactions } from '../../../indexer/db/schema';
import { silentLogger } from '../../../node/common/log';
import type {
    AddressDetail,
    ApiErrorBody,
    ClientInfo,
    DailyStat,
    EventInfo,
    ModelsResponse,
    Overview,
    Page,
    ProxyInfo,
    RootConfigChange,
    SearchResponse,
    TransactionDetail,
    TransactionInfo,
    WorkerInfo,
} from '../../../indexer/api/types';
import { openTestDatabase, type TestDatabase } from '../helpers/db';
import { OpenApiChecker } from '../helpers/openapi';
import { exitCodes } from '../../../indexer/protocol';
import { BASE_UTIME, CLIENTS, MODEL, OWNER, PROXIES, ROOT, TX_COUNT, WORKERS, addr, seed, txHash } from '../helpers/seed';

let database: TestDatabase;
let server: ApiServer;
const openapi = new OpenApiChecker();
const EXIT_CODES = exitCodes();

/** GETs `path`; every 200 answer is checked against the OpenAPI document, every error against its Error schema. */
async function get<T>(path: string, status = 200): Promise<T> {
    const res = await fetch(server.url + path);
    const body = (await res.json()) as T;
    if (res.status !== status) throw new Error(`${path}: expected ${status}, got ${res.status}: ${JSON.stringify(body)}`);
    if (status === 200) openapi.check(path, body);
    else expect(body).toMatchObject({ error: { message: expect.any(String), type: expect.any(String), code: expect.any(String) } });
    return body;
}

async function all<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
        const sep = path.includes('?') ? '&' : '?';
        const page: Page<T> = await get<Page<T>>(cursor ? `${path}${sep}cursor=${cursor}` : path);
        out.push(...page.items);
        cursor = page.nextCursor;
        if (!cursor) return out;
    }
    throw new Error('pagination did not end');
}

beforeAll(async () => {
    database = await openTestDatabase();
    await seed(database.db);
    server = await startApiServer({
        database,
        log: silentLogger,
        knownModels: [MODEL],
        streamPollMs: 100,
        webDir: null,
        opcodes: [{ op: '0xbb63ff93', name: 'ext_client_charge_signed', receivers: ['client'] }],
        exitCodes: EXIT_CODES,
    });
});

afterAll(async () => {
    await server?.close();
    await database?.close();
});

describe('indexer API', () => {
    it('serves an OpenAPI document that lists every route', async () => {
        const doc = await get<{ openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>(
            '/api/openapi.json',
        );
        expect(doc.openapi).toBe('3.0.3');
        for (const e of ENDPOINTS) expect(doc.paths[e.path]).toBeDefined();
        const refs = JSON.stringify(doc).match(/#\/components\/schemas\/(\w+)/g) ?? [];
        for (const r of refs) expect(doc.components.schemas[r.split('/').pop()!]).toBeDefined();
    });

    it('reports status and overview', async () => {
        const ov = await get<Overview>('/api/overview');
        expect(ov.root?.paramsVersion).toBe(2);
        expect(ov.proxies).toEqual({ total: 3, normal: 2, closing: 0, closed: 1, outdated: 1 });
        expect(ov.clients.total).toBe(6);
        expect(ov.clients.closing).toBe(1);
        expect(ov.workers.total).toBe(4);
        expect(ov.totals.transactions).toBe(148);
        expect(ov.totals.tokensCharged).toBe('4900');
        expect(ov.totals.deposits).toBe((96n * 10n ** 9n).toString());
        // Seed: proxy stakes 3+2+1 TON, commission 0+100+200, client balances 0..5 TON, stakes 1 TON each.
        expect(ov.held).toEqual({
            proxyStakes: (6n * 10n ** 9n).toString(),
            proxyCommission: '300',
            clientBalances: (15n * 10n ** 9n).toString(),
            clientStakes: (6n * 10n ** 9n).toString(),
            total: (21n * 10n ** 9n + 300n).toString(),
        });
        // Nothing reported by proxies: the stats of no proxy are read in this suite.
        expect(ov.unsettled).toEqual({
            tokensUncharged: '0',
            tonUncharged: '0',
            tokensUnpaid: '0',
            tonUnpaid: '0',
            sources: 0,
            reachable: 0,
            seenAt: null,
        });
        expect(ov.totals.failedTransactions).toBe(14);
        expect(ov.totals.notes).toBe(0);
        expect(ov.status).toMatchObject({
            headSeqno: 200,
            indexedSeqno: 158,
            lagBlocks: 42,
            lagSeconds: 52 * 1200,
            pendingTransactions: 2,
            transactions: TX_COUNT,
        });
    });

    it('pages transactions newest first without gaps or duplicates', async () => {
        const txs = await all<TransactionInfo>('/api/transactions?limit=40');
        expect(txs).toHaveLength(TX_COUNT);
        expect(new Set(txs.map((t) => t.hash)).size).toBe(TX_COUNT);
        for (let i = 1; i < txs.length; i++) expect(BigInt(txs[i - 1].lt) > BigInt(txs[i].lt)).toBe(true);
        expect(txs[0]).toMatchObject({ op: '0xf172e6c2', opName: 'ext_client_top_up', inValue: '700000000', pending: true });
    });

    it('filters transactions', async () => {
        const failed = await all<TransactionInfo>('/api/transactions?success=false&limit=500');
        expect(failed).toHaveLength(15);
        expect(failed.every((t) => t.exitCode === 1000)).toBe(true);
        const one = await all<TransactionInfo>(`/api/transactions?account=${encodeURIComponent(Address.parseRaw(CLIENTS[1]).toString())}`);
        expect(one).toHaveLength(TX_COUNT / CLIENTS.length);
        expect(one.every((t) => t.account === CLIENTS[1])).toBe(true);
        const byOp = await all<TransactionInfo>('/api/transactions?op=0xbb63ff93');
        expect(byOp).toHaveLength(50);
        const byName = await all<TransactionInfo>('/api/transactions?opName=ext_client_top_up');
        expect(byName).toHaveLength(100);
        const window = await all<TransactionInfo>(
            `/api/transactions?from=${BASE_UTIME + 1200}&to=${new Date((BASE_UTIME + 3 * 1200) * 1000).toISOString()}`,
        );
        expect(window.map((t) => t.utime).sort()).toEqual([BASE_UTIME + 1200, BASE_UTIME + 2400, BASE_UTIME + 3600]);
        const pending = await all<TransactionInfo>('/api/transactions?pending=true');
        expect(pending).toHaveLength(2);
    });

    it('returns one transaction with its events, by hex or base64 hash', async () => {
        const hex = txHash(3);
        const t = await get<TransactionDetail>(`/api/transactions/${hex}`);
        expect(t.events).toHaveLength(1);
        expect(t.events[0]).toMatchObject({ type: 'charge', tokens: '100', amount: '2000', client: CLIENTS[3] });
        const b64 = Buffer.from(hex, 'hex').toString('base64url');
        expect((await get<TransactionDetail>(`/api/transactions/${b64}`)).hash).toBe(hex);
        await get<ApiErrorBody>(`/api/transactions/${'00'.repeat(32)}`, 404);
    });

    it('filters events by type and address', async () => {
        const charges = await all<EventInfo>('/api/events?type=charge&limit=7');
        expect(charges).toHaveLength(50);
        expect(new Set(charges.map((e) => e.id)).size).toBe(50);
        const both = await all<EventInfo>(`/api/events?type=charge,deposit&address=${PROXIES[0]}`);
        expect(both.length).toBeGreaterThan(0);
        expect(both.every((e) => e.proxy === PROXIES[0])).toBe(true);
        const ok = await all<EventInfo>(`/api/events?client=${CLIENTS[0]}&success=true`);
        expect(ok.every((e) => e.client === CLIENTS[0] && e.success)).toBe(true);
    });

    it('lists proxies with counts, sorts and pages them', async () => {
        const byTokens = await all<ProxyInfo>('/api/proxies?sort=tokensCharged&limit=1');
        expect(byTokens.map((p) => p.address)).toEqual([PROXIES[2], PROXIES[1], PROXIES[0]]);
        expect(byTokens[2]).toMatchObject({ clientCount: 3, workerCount: 2, state: 'normal', outdated: false, tokensCharged: '1000' });
        expect(byTokens[0]).toMatchObject({ state: 'closed', outdated: true });
        const byCommission = await all<ProxyInfo>('/api/proxies?sort=commissionEarned&limit=2');
        expect(byCommission.map((p) => p.address)).toEqual(PROXIES);
        expect((await all<ProxyInfo>('/api/proxies?state=closed')).map((p) => p.address)).toEqual([PROXIES[2]]);
        expect((await all<ProxyInfo>('/api/proxies?outdated=true')).map((p) => p.address)).toEqual([PROXIES[2]]);
        expect(await all<ProxyInfo>('/api/proxies?sort=address&limit=2')).toHaveLength(3);
        const one = await get<ProxyInfo>(`/api/proxies/${PROXIES[0]}`);
        expect(one).toMatchObject({ address: PROXIES[0], owner: OWNER, root: ROOT, stake: '3000000000' });
    });

    it('lists clients and workers with filters', async () => {
        const ofProxy = await all<ClientInfo>(`/api/clients?proxy=${PROXIES[1]}&sort=deposited&limit=2`);
        expect(ofProxy.map((c) => c.address)).toEqual([CLIENTS[5], CLIENTS[3], CLIENTS[1]]);
        expect((await all<ClientInfo>('/api/clients?state=closing')).map((c) => c.address)).toEqual([CLIENTS[5]]);
        const c = await get<ClientInfo>(`/api/clients/${CLIENTS[2]}`);
        expect(c).toMatchObject({ proxy: PROXIES[0], balance: '2000000000', tokensCharged: '200', tonCharged: '4000' });
        const ws = await all<WorkerInfo>('/api/workers?sort=tonEarned');
        expect(ws.map((w) => w.address)).toEqual([WORKERS[3], WORKERS[2], WORKERS[1], WORKERS[0]]);
        expect((await get<WorkerInfo>(`/api/workers/${WORKERS[1]}`)).tonEarned).toBe('500');
        await get<ApiErrorBody>(`/api/workers/${CLIENTS[0]}`, 404);
    });

    it('describes any address: contracts and owners', async () => {
        const p = await get<AddressDetail>(`/api/addresses/${PROXIES[1]}`);
        expect(p.account?.kind).toBe('proxy');
        expect(p.proxy?.address).toBe(PROXIES[1]);
        expect(p.client).toBeNull();
        const owner = await get<AddressDetail>(`/api/addresses/${OWNER}`);
        expect(owner.account).toBeNull();
        expect(owner.owns.proxies).toEqual(PROXIES);
        const root = await get<AddressDetail>(`/api/addresses/${ROOT}`);
        expect(root.root?.paramsVersion).toBe(2);
        await get<ApiErrorBody>(`/api/addresses/${addr(123456)}`, 404);
    });

    it('serves the root config, its history and model prices', async () => {
        const hist = await all<RootConfigChange>('/api/root/history?limit=1');
        expect(hist.map((h) => h.paramsVersion)).toEqual([2, 1]);
        expect(hist[1].config.pricePerToken).toBe('10');
        const m = await get<ModelsResponse>('/api/models');
        const known = m.models.find((x) => x.name === MODEL)!;
        expect(known.hash).toBe(modelHash(MODEL));
        // 1e6 tokens * mult/10000 * 20 nanoTON
        expect(known.pricePerMillion).toEqual({ prompt: '20000000', cached: '2000000', completion: '40000000', reasoning: '30000000' });
        expect(known.workerFeePerMillion.prompt).toBe('10000000');
        expect(m.models.find((x) => x.name === null)?.hash).toBe('33'.repeat(32));
        const doubled = await get<ModelsResponse>('/api/models?coefficient=2000');
        expect(doubled.models[0].pricePerMillion.prompt).toBe('40000000');
    });

    it('serves daily series with paging', async () => {
        const days = await all<DailyStat>('/api/stats/daily?limit=2');
        expect(days.map((d) => d.day)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
        const desc = await get<Page<DailyStat>>('/api/stats/daily?order=desc&from=2026-01-02');
        expect(desc.items.map((d) => d.day)).toEqual(['2026-01-03', '2026-01-02']);
        // One client's series comes from its own rows: client 0 got every 6th transaction, all charges of 100 tokens.
        const mine = await all<DailyStat>(`/api/stats/daily?address=${CLIENTS[0]}&limit=1`);
        expect(mine.map((d) => d.day)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
        expect(mine.reduce((a, d) => a + d.txCount, 0)).toBe(25);
        expect(mine.reduce((a, d) => a + BigInt(d.tokensCharged), 0n)).toBe(2500n);
    });

    it('searches addresses, hashes, models, seqnos and opcodes', async () => {
        const s = async (q: string) => (await get<SearchResponse>(`/api/search?q=${encodeURIComponent(q)}`)).hits;
        expect(await s(Address.parseRaw(PROXIES[0]).toString())).toEqual([{ kind: 'account', address: PROXIES[0], accountKind: 'proxy' }]);
        expect(await s(OWNER)).toEqual([{ kind: 'owner', address: OWNER, owns: 3 }]);
        expect(await s(txHash(5))).toEqual([{ kind: 'transaction', hash: txHash(5), lt: '2050', account: CLIENTS[5] }]);
        expect(await s(MODEL)).toEqual([{ kind: 'model', hash: modelHash(MODEL), name: MODEL }]);
        expect(await s('qwen3')).toEqual([{ kind: 'model', hash: modelHash(MODEL), name: MODEL }]);
        expect(await s('22'.repeat(32))).toEqual([{ kind: 'image_hash', hash: '22'.repeat(32), role: 'worker' }]);
        expect(await s('2')).toEqual([{ kind: 'registered_proxy', seqno: 2, address: '10.0.0.2:9000 10.0.0.2:9001' }]);
        expect(await s('charge')).toEqual([{ kind: 'opcode', op: '0xbb63ff93', name: 'ext_client_charge_signed' }]);
        expect(await s('10.0.0.2')).toEqual([{ kind: 'registered_proxy', seqno: 2, address: '10.0.0.2:9000 10.0.0.2:9001' }]);
        expect(await s('nothing-here')).toEqual([]);
    });

    it('answers bad input with clear 400s and unknown routes with 404', async () => {
        const cases: [string, string][] = [
            ['/api/transactions?limit=0', 'limit'],
            ['/api/transactions?limit=abc', 'limit'],
            ['/api/transactions?account=nope', 'account'],
            ['/api/transactions?success=maybe', 'success'],
            ['/api/transactions?cursor=%%%', 'cursor'],
            ['/api/transactions?cursor=' + Buffer.from('["x"]').toString('base64url'), 'cursor'],
            ['/api/transactions?from=yesterday', 'from'],
            ['/api/transactions?op=0x1234567890', 'op'],
            ['/api/transactions?acount=0:00', 'acount'],
            ['/api/events?type=charge,bogus', 'type'],
            ['/api/proxies?sort=name', 'sort'],
            ['/api/proxies?state=open', 'state'],
            ['/api/stats/daily?from=2026-13-45', 'from'],
            ['/api/models?coefficient=-1', 'coefficient'],
            ['/api/search', 'q'],
            ['/api/proxies/not-an-address', 'address'],
            ['/api/transactions/xyz', 'hash'],
            ['/api/transactions?limit=1&limit=2', 'limit'],
        ];
        for (const [path, param] of cases) {
            const body = await get<ApiErrorBody>(path, 400);
            expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_parameter', param });
            expect(body.error.message).toContain(param);
        }
        const unknown = await get<ApiErrorBody>('/api/nothing', 404);
        expect(unknown.error.code).toBe('unknown_endpoint');
    });

    it('streams new transactions and events over SSE and resumes from Last-Event-ID', async () => {
        const first = await openStream('/api/events/stream?types=transaction,event');
        const lt = 900_000n;
        await database.db
            .insert(transactions)
            .values({ lt, hash: txHash(1000), account: CLIENTS[0], accountKind: 'client', utime: BASE_UTIME, success: true });
        await database.db.insert(events).values({
            txLt: lt,
            txHash: txHash(1000),
            idx: 0,
            type: 'deposit',
            account: CLIENTS[0],
            utime: BASE_UTIME,
            success: true,
            client: CLIENTS[0],
            amount: 5n,
            payload: {},
        });
        server.api.hub.poke();
        const got = await first.waitFor(2);
        expect(got.map((m) => m.event)).toEqual(['transaction', 'event']);
        expect(JSON.parse(got[0].data)).toMatchObject({ hash: txHash(1000), lt: '900000' });
        expect(JSON.parse(got[1].data)).toMatchObject({ type: 'deposit', amount: '5' });
        const resumeFrom = got[0].id;
        first.close();

        const filtered = await openStream(`/api/events/stream?types=event&address=${CLIENTS[1]}`);
        const resumed = await openStream('/api/events/stream?types=transaction,event', resumeFrom);
        const caught = await resumed.waitFor(1);
        expect(caught[0].event).toBe('event');
        expect(JSON.parse(caught[0].data).txHash).toBe(txHash(1000));
        await database.db.insert(events).values({
            txLt: lt,
            txHash: txHash(1000),
            idx: 1,
            type: 'charge',
            account: CLIENTS[1],
            utime: BASE_UTIME,
            success: true,
            client: CLIENTS[1],
            payload: {},
        });
        const only = await filtered.waitFor(1);
        expect(JSON.parse(only[0].data)).toMatchObject({ idx: 1, client: CLIENTS[1] });
        expect(filtered.messages.some((m) => JSON.parse(m.data).idx === 0)).toBe(false);
        filtered.close();
        resumed.close();
        await get<ApiErrorBody>('/api/events/stream?types=blocks', 400);
    });

    it("labels intentional notes apart from real failures and explains failures with the contracts' exit codes", async () => {
        const client = EXIT_CODES.find((e) => e.contracts.includes('client') && e.name?.startsWith('ERR_'))!;
        expect(client).toBeDefined();
        const base = { account: CLIENTS[0], accountKind: 'client', utime: BASE_UTIME, source: PROXIES[0], success: false } as const;
        await database.db.insert(transactions).values([
            // A 1-nanoTON state note: the chain skips the compute phase because the value buys no gas.
            {
                ...base,
                lt: 910_000n,
                hash: txHash(1001),
                outcome: 'note',
                computeSkipped: 'no_gas',
                inValue: 1n,
                storageFee: 0n,
                computeFee: 0n,
                actionFee: 0n,
                fwdFee: 0n,
            },
            {
                ...base,
                lt: 910_010n,
                hash: txHash(1002),
                outcome: 'failed',
                exitCode: client.code,
                totalFees: 5001n,
                storageFee: 1n,
                computeFee: 5000n,
                gasUsed: 12n,
                actionFee: 0n,
                fwdFee: 0n,
            },
            { ...base, lt: 910_020n, hash: txHash(1003), outcome: 'failed', computeSkipped: 'no_state' },
            { ...base, lt: 910_030n, hash: txHash(1004), outcome: 'failed', exitCode: 0, actionResultCode: 37 },
        ]);
        const notes = await all<TransactionInfo>('/api/transactions?outcome=note');
        expect(notes.map((t) => [t.hash, t.outcome, t.success, t.computeSkipped, t.failure])).toEqual([
            [txHash(1001), 'note', false, 'no_gas', null],
        ]);
        const failedHere = await all<TransactionInfo>(
            `/api/transactions?outcome=failed&account=${CLIENTS[0]}&from=${BASE_UTIME}&to=${BASE_UTIME}`,
        );
        expect(failedHere.map((t) => t.hash)).toEqual([txHash(1004), txHash(1003), txHash(1002)]);
        expect((await all<TransactionInfo>('/api/transactions?outcome=note,failed&success=true')).length).toBe(0);

        const threw = await get<TransactionDetail>(`/api/transactions/${txHash(1002)}`);
        expect(threw.failure).toEqual({ phase: 'compute', code: client.code, name: client.name, meaning: client.meaning });
        expect(threw.fees).toEqual({ total: '5001', storage: '1', compute: '5000', gasUsed: '12', action: '0', forward: '0' });
        const undeployed = await get<TransactionDetail>(`/api/transactions/${txHash(1003)}`);
        expect(undeployed.failure).toMatchObject({ phase: 'compute', code: null, name: null });
        expect(undeployed.failure!.meaning).toContain('not deployed');
        const action = await get<TransactionDetail>(`/api/transactions/${txHash(1004)}`);
        const known = EXIT_CODES.find((e) => e.code === 37 && e.contracts.includes('client'));
        expect(action.failure).toEqual({ phase: 'action', code: 37, name: known?.name ?? null, meaning: known?.meaning ?? null });
        // Rows indexed before the breakdown existed say so (null), not 0.
        expect((await get<TransactionDetail>(`/api/transactions/${txHash(3)}`)).fees).toEqual({
            total: '1000000',
            storage: null,
            compute: null,
            gasUsed: null,
            action: null,
            forward: null,
        });

        const table = await get<{ code: number; name: string | null; meaning: string; contracts: string[] }[]>('/api/exit-codes');
        expect(table).toContainEqual(client);

        // A hash prefix as people copy it from a shortened display finds the transaction.
        const hits = await get<SearchResponse>(`/api/search?q=${txHash(1002).slice(0, 12)}`);
        expect(hits.hits).toContainEqual({ kind: 'transaction', hash: txHash(1002), lt: '910010', account: CLIENTS[0] });
        expect((await get<SearchResponse>(`/api/search?q=${txHash(1002).slice(0, 12).toUpperCase()}`)).hits).toContainEqual(
            expect.objectContaining({ hash: txHash(1002) }),
        );
    });

    it('answers out-of-range, NUL and malformed parameters with 400, never 500', async () => {
        const forged = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString('base64url');
        const cases: [string, string][] = [
            ['/api/transactions?from=99999999999', 'from'],
            ['/api/transactions?to=3000-01-01', 'to'],
            ['/api/transactions?from=1960-01-01', 'from'],
            ['/api/transactions?block=-1', 'block'],
            ['/api/transactions?block=2147483648', 'block'],
            ['/api/transactions?limit=99999999999999999999', 'limit'],
            ['/api/transactions?account=%00', 'account'],
            ['/api/transactions?opName=charge%00', 'opName'],
            ['/api/transactions?outcome=broken', 'outcome'],
            ['/api/transactions?cursor=' + forged(['99999999999999999999', txHash(1)]), 'cursor'],
            ['/api/transactions?cursor=' + forged(['1', 'a\u0000b']), 'cursor'],
            ['/api/events?cursor=' + forged(['1', txHash(1), 70000]), 'cursor'],
            ['/api/root/history?paramsVersion=4294967295', 'paramsVersion'],
            ['/api/proxies?paramsVersion=2147483648', 'paramsVersion'],
            ['/api/stats/daily?from=2026-01-01%00', 'from'],
            ['/api/search?q=%00', 'q'],
            ['/api/search?q=' + 'x'.repeat(201), 'q'],
            ['/api/proxies/%00', 'address'],
            ['/api/addresses/' + 'E'.repeat(120), 'address'],
            ['/api/transactions?__proto__=1', '__proto__'],
            ['/api/transactions?constructor=x', 'constructor'],
            ['/api/transactions?toString=x', 'toString'],
            ['/api/transactions?account[]=x', 'account[]'],
            ['/api/events/stream?backlog=101', 'backlog'],
            ['/api/events/stream?types=overview,%00', 'types'],
        ];
        for (const [path, param] of cases) {
            const res = await fetch(server.url + path);
            const body = (await res.json()) as ApiErrorBody;
            expect({ path, status: res.status, param: body.error.param }).toEqual({ path, status: 400, param });
            expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_parameter' });
        }
        // Words that name Object.prototype members are ordinary text, not lookups.
        for (const q of ['__proto__', 'constructor', 'toString', 'hasOwnProperty'])
            expect((await get<SearchResponse>(`/api/search?q=${q}`)).hits).toEqual([]);
    });

    it('answers a GPU owner by registry or owner address (tests/indexer/api/gpu-owners.spec.ts covers the rest)', async () => {
        const registry = addr(9200);
        const owner = addr(8001);
        await database.db.insert(registries).values({
            address: registry,
            owner,
            root: ROOT,
            status: 1,
            deposit: 10n ** 9n,
            registeredAt: BASE_UTIME,
            updatedAt: BASE_UTIME,
            profile: null,
            gpuModel: null,
        });
        expect((await get<{ address: string }>(`/api/gpu-owners/${registry}`)).address).toBe(registry);
        expect((await get<{ address: string }>(`/api/gpu-owners/${owner}`)).address).toBe(registry);
    });

    it('answers every JSON endpoint in the shape its OpenAPI schema describes', async () => {
        for (const p of openapi.jsonEndpoints.filter((p) => !openapi.checked.has(p) && !p.includes('{'))) {
            await get(p === '/api/search' ? '/api/search?q=charge' : p);
        }
        expect(openapi.jsonEndpoints.filter((p) => !openapi.checked.has(p))).toEqual([]);
    });
});

interface SseMessage {
    id: string;
    event: string;
    data: string;
}

function openStream(
    path: string,
    lastEventId?: string,
): Promise<{ messages: SseMessage[]; waitFor(n: number): Promise<SseMessage[]>; close(): void }> {
    return new Promise((resolve, reject) => {
        const req = http.get(server.url + path, { headers: lastEventId ? { 'Last-Event-ID': lastEventId } : {} }, (res) => {
            if (res.statusCode !== 200) return reject(new Error(`stream status ${res.statusCode}`));
            const messages: SseMessage[] = [];
            let buf = '';
            const waiters: (() => void)[] = [];
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
                buf += chunk;
                let i;
                while ((i = buf.indexOf('\n\n')) >= 0) {
                    const block = buf.slice(0, i);
                    buf = buf.slice(i + 2);
                    const m: SseMessage = { id: '', event: 'message', data: '' };
                    let isData = false;
                    for (const line of block.split('\n')) {
                        if (line.startsWith('id: ')) m.id = line.slice(4);
                        else if (line.startsWith('event: ')) m.event = line.slice(7);
                        else if (line.startsWith('data: ')) {
                            m.data = line.slice(6);
                            isData = true;
                        }
                    }
                    if (isData) messages.push(m);
                }
                waiters.splice(0).forEach((w) => w());
            });
            resolve({
                messages,
                waitFor: (n) =>
                    new Promise((ok, fail) => {
                        const deadline = setTimeout(
                            () => fail(new Error(`timed out waiting for ${n} SSE messages, got ${messages.length}`)),
                            10_000,
                        );
                        const check = () => {
                            if (messages.length >= n) {
                                clearTimeout(deadline);
                                ok(messages.slice(0, n));
                            } else waiters.push(check);
                        };
                        check();
                    }),
                close: () => req.destroy(),
            });
        });
        req.on('error', reject);
    });
}
