import { Address, toNano } from '@ton/core';
import { createChainClient, openWallet, type ChainClient, type ChainWallet } from '../../../node/chain';
import { readRegistry } from '../../../node/chain/registry';
import { startLocalChain, type RunningLocalChain } from '../../../node/localchain/server';
import {
    buildRegistryProfile,
    detectHardware,
    machineDescriptionJson,
    NO_GPU,
    NVIDIA_SMI_ARGS,
    parseNvidiaSmi,
    planRegistration,
    planStatusChange,
    profileChanged,
    RegistryError,
    sendRegistryPlan,
    type CommandRunner,
    type DetectedHardware,
    type HostInfo,
} from '../../../node/worker/registry';
import { cocoonRegistryFor, REGISTRY_EXIT, REGISTRY_TERMS } from '../../../wrappers/CocoonRegistry';

jest.setTimeout(180_000);

// Recorded `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits` outputs.
const H100x8 = 'NVIDIA H100 80GB HBM3, 81559\n'.repeat(8);
const RTX4090_CRLF = 'NVIDIA GeForce RTX 4090, 24564\r\n';
const MIXED = 'NVIDIA GeForce RTX 4090, 24564\nNVIDIA GeForce RTX 3090, 24576\n\n';
const WITH_UNITS = 'Tesla T4, 15360 MiB\n';
const NA = 'NVIDIA A100-SXM4-40GB, [N/A]\nNVIDIA A100-SXM4-40GB, 40960\n';
const DRIVER_DOWN =
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is " +
    'installed and running.\n';

const host: HostInfo = {
    cpus: () => Array.from({ length: 16 }, () => ({ model: '  AMD EPYC 7763   64-Core Processor ' })),
    totalmem: () => 64 * 2 ** 30,
};
const replay =
    (stdout: string): CommandRunner =>
    async (cmd, args) => {
        expect([cmd, args]).toEqual(['nvidia-smi', NVIDIA_SMI_ARGS]);
        return stdout;
    };
const missing: CommandRunner = async () => {
    throw Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
};

describe('worker registration: detection and profile', () => {
    it('parses recorded nvidia-smi output robustly', () => {
        expect(parseNvidiaSmi(H100x8)).toEqual(Array.from({ length: 8 }, () => ({ name: 'NVIDIA H100 80GB HBM3', vramMib: 81559 })));
        expect(parseNvidiaSmi(RTX4090_CRLF)).toEqual([{ name: 'NVIDIA GeForce RTX 4090', vramMib: 24564 }]);
        expect(parseNvidiaSmi(MIXED)).toEqual([
            { name: 'NVIDIA GeForce RTX 4090', vramMib: 24564 },
            { name: 'NVIDIA GeForce RTX 3090', vramMib: 24576 },
        ]);
        expect(parseNvidiaSmi(WITH_UNITS)).toEqual([{ name: 'Tesla T4', vramMib: 15360 }]);
        expect(parseNvidiaSmi(NA)).toEqual([{ name: 'NVIDIA A100-SXM4-40GB', vramMib: 40960 }]);
        expect(parseNvidiaSmi(DRIVER_DOWN)).toEqual([]);
        expect(parseNvidiaSmi('')).toEqual([]);
    });

    it('detects GPUs with nvidia-smi, CPU and RAM from the host', async () => {
        expect(await detectHardware({ run: replay(H100x8), host })).toEqual({
            gpuModel: 'NVIDIA H100 80GB HBM3',
            gpuCount: 8,
            vramMib: 81559,
            cpuModel: 'AMD EPYC 7763 64-Core Processor',
            cpuCores: 16,
            ramMib: 65536,
            source: 'nvidia-smi',
        });
        // A mixed host: first GPU's model, the smallest VRAM; --vram-mb overrides it.
        expect(await detectHardware({ run: replay(MIXED), host })).toMatchObject({
            gpuModel: 'NVIDIA GeForce RTX 4090',
            gpuCount: 2,
            vramMib: 24564,
        });
        expect(await detectHardware({ run: replay(MIXED), host, vramMib: 20000 })).toMatchObject({ vramMib: 20000 });
    });

    it('falls back to the operator values, else to a CPU host, when nvidia-smi is missing or broken', async () => {
        expect(await detectHardware({ run: missing, host })).toMatchObject({ gpuModel: NO_GPU, gpuCount: 0, vramMib: 0, source: 'none' });
        expect(await detectHardware({ run: replay(DRIVER_DOWN), host })).toMatchObject({ gpuModel: NO_GPU, gpuCount: 0, source: 'none' });
        // --gpu skips nvidia-smi entirely.
        const never: CommandRunner = async () => {
            throw new Error('nvidia-smi must not run when --gpu is given');
        };
        expect(await detectHardware({ run: never, host, gpu: 'NVIDIA L4', vramMib: 23034 })).toMatchObject({
            gpuModel: 'NVIDIA L4',
            gpuCount: 1,
            vramMib: 23034,
            source: 'operator',
        });
    });

    it('cuts detected texts to the contract bounds without splitting characters', async () => {
        const longCpu: HostInfo = { cpus: () => [{ model: 'Ü'.repeat(40) }], totalmem: () => 2 ** 30 };
        const hw = await detectHardware({ run: replay(`${'G'.repeat(80)}, 1024\n`), host: longCpu });
        expect(hw.gpuModel).toBe('G'.repeat(64));
        expect(hw.cpuModel).toBe('Ü'.repeat(24));
        expect(hw.cpuCores).toBe(1);
    });

    const hw: DetectedHardware = {
        gpuModel: 'NVIDIA H100 80GB HBM3',
        gpuCount: 8,
        vramMib: 81559,
        cpuModel: 'AMD EPYC 7763 64-Core Processor',
        cpuCores: 16,
        ramMib: 65536,
        source: 'nvidia-smi',
    };

    it('validates before sending, naming the field, the bound and the exit code the contract would use', () => {
        const attempt = (f: () => unknown) => {
            try {
                f();
            } catch (e) {
                return e;
            }
            throw new Error('expected a RegistryError');
        };
        const e1 = attempt(() =>
            buildRegistryProfile({ ...hw, gpuModel: 'x'.repeat(65) }, { models: ['m'], workerKeys: [1n], tee: 'tdx' }),
        ) as RegistryError;
        expect(e1).toBeInstanceOf(RegistryError);
        expect(e1.code).toBe('INVALID_PROFILE');
        expect(e1.exitCode).toBe(REGISTRY_EXIT.badText);
        expect(e1.message).toBe(
            "the hardware profile would be refused on-chain: gpuModel must be 1 to 64 bytes of UTF-8, got 65 ('" +
                'x'.repeat(65) +
                "') (exit code 3005)",
        );
        const e2 = attempt(() =>
            buildRegistryProfile(hw, { models: [], workerKeys: [1n], tee: 'tdx', uptimePermille: 1001 }),
        ) as RegistryError;
        expect(e2.message).toBe(
            'the hardware profile would be refused on-chain: uptimePermille must be an integer from 0 to 1000, ' +
                'got 1001 (exit code 3004); offer 1 to 4 models, got 0 (exit code 3006)',
        );
        expect(e2.exitCode).toBe(REGISTRY_EXIT.outOfRange);
    });

    it('renders upstream machine_description_json (a JSON object) from the same profile', async () => {
        const p = buildRegistryProfile(hw, { models: ['Qwen/Qwen3-32B'], workerKeys: [7n], tee: 'tdx', region: 'eu' });
        const reg = (await cocoonRegistryFor(Address.parse(`0:${'11'.repeat(32)}`), Address.parse(`0:${'22'.repeat(32)}`))).address;
        expect(JSON.parse(machineDescriptionJson(p, reg))).toEqual({
            profile_version: 1,
            gpu_model: 'NVIDIA H100 80GB HBM3',
            gpu_count: 8,
            vram_mib: 81559,
            tee: 'tdx',
            cpu_model: 'AMD EPYC 7763 64-Core Processor',
            cpu_cores: 16,
            ram_mib: 65536,
            region: 'eu',
            models: ['Qwen/Qwen3-32B'],
            uptime_permille: 990,
            registry: reg.toString({ bounceable: true }),
        });
        expect(machineDescriptionJson(p)).not.toContain('registry');
    });
});

describe('worker registration on the local chain', () => {
    let chain: RunningLocalChain;
    let client: ChainClient;
    let wallet: ChainWallet;
    let other: ChainWallet;
    const root = Address.parse(`0:${'ab'.repeat(32)}`);

    beforeAll(async () => {
        chain = await startLocalChain({ wallets: 2 });
        client = createChainClient({ url: chain.v4Url });
        wallet = await openWallet(client, { mnemonic: chain.wallets[0].mnemonic });
        other = await openWallet(client, { mnemonic: chain.wallets[1].mnemonic });
    });
    afterAll(async () => chain?.close());

    const hw: DetectedHardware = {
        gpuModel: 'NVIDIA GeForce RTX 4090',
        gpuCount: 1,
        vramMib: 24564,
        cpuModel: 'AMD Ryzen 9 7950X',
        cpuCores: 32,
        ramMib: 128_000,
        source: 'nvidia-smi',
    };
    const decl = { models: ['Qwen/Qwen3-0.6B'], workerKeys: [0xfeedn], tee: 'fake' as const, region: 'local' };

    const lifecycleTitle =
        'registers, then finds nothing to do, updates a changed profile, pauses, resumes, retires and withdraws after the delay';
    it(lifecycleTitle, async () => {
        const profile = buildRegistryProfile(hw, decl);
        expect(await readRegistry(client, root, wallet.address)).toBeNull();

        const first = await planRegistration(client, root, wallet.address, profile, { queryId: 1n });
        expect(first.messages.map((m) => m.action)).toEqual(['register']);
        expect(first.messages[0].init).not.toBeNull();
        expect(first.locked).toBe(REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve);
        expect(first.maxFees).toBe(toNano('0.05'));
        const walletBefore = (await client.account(wallet.address)).balance;
        await sendRegistryPlan(client, wallet, first);
        let state = (await readRegistry(client, root, wallet.address))!;
        expect(state).toMatchObject({
            status: 'active',
            deposit: REGISTRY_TERMS.deposit,
            profile,
            accountBalance: REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve,
        });
        expect(state.address.equals(first.address)).toBe(true);
        expect(state.owner.equals(wallet.address) && state.root.equals(root)).toBe(true);
        expect(state.registeredAt).toBe(state.updatedAt);
        // The wallet paid the locked deposit + reserve and fees below the allowance (the rest came back as excesses).
        const paid = walletBefore - (await client.account(wallet.address)).balance;
        expect(paid).toBeGreaterThan(first.locked);
        expect(paid).toBeLessThan(first.locked + first.maxFees);

        expect((await planRegistration(client, root, wallet.address, profile)).messages).toEqual([]);
        expect(profileChanged(state, profile)).toBe(false);

        const changed = buildRegistryProfile({ ...hw, gpuCount: 2 }, { ...decl, models: ['Qwen/Qwen3-0.6B', 'tiny'] });
        const upd = await planRegistration(client, root, wallet.address, changed, { queryId: 2n });
        expect(upd.messages.map((m) => [m.action, m.init, m.value])).toEqual([['update', null, toNano('0.05')]]);
        expect(upd.locked).toBe(0n);
        await sendRegistryPlan(client, wallet, upd);
        state = (await readRegistry(client, root, wallet.address))!;
        expect(state).toMatchObject({ status: 'active', profile: changed });

        await sendRegistryPlan(client, wallet, await planStatusChange(client, root, wallet.address, 'pause'));
        expect((await readRegistry(client, root, wallet.address))!.status).toBe('paused');
        await expect(planStatusChange(client, root, wallet.address, 'pause')).rejects.toMatchObject({
            code: 'BAD_STATUS',
            exitCode: REGISTRY_EXIT.badStatus,
            message: 'cannot pause a registration that is paused (allowed from: active)',
        });
        // An action from an unchecked command line: a plain-object table would have answered its prototype.
        const unchecked = 'constructor' as Parameters<typeof planStatusChange>[3];
        await expect(planStatusChange(client, root, wallet.address, unchecked)).rejects.toThrow(
            "unknown status action 'constructor' (pause, resume, retire or withdraw)",
        );
        await sendRegistryPlan(client, wallet, await planStatusChange(client, root, wallet.address, 'resume'));
        expect((await readRegistry(client, root, wallet.address))!.status).toBe('active');

        await sendRegistryPlan(client, wallet, await planStatusChange(client, root, wallet.address, 'retire'));
        state = (await readRegistry(client, root, wallet.address))!;
        expect(state.status).toBe('retired');
        expect(state.unlockAt).toBe(state.updatedAt + REGISTRY_TERMS.withdrawDelay);
        const { utime } = await client.head();
        await expect(planStatusChange(client, root, wallet.address, 'withdraw', { now: utime })).rejects.toMatchObject({
            code: 'BAD_STATUS',
            exitCode: REGISTRY_EXIT.locked,
        });

        await chain.chain.shiftTime(REGISTRY_TERMS.withdrawDelay);
        const w = await planStatusChange(client, root, wallet.address, 'withdraw', { now: state.unlockAt });
        expect(w.refund).toBe(REGISTRY_TERMS.deposit);
        const beforeWithdraw = (await client.account(wallet.address)).balance;
        await sendRegistryPlan(client, wallet, w);
        state = (await readRegistry(client, root, wallet.address))!;
        expect(state).toMatchObject({ status: 'retired', deposit: 0n, unlockAt: 0, accountBalance: REGISTRY_TERMS.storageReserve });
        const gained = (await client.account(wallet.address)).balance - beforeWithdraw;
        expect(gained).toBeGreaterThan(REGISTRY_TERMS.deposit - w.maxFees);
        expect(gained).toBeLessThan(REGISTRY_TERMS.deposit);
    });

    it('a message from another wallet is refused on-chain with 3000 and reported by name', async () => {
        const profile = buildRegistryProfile(hw, decl);
        // A plan for `wallet`'s registration, sent from `other`.
        const p = await planRegistration(client, root, other.address, profile);
        const target = await cocoonRegistryFor(root, wallet.address);
        const stolen = { ...p, messages: p.messages.map((m) => ({ ...m, to: target.address, init: target.init ?? null })) };
        await expect(sendRegistryPlan(client, other, stolen)).rejects.toMatchObject({
            code: 'NOT_OWNER',
            exitCode: 3000,
            message: "the registry contract refused 'register' with exit code 3000 (notOwner); the value was bounced back",
        });
    });
});
