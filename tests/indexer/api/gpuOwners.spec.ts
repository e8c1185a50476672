/**
 * /api/gpu-owners and /api/gpu-owners/{address} over the seeded database plus two registries: filters,
 * sorts, the owner join (worker contracts with the same owner address), payouts and the profile history,
 * 400s for bad parameters, and every answer checked against the OpenAPI document.
 */
import { startApiServer, type ApiServer } from '../../../indexer/api/server';
import { eq } from 'drizzle-orm';
import { accounts, events, registries } from '../../../indexer/db/schema';
import { silentLogger } from '../../../indexer/log';
import type { GpuOwnerDetail, GpuOwnerList, GpuProfileInfo } from '../../../indexer/api/types';
import { openTestDatabase, type TestDatabase } from '../helpers/db';
import { OpenApiChecker } from '../helpers/openapi';
import { BASE_UTIME, WORKERS, addr, seed, txHash } from '../helpers/seed';

let database: TestDatabase;
let server: ApiServer;
const openapi = new OpenApiChecker();

const REG_A = addr(9100);
const REG_B = addr(9101);
// Seeded workers: WORKERS[i] belongs to addr(8000 + i), tonEarned i*500, tokensPaid i*50.
const OWNER_A = addr(8001);
const OWNER_B = addr(8003);
const profile = (over: Partial<GpuProfileInfo>): GpuProfileInfo => ({
    gpuModel: 'NVIDIA H100 80GB HBM3', gpuCount: 8, vramMib: 81_559, tee: 'tdx', cpuModel: 'Xeon', cpuCores: 224, ramMib: 2_063_000,
    region: 'eu-west', models: ['Qwen/Qwen3-32B'], uptimePermille: 990, workerKeys: ['ab'.repeat(32)], ...over,
});
const A = profile({});
const B = profile({ gpuModel: 'NVIDIA GeForce RTX 4090', gpuCount: 2, vramMib: 24_564, models: ['meta/Llama-3-8B'], uptimePermille: 900 });

async function get<T>(path: string, status = 200): Promise<T> {
    const res = await fetch(server.url + path);
    const body = (await res.json()) as T;
    if (res.status !== status) throw new Error(`${path}: expected ${status}, got ${res.status}: ${JSON.stringify(body)}`);
    if (status === 200) openapi.check(path, body);
    else expect(body).toMatchObject({ error: { message: expect.any(String), type: status === 404 ? 'not_found_error' : 'invalid_request_error' } });
    return body;
}

beforeAll(async () => {
    database = await openTestDatabase();
    await seed(database.db);
    const db = database.db;
    await db.insert(accounts).values([
        { address: REG_A, kind: 'registry', owner: OWNER_A, parent: addr(1), discoveredVia: 'code_hash', lastUtime: BASE_UTIME + 10 },
        { address: REG_B, kind: 'registry', owner: OWNER_B, parent: addr(1), discoveredVia: 'code_hash', lastUtime: BASE_UTIME + 20 },
    ]);
    await db.insert(registries).values([
        { address: REG_A, owner: OWNER_A, root: addr(1), status: 1, deposit: 1_000_000_000n, registeredAt: BASE_UTIME, updatedAt: BASE_UTIME + 10, profile: A, gpuModel: A.gpuModel },
        { address: REG_B, owner: OWNER_B, root: addr(1), status: 2, deposit: 1_000_000_000n, registeredAt: BASE_UTIME, updatedAt: BASE_UTIME + 20, profile: B, gpuModel: B.gpuModel },
    ]);
    await db.insert(events).values([
        { txLt: 90_001n, txHash: txHash(90_001), idx: 0, type: 'gpu_register', account: REG_A, utime: BASE_UTIME, success: true, owner: OWNER_A, payload: { message: 'owner_registry_register', profile: { ...A, gpuCount: 4 } } },
        { txLt: 90_002n, txHash: txHash(90_002), idx: 0, type: 'gpu_update', account: REG_A, utime: BASE_UTIME + 10, success: true, owner: OWNER_A, payload: { message: 'owner_registry_update', profile: A } },
        { txLt: 90_003n, txHash: txHash(90_003), idx: 0, type: 'payout', account: addr(100), utime: BASE_UTIME + 30, success: true, worker: WORKERS[1], proxy: addr(101), owner: OWNER_A, amount: 500n, payload: { message: 'worker_proxy_request' } },
    ]);
    await db.update(accounts).set({ lastUtime: BASE_UTIME + 40 }).where(eq(accounts.address, WORKERS[1]!));
    server = await startApiServer({ database, log: silentLogger, streamPollMs: 100, webDir: null });
});

afterAll(async () => {
    await server?.close();
    await database?.close();
});

describe('/api/gpu-owners', () => {
    it('joins registries with the owner\'s worker contracts, filters and sorts', async () => {
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
        expect(d.workerContracts).toEqual([{ address: WORKERS[1], proxy: addr(101), tokensPaid: '50', tonEarned: '500', lastActive: BASE_UTIME + 40 }]);
        expect(d.lastActive).toBe(BASE_UTIME + 40);
        expect(d.payouts).toEqual([{ utime: BASE_UTIME + 30, txHash: txHash(90_003), worker: WORKERS[1], proxy: addr(101), amount: '500' }]);
        // Earnings are the sum of the final payouts to the owner's workers.
        expect(d.tonEarned).toBe(d.payouts.reduce((a, p) => a + BigInt(p.amount), 0n).toString());
        expect(d.history.map((h) => [h.type, h.profile?.gpuCount])).toEqual([['gpu_update', 8], ['gpu_register', 4]]);
        expect((await get<GpuOwnerDetail>(`/api/gpu-owners/${OWNER_A}`)).address).toBe(REG_A);
        await get(`/api/gpu-owners/${addr(4242)}`, 404);
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
