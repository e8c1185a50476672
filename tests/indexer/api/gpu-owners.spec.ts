/**
 * /api/gpu-owners and /api/gpu-owners/{address} over the seeded database plus two registries: filters,
 * sorts, the owner join (worker contracts with the same owner address), payouts and the profile history,
 * observed uptime collected from a real HTTP proxy stats page, per-model supply and demand on /api/models,
 * 400s for bad parameters, and every answer checked against the OpenAPI document.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Address } from '@ton/core';
import { sectionsToJson } from '../../../node/common/stats-server';
import { WORKER_UPTIME_COLUMNS, WorkerUptime, type ObservedWorker } from '../../../node/proxy/uptime';
import { ProxyStatsCollector } from '../../../indexer/proxystats/collector';
import { WorkerUptimeReports, uptimeFromPage } from '../../../indexer/proxystats/uptime';
import { modelHash } from '../../../indexer/api/models';
import { startApiServer, type ApiServer } from '../../../indexer/api/server';
import { eq } from 'drizzle-orm';
import { accountDaily, registries } from '../../../indexer/db/schema';
import { silentLogger } from '../../../node/common/log';
import type { GpuOwnerDetail, GpuOwnerList, ModelsResponse } from '../../../indexer/api/types';
import { openTestDatabase, type TestDatabase } from '../helpers/db';
import { B, OWNER_A, OWNER_B, REG_A, REG_B, profile, seedGpuOwners } from '../helpers/gpu-owners';
import { OpenApiChecker } from '../helpers/openapi';
import { BASE_UTIME, MODEL, WORKERS, addr, seed, txHash } from '../helpers/seed';

let database: TestDatabase;
let server: ApiServer;
let stats: http.Server | undefined;
const openapi = new OpenApiChecker();

async function get<T>(path: string, status = 200): Promise<T> {
    const res = await fetch(server.url + path);
    const body = (await res.json()) as T;
    if (res.status !== status) throw new Error(`${path}: expected ${status}, got ${res.status}: ${JSON.stringify(body)}`);
    if (status === 200) openapi.check(path, body);
    else
        expect(body).toMatchObject({
            error: { message: expect.any(String), type: status === 404 ? 'not_found_error' : 'invalid_request_error' },
        });
    return body;
}

beforeAll(async () => {
    database = await openTestDatabase();
    await seed(database.db);
    await seedGpuOwners(database.db);
    server = await startApiServer({ database, log: silentLogger, streamPollMs: 100, webDir: null });
});

afterAll(async () => {
    if (stats) await new Promise((ok) => stats!.close(ok));
    await server?.close();
    await database?.close();
});

describe('/api/gpu-owners', () => {
    it("joins registries with the owner's worker contracts, filters and sorts", async () => {
        const list = await get<GpuOwnerList>('/api/gpu-owners');
        expect(list.items.map((o) => [o.address, o.owner, o.status, o.workers, o.tokensServed, o.tonEarned])).toEqual([
            [REG_B, OWNER_B, 'paused', 1, '150', '1500'],
            [REG_A, OWNER_A, 'active', 1, '50', '500'],
        ]);
        expect(list.items[0]!.profile).toEqual(B);
        expect((await get<GpuOwnerList>('/api/gpu-owners?gpuModel=h100')).items.map((o) => o.address)).toEqual([REG_A]);
        expect((await get<GpuOwnerList>('/api/gpu-owners?gpuModel=100%25')).items).toEqual([]);
        expect((await get<GpuOwnerList>('/api/gpu-owners?model=meta/Llama-3-8B')).items.map((o) => o.address)).toEqual([REG_B]);
        expect((await get<GpuOwnerList>('/api/gpu-owners?status=active')).items.map((o) => o.address)).toEqual([REG_A]);
        expect((await get<GpuOwnerList>('/api/gpu-owners?sort=gpuCount')).items.map((o) => o.address)).toEqual([REG_A, REG_B]);
        expect((await get<GpuOwnerList>('/api/gpu-owners?sort=vramMib&limit=1')).items.map((o) => o.address)).toEqual([REG_A]);
    });

    it('shows one owner with worker contracts, payouts and profile history, by registry or owner address', async () => {
        const d = await get<GpuOwnerDetail>(`/api/gpu-owners/${REG_A}`);
        expect(d.workerContracts).toEqual([
            { address: WORKERS[1], proxy: addr(101), tokensPaid: '50', tonEarned: '500', lastActive: BASE_UTIME + 40 },
        ]);
        expect(d.lastActive).toBe(BASE_UTIME + 40);
        expect(d.payouts).toEqual([
            { utime: BASE_UTIME + 30, txHash: txHash(90_003), worker: WORKERS[1], proxy: addr(101), amount: '500' },
        ]);
        // Earnings are the sum of the final payouts to the owner's workers.
        expect(d.tonEarned).toBe(d.payouts.reduce((a, p) => a + BigInt(p.amount), 0n).toString());
        expect(d.history.map((h) => [h.type, h.profile?.gpuCount])).toEqual([
            ['gpu_update', 8],
            ['gpu_register', 4],
        ]);
        expect((await get<GpuOwnerDetail>(`/api/gpu-owners/${OWNER_A}`)).address).toBe(REG_A);
        await get(`/api/gpu-owners/${addr(4242)}`, 404);
    });

    it('pages with keyset cursors in every sort order, missing values last', async () => {
        for (const sort of ['tonEarned', 'tokensServed', 'lastActive', 'gpuCount', 'vramMib', 'observedUptime']) {
            const all = (await get<GpuOwnerList>(`/api/gpu-owners?sort=${sort}`)).items.map((o) => o.address);
            expect({ sort, n: all.length }).toEqual({ sort, n: 2 });
            const first = await get<GpuOwnerList>(`/api/gpu-owners?sort=${sort}&limit=1`);
            expect(first.nextCursor).not.toBeNull();
            const second = await get<GpuOwnerList>(`/api/gpu-owners?sort=${sort}&limit=1&cursor=${first.nextCursor}`);
            expect({ sort, pages: [...first.items, ...second.items].map((o) => o.address) }).toEqual({ sort, pages: all });
            expect({ sort, last: second.nextCursor }).toEqual({ sort, last: null });
        }
        // A filter pages within its own rows.
        expect(await get<GpuOwnerList>('/api/gpu-owners?status=active&limit=1')).toMatchObject({ nextCursor: null });
        await get('/api/gpu-owners?cursor=not-a-cursor', 400);
        await get(`/api/gpu-owners?cursor=${Buffer.from(JSON.stringify(['x', 'y'])).toString('base64url')}`, 400);
    });

    it('answers bad parameters with 400', async () => {
        await get('/api/gpu-owners?sort=price', 400);
        await get('/api/gpu-owners?status=gone', 400);
        await get('/api/gpu-owners?limit=0', 400);
        await get(`/api/gpu-owners?gpuModel=${'x'.repeat(65)}`, 400);
        await get('/api/gpu-owners?colour=red', 400);
        await get('/api/gpu-owners/not-an-address', 400);
    });
});

describe('observed uptime', () => {
    // The proxy's own meter on a hand-driven clock, published as its stats server would.
    let now = 1_000_000;
    const meter = new WorkerUptime(() => now);
    const worker = (owner: string, key: string, enabled: boolean): ObservedWorker => ({
        owner: Address.parseRaw(owner).toString(),
        enabled,
        conn: { peer: { publicKey: Buffer.from(key.repeat(32), 'hex') } },
    });
    let page: unknown = {};
    let source = '';

    beforeAll(async () => {
        stats = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page)));
        await new Promise<void>((ok) => stats!.listen(0, '127.0.0.1', ok));
        source = `http://127.0.0.1:${(stats.address() as AddressInfo).port}/jsonstats`;
    });

    const publish = () => {
        page = sectionsToJson('proxy', [
            { kind: 'table', id: 'worker_uptime', columns: [...WORKER_UPTIME_COLUMNS], rows: meter.rows().map((r) => ({ ...r })) },
        ]);
    };
    const collect = () =>
        new ProxyStatsCollector({
            db: database.db,
            consumers: [new WorkerUptimeReports()],
            log: silentLogger,
            sources: [source],
            timeoutMs: 2000,
        }).collectOnce();

    it("sums the owner's workers' seconds over the proxies' windows, and drops when a worker stops", async () => {
        // Owner A: worker 01 up the whole 100 s, worker 02 up for the first 50 s of its 100 s; owner B not reported.
        meter.observe([worker(OWNER_A, '01', true), worker(OWNER_A, '02', true)]);
        now += 50_000;
        meter.observe([worker(OWNER_A, '01', true), worker(OWNER_A, '02', false)]);
        now += 50_000;
        meter.observe([worker(OWNER_A, '01', true), worker(OWNER_A, '02', false)]);
        publish();
        const before = Math.floor(Date.now() / 1000);
        await collect();
        const list = await get<GpuOwnerList>('/api/gpu-owners');
        // (100 + 50) / (100 + 100) = 750 per mille; declared 990.
        expect(list.items.map((o) => [o.address, o.profile?.uptimePermille, o.observedUptimePermille])).toEqual([
            [REG_B, 900, null],
            [REG_A, 990, 750],
        ]);
        expect((await get<GpuOwnerList>('/api/gpu-owners?sort=observedUptime')).items.map((o) => o.address)).toEqual([REG_A, REG_B]);
        const d = await get<GpuOwnerDetail>(`/api/gpu-owners/${REG_A}`);
        expect(d.observedUptimePermille).toBe(750);
        expect(d.uptime.map(({ seenAt, ...u }) => (expect(seenAt).toBeGreaterThanOrEqual(before), u))).toEqual([
            { source, workerKey: '01'.repeat(32), up: true, uptimeSeconds: 100, windowSeconds: 100, uptimePermille: 1000 },
            { source, workerKey: '02'.repeat(32), up: false, uptimeSeconds: 50, windowSeconds: 100, uptimePermille: 500 },
        ]);

        // Worker 01 stops too (its connection is gone from the next sample); 100 s later both were down all along.
        meter.observe([]);
        now += 100_000;
        meter.observe([]);
        publish();
        await collect();
        // (100 + 50) / (200 + 200) = 375.
        expect((await get<GpuOwnerDetail>(`/api/gpu-owners/${OWNER_A}`)).observedUptimePermille).toBe(375);
    });

    it('keeps the last figures when the page is unreadable or has no uptime table', async () => {
        page = { status: { contract: 'x' } };
        await collect();
        expect((await get<GpuOwnerDetail>(`/api/gpu-owners/${REG_A}`)).observedUptimePermille).toBe(375);
        await new Promise((ok) => stats!.close(ok));
        stats = undefined;
        await collect();
        expect((await get<GpuOwnerDetail>(`/api/gpu-owners/${REG_A}`)).uptime).toHaveLength(2);
    });

    it('skips rows that are malformed, impossible or reach for Object.prototype', () => {
        const owner = Address.parseRaw(OWNER_A).toString();
        const good = { owner, worker_key: 'aa'.repeat(32), up: true, uptime_seconds: 5, window_seconds: 10 };
        const hostile = JSON.parse(
            JSON.stringify({
                worker_uptime: [
                    good,
                    { ...good, worker_key: 'AA' },
                    { ...good, uptime_seconds: 11 },
                    { ...good, window_seconds: -1 },
                    { ...good, uptime_seconds: 1.5 },
                    { ...good, up: 'yes' },
                    { ...good, owner: 'nobody' },
                    { ...good, window_seconds: 2 ** 31 },
                ],
            }).replace('"worker_uptime"', '"__proto__":{"worker_uptime":[]},"worker_uptime"'),
        );
        expect(uptimeFromPage(hostile)).toEqual([
            { owner: OWNER_A, workerKey: 'aa'.repeat(32), up: true, uptimeSeconds: 5, windowSeconds: 10 },
        ]);
        expect(uptimeFromPage(JSON.parse('{"__proto__": {"worker_uptime": [1]}}'))).toEqual([]);
    });
});

describe('models: who serves them and how much they are used', () => {
    const REG_C = addr(9102);
    beforeAll(async () => {
        const db = database.db;
        // Owner C (WORKERS[2]) offers the root's model and is active; paused owner B (WORKERS[3]) offers it too.
        const C = profile({ gpuCount: 4, models: [MODEL], workerKeys: ['01'.repeat(32), '02'.repeat(32)] });
        await db.insert(registries).values({
            address: REG_C,
            owner: addr(8002),
            root: addr(1),
            status: 1,
            registeredAt: BASE_UTIME,
            updatedAt: BASE_UTIME,
            profile: C,
            gpuModel: C.gpuModel,
        });
        await db
            .update(registries)
            .set({ profile: { ...B, models: [MODEL, ...B.models] } })
            .where(eq(registries.address, REG_B));
        // The chain's latest day is 2026-01-03 (daily_stats); owner A's worker does not offer the model.
        await db.insert(accountDaily).values([
            { address: WORKERS[2]!, day: '2026-01-02', tokensPaid: 7n },
            { address: WORKERS[2]!, day: '2026-01-03', tokensPaid: 700n },
            { address: WORKERS[3]!, day: '2026-01-03', tokensPaid: 70n },
            { address: WORKERS[3]!, day: '2025-12-01', tokensPaid: 5000n },
            { address: WORKERS[1]!, day: '2026-01-03', tokensPaid: 1_000_000n },
        ]);
    });

    it("counts active owners' workers and GPUs, and daily tokens paid to every owner offering the model", async () => {
        const m = await get<ModelsResponse>('/api/models?days=3');
        const served = m.models.find((x) => x.hash === modelHash(MODEL))!;
        expect(served.activity).toEqual({
            owners: 1,
            workers: 2,
            gpus: 4,
            // (0 + 7 + 770) / 3 days
            tokensPerDay: '259',
            demand: [
                { day: '2026-01-01', tokens: '0' },
                { day: '2026-01-02', tokens: '7' },
                { day: '2026-01-03', tokens: '770' },
            ],
        });
        const unserved = m.models.find((x) => x.hash === '33'.repeat(32))!;
        expect(unserved.activity).toMatchObject({ owners: 0, workers: 0, gpus: 0, tokensPerDay: '0' });
        expect(unserved.activity.demand.map((d) => d.tokens)).toEqual(['0', '0', '0']);

        // Default window: 30 days ending 2026-01-03 (2025-12-01 is outside); tokens per day over the latest 7.
        const month = (await get<ModelsResponse>('/api/models')).models.find((x) => x.hash === modelHash(MODEL))!.activity;
        expect(month.demand).toHaveLength(30);
        expect(month.demand[0]).toEqual({ day: '2025-12-05', tokens: '0' });
        expect(month.tokensPerDay).toBe('111');
    });

    it('answers a bad window with 400', async () => {
        await get('/api/models?days=0', 400);
        await get('/api/models?days=366', 400);
        await get('/api/models?days=ten', 400);
    });
});
