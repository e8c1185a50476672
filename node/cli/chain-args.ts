/**
 * What the chain-facing commands (`cocoon wallet`, `cocoon root`, `cocoon explorer`) share: option
 * parsing with a JSON config file under env and flags, `--network` / `--endpoint` to a ChainClient,
 * user errors that print one line and an exit code (never a stack), and text-or-JSON output.
 */
import { readFileSync } from 'fs';
import { Address } from '@ton/core';
import { ChainError, createChainClient, networkUrl, NETWORKS, type ChainClient } from '../chain';
import { formatTon, parseTonAmount } from '../common/ton';

export type OptionType = 'string' | 'int' | 'port' | 'bool' | 'nano' | 'list';
export type OptionValue = string | number | boolean | bigint | string[] | undefined;

export interface OptionSpec {
    /** Flag name without dashes (`data-dir` is `--data-dir`); also the config file key (or its camelCase). */
    name: string;
    type: OptionType;
    default?: OptionValue;
    env?: string;
    help: string;
    required?: boolean;
}

export type OptionSource = 'default' | 'config' | 'env' | 'flag';

export interface ParsedCommandLine {
    values: Record<string, OptionValue>;
    sources: Record<string, OptionSource>;
    /** Words that are not options (action names and their values), in order. */
    positionals: string[];
}

/** A mistake the user can fix: printed as one line, no stack. */
export class CliError extends Error {
    constructor(
        readonly code: string,
        message: string,
        readonly exitCode = 1,
    ) {
        super(message);
        this.name = 'CliError';
    }
}

/** Usage errors exit 2 (as the dispatcher does for an unknown command); failures exit 1. */
export const usageError = (message: string) => new CliError('USAGE', message, 2);

/** "1.5" (TON) -> 1500000000n nanoTON; exact, no floating point. */
export function parseTon(raw: string, what: string): bigint {
    const nano = parseTonAmount(raw);
    if (nano === undefined) throw usageError(`${what}: '${raw}' is not a TON amount (e.g. 1.5, at most 9 decimals)`);
    return nano;
}

function convert(spec: OptionSpec, raw: string, source: string): OptionValue {
    switch (spec.type) {
        case 'int':
        case 'port': {
            const n = Number(raw);
            if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || (spec.type === 'port' && n > 65535)) {
                throw usageError(
                    `${source}: expected ${spec.type === 'port' ? 'a port (0-65535)' : 'a non-negative integer'}, got '${raw}'`,
                );
            }
            return n;
        }
        case 'bool':
            if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
            if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
            throw usageError(`${source}: expected true or false, got '${raw}'`);
        case 'nano':
            return parseTon(raw, source);
        case 'list':
            return raw
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean);
        default:
            return raw;
    }
}

const flagOf = (s: OptionSpec) => `--${s.name}`;
const camel = (name: string) => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The options every chain command takes. */
export const CONFIG_OPTION: OptionSpec = {
    name: 'config',
    type: 'string',
    env: 'COCOON_CONFIG',
    help: 'JSON file with option values (keys as the flag names, e.g. {"endpoint": "...", "root": "..."})',
};
export const CHAIN_OPTIONS: OptionSpec[] = [
    { name: 'network', type: 'string', default: 'local', env: 'COCOON_NETWORK', help: `${Object.keys(NETWORKS).join(' | ')}` },
    {
        name: 'endpoint',
        type: 'string',
        env: 'COCOON_CHAIN_URL',
        help: 'chain API URL, overrides --network (ton-api-v4, or toncenter v2 when it ends in /jsonRPC)',
    },
    { name: 'toncenter-api-key', type: 'string', env: 'COCOON_TONCENTER_API_KEY', help: 'toncenter API key (v2 endpoints)' },
    { name: 'json', type: 'bool', default: false, help: 'print JSON instead of text' },
    CONFIG_OPTION,
];

/**
 * Flags over env over the config file over defaults. `--name=value` and `--name value`; a bool flag
 * alone means true and `--no-name` false. Anything else that is not a flag is a positional.
 */
export function parseCommandLine(specs: OptionSpec[], argv: string[], env: NodeJS.ProcessEnv): ParsedCommandLine | 'help' {
    const byName = new Map(specs.map((s) => [s.name, s]));
    const flags = new Map<string, OptionValue>();
    const positionals: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '-h' || a === '--help') return 'help';
        if (a === '--') {
            positionals.push(...argv.slice(i + 1));
            break;
        }
        if (!a.startsWith('--')) {
            positionals.push(a);
            continue;
        }
        const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
        const negated = name.startsWith('no-') ? byName.get(name.slice(3)) : undefined;
        if (negated?.type === 'bool' && inline === undefined) {
            flags.set(negated.name, false);
            continue;
        }
        const spec = byName.get(name);
        if (!spec) throw usageError(`unknown option --${name} (see --help)`);
        if (spec.type === 'bool' && inline === undefined) {
            flags.set(name, true);
            continue;
        }
        const raw = inline ?? argv[++i];
        if (raw === undefined) throw usageError(`--${name} needs a value (see --help)`);
        flags.set(name, convert(spec, raw, `--${name}`));
    }

    const configPath =
        (flags.get('config') as string | undefined) ?? (byName.has('config') && env.COCOON_CONFIG ? env.COCOON_CONFIG : undefined);
    const config = configPath ? readConfigFile(configPath) : {};

    const values: Record<string, OptionValue> = {};
    const sources: Record<string, OptionSource> = {};
    for (const s of specs) {
        const fromConfig = config[s.name] ?? config[camel(s.name)];
        const fromEnv = s.env ? env[s.env] : undefined;
        if (flags.has(s.name)) {
            values[s.name] = flags.get(s.name);
            sources[s.name] = 'flag';
        } else if (fromEnv !== undefined && fromEnv !== '') {
            values[s.name] = convert(s, fromEnv, s.env!);
            sources[s.name] = 'env';
        } else if (fromConfig !== undefined && fromConfig !== null) {
            const raw = Array.isArray(fromConfig) ? fromConfig.map(String).join(',') : String(fromConfig);
            values[s.name] = convert(s, raw, `${configPath}: ${s.name}`);
            sources[s.name] = 'config';
        } else {
            values[s.name] = s.default;
            sources[s.name] = 'default';
        }
        if (s.required && values[s.name] === undefined) {
            throw usageError(`missing ${flagOf(s)}${s.env ? ` (or ${s.env})` : ''}: ${s.help}`);
        }
    }
    return { values, sources, positionals };
}

export function readConfigFile(path: string): Record<string, unknown> {
    let text: string;
    try {
        text = readFileSync(path, 'utf8');
    } catch (e) {
        throw new CliError('BAD_CONFIG', `cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (e) {
        throw new CliError('BAD_CONFIG', `config file ${path} is not valid JSON: ${(e as Error).message}`);
    }
    if (!json || typeof json !== 'object' || Array.isArray(json))
        throw new CliError('BAD_CONFIG', `config file ${path} must hold a JSON object of option values`);
    return json as Record<string, unknown>;
}

export function optionsHelp(usage: string, description: string, specs: OptionSpec[]): string {
    const shown = (v: OptionValue) => (typeof v === 'bigint' ? `${formatTon(v)} TON` : Array.isArray(v) ? v.join(',') : String(v));
    const rows = specs.map((s) => {
        const flag = `${flagOf(s)}${s.type === 'bool' ? '' : ` <${s.type === 'nano' ? 'TON' : s.type === 'list' ? 'a,b' : s.type === 'string' ? 'value' : s.type}>`}`;
        const extra = [
            s.env ? `env ${s.env}` : '',
            s.default !== undefined && s.default !== false ? `default ${shown(s.default)}` : '',
            s.required ? 'required' : '',
        ]
            .filter(Boolean)
            .join(', ');
        return `  ${flag.padEnd(28)} ${s.help}${extra ? `\n  ${''.padEnd(28)} ${extra}` : ''}`;
    });
    return [`Usage: ${usage}`, '', description, '', 'Options:', ...rows, `  ${'-h, --help'.padEnd(28)} this text`, ''].join('\n');
}

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
