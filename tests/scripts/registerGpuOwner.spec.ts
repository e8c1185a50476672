import { execFile } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { Address } from '@ton/core';
import { createChainClient, readRegistry } from '../../node/chain';
import { startLocalChain, type RunningLocalChain } from '../../node/localchain/server';
import { REGISTRY_TERMS } from '../../wrappers/CocoonRegistry';
import { bufferToBigInt } from '../../wrappers/uint256';

jest.setTimeout(300_000);
const exec = promisify(execFile);

/** `npx blueprint run registerGpuOwner` (the unmodified Blueprint CLI) against the local chain. */
describe('registerGpuOwner Blueprint script', () => {
    let chain: RunningLocalChain;
    const dir = mkdtempSync(join(tmpdir(), 'registry-script-'));
    const root = Address.parse(`0:${'12'.repeat(32)}`);
    const profile = {
        gpuModel: 'NVIDIA A100-SXM4-80GB',
        gpuCount: 4,
        vramMib: 81920,
        tee: 'tdx',
        cpuModel: 'AMD EPYC 7713',
        cpuCores: 128,
        ramMib: 1_000_000,
        region: 'us-east',
        models: ['Qwen/Qwen3-32B'],
        uptimePermille: 995,
        workerKeys: ['ab'.repeat(32)],
    };
    beforeAll(async () => {
        chain = await startLocalChain({ wallets: 1 });
    });
    afterAll(async () => chain?.close());

    const run = async (args: string[]) => {
        const { stdout } = await exec(
            process.execPath,
            [
                join(__dirname, '../../node_modules/@ton/blueprint/dist/cli/cli.js'),
                'run',
                'registerGpuOwner',
                root.toString(),
                ...args,
                '--custom',
                chain.v4Url,
                '--custom-version',
                'v4',
                '--custom-type',
                'custom',
                '--mnemonic',
            ],
            {
                cwd: join(__dirname, '../..'),
                env: { ...process.env, WALLET_MNEMONIC: chain.wallets[0].mnemonic.join(' '), WALLET_VERSION: 'v4', NODE_OPTIONS: '' },
                timeout: 120_000,
            },
        );
        return stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    };
    const file = (name: string, v: unknown) => {
        const path = join(dir, name);
        writeFileSync(path, JSON.stringify(v));
        return path;
    };

    it('registers from a JSON profile, updates it, and refuses an out-of-bounds profile before sending', async () => {
        const owner = Address.parse(chain.wallets[0].address);
        const out = await run(['register', file('p.json', profile)]);
        expect(out).toMatch(/status active deposit 1000000000 /);
        const client = createChainClient({ url: chain.v4Url });
        const s = (await readRegistry(client, root, owner))!;
        expect(s).toMatchObject({
            status: 'active',
            deposit: REGISTRY_TERMS.deposit,
            profile: { ...profile, workerKeys: [bufferToBigInt(Buffer.alloc(32, 0xab))] },
        });
        expect(out).toContain(`registry contract ${s.address.toString()}`);

        await run(['update', file('p2.json', { ...profile, gpuCount: 8 })]);
        expect((await readRegistry(client, root, owner))!.profile!.gpuCount).toBe(8);

        const before = (await client.account(owner)).balance;
        await expect(run(['update', file('bad.json', { ...profile, models: ['x'.repeat(65)] })])).rejects.toMatchObject({
            stderr: expect.stringContaining('model 1 must be 1 to 64 bytes of UTF-8, got 65'),
        });
        await expect(run(['update', file('proto.json', JSON.parse('{"__proto__": {"gpuModel": "x"}}'))])).rejects.toMatchObject({
            stderr: expect.stringContaining("profile 'gpuModel' must be a string"),
        });
        expect((await client.account(owner)).balance).toBe(before);
        expect(await run(['status'])).toMatch(/status active .*"gpuCount":8/s);
    });
});
