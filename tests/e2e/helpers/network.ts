/**
 * A whole Cocoon network for end-to-end tests: the embedded local chain, a root deployed and configured
 * (fake-TDX image hashes, the model hash, the proxy registered), a proxy, a worker on the embedded model
 * (or any backend) and a client runner, wired over RA-TLS with the fake attestation policy exactly as
 * production wires them over tdx. Everything talks through the chain's public HTTP API.
 */
import { mkdtempSync, rmSync } from 'fs';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { Address, toNano } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import {
    anyPolicy,
    ed25519KeyObject,
    fakePolicy,
    fakeProvider,
    imageHash,
    noneProvider,
    RaTlsContext,
    zeroMeasurements,
} from '../../../node/attestation';
import { createChainClient, openWallet, type ChainClient, type ChainWallet } from '../../../node/chain';
import { startEmbeddedServer, type EmbeddedServer } from '../../../node/inference';
import { startLocalChain, type RunningLocalChain } from '../../../node/localchain/server';
import { silentLogger, type Logger } from '../../../node/common/log';
import { ProxyRunner, type ProxyRunnerConfig } from '../../../node/proxy/runner';
import { WorkerRunner, type WorkerRunnerConfig } from '../../../node/worker/runner';
import { ClientRunner, type ClientRunnerConfig } from '../../../node/client/runner';
import { configureRoot, defaultParams, ensureRoot } from '../../../node/cli/network';
import type { CocoonParams } from '../../../wrappers/params';
import { spawnRunner, type RunnerProcess } from './process';

export const MODEL = 'cocoon/tiny-stories-1m@local:0';
export const FAKE_IMAGE = imageHash(zeroMeasurements());

export interface TestNetwork {
    local: RunningLocalChain;
    chain: ChainClient;
    root: Address;
    params: CocoonParams;
    wallets: { owner: ChainWallet; proxy: ChainWallet; worker: ChainWallet; client: ChainWallet };
    proxyKey: { publicKey: Buffer; secretKey: Buffer };
    proxy: ProxyRunner;
    /** Set when the proxy runs in its own process. */
    proxyProcess?: RunnerProcess;
    proxyConfig: ProxyRunnerConfig;
    /** The last worker started. */
    worker?: WorkerRunner;
    /** Every worker started (close() stops them all). */
    workers: WorkerRunner[];
    client?: ClientRunner;
    model?: EmbeddedServer;
    /** Client API base URL (…/v1). */
    apiUrl?: string;
    dir: string;
    startProxy(): Promise<ProxyRunner>;
    /** Starts the proxy as a separate process (same wallet, key and data dir as the in-process one). */
    spawnProxy(ports?: { workerPort: number; clientPort: number }): Promise<{ workerPort: number; clientPort: number }>;
    startWorker(opts?: {
        backendUrl?: string;
        seed?: number;
        maxActiveRequests?: number;
        intervals?: WorkerRunnerConfig['intervals'];
        protoRange?: WorkerRunnerConfig['protoRange'];
        changeModelScript?: string;
        /** Another GPU owner's wallet (default wallets.worker). */
        wallet?: ChainWallet;
        /** The worker's signing key (default: from `seed`). */
        key?: WorkerRunnerConfig['key'];
        hardware?: WorkerRunnerConfig['hardware'];
    }): Promise<WorkerRunner>;
    startClient(opts?: {
        deposit?: bigint;
        secret?: string;
        intervals?: ClientRunnerConfig['intervals'];
        protoRange?: ClientRunnerConfig['protoRange'];
        e2e?: boolean;
    }): Promise<ClientRunner>;
    close(): Promise<void>;
}

export interface TestNetworkOptions {
    params?: Partial<CocoonParams>;
    /** Start worker + client too (default true). */
    full?: boolean;
    /** Run the proxy in its own process (tests that kill it); default in-process. */
    proxyProcess?: boolean;
    /** Funded wallets beyond the four roles (extra workers, clients). */
    extraWallets?: number;
    logger?: Logger;
    proxy?: Partial<ProxyRunnerConfig>;
    /** RA-TLS between the runners (default true); false runs them over plaintext TCP without image-hash checks. */
    tls?: boolean;
}

/** `key`: the node's signing key as its RA-TLS key (a worker's receipts then tie to its quote). */
export async function tlsFor(
    role: 'proxy-workers' | 'proxy-clients' | 'worker' | 'client',
    key?: { secretKey: Buffer },
): Promise<RaTlsContext> {
    if (role === 'proxy-clients') return RaTlsContext.create({ provider: fakeProvider, policy: anyPolicy(), autoRotate: false });
    if (role === 'client') return RaTlsContext.create({ provider: noneProvider, policy: fakePolicy(), autoRotate: false });
    return RaTlsContext.create({
        provider: fakeProvider,
        policy: fakePolicy(),
        autoRotate: false,
        privateKey: key && ed25519KeyObject(key.secretKey),
    });
}

export async function startTestNetwork(opts: TestNetworkOptions = {}): Promise<TestNetwork> {
    const dir = mkdtempSync(join(tmpdir(), 'cocoon-e2e-'));
    const log = opts.logger ?? silentLogger;
    const local = await startLocalChain({ port: 0, wallets: 4 + (opts.extraWallets ?? 0), walletBalance: toNano('10000') });
    const chain = createChainClient({ url: local.v4Url });
    const [owner, proxyW, workerW, clientW] = await Promise.all(
        local.wallets.slice(0, 4).map((w) => openWallet(chain, { mnemonic: w.mnemonic })),
    );
    const params = { ...(await defaultParams()), ...opts.params };
    const net0 = await ensureRoot({ dataDir: dir, chainUrl: local.v4Url, ownerMnemonic: local.wallets[0].mnemonic, params });
    const root = Address.parse(net0.root);
    const proxyKey = keyPairFromSeed(Buffer.alloc(32, 7));
    const contexts: RaTlsContext[] = [];
    const useTls = opts.tls !== false;
    const ctx = async (role: Parameters<typeof tlsFor>[0], key?: { secretKey: Buffer }) => {
        if (!useTls) return undefined;
        const c = await tlsFor(role, key);
        contexts.push(c);
        return c;
    };
    const proxyConfig: ProxyRunnerConfig = {
        chain,
        wallet: proxyW,
        root,
        key: proxyKey,
        dataDir: join(dir, 'proxy'),
        workerTls: await ctx('proxy-workers'),
        clientTls: await ctx('proxy-clients'),
        powDifficulty: 4,
        checkWorkerHashes: useTls,
        intervals: { dbCommitMs: 100, chainCommitMs: 300, pollMs: 100, monitorMs: 300, settleMs: 3_600_000, rootMs: 3_600_000 },
        logger: log.child('proxy'),
        ...opts.proxy,
    };
    const net: TestNetwork = {
        local,
        chain,
        root,
        params,
        dir,
        proxyKey,
        proxyConfig,
        wallets: { owner, proxy: proxyW, worker: workerW, client: clientW },
        workers: [],
        proxy: undefined as unknown as ProxyRunner,
        async startProxy() {
            net.proxy = await ProxyRunner.start(proxyConfig);
            return net.proxy;
        },
        async spawnProxy(ports) {
            net.proxyProcess = spawnRunner('proxy', {
                chainUrl: local.v4Url,
                root: root.toString(),
                mnemonic: local.wallets[1].mnemonic,
                seed: 7,
                dataDir: join(dir, 'proxy'),
                ...ports,
            });
            return net.proxyProcess.ready as Promise<{ workerPort: number; clientPort: number }>;
        },
        async startWorker(o = {}) {
            if (!o.backendUrl && !net.model) net.model = await startEmbeddedServer({ port: 0 });
            const key = o.key ?? keyPairFromSeed(Buffer.alloc(32, o.seed ?? 9));
            net.worker = await WorkerRunner.start({
                chain,
                wallet: o.wallet ?? workerW,
                root,
                model: MODEL,
                backendUrl: o.backendUrl ?? net.model!.url,
                key,
                tls: await ctx('worker', key),
                checkProxyHashes: useTls,
                coefficient: 1000,
                maxActiveRequests: o.maxActiveRequests ?? 8,
                intervals: { reconnectMs: 200, statusMs: 500, payoutMs: 3_600_000, ...o.intervals },
                logger: log.child('worker'),
                protoRange: o.protoRange,
                changeModelScript: o.changeModelScript,
                hardware: o.hardware,
            });
            net.workers.push(net.worker);
            return net.worker;
        },
        async startClient(o = {}) {
            net.client = await ClientRunner.start({
                chain,
                wallet: clientW,
                root,
                secret: o.secret ?? 'e2e-secret',
                deposit: o.deposit ?? toNano('5'),
                tls: await ctx('client'),
                checkProxyHashes: useTls,
                intervals: { reconnectMs: 200, statusMs: 500, settleMs: 3_600_000, ...o.intervals },
                logger: log.child('client'),
                protoRange: o.protoRange,
                e2e: o.e2e,
            });
            await net.client.waitReady(60_000);
            const server: Server = createServer((req, res) => {
                if (!net.client!.handler(req, res)) {
                    res.writeHead(404).end();
                }
            });
            await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
            servers.push(server);
            net.apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
            return net.client;
        },
        async close() {
            for (const s of servers) {
                s.closeAllConnections();
                await new Promise((r) => s.close(r));
            }
            await net.client?.close(1000);
            for (const w of net.workers) await w.close(1000);
            await net.proxy?.close(1000);
            net.proxyProcess?.kill('SIGKILL');
            await net.model?.close();
            for (const c of contexts) c.close();
            await local.close();
            rmSync(dir, { recursive: true, force: true });
        },
    };
    const servers: Server[] = [];
    let ports: { workerPort: number; clientPort: number };
    if (opts.proxyProcess) ports = await net.spawnProxy();
    else {
        await net.startProxy();
        ports = { workerPort: net.proxy.workerPort, clientPort: net.proxy.clientPort };
    }
    await configureRoot(chain, owner, root, {
        proxyHashes: [FAKE_IMAGE],
        workerHashes: [FAKE_IMAGE],
        models: [MODEL],
        proxy: `127.0.0.1:${ports.workerPort} 127.0.0.1:${ports.clientPort}`,
    });
    await net.proxy?.refreshRoot();
    if (opts.full !== false) {
        await net.startWorker();
        await net.startClient();
    }
    return net;
}
