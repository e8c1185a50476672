/** @jest-environment node */
/**
 * Issue 25's acceptance test on a live local network: the local chain, a root, one proxy and two workers
 * of two GPU owners (two wallets) with different hardware. Owner A registers through the `cocoon` command
 * (bin/cocoon.js, as the README says), owner B through the unmodified Blueprint script
 * (`npx blueprint run registerGpuOwner`). A client sends requests that both workers serve (streaming
 * backend: tokens come fast and counted), each worker is paid on-chain twice, and the real indexer ingests
 * the chain and reads the proxy's stats page. Headless Chromium then checks that the explorer lists both
 * owners with their profiles, that each owner's earnings equal the payouts the owner's wallet received on
 * the chain (read from the chain here, not from the indexer) to the nanoTON, and that when worker A stops,
 * its observed up time stops growing and its share drops while B's keeps growing.
 * Screenshots go to tests/artifacts/web/gpu-live-*.png (gitignored).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Address, loadTransaction } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import type { Page as PwPage } from 'playwright-core';
import type { GpuOwnerDetail, GpuOwnerList } from '../../indexer/api/types';
import { openWallet, readRegistry, type ChainWallet } from '../../node/chain';
import { readWorkerContract } from '../../node/chain/cocoon';
import { signingKey } from '../../node/cli/daemon';
import { baseModelName } from '../../node/common/models';
import type { WorkerRunner } from '../../node/worker/runner';
import { loadPayout } from '../../wrappers/CocoonProxy';
import { formatInt } from '../../web/src/format';
import { MODEL, startTestNetwork, type TestNetwork } from '../e2e/helpers/network';
import { streamingBackend, STREAM_MODEL, type StreamingBackend } from '../e2e/helpers/streaming-backend';
import { launchBrowser, type Browser } from './helpers/browser';
import { explorerDriver, prepareWebDist, ROOT_DIR, until } from './helpers/explorer';
import { startLiveIndexer, type LiveIndexer } from './helpers/live-indexer';
import { bufferToBigInt } from '../../wrappers/uint256';

jest.setTimeout(300_000);
const exec = promisify(execFile);

const PRICE = 1000n;
const FEE = 800n;
/** The profile names the model without its @commit:verity version (64-byte names on-chain). */
const SERVED = baseModelName(MODEL);

interface Owner {
    name: 'A' | 'B';
    wallet: ChainWallet;
    key: { publicKey: Buffer; secretKey: Buffer };
    hardware: { gpuModel: string; gpuCount: number; vramMib: number; tee: string; region: string; uptimePermille: number };
    /** Started once the owner's registration is sent (both send from the owner's wallet). */
    worker: WorkerRunner | null;
    /** Raw addresses: the owner's wallet and its registry contract. */
    owner: string;
    registry: string;
}

let net: TestNetwork;
let backend: StreamingBackend;
let indexer: LiveIndexer;
let browser: Browser;
let page: PwPage;
let dir: string;
const owners: Owner[] = [];
const { api, open, shot, text, rowKeys } = explorerDriver(() => ({ page, url: indexer.url }), 'gpu-live-');
const ownerApi = (o: Owner) => api<GpuOwnerDetail>(`/api/gpu-owners/${o.owner}`);

/** Owner A: `cocoon worker register` with flags (no nvidia-smi here), answering yes with --yes. */
async function registerThroughCli(o: Owner, keyName: string): Promise<string> {
    const keyFile = path.join(dir, 'wallets.json');
    fs.writeFileSync(keyFile, JSON.stringify(net.local.wallets), { mode: 0o600 });
    const h = o.hardware;
    const { stdout } = await exec(
        process.execPath,
        [
            path.join(ROOT_DIR, 'bin', 'cocoon.js'),
            'worker',
            'register',
            '--endpoint',
            net.local.v4Url,
            '--root',
            net.root.toString(),
            '--key-file',
            keyFile,
            '--key-name',
            keyName,
            '--data-dir',
            path.join(dir, 'worker-a'),
            '--gpu',
            h.gpuModel,
            '--gpu-count',
            String(h.gpuCount),
            '--vram-mb',
            String(h.vramMib),
            '--tee',
            h.tee,
            '--region',
            h.region,
            '--uptime-commitment',
            (h.uptimePermille / 10).toFixed(1),
            '--model',
            MODEL,
            '--yes',
        ],
        { cwd: ROOT_DIR, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 180_000 },
    );
    return stdout;
}

/** Owner B: the Blueprint script with a JSON profile, as tests/scripts/registerGpuOwner.spec.ts runs it. */
async function registerThroughBlueprint(o: Owner, mnemonic: string[]): Promise<string> {
    const file = path.join(dir, 'owner-b.json');
    const h = o.hardware;
    fs.writeFileSync(
        file,
        JSON.stringify({
            ...h,
            cpuModel: 'AMD Ryzen 9 7950X',
            cpuCores: 32,
            ramMib: 131072,
            models: [SERVED],
            workerKeys: [o.key.publicKey.toString('hex')],
        }),
    );
    const { stdout } = await exec(
        process.execPath,
        [
            path.join(ROOT_DIR, 'node_modules/@ton/blueprint/dist/cli/cli.js'),
            'run',
            'registerGpuOwner',
            net.root.toString(),
            'register',
            file,
            '--custom',
            net.local.v4Url,
            '--custom-version',
            'v4',
            '--custom-type',
            'custom',
            '--mnemonic',
        ],
        {
            cwd: ROOT_DIR,
            env: { ...process.env, WALLET_MNEMONIC: mnemonic.join(' '), WALLET_VERSION: 'v4', NODE_OPTIONS: '' },
            timeout: 180_000,
        },
    );
    return stdout;
}

function runner(o: Owner): WorkerRunner {
    if (!o.worker) throw new Error(`worker ${o.name} did not start`);
    return o.worker;
}

/** Tokens the proxy counted for an owner's worker. */
const served = (o: Owner) => net.proxy.findWorker(o.owner)?.ledger.tokensMax ?? 0n;

/** One completion through the client's OpenAI-compatible API. */
async function complete(): Promise<void> {
    const res = await fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: STREAM_MODEL, messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 6 }),
    });
    if (res.status !== 200) throw new Error(`completion: HTTP ${res.status} ${await res.text()}`);
    await res.json();
}

/**
 * Both workers serve: each takes one request at a time, so two requests sent together go to both (the
 * proxy gives the second to the idle worker). Pairs are sent until each worker served more than before.
 */
async function serveBoth(): Promise<void> {
    const before = owners.map(served);
    await until(
        'both workers to serve a request',
        async () => {
            await Promise.all([complete(), complete()]);
            return owners.every((o, i) => served(o) > before[i]);
        },
        60_000,
    );
}

/** Each worker cashes out what the proxy signed, once its tokens are committed on-chain. */
async function payBoth(): Promise<void> {
    await Promise.all(
        owners.map(async (o) => {
            await until(`worker ${o.name}'s tokens committed on-chain`, async () => {
                const acc = net.proxy.findWorker(o.owner);
                return !!acc && acc.ledger.tokensCommittedToBlockchain === acc.ledger.tokensMax;
            });
            await until(`worker ${o.name}'s payout`, async () => (await runner(o).payoutAll(true)).length > 0);
        }),
    );
}

/** The `payout` messages the proxy contract sent to this wallet, read from the chain's own transactions. */
function chainPayouts(o: Owner): bigint[] {
    return net.local.chain.accountTransactions(Address.parse(o.owner)).flatMap((t) => {
        const msg = loadTransaction(t.cell.beginParse()).inMessage;
        if (msg?.info.type !== 'internal' || !msg.info.src.equals(net.proxy.contract)) return [];
        try {
            loadPayout(msg.body.beginParse());
        } catch {
            return []; // another message from the proxy (excesses)
        }
        return [msg.info.value.coins];
    });
}

const phases: string[] = [];

beforeAll(async () => {
    prepareWebDist();
    const t0 = Date.now();
    const phase = (name: string) => phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // RA-TLS between the runners (fake attestation), as in production: the proxy observes a worker's uptime
    // under its attested key, which is the key its owner registered (an unattested plaintext peer has none).
    net = await startTestNetwork({ params: { pricePerToken: PRICE, workerFeePerToken: FEE }, full: false, extraWallets: 1 });
    dir = net.dir;
    backend = await streamingBackend({ promptTokens: 10, delayMs: 5 });
    phase('network up');
    const walletB = net.local.wallets[4];
    const dirA = path.join(dir, 'worker-a');
    fs.mkdirSync(dirA);
    const a: Owner = {
        name: 'A',
        wallet: net.wallets.worker,
        // The key `cocoon worker register` puts in the profile is the one the worker then runs with.
        key: signingKey(dirA, 'worker'),
        hardware: { gpuModel: 'NVIDIA H100 80GB HBM3', gpuCount: 8, vramMib: 81559, tee: 'tdx', region: 'eu-west', uptimePermille: 995 },
        worker: null,
        owner: net.wallets.worker.address.toRawString(),
        registry: '',
    };
    const b: Owner = {
        name: 'B',
        wallet: await openWallet(net.chain, { mnemonic: walletB.mnemonic }),
        key: keyPairFromSeed(Buffer.alloc(32, 11)),
        hardware: { gpuModel: 'NVIDIA GeForce RTX 4090', gpuCount: 2, vramMib: 24564, tee: 'none', region: 'us', uptimePermille: 900 },
        worker: null,
        owner: Address.parse(walletB.address).toRawString(),
        registry: '',
    };
    owners.push(a, b);
    const startWorker = async (o: Owner) => {
        o.worker = await net.startWorker({
            backendUrl: backend.url,
            wallet: o.wallet,
            key: o.key,
            maxActiveRequests: 1,
            hardware: { gpu: o.hardware.gpuModel, vramMb: o.hardware.vramMib, gpuCount: o.hardware.gpuCount },
        });
        const reg = await readRegistry(net.chain, net.root, Address.parse(o.owner));
        if (!reg) throw new Error(`owner ${o.name} is not registered`);
        o.registry = reg.address.toRawString();
        phase(`worker ${o.name} up`);
    };
    const outputs: Record<'cli' | 'blueprint', string> = { cli: '', blueprint: '' };
    // The in-process services first: the indexer's embedded database start holds this process's event loop,
    // where the local chain answers the registering processes (whose HTTP clients give up after 5 s).
    await Promise.all([
        net.startClient().then(() => phase('client up')),
        startLiveIndexer(net).then((i) => {
            indexer = i;
            phase('indexer up');
        }),
        launchBrowser().then((br) => {
            browser = br;
            page = br.page;
            phase('browser up');
        }),
    ]);
    await Promise.all([
        registerThroughCli(a, net.local.wallets[2].name).then(async (out) => {
            outputs.cli = out;
            phase('A registered (CLI)');
            await startWorker(a);
        }),
        registerThroughBlueprint(b, walletB.mnemonic).then(async (out) => {
            outputs.blueprint = out;
            phase('B registered (Blueprint)');
            await startWorker(b);
        }),
    ]);
    expect(outputs.cli).toMatch(/done: active/);
    expect(outputs.blueprint).toContain(`registry contract ${Address.parse(b.registry).toString()}`);

    // Two rounds of work and pay: each owner's earnings are a sum of two payouts.
    for (let round = 1; round <= 2; round++) {
        await serveBoth();
        await payBoth();
        phase(`round ${round} served and paid`);
    }
    await until(
        'the indexer to see every payout',
        async () => {
            const seen = await Promise.all(owners.map(ownerApi));
            return seen.every((d, i) => d.payouts.length === chainPayouts(owners[i]).length);
        },
        60_000,
    );
    phase('indexed');
});

afterAll(async () => {
    console.log(`live network for the GPU owners pages: ${phases.join(', ')}`);
    await browser?.close();
    await indexer?.close();
    await net?.close();
    await backend?.close();
});

describe('GPU owners on a live network', () => {
    it('lists both owners with the profiles they registered, one through the CLI and one through the Blueprint script', async () => {
        // The chain holds both registrations (read with the registry's get-method, not through the indexer).
        for (const o of owners) {
            const reg = (await readRegistry(net.chain, net.root, Address.parse(o.owner)))!;
            expect({ owner: o.name, status: reg.status, profile: reg.profile }).toMatchObject({
                owner: o.name,
                status: 'active',
                profile: { ...o.hardware, models: [SERVED], workerKeys: [bufferToBigInt(o.key.publicKey)] },
            });
        }
        const list = await api<GpuOwnerList>('/api/gpu-owners');
        expect(new Set(list.items.map((i) => i.address))).toEqual(new Set(owners.map((o) => o.registry)));

        await open('gpu-owners');
        expect((await rowKeys('gpu-owners')).sort()).toEqual(owners.map((o) => o.registry).sort());
        for (const o of owners) {
            const row = page.getByTestId('gpu-owners').locator(`tr[data-key="${o.registry}"]`);
            const cell = async (label: string) => ((await row.locator(`td[data-label="${label}"]`).textContent()) ?? '').trim();
            expect({
                owner: o.name,
                gpu: await cell('GPU'),
                gpus: await cell('GPUs'),
                vram: await cell('VRAM (MiB)'),
                models: await cell('Models'),
                status: await cell('Status'),
                declared: await row.getByTestId('uptime').getAttribute('data-declared'),
            }).toEqual({
                owner: o.name,
                gpu: o.hardware.gpuModel,
                gpus: String(o.hardware.gpuCount),
                vram: formatInt(o.hardware.vramMib),
                models: SERVED,
                status: 'active',
                declared: String(o.hardware.uptimePermille),
            });
        }
        await shot('list');
    });

    it("shows on each owner's page earnings equal to the payouts the owner's wallet received on-chain, to the nanoTON", async () => {
        for (const o of owners) {
            const payouts = chainPayouts(o);
            const sum = payouts.reduce((x, y) => x + y, 0n);
            // Two rounds, each paid: at least two payouts, and together what the worker contract says it paid for.
            expect(payouts.length).toBeGreaterThanOrEqual(2);
            const contract = net.proxy.findWorker(o.owner)!.contract;
            expect(sum).toBe((await readWorkerContract(net.chain, contract))!.tokens * FEE);

            await open(`gpu-owners/${o.owner}`);
            expect({ owner: o.name, earned: await page.getByTestId('owner-tonEarned').getAttribute('data-nano') }).toEqual({
                owner: o.name,
                earned: sum.toString(),
            });
            expect(await rowKeys('owner-workers')).toEqual([contract.toRawString()]);
            expect(await page.getByTestId('owner-payouts').locator('tbody tr').count()).toBe(payouts.length);
            expect(await text('gpu-owner-fields')).toContain(`${o.hardware.gpuCount} × ${o.hardware.gpuModel}`);
            // The list shows the same figure.
            await open('gpu-owners');
            const row = page.getByTestId('gpu-owners').locator(`tr[data-key="${o.registry}"]`);
            expect(await row.locator('td[data-label="TON earned"] [data-nano]').getAttribute('data-nano')).toBe(sum.toString());
            await open(`gpu-owners/${o.owner}`);
            await page.getByTestId('owner-payouts').waitFor();
            await shot(`owner-${o.name}`);
        }
    });

    it("observed uptime: the stopped worker's up time stops growing and its share drops while the other's keeps growing", async () => {
        const [a, b] = owners;
        type Seen = { up: boolean; upSeconds: number; windowSeconds: number };
        const seen = async (o: Owner): Promise<Seen> => {
            const rows = (await ownerApi(o)).uptime;
            if (rows.length !== 1) throw new Error(`owner ${o.name}: ${rows.length} uptime rows`);
            // The proxy observed the worker under the key its owner registered.
            if (rows[0].workerKey !== o.key.publicKey.toString('hex'))
                throw new Error(`owner ${o.name}: uptime of key ${rows[0].workerKey}`);
            return { up: rows[0].up, upSeconds: rows[0].uptimeSeconds, windowSeconds: rows[0].windowSeconds };
        };
        const observedShare = async (o: Owner) =>
            Number((await api<GpuOwnerList>('/api/gpu-owners')).items.find((i) => i.address === o.registry)!.observedUptimePermille);
        await until('both workers observed up for a second', async () =>
            (await Promise.all([seen(a), seen(b)])).every((s) => s.up && s.upSeconds >= 1),
        );
        const shareBefore = await observedShare(a);

        await runner(a).close(1000);
        await until('the indexer to read worker A as down', async () => !(await seen(a)).up);
        const stopped = await seen(a);
        const bAtStop = await seen(b);
        // Collection goes on: A's window grows, B's up time grows, A's up time does not.
        await until(
            'two more seconds of observation',
            async () => {
                const [sa, sb] = await Promise.all([seen(a), seen(b)]);
                return sa.windowSeconds >= stopped.windowSeconds + 2 && sb.upSeconds >= bAtStop.upSeconds + 2;
            },
            30_000,
        );
        const [later, bLater] = await Promise.all([seen(a), seen(b)]);
        expect(later).toEqual({ up: false, upSeconds: stopped.upSeconds, windowSeconds: later.windowSeconds });
        expect(bLater.up).toBe(true);
        expect(await observedShare(a)).toBeLessThan(shareBefore);

        // The explorer shows it: A down with its up time frozen, B up with more up time than when A stopped.
        const uptimeRow = async (o: Owner) => {
            await open(`gpu-owners/${o.owner}`);
            const row = page.getByTestId('owner-uptime').locator('tbody tr').first();
            await row.waitFor();
            return {
                now: ((await row.locator('td[data-label="Now"]').textContent()) ?? '').trim(),
                up: Number(await row.getByTestId('uptime-up').getAttribute('data-seconds')),
            };
        };
        expect(await uptimeRow(a)).toEqual({ now: 'down', up: stopped.upSeconds });
        await shot('owner-A-stopped');
        const shownB = await uptimeRow(b);
        expect(shownB.now).toBe('up');
        expect(shownB.up).toBeGreaterThanOrEqual(bAtStop.upSeconds + 2);
        await open('gpu-owners');
        const observedA = await page
            .getByTestId('gpu-owners')
            .locator(`tr[data-key="${a.registry}"]`)
            .getByTestId('uptime')
            .getAttribute('data-observed');
        expect(Number(observedA)).toBeLessThan(shareBefore);
        await shot('list-A-stopped');
    });
});
