/**
 * The GPU owners' registry as the indexer sees it: a registry deployed in the sandbox goes through
 * register, update, pause, resume and retire; each transaction is decoded with the wrappers' catalogue,
 * the account is discovered by its code hash (and only under the followed root), and its state lands in
 * the registries table with the decoded profile.
 */
import { Blockchain, type SandboxContract, type TreasuryContract } from '@ton/sandbox';
import { toNano, type Cell, type Transaction } from '@ton/core';
import {
    cocoonRegistryFor,
    registryBody,
    REGISTRY_TERMS,
    type CocoonRegistry,
    type RegistryProfile,
} from '../../../wrappers/CocoonRegistry';
import { CatalogueDecoder } from '../../../indexer/ingest/decoder';
import { KindParsing } from '../../../indexer/ingest/states';
import { fromCoreTransaction } from '../../../indexer/ingest/txfacts';
import { writeState } from '../../../indexer/ingest/store';
import type { KnownAccount } from '../../../indexer/ingest/types';
import { loadCocoonProtocol } from '../../../indexer/protocol';
import { registries } from '../../../indexer/db/schema';
import { openTestDatabase, type TestDatabase } from '../helpers/db';

const T0 = 1_800_000_000;
const profile = (over: Partial<RegistryProfile> = {}): RegistryProfile => ({
    gpuModel: 'NVIDIA H100 80GB HBM3',
    gpuCount: 8,
    vramMib: 81_559,
    tee: 'tdx',
    cpuModel: 'Xeon 8480+',
    cpuCores: 224,
    ramMib: 2_063_000,
    region: 'eu-west',
    models: ['Qwen/Qwen3-32B'],
    uptimePermille: 990,
    workerKeys: [0x1234n],
    ...over,
});
const KEY_HEX = '0'.repeat(60) + '1234';

describe('registry decoding', () => {
    let bc: Blockchain;
    let owner: SandboxContract<TreasuryContract>;
    let root: SandboxContract<TreasuryContract>;
    let reg: SandboxContract<CocoonRegistry>;
    let db: TestDatabase;

    beforeAll(async () => {
        db = await openTestDatabase();
    });
    afterAll(async () => {
        await db.close();
    });

    beforeEach(async () => {
        bc = await Blockchain.create();
        bc.now = T0;
        owner = await bc.treasury('owner');
        root = await bc.treasury('root');
        reg = bc.openContract(await cocoonRegistryFor(root.address, owner.address));
    });

    const send = async (body: Cell, value = toNano('0.1')): Promise<Transaction> => {
        const r = await owner.send({ to: reg.address, value, body, init: reg.init });
        const tx = r.transactions.find((t) => t.inMessage?.info.dest?.toString() === reg.address.toString());
        if (!tx) throw new Error('no registry transaction');
        return tx;
    };
    const data = async (): Promise<Cell> => {
        const s = (await bc.getContract(reg.address)).accountState;
        if (s?.type !== 'active') throw new Error('registry is not active');
        return s.state.data!;
    };
    const acc = (): KnownAccount => ({
        address: reg.address.toRawString(),
        kind: 'registry',
        codeHash: null,
        paramsVersion: null,
        parent: root.address.toRawString(),
        owner: owner.address.toRawString(),
        pricePerToken: null,
        workerFeePerToken: null,
    });

    it('decodes register, update, pause, resume and retire with the profile history, and discovers the registry by code hash', async () => {
        const protocol = await loadCocoonProtocol();
        const decoder = new CatalogueDecoder(protocol.catalogue, protocol.profileOf);
        const decode = (tx: Transaction) =>
            decoder.decode(
                {
                    account: reg.address.toRawString(),
                    lt: tx.lt,
                    hash: tx.hash().toString('hex'),
                    utime: tx.now,
                    seqno: 1,
                    tx: fromCoreTransaction(tx),
                },
                acc(),
            );
        const ownerRaw = owner.address.toRawString();

        const reg1 = decode(await send(registryBody.register(profile(), 1n, owner.address), REGISTRY_TERMS.deposit + toNano('0.1')));
        expect(reg1.opName).toBe('owner_registry_register');
        const registered = reg1.events.find((e) => e.type === 'gpu_register')!;
        expect(registered.owner).toBe(ownerRaw);
        expect(registered.payload.profile).toEqual({
            gpuModel: 'NVIDIA H100 80GB HBM3',
            gpuCount: 8,
            vramMib: 81_559,
            tee: 'tdx',
            cpuModel: 'Xeon 8480+',
            cpuCores: 224,
            ramMib: 2_063_000,
            region: 'eu-west',
            models: ['Qwen/Qwen3-32B'],
            uptimePermille: 990,
            workerKeys: [KEY_HEX],
        });
        expect(reg1.events.map((e) => e.type)).toEqual(['deploy', 'gpu_register']);

        bc.now = T0 + 60;
        const upd = decode(
            await send(registryBody.update(profile({ gpuCount: 4, models: ['Qwen/Qwen3-32B', 'meta/Llama-3-8B'] }), 2n, owner.address)),
        );
        expect(upd.events).toEqual([
            expect.objectContaining({
                type: 'gpu_update',
                owner: ownerRaw,
                payload: expect.objectContaining({
                    message: 'owner_registry_update',
                    profile: expect.objectContaining({ gpuCount: 4, models: ['Qwen/Qwen3-32B', 'meta/Llama-3-8B'] }),
                }),
            }),
        ]);

        const statuses: string[] = [];
        for (const body of [
            registryBody.pause(3n, owner.address),
            registryBody.resume(4n, owner.address),
            registryBody.retire(5n, owner.address),
        ]) {
            const d = decode(await send(body));
            expect(d.events).toHaveLength(1);
            expect(d.events[0]!.type).toBe('gpu_status');
            statuses.push(String(d.events[0]!.payload.status));
        }
        expect(statuses).toEqual(['paused', 'active', 'retired']);

        // A refused message (not the owner) is a failed transaction with no event of its own kind.
        const stranger = await bc.treasury('stranger');
        const r = await stranger.send({
            to: reg.address,
            value: toNano('0.1'),
            body: registryBody.update(profile(), 6n, stranger.address),
        });
        const refused = r.transactions.find((t) => t.inMessage?.info.dest?.toString() === reg.address.toString())!;
        const dr = decode(refused);
        expect(dr.success).toBe(false);
        expect(dr.exitCode).toBe(3000);

        // Discovery: by the registry's code hash, only under the root this indexer follows.
        const kinds = new KindParsing(protocol.parsers);
        const codeHash = reg.init!.code.hash().toString('hex');
        expect(protocol.parsers.registryCodeHash).toBe(codeHash);
        const ctx = { root: root.address.toRawString(), codeKinds: new Map(), known: new Map(), viaMessage: false };
        expect(kinds.isCandidate(codeHash, ctx)).toBe(true);
        const found = kinds.classify(reg.address.toRawString(), codeHash, await data(), ctx);
        expect(found).toMatchObject({ kind: 'registry', owner: ownerRaw, parent: root.address.toRawString(), discoveredVia: 'code_hash' });
        expect(kinds.classify(reg.address.toRawString(), codeHash, await data(), { ...ctx, root: owner.address.toRawString() })).toBeNull();

        // State: retired, deposit still held, the last profile decoded.
        const kindState = kinds.parse('registry', await data(), reg.address.toRawString());
        expect(kindState).toEqual({
            kind: 'registry',
            owner: ownerRaw,
            root: root.address.toRawString(),
            status: 3,
            deposit: REGISTRY_TERMS.deposit,
            registeredAt: T0,
            updatedAt: T0 + 60,
            profile: expect.objectContaining({ gpuCount: 4 }),
        });
        await db.reset();
        await db.db.execute(
            `insert into accounts (address, kind, discovered_via) values ('${reg.address.toRawString()}', 'registry', 'code_hash')`,
        );
        await writeState(db.db, {
            address: reg.address.toRawString(),
            status: 'active',
            balance: 1n,
            codeHash,
            seqno: 7,
            lastLt: 1n,
            kindState,
        });
        const rows = await db.db.select().from(registries);
        expect(rows).toEqual([
            {
                address: reg.address.toRawString(),
                owner: ownerRaw,
                root: root.address.toRawString(),
                status: 3,
                deposit: REGISTRY_TERMS.deposit,
                registeredAt: T0,
                updatedAt: T0 + 60,
                gpuModel: 'NVIDIA H100 80GB HBM3',
                profile: expect.objectContaining({ gpuCount: 4, workerKeys: [KEY_HEX] }),
            },
        ]);
    });
});
