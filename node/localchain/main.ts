/**
 * `cocoon chain`: runs the embedded local TON chain until Ctrl-C.
 */
import { noPositionals, optionsHelp, parseCommandLine, type OptionSpec } from '../common/options';
import { startLocalChain } from './server';

export const CHAIN_CLI_OPTIONS: OptionSpec[] = [
    { name: 'data-dir', type: 'string', env: 'COCOON_CHAIN_DATA_DIR', default: '.cocoon/chain', help: 'persistent data directory' },
    {
        name: 'memory',
        type: 'bool',
        env: 'COCOON_CHAIN_MEMORY',
        default: false,
        help: 'keep the chain in memory only (nothing is written)',
    },
    { name: 'host', type: 'string', env: 'COCOON_CHAIN_HOST', default: '127.0.0.1', help: 'listen address' },
    { name: 'port', type: 'port', env: 'COCOON_CHAIN_PORT', default: 8081, help: 'listen port' },
    { name: 'wallets', type: 'int', env: 'COCOON_CHAIN_WALLETS', default: 3, help: 'pre-funded wallets created on first start' },
    {
        name: 'dev-token',
        type: 'string',
        env: 'COCOON_CHAIN_DEV_TOKEN',
        help:
            'token the dev endpoints (/faucet, /admin/time) require as Authorization: Bearer (default: ' +
            'generated into <data-dir>/dev-token)',
    },
    {
        name: 'dev-remote',
        type: 'bool',
        env: 'COCOON_CHAIN_DEV_REMOTE',
        default: false,
        help: 'serve the dev endpoints to other hosts too (default: loopback callers only)',
    },
];

const USAGE = 'cocoon chain [options]';
const DESCRIPTION = 'Runs an embedded local TON chain (@ton/sandbox) behind the toncenter v2 and ton-api-v4 HTTP APIs.';

export interface ChainCliOptions {
    dataDir?: string;
    host: string;
    port: number;
    wallets: number;
    devToken?: string;
    devRemote: boolean;
}

export function parseChainArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ChainCliOptions | 'help' {
    const parsed = parseCommandLine(CHAIN_CLI_OPTIONS, argv, env);
    if (parsed === 'help') return 'help';
    noPositionals(parsed, 'cocoon chain');
    const v = parsed.values;
    return {
        dataDir: v.memory === true ? undefined : String(v['data-dir']),
        host: String(v.host),
        port: v.port as number,
        wallets: v.wallets as number,
        devToken: (v['dev-token'] as string | undefined) || undefined,
        devRemote: v['dev-remote'] === true,
    };
}

export async function runChainCli(argv: string[]): Promise<void> {
    const opts = parseChainArgs(argv);
    if (opts === 'help') {
        process.stdout.write(optionsHelp(USAGE, DESCRIPTION, CHAIN_CLI_OPTIONS));
        return;
    }
    const running = await startLocalChain(opts);
    const lines = [
        `local chain ready (block ${running.chain.lastBlock.seqno}${opts.dataDir ? `, data in ${opts.dataDir}` : ', in memory'})`,
        `  ton-api-v4 (TonClient4):     ${running.v4Url}`,
        `  toncenter v2 (TonClient):    ${running.v2Url}`,
        `  dev token (faucet, time):    ${running.devToken}${opts.devRemote ? '' : '  (loopback callers only)'}`,
        `  faucet:                      curl -X POST ${running.url}/faucet -H 'authorization: Bearer ${running.devToken}' ` +
            `-H 'content-type: application/json' -d '{"address": "...", "amount": "<nanoTON>"}'`,
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
