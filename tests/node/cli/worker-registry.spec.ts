/**
 * `cocoon worker register|status|pause|resume|retire|withdraw` against the local chain, as an operator
 * runs it; a second GPU owner registers through the unmodified Blueprint script; both are read back
 * with readRegistry. Bad input is refused before anything is sent (the wallet's seqno does not move).
 */
import { execFile } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { Address, toNano } from '@ton/core';
import { createChainClient, readRegistry, type ChainClient } from '../../../node/chain';
import { startLocalChain, type RunningLocalChain } from '../../../node/localchain/server';
import { runWorker } from '../../../node/cli/worker';
import { runWorkerSubcommand, WORKER_SUBCOMMANDS } from '../../../node/cli/worker-registry';
import { signingKey } from '../../../node/cli/daemon';
import { REGISTRY_TERMS } from '../../../wrappers/CocoonRegistry';
import { captureIo } from '../helpers/cli-io';
import { bufferToBigInt } from '../../../wrappers/uint256';

jest.setTimeout(300_000);
const exec = promisify(execFile);

describe('cocoon worker register and the registry subcommands', () => {
    let chain: RunningLocalChain;
    let client: ChainClient;
    let dir: string;
    let walletsFile: string;
    const root = Address.parse(`0:${'34'.repeat(32)}`);

    beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'cocoon-worker-registry-'));
        chain = await startLocalChain({ port: 0, wallets: 2, walletBalance: toNano('100') });
        client = createChainClient({ url: chain.v4Url });
        walletsFile = join(dir, 'wallets.json');
        writeFileSync(walletsFile, JSON.stringify(chain.wallets), { mode: 0o600 });
    });
    afterAll(async () => {
        await chain?.close();
        rmSync(dir, { recursive: true, force: true });
    });

    const args = (name: string) => ['--root', root.toString(), '--endpoint', chain.v4Url, '--key-file', walletsFile, '--key-name', name];
    const H100 = [
        '--gpu',
        'NVIDIA H100 80GB HBM3',
        '--gpu-count',
        '8',
        '--vram-mb',
        '81559',
        '--region',
        'eu-west',
        '--uptime-commitment',
        '99.5',
        '--tee',
        'tdx',
        '--model',
        'Qwen/Qwen3-32B@abc:def,Qwen/Qwen3-0.6B',
    ];
    const hw = () => [...H100, '--data-dir', join(dir, 'worker0')];
    const run = async (argv: string[], answer = false) => {
        const c = captureIo();
        const asked: string[] = [];
        const code = await runWorkerSubcommand(argv[0], argv.slice(1), {}, c.io, async (q) => {
            asked.push(q);
            return answer;
        });
        return { code, out: c.out(), err: c.err(), asked };
    };
    const seqno = async (name: string) =>
        (await client.account(Address.parse(chain.wallets.find((w) => w.name === name)!.address))).last?.lt ?? 0n;

    it('each subcommand has --help, and `cocoon worker --help` lists them', async () => {
        for (const sub of WORKER_SUBCOMMANDS) {
            const c = captureIo();
            expect(await runWorker([sub, '--help'], {}, c.io)).toBe(0);
            expect(c.out()).toContain(`Usage: cocoon worker ${sub} [options]`);
        }
        const c = captureIo();
        expect(await runWorker(['--help'], {}, c.io)).toBe(0);
        expect(c.out()).toMatch(/register +detect the hardware/);
        expect(c.out()).toMatch(/--max-payout-fee-share/);
        expect(c.out()).toMatch(/--register/);
    });

    it('refuses bad input before sending, with a clear message', async () => {
        const before = await seqno('wallet0');
        const cases: [string[], number, RegExp][] = [
            [
                ['register', ...args('wallet0'), ...hw(), '--gpu', 'G'.repeat(65)],
                2,
                new RegExp(
                    /the profile would be refused on-chain, nothing was sent: /.source +
                        /.*gpuModel must be 1 to 64 bytes of UTF-8, got 65.*exit code 3005/.source,
                ),
            ],
            [['register', ...args('wallet0'), ...hw(), '--model', 'M/'.repeat(40)], 2, /model 1 must be 1 to 64 bytes/],
            [
                ['register', ...args('wallet0'), ...hw(), '--uptime-commitment', 'always'],
                2,
                /--uptime-commitment: expected a percentage 0-100 with at most one decimal \(e\.g\. 99\.5\), got 'always'/,
            ],
            [['register', ...args('wallet0'), ...hw(), '--uptime-commitment', '100.1'], 2, /--uptime-commitment: expected a percentage/],
            [['register', ...args('wallet0'), ...hw(), '--tee', 'sgx'], 2, /--tee must be one of none, tdx, sev-snp, fake; got 'sgx'/],
            [
                ['register', ...args('wallet0'), ...hw(), '--gpu-count', 'many'],
                2,
                /--gpu-count: expected a non-negative integer, got 'many'/,
            ],
            [['register', ...args('wallet0'), ...hw(), '--owner', chain.wallets[1].address], 2, /is not the owner .*nothing was sent/],
            [['pause', ...args('wallet0')], 2, /cannot pause a registration that is not registered .*nothing was sent/],
            [['register', ...args('wallet0'), ...H100.filter((a) => !a.startsWith('Qwen') && a !== '--model')], 2, /missing --model/],
        ];
        for (const [argv, code, message] of cases) {
            const r = await run(argv, true);
            expect({ argv, code: r.code, err: r.err }).toEqual({ argv, code, err: expect.stringMatching(message) });
            expect(r.asked).toEqual([]);
        }
        expect(await seqno('wallet0')).toBe(before);
    });

    const registrationsTitle =
        'registers through the CLI (asking first), a second owner through the Blueprint script, both readable; then pause, resume, ' +
        'retire';
    it(registrationsTitle, async () => {
        const dataDir = join(dir, 'worker0');
        const owner0 = Address.parse(chain.wallets[0].address);
        const owner1 = Address.parse(chain.wallets[1].address);
        const reg = [...args('wallet0'), ...hw()];

        // Answering no sends nothing.
        const no = await run(['register', ...reg], false);
        expect({ code: no.code, err: no.err }).toEqual({ code: 1, err: 'cocoon worker register: not sent (answered no)\n' });
        expect(no.asked).toEqual(['send?']);
        expect(no.out).toMatch(/register: attach 1\.06 TON \(deploys the contract\)/);
        expect(no.out).toMatch(
            new RegExp(
                /cost: 1\.06 TON attached; 1\.01 TON kept by the contract /.source +
                    /\(refundable deposit and storage reserve\), at most 0\.05 TON of fees/.source,
            ),
        );
        expect(no.out).toContain('"gpu_model":"NVIDIA H100 80GB HBM3","gpu_count":8,"vram_mib":81559,"tee":"tdx"');
        expect(await readRegistry(client, root, owner0)).toBeNull();

        const yes = await run(['register', ...reg], true);
        expect({ code: yes.code, err: yes.err }).toEqual({ code: 0, err: '' });
        expect(yes.out).toMatch(/done: active/);
        const key = bufferToBigInt(signingKey(dataDir, 'worker').publicKey);
        const s0 = (await readRegistry(client, root, owner0))!;
        expect(s0).toMatchObject({ status: 'active', deposit: REGISTRY_TERMS.deposit });
        expect(s0.profile).toMatchObject({
            gpuModel: 'NVIDIA H100 80GB HBM3',
            gpuCount: 8,
            vramMib: 81559,
            tee: 'tdx',
            region: 'eu-west',
            uptimePermille: 995,
            models: ['Qwen/Qwen3-32B', 'Qwen/Qwen3-0.6B'],
            workerKeys: [key],
        });

        // The same profile again: nothing to send, nothing asked.
        const again = await run(['register', ...reg, '--yes']);
        expect(again.code).toBe(0);
        expect(again.out).toMatch(/nothing to send: the chain already holds this profile/);

        // The second owner, with different hardware, through the unmodified Blueprint script.
        const profile1 = {
            gpuModel: 'NVIDIA GeForce RTX 4090',
            gpuCount: 2,
            vramMib: 24564,
            tee: 'none',
            cpuModel: 'AMD Ryzen 9 7950X',
            cpuCores: 32,
            ramMib: 131072,
            region: 'us',
            models: ['Qwen/Qwen3-0.6B'],
            uptimePermille: 900,
            workerKeys: ['cd'.repeat(32)],
        };
        const file = join(dir, 'owner1.json');
        writeFileSync(file, JSON.stringify(profile1));
        await exec(
            process.execPath,
            [
                join(__dirname, '../../../node_modules/@ton/blueprint/dist/cli/cli.js'),
                'run',
                'registerGpuOwner',
                root.toString(),
                'register',
                file,
                '--custom',
                chain.v4Url,
                '--custom-version',
                'v4',
                '--custom-type',
                'custom',
                '--mnemonic',
            ],
            {
                cwd: join(__dirname, '../../..'),
                env: { ...process.env, WALLET_MNEMONIC: chain.wallets[1].mnemonic.join(' '), WALLET_VERSION: 'v4', NODE_OPTIONS: '' },
                timeout: 180_000,
            },
        );
        const s1 = (await readRegistry(client, root, owner1))!;
        expect(s1).toMatchObject({ status: 'active', profile: { ...profile1, workerKeys: [bufferToBigInt(Buffer.alloc(32, 0xcd))] } });
        expect(s1.address.equals(s0.address)).toBe(false);

        // status reads the declaration without a running worker.
        const st = await run(['status', ...args('wallet0'), '--stats-url', 'http://127.0.0.1:9', '--json']);
        expect(st.code).toBe(0);
        const report = JSON.parse(st.out) as {
            registration: { status: string; profile: { gpuModel: string } };
            worker_stats: null;
            earnings: unknown[];
        };
        expect(report).toMatchObject({
            registration: { status: 'active', profile: { gpuModel: 'NVIDIA H100 80GB HBM3' } },
            worker_stats: null,
            earnings: [],
        });

        for (const [sub, status] of [
            ['pause', 'paused'],
            ['resume', 'active'],
            ['retire', 'retired'],
        ] as const) {
            const r = await run([sub, ...args('wallet0'), '--yes']);
            expect({ sub, code: r.code, err: r.err }).toEqual({ sub, code: 0, err: '' });
            expect((await readRegistry(client, root, owner0))!.status).toBe(status);
        }
        const early = await run(['withdraw', ...args('wallet0'), '--yes']);
        expect(early.code).toBe(2);
        expect(early.err).toMatch(/the deposit unlocks at .* s from now\); nothing was sent/);
    });
});
