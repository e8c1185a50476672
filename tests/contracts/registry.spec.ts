import { Blockchain, type SandboxContract, type TreasuryContract, type SendMessageResult } from '@ton/sandbox';
import '@ton/test-utils';
import { beginCell, toNano, type Address, type Cell } from '@ton/core';
import {
    buildProfileCell,
    CocoonRegistry,
    profileFromJson,
    cocoonRegistryFor,
    parseProfileCell,
    PROFILE_LIMITS,
    profileProblems,
    REGISTRY_EXIT,
    REGISTRY_OP,
    REGISTRY_STATUS,
    REGISTRY_TERMS,
    registryBody,
    registryMessageValue,
    type RegistryProfile,
} from '../../wrappers/CocoonRegistry';

const T0 = 1_800_000_000;

export function sampleProfile(over: Partial<RegistryProfile> = {}): RegistryProfile {
    return {
        gpuModel: 'NVIDIA H100 80GB HBM3',
        gpuCount: 8,
        vramMib: 81_559,
        tee: 'tdx',
        cpuModel: 'Intel(R) Xeon(R) Platinum 8480+',
        cpuCores: 224,
        ramMib: 2_063_000,
        region: 'eu-west',
        models: ['Qwen/Qwen3-32B'],
        uptimePermille: 990,
        workerKeys: [0x1234n],
        ...over,
    };
}

/**
 * The storage cell as the contract must hold it: owner root status:uint2 deposit:Coins registered_at:uint32
 * updated_at:uint32 profile:(Maybe ^Cell).
 */
function expectedData(
    owner: Address,
    root: Address,
    status: number,
    deposit: bigint,
    registeredAt: number,
    updatedAt: number,
    profile: Cell | null,
): Cell {
    return beginCell()
        .storeAddress(owner)
        .storeAddress(root)
        .storeUint(status, 2)
        .storeCoins(deposit)
        .storeUint(registeredAt, 32)
        .storeUint(updatedAt, 32)
        .storeMaybeRef(profile)
        .endCell();
}

describe('CocoonRegistry', () => {
    let bc: Blockchain;
    let owner: SandboxContract<TreasuryContract>;
    let root: SandboxContract<TreasuryContract>;
    let anyone: SandboxContract<TreasuryContract>;
    let reg: SandboxContract<CocoonRegistry>;

    beforeEach(async () => {
        bc = await Blockchain.create();
        bc.now = T0;
        owner = await bc.treasury('owner');
        root = await bc.treasury('root');
        anyone = await bc.treasury('anyone');
        reg = bc.openContract(await cocoonRegistryFor(root.address, owner.address));
    });

    const send = (body: Cell, value = toNano('0.1'), from: SandboxContract<TreasuryContract> = owner) =>
        from.send({ to: reg.address, value, body, init: reg.init });
    const register = (p: RegistryProfile = sampleProfile(), value = REGISTRY_TERMS.deposit + toNano('0.1'), q = 1n) =>
        send(registryBody.register(p, q, owner.address), value);
    const stored = async (): Promise<Cell> => {
        const s = (await bc.getContract(reg.address)).accountState;
        if (s?.type !== 'active') throw new Error('registry is not active');
        return s.state.data!;
    };
    const balance = async () => (await bc.getContract(reg.address)).balance;
    const expectExit = (r: SendMessageResult, exitCode: number) =>
        expect(r.transactions).toHaveTransaction({ to: reg.address, success: false, exitCode });
    const expectExcess = (r: SendMessageResult, queryId: bigint, to: Address = owner.address) => {
        expect(r.transactions).toHaveTransaction({ from: reg.address, to, op: REGISTRY_OP.excesses, success: true });
        const out = r.transactions.find((t) => t.inMessage?.info.src?.toString() === reg.address.toString())!;
        const s = out.inMessage!.body.beginParse();
        expect(s.loadUint(32)).toBe(REGISTRY_OP.excesses);
        expect(s.loadUintBig(64)).toBe(queryId);
        expect(out.inMessage!.info.type === 'internal' && out.inMessage!.info.bounce).toBe(false);
    };

    it('derives one address from (root, owner) with init data owner root status 0, no deposit, no profile', async () => {
        const again = await cocoonRegistryFor(root.address, owner.address);
        expect(again.address.equals(reg.address)).toBe(true);
        expect((await cocoonRegistryFor(anyone.address, owner.address)).address.equals(reg.address)).toBe(false);
        expect((await cocoonRegistryFor(root.address, anyone.address)).address.equals(reg.address)).toBe(false);
        expect(reg.init!.data.equals(expectedData(owner.address, root.address, 0, 0n, 0, 0, null))).toBe(true);
    });

    it('register: deploys, stores the profile, keeps deposit + storage reserve exactly, returns the excess', async () => {
        const p = sampleProfile();
        const r = await register(p, REGISTRY_TERMS.deposit + toNano('0.1'), 11n);
        expect(r.transactions).toHaveTransaction({
            from: owner.address,
            to: reg.address,
            deploy: true,
            success: true,
            op: REGISTRY_OP.register,
        });
        expectExcess(r, 11n);
        expect(
            (await stored()).equals(
                expectedData(owner.address, root.address, REGISTRY_STATUS.active, REGISTRY_TERMS.deposit, T0, T0, buildProfileCell(p)),
            ),
        ).toBe(true);
        expect(await balance()).toBe(REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve);
        const d = await reg.getGetRegistryData();
        expect(d.owner.equals(owner.address) && d.root.equals(root.address)).toBe(true);
        expect({
            status: d.status,
            deposit: d.deposit,
            registeredAt: d.registeredAt,
            updatedAt: d.updatedAt,
            unlockAt: d.unlockAt,
        }).toEqual({ status: 1n, deposit: REGISTRY_TERMS.deposit, registeredAt: BigInt(T0), updatedAt: BigInt(T0), unlockAt: 0n });
        expect(parseProfileCell(d.profile!)).toEqual(p);
        expect(await reg.getGetRegistryTerms()).toEqual({
            $$type: 'RegistryTerms',
            deposit: REGISTRY_TERMS.deposit,
            withdrawDelay: BigInt(REGISTRY_TERMS.withdrawDelay),
            minFee: REGISTRY_TERMS.minFee,
            storageReserve: REGISTRY_TERMS.storageReserve,
        });
    });

    it('update / pause / resume: storage after each message equals the hand-built cell; excesses returned', async () => {
        await register();
        const p2 = sampleProfile({
            gpuCount: 4,
            models: ['Qwen/Qwen3-32B', 'meta-llama/Llama-3.3-70B'],
            region: 'us',
            workerKeys: [1n, 2n],
        });
        bc.now = T0 + 100;
        let r = await send(registryBody.update(p2, 2n, anyone.address));
        expectExcess(r, 2n, anyone.address);
        expect(
            (await stored()).equals(
                expectedData(
                    owner.address,
                    root.address,
                    REGISTRY_STATUS.active,
                    REGISTRY_TERMS.deposit,
                    T0,
                    T0 + 100,
                    buildProfileCell(p2),
                ),
            ),
        ).toBe(true);
        bc.now = T0 + 200;
        r = await send(registryBody.pause(3n, owner.address));
        expectExcess(r, 3n);
        expect(
            (await stored()).equals(
                expectedData(
                    owner.address,
                    root.address,
                    REGISTRY_STATUS.paused,
                    REGISTRY_TERMS.deposit,
                    T0,
                    T0 + 200,
                    buildProfileCell(p2),
                ),
            ),
        ).toBe(true);
        // A paused owner may still correct the profile; the status stays paused.
        bc.now = T0 + 250;
        r = await send(registryBody.update(p2, 4n, owner.address));
        expectExcess(r, 4n);
        expect(
            (await stored()).equals(
                expectedData(
                    owner.address,
                    root.address,
                    REGISTRY_STATUS.paused,
                    REGISTRY_TERMS.deposit,
                    T0,
                    T0 + 250,
                    buildProfileCell(p2),
                ),
            ),
        ).toBe(true);
        bc.now = T0 + 300;
        r = await send(registryBody.resume(5n, owner.address));
        expectExcess(r, 5n);
        expect(
            (await stored()).equals(
                expectedData(
                    owner.address,
                    root.address,
                    REGISTRY_STATUS.active,
                    REGISTRY_TERMS.deposit,
                    T0,
                    T0 + 300,
                    buildProfileCell(p2),
                ),
            ),
        ).toBe(true);
        expect(await balance()).toBe(REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve);
    });

    it('deposit life cycle: retire, 3008 before the delay, withdraw after it returns the deposit; 3009 on a second withdraw', async () => {
        const p = sampleProfile();
        const before = await owner.getBalance();
        await register(p);
        bc.now = T0 + 1000;
        let r = await send(registryBody.retire(6n, owner.address));
        expectExcess(r, 6n);
        expect(
            (await stored()).equals(
                expectedData(
                    owner.address,
                    root.address,
                    REGISTRY_STATUS.retired,
                    REGISTRY_TERMS.deposit,
                    T0,
                    T0 + 1000,
                    buildProfileCell(p),
                ),
            ),
        ).toBe(true);
        expect((await reg.getGetRegistryData()).unlockAt).toBe(BigInt(T0 + 1000 + REGISTRY_TERMS.withdrawDelay));
        // Retired: no update, pause, resume or second retire.
        expectExit(await send(registryBody.update(p, 1n, owner.address)), REGISTRY_EXIT.badStatus);
        expectExit(await send(registryBody.pause(1n, owner.address)), REGISTRY_EXIT.badStatus);
        expectExit(await send(registryBody.resume(1n, owner.address)), REGISTRY_EXIT.badStatus);
        expectExit(await send(registryBody.retire(1n, owner.address)), REGISTRY_EXIT.badStatus);
        bc.now = T0 + 1000 + REGISTRY_TERMS.withdrawDelay - 1;
        expectExit(await send(registryBody.withdraw(7n, owner.address)), REGISTRY_EXIT.locked);
        bc.now = T0 + 1000 + REGISTRY_TERMS.withdrawDelay;
        r = await send(registryBody.withdraw(8n, owner.address), toNano('0.1'));
        expectExcess(r, 8n);
        const refund = r.transactions.find((t) => t.inMessage?.info.src?.toString() === reg.address.toString())!;
        const refundValue = refund.inMessage!.info.type === 'internal' ? refund.inMessage!.info.value.coins : 0n;
        // The deposit plus the unspent part of the message's 0.1 TON comes back.
        expect(refundValue).toBeGreaterThan(REGISTRY_TERMS.deposit + toNano('0.09'));
        expect(refundValue).toBeLessThan(REGISTRY_TERMS.deposit + toNano('0.1'));
        expect(await balance()).toBe(REGISTRY_TERMS.storageReserve);
        expect(
            (await stored()).equals(
                expectedData(owner.address, root.address, REGISTRY_STATUS.retired, 0n, T0, T0 + 1000, buildProfileCell(p)),
            ),
        ).toBe(true);
        expect((await reg.getGetRegistryData()).unlockAt).toBe(0n);
        // Over the whole cycle the owner paid fees only (the 1 TON came back).
        const spent = before - (await owner.getBalance());
        expect(spent).toBeGreaterThan(0n);
        expect(spent).toBeLessThan(toNano('0.2'));
        expectExit(await send(registryBody.withdraw(9n, owner.address)), REGISTRY_EXIT.noDeposit);
        // Registering again needs a fresh deposit: 0.5 TON is not enough, deposit + fee is.
        expectExit(await register(p, toNano('0.5')), REGISTRY_EXIT.lowValue);
        bc.now = T0 + 200_000;
        await register(p, REGISTRY_TERMS.deposit + REGISTRY_TERMS.minFee + toNano('0.01'), 10n);
        expect(
            (await stored()).equals(
                expectedData(
                    owner.address,
                    root.address,
                    REGISTRY_STATUS.active,
                    REGISTRY_TERMS.deposit,
                    T0 + 200_000,
                    T0 + 200_000,
                    buildProfileCell(p),
                ),
            ),
        ).toBe(true);
    });

    it('re-registering after retirement reuses a deposit not withdrawn yet (only the fee is needed)', async () => {
        await register();
        await send(registryBody.retire(1n, owner.address));
        bc.now = T0 + 50;
        const r = await register(sampleProfile({ gpuCount: 2 }), REGISTRY_TERMS.minFee + toNano('0.01'), 12n);
        expectExcess(r, 12n);
        expect(
            (await stored()).equals(
                expectedData(
                    owner.address,
                    root.address,
                    REGISTRY_STATUS.active,
                    REGISTRY_TERMS.deposit,
                    T0 + 50,
                    T0 + 50,
                    buildProfileCell(sampleProfile({ gpuCount: 2 })),
                ),
            ),
        ).toBe(true);
        expect(await balance()).toBe(REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve);
    });

    it('refuses every owner message from anyone else (3000) and bounces the value back', async () => {
        await register();
        const p = sampleProfile();
        for (const body of [
            registryBody.register(p, 1n, anyone.address),
            registryBody.update(p, 1n, anyone.address),
            registryBody.pause(1n, anyone.address),
            registryBody.resume(1n, anyone.address),
            registryBody.retire(1n, anyone.address),
            registryBody.withdraw(1n, anyone.address),
        ]) {
            const r = await send(body, toNano('2'), anyone);
            expectExit(r, REGISTRY_EXIT.notOwner);
            expect(r.transactions).toHaveTransaction({ from: reg.address, to: anyone.address, inMessageBounced: true });
        }
        expect(await balance()).toBe(REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve);
    });

    const nonOwnerBounceTitle =
        'a non-owner registering at an undeployed address gets all its value bounced; the account keeps only the initial state and ' +
        'the owner registers';
    it(nonOwnerBounceTitle, async () => {
        const r = await send(registryBody.register(sampleProfile(), 1n, anyone.address), toNano('2'), anyone);
        expectExit(r, REGISTRY_EXIT.notOwner);
        expect(r.transactions).toHaveTransaction({ from: reg.address, to: anyone.address, inMessageBounced: true });
        // The state init was applied before the refusal: an empty account with the initial data, no TON kept.
        expect(await balance()).toBe(0n);
        expect((await stored()).equals(reg.init!.data)).toBe(true);
        expect((await register()).transactions).toHaveTransaction({ to: reg.address, success: true });
        expect((await reg.getGetRegistryData()).status).toBe(BigInt(REGISTRY_STATUS.active));
    });

    const statusRulesTitle =
        'status rules (3002): update/pause/resume/retire/withdraw before registration, register twice, pause twice, ' +
        'resume when active';
    it(statusRulesTitle, async () => {
        const p = sampleProfile();
        expectExit(await send(registryBody.update(p, 1n, owner.address)), REGISTRY_EXIT.badStatus);
        expectExit(await send(registryBody.pause(1n, owner.address)), REGISTRY_EXIT.badStatus);
        expectExit(await send(registryBody.retire(1n, owner.address)), REGISTRY_EXIT.badStatus);
        expectExit(await send(registryBody.withdraw(1n, owner.address)), REGISTRY_EXIT.badStatus);
        await register();
        expectExit(await register(), REGISTRY_EXIT.badStatus);
        expectExit(await send(registryBody.resume(1n, owner.address)), REGISTRY_EXIT.badStatus);
        expectExit(await send(registryBody.withdraw(1n, owner.address)), REGISTRY_EXIT.badStatus);
        await send(registryBody.pause(1n, owner.address));
        expectExit(await send(registryBody.pause(1n, owner.address)), REGISTRY_EXIT.badStatus);
        // Retiring straight from paused is allowed.
        expect((await send(registryBody.retire(1n, owner.address))).transactions).toHaveTransaction({ to: reg.address, success: true });
    });

    it('low value (3001): registration below deposit + fee, other messages below the fee', async () => {
        expectExit(
            await register(sampleProfile(), REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve + REGISTRY_TERMS.minFee - 1n),
            REGISTRY_EXIT.lowValue,
        );
        await register(sampleProfile(), REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve + REGISTRY_TERMS.minFee);
        expect(await balance()).toBe(REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve);
        expectExit(await send(registryBody.pause(1n, owner.address), REGISTRY_TERMS.minFee - 1n), REGISTRY_EXIT.lowValue);
        expect((await send(registryBody.pause(1n, owner.address), REGISTRY_TERMS.minFee)).transactions).toHaveTransaction({
            to: reg.address,
            success: true,
        });
    });

    it('registryMessageValue attaches what the contract will ask for', async () => {
        expect(registryMessageValue('register', { deposit: 0n, accountBalance: 0n })).toBe(
            REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve + toNano('0.05'),
        );
        expect(
            registryMessageValue('pause', {
                deposit: REGISTRY_TERMS.deposit,
                accountBalance: REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve,
            }),
        ).toBe(toNano('0.05'));
        expect(
            registryMessageValue('register', {
                deposit: REGISTRY_TERMS.deposit,
                accountBalance: REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve,
            }),
        ).toBe(toNano('0.05'));
        const r = await register(sampleProfile(), registryMessageValue('register', { deposit: 0n, accountBalance: 0n }));
        expect(r.transactions).toHaveTransaction({ to: reg.address, success: true });
    });

    describe('profile bounds: the contract and profileProblems agree', () => {
        const L = PROFILE_LIMITS;
        const at = (n: number) => 'x'.repeat(n);
        const atLimits = sampleProfile({
            gpuModel: at(L.maxGpuModelBytes),
            gpuCount: L.maxGpuCount,
            vramMib: L.maxVramMib,
            tee: 'fake',
            cpuModel: at(L.maxCpuModelBytes),
            cpuCores: L.maxCpuCores,
            ramMib: L.maxRamMib,
            region: at(L.maxRegionBytes),
            uptimePermille: L.maxUptimePermille,
            models: Array.from({ length: L.maxModels }, (_, i) => at(L.maxModelNameBytes - i)),
            workerKeys: [(1n << 256n) - 1n, 2n, 3n],
        });
        const smallest = sampleProfile({
            gpuCount: 0,
            vramMib: 0,
            tee: 'none',
            cpuModel: '',
            cpuCores: 1,
            ramMib: 0,
            region: '',
            uptimePermille: 0,
            gpuModel: 'g',
            models: ['m'],
            workerKeys: [0n],
        });

        it.each([
            ['every field at its upper limit', atLimits],
            ['every field at its lower limit', smallest],
        ])('accepts %s', async (_, p) => {
            expect(profileProblems(p)).toEqual([]);
            expect((await register(p)).transactions).toHaveTransaction({ to: reg.address, success: true });
            expect(parseProfileCell((await reg.getGetRegistryData()).profile!)).toEqual(p);
        });

        const over: [string, Partial<RegistryProfile>, number][] = [
            ['gpuCount', { gpuCount: L.maxGpuCount + 1 }, REGISTRY_EXIT.outOfRange],
            ['vramMib', { vramMib: L.maxVramMib + 1 }, REGISTRY_EXIT.outOfRange],
            ['cpuCores 0', { cpuCores: 0 }, REGISTRY_EXIT.outOfRange],
            ['cpuCores', { cpuCores: L.maxCpuCores + 1 }, REGISTRY_EXIT.outOfRange],
            ['ramMib', { ramMib: L.maxRamMib + 1 }, REGISTRY_EXIT.outOfRange],
            ['uptimePermille', { uptimePermille: L.maxUptimePermille + 1 }, REGISTRY_EXIT.outOfRange],
            ['tee', { tee: 'sgx' as never }, REGISTRY_EXIT.outOfRange],
            ['gpuModel empty', { gpuModel: '' }, REGISTRY_EXIT.badText],
            ['gpuModel long', { gpuModel: at(L.maxGpuModelBytes + 1) }, REGISTRY_EXIT.badText],
            ['gpuModel long in UTF-8 bytes', { gpuModel: 'é'.repeat(L.maxGpuModelBytes / 2 + 1) }, REGISTRY_EXIT.badText],
            ['cpuModel long', { cpuModel: at(L.maxCpuModelBytes + 1) }, REGISTRY_EXIT.badText],
            ['region long', { region: at(L.maxRegionBytes + 1) }, REGISTRY_EXIT.badText],
            ['no model', { models: [] }, REGISTRY_EXIT.badModels],
            ['empty model name', { models: [''] }, REGISTRY_EXIT.badModels],
            ['long model name', { models: [at(L.maxModelNameBytes + 1)] }, REGISTRY_EXIT.badModels],
            ['no key', { workerKeys: [] }, REGISTRY_EXIT.badKeys],
        ];
        it.each(over)('refuses %s', async (_, change, exitCode) => {
            const p = sampleProfile(change);
            expect(profileProblems(p).map((x) => x.exitCode)).toEqual([exitCode]);
            expectExit(await register(p), exitCode);
            await register();
            expectExit(await send(registryBody.update(p, 1n, owner.address)), exitCode);
            expect(parseProfileCell((await reg.getGetRegistryData()).profile!)).toEqual(sampleProfile());
        });

        it('more models or keys than the limits do not even fit the cell layout; the TypeScript check names them', () => {
            const models = sampleProfile({ models: ['a', 'b', 'c', 'd', 'e'] });
            expect(profileProblems(models).map((x) => x.exitCode)).toEqual([REGISTRY_EXIT.badModels]);
            expect(() => buildProfileCell(models)).toThrow(/Too many references/);
            const keys = sampleProfile({ workerKeys: [1n, 2n, 3n, 4n] });
            expect(profileProblems(keys).map((x) => x.exitCode)).toEqual([REGISTRY_EXIT.badKeys]);
            expect(() => buildProfileCell(keys)).toThrow(/Bits overflow/);
        });

        it('the TypeScript check also refuses control characters the contract lets through', () => {
            expect(profileProblems(sampleProfile({ region: 'eu\n' })).map((x) => x.field)).toEqual(['region']);
            expect(profileProblems(sampleProfile({ gpuCount: 1.5 })).map((x) => x.field)).toEqual(['gpuCount']);
        });

        const good = buildProfileCell(sampleProfile()).beginParse();
        const head = () => good.clone().loadBits(120);
        const [labels, models, keys] = [0, 1, 2].map((i) => buildProfileCell(sampleProfile()).refs[i]);
        const malformed: [string, Cell, number][] = [
            [
                'version 2',
                beginCell().storeUint(2, 8).storeBits(head().substring(8, 112)).storeRef(labels).storeRef(models).storeRef(keys).endCell(),
                REGISTRY_EXIT.malformedProfile,
            ],
            [
                'a trailing bit',
                beginCell().storeBits(head()).storeBit(1).storeRef(labels).storeRef(models).storeRef(keys).endCell(),
                REGISTRY_EXIT.malformedProfile,
            ],
            ['a missing ref', beginCell().storeBits(head()).storeRef(labels).storeRef(models).endCell(), REGISTRY_EXIT.malformedProfile],
            [
                'an extra ref',
                beginCell().storeBits(head()).storeRef(labels).storeRef(models).storeRef(keys).storeRef(keys).endCell(),
                REGISTRY_EXIT.malformedProfile,
            ],
            ['an empty cell', beginCell().endCell(), REGISTRY_EXIT.malformedProfile],
            [
                'labels with trailing bits',
                beginCell()
                    .storeBits(head())
                    .storeRef(beginCell().storeSlice(labels.beginParse()).storeUint(0, 3).endCell())
                    .storeRef(models)
                    .storeRef(keys)
                    .endCell(),
                REGISTRY_EXIT.badText,
            ],
            [
                'labels cut short',
                beginCell()
                    .storeBits(head())
                    .storeRef(beginCell().storeUint(10, 8).storeUint(0x41, 8).endCell())
                    .storeRef(models)
                    .storeRef(keys)
                    .endCell(),
                REGISTRY_EXIT.badText,
            ],
            [
                'labels with a ref',
                beginCell()
                    .storeBits(head())
                    .storeRef(beginCell().storeSlice(labels.beginParse()).storeRef(keys).endCell())
                    .storeRef(models)
                    .storeRef(keys)
                    .endCell(),
                REGISTRY_EXIT.badText,
            ],
            [
                'a model name that is not whole bytes',
                beginCell()
                    .storeBits(head())
                    .storeRef(labels)
                    .storeRef(beginCell().storeRef(beginCell().storeUint(1, 9).endCell()).endCell())
                    .storeRef(keys)
                    .endCell(),
                REGISTRY_EXIT.badModels,
            ],
            [
                'models with bits',
                beginCell()
                    .storeBits(head())
                    .storeRef(labels)
                    .storeRef(beginCell().storeUint(1, 8).storeSlice(models.beginParse()).endCell())
                    .storeRef(keys)
                    .endCell(),
                REGISTRY_EXIT.badModels,
            ],
            [
                'half a key',
                beginCell().storeBits(head()).storeRef(labels).storeRef(models).storeRef(beginCell().storeUint(1, 128).endCell()).endCell(),
                REGISTRY_EXIT.badKeys,
            ],
        ];
        it.each(malformed)('refuses a profile cell with %s', async (_, cell, exitCode) => {
            const body = beginCell()
                .storeUint(REGISTRY_OP.register, 32)
                .storeUint(1, 64)
                .storeRef(cell)
                .storeAddress(owner.address)
                .endCell();
            expectExit(await send(body, REGISTRY_TERMS.deposit + toNano('0.1')), exitCode);
        });
    });

    it('accepts plain TON from anyone; unknown ops fail with 3010 and bounce', async () => {
        await register();
        expect((await anyone.send({ to: reg.address, value: toNano('0.2') })).transactions).toHaveTransaction({
            to: reg.address,
            success: true,
        });
        const r = await send(beginCell().storeUint(0xdeadbeef, 32).storeUint(0, 64).endCell(), toNano('0.3'), anyone);
        expectExit(r, REGISTRY_EXIT.unknownOp);
        expect(r.transactions).toHaveTransaction({ from: reg.address, to: anyone.address, inMessageBounced: true });
        // A storage top-up is not kept forever: the next owner message returns everything above deposit + reserve.
        await send(registryBody.pause(1n, owner.address));
        expect(await balance()).toBe(REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve);
    });

    it('profileFromJson reads own keys only, with defaults for the optional texts and tee, and names bad fields', () => {
        const json = { ...sampleProfile(), workerKeys: ['0x' + '12'.padStart(64, '0')] };
        expect(profileFromJson(JSON.parse(JSON.stringify(json)))).toEqual(sampleProfile({ workerKeys: [0x12n] }));
        const { cpuModel: _c, region: _r, tee: _t, ...minimal } = json;
        expect(profileFromJson(minimal)).toEqual(sampleProfile({ workerKeys: [0x12n], cpuModel: '', region: '', tee: 'none' }));
        expect(() => profileFromJson(JSON.parse('{"__proto__": {"gpuModel": "x"}}'))).toThrow("profile 'gpuModel' must be a string");
        expect(() => profileFromJson({ ...json, gpuCount: '8' })).toThrow("profile 'gpuCount' must be an integer");
        expect(() => profileFromJson({ ...json, tee: 'sgx' })).toThrow("profile 'tee' must be one of none, tdx, sev-snp, fake");
        expect(() => profileFromJson({ ...json, models: 'tiny' })).toThrow("profile 'models' must be an array of strings");
        expect(() => profileFromJson({ ...json, workerKeys: ['abc'] })).toThrow("profile 'workerKeys[0]' must be a 32-byte hex public key");
        expect(() => profileFromJson([])).toThrow('the profile must be a JSON object');
    });
});
