/**
 * `cocoon up` (= `npm start`): starts the local network in one process with a persistent data
 * directory, shows progress, then prints the URLs. Ctrl-C stops every part cleanly; the next start
 * resumes the same chain and databases.
 *
 * Parts started today: the embedded local chain with funded wallets, the root contract (deployed on
 * first start), the embedded model behind its OpenAI-compatible server, and the indexer (ingesting the
 * network from the root) with its API + explorer. The proxy, worker and client daemons join this sequence
 * as they land (see README "Status").
 */
import { mkdirSync } from 'fs';
import { join, resolve } from 'path';
import { startLocalChain, type RunningLocalChain } from '../localchain/server';

const HELP = `Usage: cocoon up [options]        (npm start = cocoon up)

Starts the local Cocoon network with a persistent data directory and prints its URLs.

Options (env var in brackets, default in parentheses):
  --data-dir <dir>      where the network keeps its state [COCOON_DATA_DIR] (.cocoon)
  --host <host>         interface every service listens on [COCOON_HOST] (127.0.0.1)
  --chain-port <port>   local chain HTTP APIs [COCOON_CHAIN_PORT] (8081)
  --model-port <port>   embedded model, OpenAI-compatible [COCOON_MODEL_PORT] (8000)
  --explorer-port <p>   indexer API + explorer [COCOON_INDEXER_PORT] (8090)
  --once                start, print the banner as JSON, stop (for scripts and tests)
  -h, --help            show this help
`;

export interface UpOptions {
    dataDir: string;
    host: string;
    chainPort: number;
    modelPort: number;
    explorerPort: number;
    once: boolean;
}

export function parseUpArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): UpOptions | 'help' {
    const port = (v: string, what: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid ${what}: ${v}`);
        return n;
    };
    const o: UpOptions = {
        dataDir: env.COCOON_DATA_DIR ?? '.cocoon',
        host: env.COCOON_HOST ?? '127.0.0.1',
        chainPort: port(env.COCOON_CHAIN_PORT ?? '8081', 'chain port'),
        modelPort: port(env.COCOON_MODEL_PORT ?? '8000', 'model port'),
        explorerPort: port(env.COCOON_INDEXER_PORT ?? '8090', 'explorer port'),
        once: false,
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = () => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${a} needs a value (see cocoon up --help)`);
            return v;
        };
        if (a === '-h' || a === '--help') return 'help';
        else if (a === '--data-dir') o.dataDir = next();
        else if (a === '--host') o.host = next();
        else if (a === '--chain-port') o.chainPort = port(next(), 'chain port');
        else if (a === '--model-port') o.modelPort = port(next(), 'model port');
        else if (a === '--explorer-port') o.explorerPort = port(next(), 'explorer port');
        else if (a === '--once') o.once = true;
        else throw new Error(`unknown option ${a} (see cocoon up --help)`);
    }
    return o;
}

export interface RunningNetwork {
    chain: RunningLocalChain;
    modelUrl: string;
    explorerUrl: string | null;
    banner: Record<string, unknown>;
    stop(): Promise<void>;
}

function progress(step: string, detail: Record<string, unknown> = {}): void {
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', scope: 'up', msg: step, ...detail }) + '\n');
}

export async function startNetwork(o: UpOptions): Promise<RunningNetwork> {
    const dataDir = resolve(o.dataDir);
    mkdirSync(dataDir, { recursive: true });
    const stops: (() => Promise<void>)[] = [];
    const stopAll = async () => {
        for (const s of stops.reverse()) await s().catch(() => undefined);
    };
    try {
        const t0 = Date.now();
        progress('starting local chain', { dataDir: join(dataDir, 'chain') });
        const chain = await startLocalChain({ dataDir: join(dataDir, 'chain'), host: o.host, port: o.chainPort, wallets: 3 });
        stops.push(() => chain.close());
        progress('local chain ready', { url: chain.url, block: chain.chain.lastBlock.seqno, ms: Date.now() - t0 });

        progress('deploying the root contract (first start only)');
        const { ensureRoot } = await import('./network');
        const network = await ensureRoot({ dataDir, chainUrl: chain.v4Url, ownerMnemonic: chain.wallets[0].mnemonic });
        progress('root contract ready', { root: network.root, ms: Date.now() - t0 });

        progress('loading embedded model');
        const { startEmbeddedServer } = await import('../inference');
        const model = await startEmbeddedServer({ host: o.host, port: o.modelPort });
        stops.push(() => model.close());
        progress('model server ready', { url: model.url, model: model.modelId, ms: Date.now() - t0 });

        progress('starting indexer API and explorer');
        const { parseConfig } = await import('../../indexer/config');
        const { startService } = await import('../../indexer/service');
        const { defaultPorts } = await import('../../indexer/ingest/defaultPorts');
        // The local network keeps its indexer in its own data dir (PGlite), even when DATABASE_URL is set.
        const { config } = parseConfig([
            '--chain-url', chain.v4Url,
            '--data-dir', join(dataDir, 'indexer'),
            '--api-port', String(o.explorerPort),
            '--api-host', o.host,
            '--root', network.root,
            '--models', model.modelId,
        ]);
        const indexer = await startService({ config: { ...config, databaseUrl: null }, ports: defaultPorts() });
        stops.push(() => indexer.stop());
        progress('explorer ready', { url: indexer.url, ms: Date.now() - t0 });

        const banner = {
            dataDir,
            chain: { v4: chain.v4Url, v2: chain.v2Url, faucet: `${chain.url}/faucet` },
            root: network.root,
            model: { url: model.url, id: model.modelId },
            explorer: indexer.url,
            wallets: chain.wallets.map((w) => w.address),
            startupMs: Date.now() - t0,
        };
        return { chain, modelUrl: model.url, explorerUrl: indexer.url, banner, stop: stopAll };
    } catch (e) {
        await stopAll();
        throw e;
    }
}

export async function runUp(argv: string[]): Promise<number> {
    const o = parseUpArgs(argv);
    if (o === 'help') {
        process.stdout.write(HELP);
        return 0;
    }
    const net = await startNetwork(o);
    if (o.once) {
        process.stdout.write(JSON.stringify(net.banner) + '\n');
        await net.stop();
        return 0;
    }
    const b = net.banner as { model: { url: string; id: string } };
    process.stdout.write(
        [
            '',
            'Cocoon local network is up.',
            `  chain (ton-api-v4 / toncenter v2):  ${net.chain.v4Url}  ${net.chain.v2Url}`,
            `  model (OpenAI-compatible):         ${b.model.url}   model id ${b.model.id}`,
            `  explorer + indexer API:            ${net.explorerUrl}`,
            `  root contract:                     ${(net.banner as { root: string }).root}`,
            `  data directory:                    ${resolve(o.dataDir)}`,
            '',
            'Try it:',
            `  curl -s ${b.model.url}/chat/completions -H 'content-type: application/json' \\`,
            `    -d '{"model":"${b.model.id}","messages":[{"role":"user","content":"Tell me a story"}],"max_tokens":48}'`,
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
