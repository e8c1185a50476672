/**
 * `npm run chain` / `cocoon chain`: runs the embedded local TON chain until Ctrl-C.
 */
import { startLocalChain } from './server';

const HELP = `Usage: npm run chain -- [options]

Runs an embedded local TON chain (@ton/sandbox) behind the toncenter v2 and ton-api-v4 HTTP APIs.

Options (env var in brackets):
  --data-dir <dir>   persistent data directory [COCOON_CHAIN_DATA_DIR] (default .cocoon/chain)
  --memory           keep the chain in memory only (nothing is written)
  --host <host>      listen address [COCOON_CHAIN_HOST] (default 127.0.0.1)
  --port <port>      listen port [COCOON_CHAIN_PORT] (default 8081)
  --wallets <n>      pre-funded wallets created on first start [COCOON_CHAIN_WALLETS] (default 3)
  --dev-token <t>    token the dev endpoints (/faucet, /admin/time) require as Authorization: Bearer
                     [COCOON_CHAIN_DEV_TOKEN] (default: generated into <data-dir>/dev-token)
  --dev-remote       serve the dev endpoints to other hosts too [COCOON_CHAIN_DEV_REMOTE=1]
                     (default: loopback callers only)
  -h, --help         show this help
`;

export interface ChainCliOptions {
    dataDir?: string;
    host: string;
    port: number;
    wallets: number;
    devToken?: string;
    devRemote: boolean;
}

export function parseChainArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ChainCliOptions | 'help' {
    const o: ChainCliOptions = {
        dataDir: env.COCOON_CHAIN_DATA_DIR ?? '.cocoon/chain',
        host: env.COCOON_CHAIN_HOST ?? '127.0.0.1',
        port: Number(env.COCOON_CHAIN_PORT ?? 8081),
        wallets: Number(env.COCOON_CHAIN_WALLETS ?? 3),
        devToken: env.COCOON_CHAIN_DEV_TOKEN || undefined,
        devRemote: env.COCOON_CHAIN_DEV_REMOTE === '1' || env.COCOON_CHAIN_DEV_REMOTE === 'true',
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = () => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${a} needs a value (see --help)`);
            return v;
        };
        if (a === '-h' || a === '--help') return 'help';
        else if (a === '--data-dir') o.dataDir = next();
        else if (a === '--memory') o.dataDir = undefined;
        else if (a === '--host') o.host = next();
        else if (a === '--port') o.port = Number(next());
        else if (a === '--wallets') o.wallets = Number(next());
        else if (a === '--dev-token') o.devToken = next();
        else if (a === '--dev-remote') o.devRemote = true;
        else throw new Error(`unknown option ${a} (see --help)`);
    }
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error(`invalid port: ${o.port}`);
    if (!Number.isInteger(o.wallets) || o.wallets < 0) throw new Error(`invalid wallet count: ${o.wallets}`);
    return o;
}

export async function runChainCli(argv: string[]): Promise<void> {
    const opts = parseChainArgs(argv);
    if (opts === 'help') {
        process.stdout.write(HELP);
        return;
    }
    const running = await startLocalChain(opts);
    const lines = [
        `local chain ready (block ${running.chain.lastBlock.seqno}${opts.dataDir ? `, data in ${opts.dataDir}` : ', in memory'})`,
        `  ton-api-v4 (TonClient4):     ${running.v4Url}`,
        `  toncenter v2 (TonClient):    ${running.v2Url}`,
        `  dev token (faucet, time):    ${running.devToken}${opts.devRemote ? '' : '  (loopback callers only)'}`,
        `  faucet:                      curl -X POST ${running.url}/faucet -H 'authorization: Bearer ${running.devToken}' -H 'content-type: application/json' -d '{"address": "...", "amount": "<nanoTON>"}'`,
        `  Blueprint: npx blueprint run <script> --custom ${running.v2Url} --custom-version v2 --custom-type custom --mnemonic`,
        `funded wallets (v4, mnemonics are dev-only secrets):`,
        ...running.wallets.map((w) => `  ${w.name} ${w.address}\n    ${w.mnemonic.join(' ')}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    const stop = async () => {
        await running.close();
        process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
}

if (require.main === module) {
    runChainCli(process.argv.slice(2)).catch((e: Error) => {
        process.stderr.write(`chain: ${e.message}\n`);
        process.exit(1);
    });
}
