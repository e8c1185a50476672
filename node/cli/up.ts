/**
 * `cocoon up` (= `npm start`): starts the local network in one process with a persistent data
 * directory, shows progress, then prints the URLs. Ctrl-C stops every part cleanly; the next start
 * resumes the same chain and databases.
 *
 * Parts, in start order: the embedded local chain with funded wallets (owner, proxy, worker, client);
 * the root contract (deployed on first start) set up with the fake-TDX image hash, the model's hash and
 * the proxy's registration; the embedded model behind its OpenAI-compatible server; a proxy, a worker on
 * that model and a client with a deposit (the same daemons as `cocoon proxy|worker|client`, over RA-TLS
 * with the fake attestation policy); the indexer (ingesting from the root) with its API + explorer.
 * Ports follow the original's layout from --base-port B: client API + stats B, proxy stats B+1000,
 * proxy worker/client ports B+1001/B+1002, worker stats B+2000.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { createHash, randomBytes } from 'crypto';
import { Address, toNano } from '@ton/core';
import type { ChainWallet } from '../chain';
import type { ClientRunner } from '../client/runner';
import { checkApiExposure } from '../client/api-guard';
import { DEFAULT_MODEL_PATH } from '../inference';
import { startLocalChain, type RunningLocalChain } from '../localchain/server';
import type { LogLevel } from '../common/log';
import { logLevelOption } from '../common/options';
import { noPositionals, optionsHelp, parseCommandLine, runCommand, stdio, usageError, type CliIo, type OptionSpec } from './chain-args';
import type { DaemonBase, Role } from './daemon';

/** Proof-of-work bits for the local proxy's ports: enough to exercise the step, quick on a laptop. */
const LOCAL_POW_DIFFICULTY = 12;

/**
 * Money a person can watch move. At the original's test price (2 nanoTON a token) twenty completions are
 * worth ~0.000003 TON while each settlement message costs ~0.01 TON in fees, so either nothing settles or
 * the fees dwarf the money. The local root therefore prices a token at 0.0001 TON (worker 0.00005, the
 * original's 2:1 ratio): a completion is worth ~0.006 TON, and the proxy settles whatever has waited
 * 20 s as long as the fee is at most half of what moves (~4 completions for a charge, ~8 for a payout),
 * or at once from 0.05 TON. A new data directory is needed for the price (the root keeps its params).
 */
export const LOCAL_PRICE = { pricePerToken: 100_000n, workerFeePerToken: 50_000n } as const;
export const LOCAL_SETTLEMENT = {
    charge: toNano('0.05'),
    payout: toNano('0.05'),
    withdraw: toNano('0.05'),
    settleAfterMs: 20_000,
    feeEstimate: toNano('0.01'),
    maxFeeShare: 0.5,
} as const;
/** The worker cashes out on its own only past the same fee guard (0.01 TON fee <= half the amount). */
const LOCAL_WORKER_MIN_PAYOUT = toNano('0.02');

/** The quick-start request the banner and README print (the test sends exactly this body). */
export function quickStartBody(modelId: string): string {
    return JSON.stringify({ model: modelId, messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 200 });
}

async function localRootParams() {
    const { defaultParams } = await import('./network');
    return { ...(await defaultParams()), ...LOCAL_PRICE };
}

export const UP_OPTIONS: OptionSpec[] = [
    {
        name: 'data-dir',
        type: 'string',
        env: 'COCOON_DATA_DIR',
        default: '.cocoon',
        help: "the network's state: chain, keys, proxy ledgers, indexer database",
    },
    { name: 'host', type: 'string', env: 'COCOON_HOST', default: '127.0.0.1', help: 'interface every service listens on' },
    { name: 'chain-port', type: 'port', env: 'COCOON_CHAIN_PORT', default: 8081, help: 'local chain HTTP APIs' },
    { name: 'model-port', type: 'port', env: 'COCOON_MODEL_PORT', default: 8000, help: 'embedded model, OpenAI-compatible' },
    { name: 'explorer-port', type: 'port', env: 'COCOON_INDEXER_PORT', default: 8090, help: 'indexer API + explorer' },
    {
        name: 'base-port',
        type: 'port',
        env: 'COCOON_BASE_PORT',
        default: 10000,
        help: 'client API B, proxy B+1000..B+1002, worker B+2000 (1024-63535, or 0 for any free ports)',
    },
    {
        name: 'access-secret',
        type: 'string',
        env: 'COCOON_ACCESS_SECRET',
        help: 'secret for the admin actions on the stats ports (default: generated into <data-dir>/access-secret)',
    },
    {
        name: 'api-key',
        type: 'string',
        env: 'COCOON_API_KEY',
        help: 'require Authorization: Bearer <key> on the client API (default none; required when --host is not loopback)',
    },
    {
        name: 'dev-token',
        type: 'string',
        env: 'COCOON_CHAIN_DEV_TOKEN',
        help: "the local chain's token for /faucet and /admin/time (default: generated into <data-dir>/chain/dev-token)",
    },
    logLevelOption('warn'),
    {
        name: 'once',
        type: 'bool',
        env: 'COCOON_UP_ONCE',
        default: false,
        help: 'start, print the banner as JSON, stop (for scripts and tests)',
    },
];

const USAGE = 'cocoon up [options]        (npm start = cocoon up)';
const DESCRIPTION = 'Starts the local Cocoon network with a persistent data directory and prints its URLs.';

export interface UpOptions {
    dataDir: string;
    host: string;
    chainPort: number;
    modelPort: number;
    explorerPort: number;
    basePort: number;
    accessSecret?: string;
    apiKey?: string;
    devToken?: string;
    logLevel?: LogLevel;
    once: boolean;
}

export function parseUpArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): UpOptions | 'help' {
    const parsed = parseCommandLine(UP_OPTIONS, argv, env);
    if (parsed === 'help') return 'help';
    noPositionals(parsed, 'cocoon up');
    const v = parsed.values;
    const basePort = v['base-port'] as number;
    if (basePort !== 0 && (basePort < 1024 || basePort > 63535))
        throw usageError(`invalid base port: ${basePort} (1024-63535, or 0 for any free ports)`);
    const text = (name: string) => (v[name] as string | undefined) || undefined;
    return {
        dataDir: String(v['data-dir']),
        host: String(v.host),
        chainPort: v['chain-port'] as number,
        modelPort: v['model-port'] as number,
        explorerPort: v['explorer-port'] as number,
        basePort,
        accessSecret: text('access-secret'),
        apiKey: text('api-key'),
        devToken: text('dev-token'),
        logLevel: v['log-level'] as LogLevel,
        once: v.once === true,
    };
}

export interface RunningNetwork {
    chain: RunningLocalChain;
    modelUrl: string;
    explorerUrl: string | null;
    /** The client daemon's OpenAI-compatible API (…/v1). */
    apiUrl: string;
    client: ClientRunner;
    banner: Record<string, unknown>;
    stop(): Promise<void>;
}

interface Banner {
    dataDir: string;
    chain: { v4: string; v2: string; faucet: string; devToken: string };
    root: string;
    model: { url: string; id: string; fullName: string };
    api: string;
    stats: { client: string; proxy: string; worker: string };
    accessSecret: string;
    explorer: string;
    startupMs: number;
}

function progress(step: string, detail: Record<string, unknown> = {}): void {
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', scope: 'up', msg: step, ...detail }) + '\n');
}

export async function startNetwork(o: UpOptions): Promise<RunningNetwork> {
    const dataDir = resolve(o.dataDir);
    // Before anything starts: an API on the network without a key would let anyone spend the deposit.
    checkApiExposure(o.host, o.apiKey);
    mkdirSync(dataDir, { recursive: true });
    const stops: (() => Promise<void>)[] = [];
    const stopAll = async () => {
        for (const s of stops.reverse()) await s().catch(() => undefined);
    };
    try {
        const t0 = Date.now();
        progress('starting local chain', { dataDir: join(dataDir, 'chain') });
        const chain = await startLocalChain({
            dataDir: join(dataDir, 'chain'),
            host: o.host,
            port: o.chainPort,
            wallets: 4,
            devToken: o.devToken,
        });
        stops.push(() => chain.close());
        progress('local chain ready', { url: chain.url, block: chain.chain.lastBlock.seqno, ms: Date.now() - t0 });

        progress('deploying the root contract (first start only)');
        const { ensureRoot } = await import('./network');
        const network = await ensureRoot({
            dataDir,
            chainUrl: chain.v4Url,
            ownerMnemonic: chain.wallets[0].mnemonic,
            params: await localRootParams(),
        });
        progress('root contract ready', { root: network.root, ms: Date.now() - t0 });

        progress('loading embedded model');
        const { startEmbeddedServer } = await import('../inference');
        const model = await startEmbeddedServer({ host: o.host, port: o.modelPort });
        stops.push(() => model.close());
        progress('model server ready', { url: model.url, model: model.modelId, ms: Date.now() - t0 });

        // The indexer and explorer come up while the nodes start (they only read the chain).
        progress('starting indexer API and explorer');
        const indexerReady = startIndexer(o, chain.v4Url, network.root, model.modelId, dataDir).then((indexer) => {
            stops.push(() => indexer.stop());
            progress('explorer ready', { url: indexer.url, ms: Date.now() - t0 });
            return indexer;
        });
        indexerReady.catch(() => undefined);

        const nodes = await startNodes(
            o,
            dataDir,
            chain,
            network.root,
            model,
            (step, detail) => progress(step, { ...detail, ms: Date.now() - t0 }),
            stops,
        );
        const indexer = await indexerReady;
        // The explorer shows the proxy's unsettled usage (off-chain) next to the chain's figures.
        indexer.proxyStats.add(`${nodes.proxy.httpUrl}/jsonstats`);

        const banner = {
            dataDir,
            chain: { v4: chain.v4Url, v2: chain.v2Url, faucet: `${chain.url}/faucet`, devToken: chain.devToken },
            root: network.root,
            model: { url: model.url, id: model.modelId, fullName: nodes.modelName },
            api: nodes.client.apiUrl,
            stats: {
                client: `${nodes.client.httpUrl}/stats`,
                proxy: `${nodes.proxy.httpUrl}/stats`,
                worker: `${nodes.worker.httpUrl}/stats`,
            },
            accessSecret: nodes.accessSecret,
            proxy: {
                owner: nodes.proxy.runner.owner.toString(),
                contract: nodes.proxy.runner.contract.toString(),
                endpoints: nodes.proxy.descriptor(),
            },
            worker: nodes.worker.runner.owner.toString(),
            client: nodes.client.runner.owner.toString(),
            explorer: indexer.url,
            wallets: chain.wallets.map((w) => w.address),
            startupMs: Date.now() - t0,
        };
        return {
            chain,
            modelUrl: model.url,
            explorerUrl: indexer.url,
            apiUrl: nodes.client.apiUrl,
            client: nodes.client.runner,
            banner,
            stop: stopAll,
        };
    } catch (e) {
        await stopAll();
        throw e;
    }
}

async function startIndexer(o: UpOptions, chainUrl: string, root: string, modelId: string, dataDir: string) {
    const { parseConfig } = await import('../../indexer/config');
    const { startService } = await import('../../indexer/service');
    const { defaultPorts } = await import('../../indexer/ingest/default-ports');
    // The local network keeps its indexer in its own data dir (PGlite), even when DATABASE_URL is set; a
    // config file named for `cocoon up` holds up's options, not the indexer's.
    const { config } = parseConfig(
        [
            '--chain-url',
            chainUrl,
            '--data-dir',
            join(dataDir, 'indexer'),
            '--api-port',
            String(o.explorerPort),
            '--api-host',
            o.host,
            '--root',
            root,
            // The root registers sha256 of the full name the worker announces, so that is the name to match.
            '--models',
            localModelName(modelId),
        ],
        { ...process.env, COCOON_CONFIG: '' },
    );
    return startService({ config: { ...config, databaseUrl: null }, ports: defaultPorts() });
}

/** The full model name the worker announces: the embedded model's id @ the sha256 of its weights file. */
function localModelName(modelId: string): string {
    const digest = createHash('sha256').update(readFileSync(DEFAULT_MODEL_PATH)).digest('hex');
    return `${modelId}@local:${digest.slice(0, 16)}`;
}

/** Reads or creates the admin secret of the local network's stats ports (0600 in the data dir). */
function localAccessSecret(dataDir: string, given?: string): string {
    if (given) return given;
    const path = join(dataDir, 'access-secret');
    if (!existsSync(path)) writeFileSync(path, randomBytes(16).toString('hex') + '\n', { mode: 0o600 });
    return readFileSync(path, 'utf8').trim();
}

async function startNodes(
    o: UpOptions,
    dataDir: string,
    chain: RunningLocalChain,
    rootAddress: string,
    model: { url: string; modelId: string },
    progress: (step: string, detail?: Record<string, unknown>) => void,
    stops: (() => Promise<void>)[],
) {
    const { createChainClient, openWallet } = await import('../chain');
    const { createLogger } = await import('../common/log');
    const { imageHash, zeroMeasurements } = await import('../attestation');
    const { configureRoot } = await import('./network');
    const { signingKey } = await import('./daemon');
    const { startProxyDaemon } = await import('./proxy');
    const { startWorkerDaemon } = await import('./worker');
    const { startClientDaemon } = await import('./client');
    const client = createChainClient({ url: chain.v4Url });
    if (chain.wallets.length < 4)
        throw new Error(
            `the local chain in ${join(dataDir, 'chain')} has ${chain.wallets.length} funded wallets, ` +
                `cocoon up needs 4 (owner, proxy, worker, client)`,
        );
    const [owner, proxyWallet, workerWallet, clientWallet] = await Promise.all(
        chain.wallets.slice(0, 4).map((w) => openWallet(client, { mnemonic: w.mnemonic })),
    );
    const root = Address.parse(rootAddress);
    const accessSecret = localAccessSecret(dataDir, o.accessSecret);
    const port = (offset: number) => (o.basePort === 0 ? 0 : o.basePort + offset);
    const level = o.logLevel ?? 'warn';
    const base = (role: Role, wallet: ChainWallet, httpPort: number): DaemonBase => {
        const dir = join(dataDir, role);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        return {
            values: {},
            chain: client,
            wallet,
            root,
            dataDir: dir,
            key: signingKey(dir, role),
            logger: createLogger(role, level),
            tee: role === 'client' ? 'none' : 'fake',
            peerPolicy: 'fake',
            host: o.host,
            httpPort,
            accessSecret,
            graceMs: 5000,
        };
    };

    progress('starting proxy');
    const proxy = await startProxyDaemon(base('proxy', proxyWallet, port(1000)), {
        workerPort: port(1001),
        clientPort: port(1002),
        powDifficulty: LOCAL_POW_DIFFICULTY,
        checkHashes: true,
        thresholds: LOCAL_SETTLEMENT,
        intervals: { chainCommitMs: 2000, pollMs: 500, rootMs: 5000, settleMs: 5000 },
    });
    stops.push(() => proxy.stop());
    const modelName = localModelName(model.modelId);
    const fake = imageHash(zeroMeasurements());
    const sent = await configureRoot(client, owner, root, {
        proxyHashes: [fake],
        workerHashes: [fake],
        models: [modelName],
        proxy: proxy.descriptor(),
    });
    if (sent > 0) {
        // Wait until the root shows the registration, so the worker and client find the proxy.
        const { readRoot } = await import('../chain/cocoon');
        for (let i = 0; i < 200; i++) {
            const r = await readRoot(client, root);
            if ([...r.registry.registeredProxies.values()].includes(proxy.descriptor()) && r.registry.modelHashes.length > 0) break;
            await new Promise((ok) => setTimeout(ok, 100));
        }
    }
    await proxy.runner.refreshRoot();
    progress('proxy ready', {
        contract: proxy.runner.contract.toString(),
        endpoints: proxy.descriptor(),
        stats: proxy.httpUrl,
        rootUpdates: sent,
    });

    progress('starting worker on the embedded model');
    const worker = await startWorkerDaemon(base('worker', workerWallet, port(2000)), {
        model: modelName,
        backendUrl: model.url,
        coefficient: 1000,
        maxActiveRequests: 16,
        proxyConnections: 1,
        minPayout: LOCAL_WORKER_MIN_PAYOUT,
        checkHashes: true,
        intervals: { reconnectMs: 500, statusMs: 2000, payoutMs: 10_000, rootMs: 5000 },
        register: true,
    });
    stops.push(() => worker.stop());
    // Connected and serving (its backend answered a health check): the first completion after start then works.
    const serving = () => worker.runner.connectedProxies > 0 && worker.runner.serving;
    for (let i = 0; i < 1200 && !serving(); i++) await new Promise((ok) => setTimeout(ok, 50));
    progress('worker ready', { owner: worker.runner.owner.toString(), proxies: worker.runner.connectedProxies, stats: worker.httpUrl });

    progress('starting client (deploys its contract and deposits on first start)');
    const clientDaemon = await startClientDaemon(base('client', clientWallet, port(0)), {
        deposit: toNano('10'),
        autoTopUp: true,
        checkHashes: true,
        access: { apiKey: o.apiKey },
        intervals: { reconnectMs: 500, statusMs: 2000, settleMs: 5000, rootMs: 5000 },
    });
    stops.push(() => clientDaemon.stop());
    progress('client ready', { api: clientDaemon.apiUrl });
    return { proxy, worker, client: clientDaemon, modelName, accessSecret };
}

export function runUp(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = stdio): Promise<number> {
    return runCommand('up', io, env, async () => {
        const o = parseUpArgs(argv, env);
        if (o === 'help') {
            io.out(optionsHelp(USAGE, DESCRIPTION, UP_OPTIONS));
            return 0;
        }
        return up(o);
    });
}

async function up(o: UpOptions): Promise<number> {
    const net = await startNetwork(o);
    if (o.once) {
        process.stdout.write(JSON.stringify(net.banner) + '\n');
        await net.stop();
        return 0;
    }
    const b = net.banner as unknown as Banner;
    process.stdout.write(
        [
            '',
            `Cocoon local network is up (${(b.startupMs / 1000).toFixed(1)} s).`,
            `  client API (OpenAI-compatible):    ${b.api}`,
            `  explorer + indexer API:            ${b.explorer}`,
            `  stats (client / proxy / worker):   ${b.stats.client}  ${b.stats.proxy}  ${b.stats.worker}`,
            `  admin secret for /request/*:       ${b.accessSecret}`,
            `  chain (ton-api-v4 / toncenter v2): ${b.chain.v4}  ${b.chain.v2}`,
            `  chain dev token (faucet, time):    ${b.chain.devToken}   (Authorization: Bearer, loopback only)`,
            `  root contract:                     ${b.root}`,
            `  embedded model backend:            ${b.model.url}   (${b.model.fullName})`,
            `  data directory:                    ${b.dataDir}`,
            '',
            'Try it (through client -> proxy -> worker; the answer carries usage and a signed receipt):',
            `  curl -s ${b.api}/chat/completions -H 'content-type: application/json' \\`,
            `    -d '${quickStartBody(b.model.id)}'`,
            `  (the model's context is 256 tokens, prompt included; settlement on-chain follows within ~30 s: cocoon client status)`,
            '',
            'Ctrl-C stops everything; the next `npm start` resumes the same network.',
            '',
        ].join('\n'),
    );
    await new Promise<void>((resolveStop) => {
        const stop = () => {
            progress('stopping');
            net.stop().then(() => resolveStop());
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
    });
    return 0;
}
