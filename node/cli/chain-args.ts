/**
 * What the chain-facing commands (`cocoon wallet`, `cocoon root`, `cocoon explorer`) share: the chain
 * options (the parser itself is node/common/options.ts), `--network` / `--endpoint` to a ChainClient,
 * user errors that print one line and an exit code (never a stack), and text-or-JSON output.
 */
import { Address } from '@ton/core';
import { ChainError, createChainClient, networkUrl, NETWORKS, type ChainClient } from '../chain';
import { CliError, usageError, type OptionSpec, type OptionValue } from '../common/options';

export {
    CliError,
    CONFIG_OPTION,
    formatTon,
    noPositionals,
    optionsHelp,
    parseCommandLine,
    parseTon,
    readConfigFile,
    usageError,
    withConfig,
    type OptionSource,
    type OptionSpec,
    type OptionType,
    type OptionValue,
    type ParsedCommandLine,
} from '../common/options';

/** The options every chain command takes. */
export const JSON_OPTION: OptionSpec = {
    name: 'json',
    type: 'bool',
    env: 'COCOON_JSON',
    default: false,
    help: 'print JSON instead of text',
};
export const CHAIN_OPTIONS: OptionSpec[] = [
    { name: 'network', type: 'string', default: 'local', env: 'COCOON_NETWORK', help: `${Object.keys(NETWORKS).join(' | ')}` },
    {
        name: 'endpoint',
        type: 'string',
        env: 'COCOON_CHAIN_URL',
        help: 'chain API URL, overrides --network (ton-api-v4, or toncenter v2 when it ends in /jsonRPC; default: the --network one)',
    },
    { name: 'toncenter-api-key', type: 'string', env: 'COCOON_TONCENTER_API_KEY', help: 'toncenter API key (v2 endpoints; default none)' },
    JSON_OPTION,
];

export function chainUrlOf(values: Record<string, OptionValue>): string {
    const endpoint = values.endpoint as string | undefined;
    const network = String(values.network ?? 'local');
    const url = networkUrl(network);
    if (!url) throw usageError(`unknown network '${network}': use ${Object.keys(NETWORKS).join(', ')} or --endpoint <url>`);
    if (endpoint) {
        if (!/^https?:\/\/[^\s/]+/.test(endpoint)) throw usageError(`--endpoint must be an http(s):// URL, got '${endpoint}'`);
        return endpoint;
    }
    return url;
}

export function chainClientOf(values: Record<string, OptionValue>): ChainClient {
    return createChainClient({ url: chainUrlOf(values), apiKey: values['toncenter-api-key'] as string | undefined });
}

/** Testnet addresses print in their test-only form (0Q/kQ), as wallets expect them. */
export function isTestnet(values: Record<string, OptionValue>): boolean {
    // --network names the address form even when --endpoint overrides where the API lives.
    return String(values.network ?? '').startsWith('testnet');
}

export function parseAddress(raw: string | undefined, what: string): Address {
    if (!raw) throw usageError(`missing ${what}`);
    try {
        return Address.parse(raw.trim());
    } catch {
        throw new CliError('BAD_ADDRESS', `${what}: '${raw}' is not a TON address (expected EQ.../UQ... or 0:<64 hex>)`, 2);
    }
}

export interface CliIo {
    out(text: string): void;
    err(text: string): void;
}

export const stdio: CliIo = {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
};

/** JSON with bigints as decimal strings and Buffers as hex. */
export function toJson(value: unknown): string {
    return JSON.stringify(
        value,
        (_k, v: unknown) => {
            if (typeof v === 'bigint') return v.toString();
            if (
                v &&
                typeof v === 'object' &&
                (v as { type?: unknown }).type === 'Buffer' &&
                Array.isArray((v as { data?: unknown }).data)
            ) {
                return Buffer.from((v as { data: number[] }).data).toString('hex');
            }
            return v;
        },
        2,
    );
}

/**
 * Runs a command body: user errors (CliError, ChainError) become one line on stderr and an exit code;
 * anything else is a bug, shown with its stack only when COCOON_DEBUG is set.
 */
export async function runCommand(name: string, io: CliIo, env: NodeJS.ProcessEnv, body: () => Promise<number>): Promise<number> {
    try {
        return await body();
    } catch (e) {
        if (e instanceof CliError) {
            io.err(`cocoon ${name}: ${e.message}\n`);
            return e.exitCode;
        }
        if (e instanceof ChainError) {
            io.err(`cocoon ${name}: ${e.code}: ${e.message}\n`);
            return 1;
        }
        const err = e as Error;
        io.err(`cocoon ${name}: ${err?.message ?? String(e)}${env.COCOON_DEBUG ? `\n${err?.stack ?? ''}` : ''}\n`);
        return 1;
    }
}
