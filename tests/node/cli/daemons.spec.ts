/**
 * The role daemons as an operator runs them: `cocoon proxy`, `cocoon worker`, `cocoon client` as separate
 * processes against the local chain, configured by flags, env and a config file; a completion through
 * them; SIGTERM stops each cleanly (exit 0) and a restarted proxy keeps its key and contract.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Address, toNano } from '@ton/core';
import OpenAI from 'openai';
import { imageHash, zeroMeasurements } from '../../../node/attestation';
import { createChainClient, openWallet } from '../../../node/chain';
import { startEmbeddedServer, type EmbeddedServer } from '../../../node/inference';
import { startLocalChain, type RunningLocalChain } from '../../../node/localchain/server';
import { configureRoot, ensureRoot } from '../../../node/cli/network';
import { runProxy } from '../../../node/cli/proxy';
import { runWorker } from '../../../node/cli/worker';
import { runClient } from '../../../node/cli/client';
import { captureIo } from '../helpers/cli-io';
import { daemon, type Daemon } from '../helpers/cli-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(240_000);

const MODEL = 'cocoon/tiny-stories-1m@local:0';
describe('cocoon proxy | worker | client daemons', () => {
    let chain: RunningLocalChain;
    let model: EmbeddedServer;
    let dir: string;
    let root: string;
    let walletsFile: string;
    const running: Daemon[] = [];

    beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'cocoon-daemons-'));
        chain = await startLocalChain({ port: 0, wallets: 4, walletBalance: toNano('1000') });
        walletsFile = join(dir, 'wallets.json');
        writeFileSync(walletsFile, JSON.stringify(chain.wallets), { mode: 0o600 });
        root = (await ensureRoot({ dataDir: dir, chainUrl: chain.v4Url, ownerMnemonic: chain.wallets[0].mnemonic })).root;
        model = await startEmbeddedServer({ port: 0 });
    });
    afterAll(async () => {
        for (const d of running) if (d.child.exitCode === null) d.child.kill('SIGKILL');
        await model?.close();
        await chain?.close();
        rmSync(dir, { recursive: true, force: true });
    });

    it('each has --help and rejects bad configuration in one line with a non-zero exit code', async () => {
        for (const run of [runProxy, runWorker, runClient]) {
            const c = captureIo();
            expect(await run(['--help'], {}, c.io)).toBe(0);
            expect(c.out()).toMatch(/Usage: cocoon (proxy|worker|client)/);
            expect(c.out()).toMatch(/--access-secret/);
            expect(c.out()).toMatch(/--tee/);
        }
        const env = { COCOON_CHAIN_URL: chain.v4Url, COCOON_KEY_FILE: walletsFile, COCOON_DATA_DIR: join(dir, 'bad') };
        const cases: [typeof runProxy, string[], number, RegExp][] = [
            [runProxy, [], 2, /missing --root \(or COCOON_ROOT_ADDRESS\)/],
            [runProxy, ['--root', 'nope'], 2, /--root: 'nope' is not a TON address/],
            [runProxy, ['--root', root, '--tee', 'sgx'], 2, /--tee must be none, fake, tdx; got 'sgx'/],
            [runProxy, ['--root', root, '--worker-port', '70000'], 2, /--worker-port: expected a port/],
            [runWorker, ['--root', root], 2, /missing --model/],
            [runWorker, ['--root', root, '--model', 'no-slash', '--http-port', '0'], 2, /--model: 'no-slash' is not a model name/],
            [runClient, ['--root', root, '--deposit', 'lots'], 2, /--deposit: 'lots' is not a TON amount/],
            [runClient, ['--root', root, '--config', join(dir, 'missing.json')], 1, /cannot read config file/],
        ];
        for (const [run, argv, code, message] of cases) {
            const c = captureIo();
            const got = await run(argv, env, c.io);
            expect({ argv, code: got, err: c.err() }).toMatchObject({ argv, code });
            expect(c.err()).toMatch(message);
            expect(c.err().trim().split('\n')).toHaveLength(1);
        }
    });

    const separateProcessesTitle =
        'run as separate processes: the proxy prints its registration, a completion flows, SIGTERM stops each cleanly, ' +
        'and a restart keeps the proxy';
    it(separateProcessesTitle, async () => {
        const client = createChainClient({ url: chain.v4Url });
        const owner = await openWallet(client, { mnemonic: chain.wallets[0].mnemonic });
        const common = ['--endpoint', chain.v4Url, '--root', root, '--key-file', walletsFile, '--log-level', 'info'];
        const secret = 'daemon-test-secret';
        // Difficulty 0 (the other suites run 4): peers still get a challenge to answer, or their handshakes would hang.
        const proxyArgs = [
            'proxy',
            ...common,
            '--key-name',
            'wallet1',
            '--data-dir',
            join(dir, 'proxy'),
            '--worker-port',
            '0',
            '--client-port',
            '0',
            '--http-port',
            '0',
            '--pow-difficulty',
            '0',
            '--access-secret',
            secret,
        ];
        const proxy = daemon(proxyArgs);
        running.push(proxy);
        const reg = await proxy.waitFor(/register-proxy "([^"]+)"/);
        const contract = (await proxy.waitFor(/^proxy (\S+) serving/m))[1];
        expect(statSync(join(dir, 'proxy', 'proxy-key.json')).mode & 0o777).toBe(0o600);
        const fake = imageHash(zeroMeasurements());
        await configureRoot(client, owner, Address.parse(root), {
            proxyHashes: [fake],
            workerHashes: [fake],
            models: [MODEL],
            proxy: reg[1],
        });

        // The worker takes its settings from a config file, the client from the environment.
        const workerConfig = join(dir, 'worker.json');
        writeFileSync(
            workerConfig,
            JSON.stringify({ model: MODEL, backend: model.url, coefficient: 1000, 'http-port': 0, 'data-dir': join(dir, 'worker') }),
        );
        const worker = daemon([
            'worker',
            ...common,
            '--key-name',
            'wallet2',
            '--config',
            workerConfig,
            '--gpu',
            'Test GPU 80GB',
            '--vram-mb',
            '81920',
        ]);
        running.push(worker);
        await worker.waitFor(/^worker \S+ serving cocoon\/tiny-stories-1m@local:0; stats (\S+)\/stats/m);
        const clientD = daemon(['client', ...common, '--key-name', 'wallet3'], {
            COCOON_HTTP_PORT: '0',
            COCOON_DEPOSIT: '5',
            COCOON_DATA_DIR: join(dir, 'client'),
        });
        running.push(clientD);
        const api = (await clientD.waitFor(/OpenAI API (\S+),/))[1];
        expect(readFileSync(join(dir, 'client', 'client-secret'), 'utf8').trim().length).toBeGreaterThan(20);

        const ai = new OpenAI({ baseURL: api, apiKey: 'unused', maxRetries: 0 });
        // The worker reaches the proxy on its own schedule (a fresh ts-node process, PoW, handshakes): on a
        // loaded 2-core CI machine that has taken over 10 s, so ask until it answers, on a deadline.
        const res = await waitFor(
            async () => {
                try {
                    return await ai.chat.completions.create({
                        model: 'cocoon/tiny-stories-1m',
                        messages: [{ role: 'user', content: 'Once upon a time' }],
                        max_tokens: 12,
                    });
                } catch (e) {
                    // Only "no worker yet" is expected while the worker's first connection is in flight.
                    if (!/no_workers|503/.test(String(e)))
                        throw new Error(
                            `completion failed: ${String(e)}\nclient: ${clientD.err().slice(-1500)}\nproxy: ${proxy.err().slice(-1500)}`,
                        );
                    return null;
                }
            },
            'an answer through the daemons',
            90_000,
            250,
        ).catch((e: Error) => {
            throw new Error(`${e.message}\nworker: ${worker.err().slice(-1500)}\nproxy: ${proxy.err().slice(-1500)}`);
        });
        expect(res.choices[0].message.content?.length).toBeGreaterThan(0);
        expect(res.usage?.completion_tokens).toBeGreaterThan(0);
        const models = (await (await fetch(`${api}/models`)).json()) as { data: { id: string; workers: unknown[] }[] };
        expect(models.data).toEqual([
            expect.objectContaining({ id: 'cocoon/tiny-stories-1m', workers: [expect.objectContaining({ coefficient: 1000 })] }),
        ]);

        // Stats on each daemon's HTTP port: pages open to all, admin actions behind the access secret.
        const proxyHttp = (await proxy.waitFor(/stats (\S+)\/stats/))[1];
        const workerHttp = (await worker.waitFor(/stats (\S+)\/stats/))[1];
        const clientHttp = api.replace(/\/v1$/, '');
        const pstats = (await (await fetch(`${proxyHttp}/jsonstats`)).json()) as {
            worker_connections: { gpu: string; vram_mb: number; model: string }[];
        };
        expect(pstats.worker_connections).toEqual([expect.objectContaining({ gpu: 'Test GPU 80GB', vram_mb: 81920, model: MODEL })]);
        const wstats = (await (await fetch(`${workerHttp}/jsonstats`)).json()) as { hardware: { gpu: string } };
        expect(wstats.hardware).toMatchObject({ gpu: 'Test GPU 80GB' });
        const page = await fetch(`${clientHttp}/stats`);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toMatch(/text\/html/);
        const metrics = await (await fetch(`${proxyHttp}/metrics`)).text();
        expect(metrics).toMatch(/^# TYPE cocoon_proxy_worker_connections gauge$/m);
        expect(metrics).toMatch(/^cocoon_proxy_worker_connections 1$/m);
        expect((await fetch(`${proxyHttp}/request/settle`, { method: 'POST' })).status).toBe(401);
        expect(
            (await fetch(`${proxyHttp}/request/settle`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } })).status,
        ).toBe(200);
        const noSecret = await fetch(`${workerHttp}/request/disable`, { method: 'POST', headers: { authorization: 'Bearer x' } });
        expect(noSecret.status).toBe(403);
        expect(((await noSecret.json()) as { error: { message: string } }).error.message).toMatch(/--access-secret/);

        for (const d of [clientD, worker, proxy]) {
            d.child.kill('SIGTERM');
            expect(await d.exited).toBe(0);
            expect(d.err()).toMatch(/"msg":"stopping","why":"SIGTERM"/);
        }

        // Same data dir: same signing key, same contract, and the store opens (it is signed by that key).
        const again = daemon(proxyArgs);
        running.push(again);
        expect((await again.waitFor(/^proxy (\S+) serving/m))[1]).toBe(contract);
        again.child.kill('SIGTERM');
        expect(await again.exited).toBe(0);
    });
});
