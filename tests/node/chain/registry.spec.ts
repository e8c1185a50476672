import { Address, internal, toNano } from '@ton/core';
import { createChainClient, openWallet, readRegistry, readRegistryAt, type ChainClient } from '../../../node/chain';
import { startLocalChain, type RunningLocalChain } from '../../../node/localchain/server';
import { buildProfileCell, cocoonRegistryFor, REGISTRY_TERMS, registryBody, type RegistryProfile } from '../../../wrappers/CocoonRegistry';

jest.setTimeout(180_000);

const profile: RegistryProfile = {
    gpuModel: 'NVIDIA L4',
    gpuCount: 2,
    vramMib: 23_034,
    tee: 'none',
    cpuModel: 'Intel Xeon',
    cpuCores: 8,
    ramMib: 32_000,
    region: 'ap',
    models: ['tiny', 'Qwen/Qwen3-0.6B'],
    uptimePermille: 950,
    workerKeys: [1n, 2n],
};

describe('node/chain readRegistry over the local chain', () => {
    let chain: RunningLocalChain;
    const root = Address.parse(`0:${'cd'.repeat(32)}`);
    let owner: Address;

    beforeAll(async () => {
        chain = await startLocalChain({ wallets: 1 });
        const client = createChainClient({ url: chain.v4Url });
        const wallet = await openWallet(client, { mnemonic: chain.wallets[0].mnemonic });
        owner = wallet.address;
        const reg = await cocoonRegistryFor(root, owner);
        await wallet.send([
            internal({
                to: reg.address,
                value: REGISTRY_TERMS.deposit + toNano('0.1'),
                init: reg.init,
                body: registryBody.register(profile, 1n, owner),
            }),
        ]);
        await client.waitForTransaction(reg.address, () => true);
    });
    afterAll(async () => chain?.close());

    describe.each(['v4', 'v2'] as const)('%s client', (kind) => {
        let client: ChainClient;
        beforeAll(() => {
            client = createChainClient({ url: kind === 'v4' ? chain.v4Url : chain.v2Url });
        });

        it('decodes a registration derived from (root, owner) and at its address', async () => {
            const s = (await readRegistry(client, root, owner))!;
            expect(s).toMatchObject({
                status: 'active',
                deposit: REGISTRY_TERMS.deposit,
                unlockAt: 0,
                profile,
                accountBalance: REGISTRY_TERMS.deposit + REGISTRY_TERMS.storageReserve,
            });
            expect(s.registeredAt).toBeGreaterThan(1_700_000_000);
            expect(s.profileCell!.equals(buildProfileCell(profile))).toBe(true);
            expect(s.owner.equals(owner) && s.root.equals(root)).toBe(true);
            const again = (await readRegistryAt(client, s.address))!;
            expect(again.address.equals(s.address)).toBe(true);
            expect(again.profile).toEqual(profile);
        });

        it('answers null for an owner without a registration, and an error for an account that is not a registry', async () => {
            expect(await readRegistry(client, root, Address.parse(`0:${'ee'.repeat(32)}`))).toBeNull();
            await expect(readRegistryAt(client, owner)).rejects.toMatchObject({
                code: 'GET_METHOD',
                message: expect.stringMatching(/is not a CocoonRegistry contract \(get_registry_data failed: .*\b11\b/),
            });
        });
    });
});
