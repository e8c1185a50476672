/**
 * The one option parser and help renderer of every command (`cocoon <command>`, its subcommands, the
 * indexer, the local chain, the model server). A command declares a table of options; each option is a
 * flag, an environment variable and a default (or is required), so none can lack one of them. Values
 * come from, in order: the flag, the environment, the JSON config file (`--config` / COCOON_CONFIG), the
 * default. It imports nothing heavier than `fs`, so a command's `--help` stays quick.
 */
import { readFileSync } from 'fs';
import { formatTon, parseTonAmount } from './ton';

export type OptionType = 'string' | 'int' | 'port' | 'bool' | 'nano' | 'list';
export type OptionValue = string | number | boolean | bigint | string[] | undefined;

export interface OptionSpec {
    /** Flag name without dashes (`data-dir` is `--data-dir`); also the config file key (or its camelCase). */
    name: string;
    type: OptionType;
    /** The environment variable that sets it when no flag does. */
    env: string;
    /** Unset (undefined) only when the option is required or its help says what happens without it. */
    default?: OptionValue;
    help: string;
    required?: boolean;
    /** The only values a string option takes (the help lists them). */
    choices?: readonly string[];
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

export { formatTon };

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
            if (spec.choices && !spec.choices.includes(raw)) throw usageError(`${source} must be ${spec.choices.join(', ')}; got '${raw}'`);
            return raw;
    }
}

/** `--log-level`: what every command logs (JSON lines on stderr). */
export function logLevelOption(defaultLevel: 'debug' | 'info' | 'warn' | 'error'): OptionSpec {
    return {
        name: 'log-level',
        type: 'string',
        env: 'COCOON_LOG_LEVEL',
        default: defaultLevel,
        choices: ['debug', 'info', 'warn', 'error'],
        help: 'logs on stderr from this level up',
    };
}

const flagOf = (s: OptionSpec) => `--${s.name}`;
const camel = (name: string) => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Every command takes it (withConfig adds it to a table that lacks it). */
export const CONFIG_OPTION: OptionSpec = {
    name: 'config',
    type: 'string',
    env: 'COCOON_CONFIG',
    help: 'JSON file with option values (keys as the flag names, e.g. {"endpoint": "...", "root": "..."}; default none)',
};

/** A command's table as parsed and shown: its own options and --config. */
export function withConfig(specs: OptionSpec[]): OptionSpec[] {
    return specs.some((s) => s.name === CONFIG_OPTION.name) ? specs : [...specs, CONFIG_OPTION];
}

/**
 * Flags over env over the config file over defaults. `--name=value` and `--name value`; a bool flag
 * alone means true and `--no-name` false. Anything else that is not a flag is a positional.
 */
export function parseCommandLine(table: OptionSpec[], argv: string[], env: NodeJS.ProcessEnv): ParsedCommandLine | 'help' {
    const specs = withConfig(table);
    const byName = new Map(specs.map((s) => [s.name, s]));
    const flags = new Map<string, OptionValue>();
    const positionals: string[] = [];
    const end = argv.indexOf('--');
    // Asking for help wins over any mistake elsewhere on the line.
    if ((end < 0 ? argv : argv.slice(0, end)).some((a) => a === '-h' || a === '--help')) return 'help';
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
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

    const configPath = (flags.get(CONFIG_OPTION.name) as string | undefined) ?? (env.COCOON_CONFIG || undefined);
    const config = configPath ? readConfigFile(configPath) : new Map<string, unknown>();

    const values: Record<string, OptionValue> = Object.create(null) as Record<string, OptionValue>;
    const sources: Record<string, OptionSource> = Object.create(null) as Record<string, OptionSource>;
    for (const s of specs) {
        const fromConfig = config.get(s.name) ?? config.get(camel(s.name));
        const fromEnv = env[s.env];
        if (flags.has(s.name)) {
            values[s.name] = flags.get(s.name);
            sources[s.name] = 'flag';
        } else if (fromEnv !== undefined && fromEnv !== '') {
            values[s.name] = convert(s, fromEnv, s.env);
            sources[s.name] = 'env';
        } else if (fromConfig !== undefined && fromConfig !== null) {
            const raw = Array.isArray(fromConfig) ? fromConfig.map(String).join(',') : String(fromConfig);
            values[s.name] = convert(s, raw, `${configPath}: ${s.name}`);
            sources[s.name] = 'config';
        } else {
            values[s.name] = s.default;
            sources[s.name] = 'default';
        }
        if (s.required && values[s.name] === undefined) throw usageError(`missing ${flagOf(s)} (or ${s.env}): ${s.help}`);
    }
    return { values, sources, positionals };
}

/** The config file's keys and values; a Map, so a key like `__proto__` is only ever a key. */
export function readConfigFile(path: string): Map<string, unknown> {
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
    return new Map(Object.entries(json));
}

/** Rejects words a command without actions or values was given (a typo'd flag missing its dashes). */
export function noPositionals(parsed: ParsedCommandLine, command: string): void {
    if (parsed.positionals.length)
        throw usageError(`unexpected '${parsed.positionals.join(' ')}': ${command} takes options only (see ${command} --help)`);
}

const shown = (v: OptionValue) => (typeof v === 'bigint' ? `${formatTon(v)} TON` : Array.isArray(v) ? v.join(',') : String(v));

/** One option's two lines: the flag and what it does, then its env variable and default. */
function optionRows(s: OptionSpec): string {
    const kind = s.type === 'nano' ? 'TON' : s.type === 'list' ? 'a,b' : s.type === 'string' ? 'value' : s.type;
    const flag = `${flagOf(s)}${s.type === 'bool' ? '' : ` <${kind}>`}`;
    const hasDefault = s.default !== undefined && s.default !== false && !(Array.isArray(s.default) && s.default.length === 0);
    const extra = [`env ${s.env}`, hasDefault ? `default ${shown(s.default)}` : '', s.required ? 'required' : '']
        .filter(Boolean)
        .join(', ');
    const help = s.choices ? `${s.help}: ${s.choices.join(' | ')}` : s.help;
    return `  ${flag.padEnd(28)} ${help}\n  ${''.padEnd(28)} ${extra}`;
}

/** The help of every command: usage line, what it does, then each option with its env variable and default. */
export function optionsHelp(usage: string, description: string, specs: OptionSpec[]): string {
    return [
        `Usage: ${usage}`,
        '',
        description,
        '',
        'Options:',
        ...withConfig(specs).map(optionRows),
        `  ${'-h, --help'.padEnd(28)} this text`,
        '',
    ].join('\n');
}
