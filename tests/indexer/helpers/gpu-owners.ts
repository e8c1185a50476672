/**
 * Two GPU owners' registries on top of the seeded database (tests/indexer/helpers/seed.ts): A (8 x H100,
 * active, owner of WORKERS[1], one payout and a profile update) and B (2 x RTX 4090, paused, owner of WORKERS[3]).
 */
import { eq } from 'drizzle-orm';
import type { GpuProfileInfo } from '../../../indexer/api/types';
import type { Database } from '../../../indexer/db/client';
import { accounts, events, registries } from '../../../indexer/db/schema';
import { BASE_UTIME, WORKERS, addr, txHash } from './seed';

export const REG_A = addr(9100);
export const REG_B = addr(9101);
// Seeded workers: WORKERS[i] belongs to addr(8000 + i), tonEarned i*500, tokensPaid i*50.
export const OWNER_A = addr(8001);
export const OWNER_B = addr(8003);
export const profile = (over: Partial<GpuProfileInfo>): GpuProfileInfo => ({
    gpuModel: 'NVIDIA H100 80GB HBM3',
    gpuCount: 8,
    vramMib: 81_559,
    tee: 'tdx',
    cpuModel: 'Xeon',
    cpuCores: 224,
    ramMib: 2_063_000,
    region: 'eu-west',
    models: ['Qwen/Qwen3-32B'],
    uptimePermille: 990,
    workerKeys: ['ab'.repeat(32)],
    ...over,
});
export const A = profile({});
export const B = profile({
    gpuModel: 'NVIDIA GeForce RTX 4090',
    gpuCount: 2,
    vramMib: 24_564,
    models: ['meta/Llama-3-8B'],
    uptimePermille: 900,
});

export async function seedGpuOwners(db: Database['db']): Promise<void> {
    await db.insert(accounts).values([
        { address: REG_A, kind: 'registry', owner: OWNER_A, parent: addr(1), discoveredVia: 'code_hash', lastUtime: BASE_UTIME + 10 },
        { address: REG_B, kind: 'registry', owner: OWNER_B, parent: addr(1), discoveredVia: 'code_hash', lastUtime: BASE_UTIME + 20 },
    ]);
    await db.insert(registries).values([
        {
            address: REG_A,
            owner: OWNER_A,
            root: addr(1),
            status: 1,
            deposit: 1_000_000_000n,
            registeredAt: BASE_UTIME,
            updatedAt: BASE_UTIME + 10,
            profile: A,
            gpuModel: A.gpuModel,
        },
        {
            address: REG_B,
            owner: OWNER_B,
            root: addr(1),
            status: 2,
            deposit: 1_000_000_000n,
            registeredAt: BASE_UTIME,
            updatedAt: BASE_UTIME + 20,
            profile: B,
            gpuModel: B.gpuModel,
        },
    ]);
    await db.insert(events).values([
        {
            txLt: 90_001n,
            txHash: txHash(90_001),
            idx: 0,
            type: 'gpu_register',
            account: REG_A,
            utime: BASE_UTIME,
            success: true,
            owner: OWNER_A,
            payload: { message: 'owner_registry_register', profile: { ...A, gpuCount: 4 } },
        },
        {
            txLt: 90_002n,
            txHash: txHash(90_002),
            idx: 0,
            type: 'gpu_update',
            account: REG_A,
            utime: BASE_UTIME + 10,
            success: true,
            owner: OWNER_A,
            payload: { message: 'owner_registry_update', profile: A },
        },
        {
            txLt: 90_003n,
            txHash: txHash(90_003),
            idx: 0,
            type: 'payout',
            account: addr(100),
            utime: BASE_UTIME + 30,
            success: true,
            worker: WORKERS[1],
            proxy: addr(101),
            owner: OWNER_A,
            amount: 500n,
            payload: { message: 'worker_proxy_request' },
        },
    ]);
    await db
        .update(accounts)
        .set({ lastUtime: BASE_UTIME + 40 })
        .where(eq(accounts.address, WORKERS[1]!));
}
