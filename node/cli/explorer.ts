/**
 * `cocoon explorer`: the indexer's query API and the explorer web app over an existing database, without
 * reading the chain unless asked (`--ingest --root <address>`). It is the indexer service with other
 * defaults, so every indexer option, env variable and database kind (PGlite, PostgreSQL) applies.
 */
import { OPTIONS, parseConfig, type IndexerConfig } from '../../indexer/config';
import type { IndexerService } from '../../indexer/service';
import {
    CHAIN_OPTIONS,
    CONFIG_OPTION,
    chainUrlOf,
    CliError,
    parseCommandLine,
    readConfigFile,
    runCommand,
    stdio,
    usageError,
    type CliIo,
    type OptionSpec,
} from './chain-args';

/** The options this command reads itself; everything else goes to the indexer's parser. */
const OWN: OptionSpec[] = [...CHAIN_OPTIONS.filter((o) => o.name === 'network' || o.name === 'endpoint'), CONFIG_OPTION];

export function explorerHelp(): string {
    const indexerRows = OPTIONS.map((o) => {
        const def = Array.isArray(o.default) ? o.default.join(',') : o.default;
        const shown = o.key === 'ingest' ? 'false (here)' : def;
        return `  ${(o.flag + (o.type === 'bool' ? '' : ' <value>')).padEnd(28)} ${o.help}\n  ${''.padEnd(28)} env ${o.env}${shown === null || shown === '' ? '' : `, default ${shown}`}`;
    });
    return [
        'Usage: cocoon explorer [options]',
        '',
        'Serves the indexer API (/api, OpenAPI at /api/openapi.json) and the explorer web app over an existing',
        'indexer database (PGlite data dir, or PostgreSQL with --database-url). Read-only by default; with',
        '--ingest --root <address> it also follows the chain, exactly as `cocoon indexer`.',
        '',
        'Options:',
        `  ${'--network <name>'.padEnd(28)} local | testnet | mainnet | ... (sets --chain-url; only used with --ingest)\n  ${''.padEnd(28)} env COCOON_NETWORK`,
        `  ${'--endpoint <url>'.padEnd(28)} chain API URL (same as --chain-url)`,
        `  ${'--config <file>'.padEnd(28)} JSON file of option values, keys as the flag names (e.g. {"data-dir": "...", "api-port": 8090})\n  ${''.padEnd(28)} env COCOON_CONFIG`,
        ...indexerRows,
        `  ${'-h, --help'.padEnd(28)} this text`,
        '',
    ].join('\n');
}

/**
 * The indexer config for the explorer. Precedence: flags > env > config file > the explorer's defaults
 * (ingest off) > the indexer's defaults; the config file is layered in as env values for that reason.
 */
export function explorerConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): IndexerConfig | 'help' {
    if (argv.includes('--help') || argv.includes('-h')) return 'help';
    const ownFlags = new Set(OWN.map((o) => `--${o.name}`));
    const own: string[] = [];
    const rest: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const name = argv[i].split('=')[0];
        if (!ownFlags.has(name)) {
            rest.push(argv[i]);
            continue;
        }
        own.push(argv[i]);
        if (!argv[i].includes('=')) {
            if (argv[i + 1] === undefined) throw usageError(`${name} needs a value (see cocoon explorer --help)`);
            own.push(argv[++i]);
        }
    }
    const parsed = parseCommandLine(OWN, own, env);
    if (parsed === 'help') return 'help';
    const { values, sources } = parsed;
    const layered: NodeJS.ProcessEnv = { COCOON_INDEXER_INGEST: 'false' };
    const config = values.config ? readConfigFile(String(values.config)) : {};
    const camel = (flag: string) => flag.slice(2).replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    for (const o of OPTIONS) {
        const v = config[o.flag.slice(2)] ?? config[camel(o.flag)];
        if (v !== undefined && v !== null) layered[o.env] = Array.isArray(v) ? v.map(String).join(',') : String(v);
    }
    // A chain named by flag beats COCOON_CHAIN_URL; one from COCOON_NETWORK or the file only fills in for it.
    const byFlag = sources.endpoint === 'flag' || sources.network === 'flag';
    if (!byFlag && (sources.endpoint === 'config' || sources.network === 'env' || sources.network === 'config'))
        layered.COCOON_CHAIN_URL = chainUrlOf(values);
    const chainArgs = byFlag ? ['--chain-url', chainUrlOf(values)] : [];
    const merged: NodeJS.ProcessEnv = { ...layered, ...env };
    try {
        const { config, rest: positionals } = parseConfig([...chainArgs, ...rest], merged);
        if (positionals.length) throw usageError(`unexpected '${positionals.join(' ')}': cocoon explorer takes options only (see --help)`);
        return config;
    } catch (e) {
        if (e instanceof CliError) throw e;
        throw usageError((e as Error).message);
    }
}

/** Starts the explorer service (for tests and embedding); stop() closes the server and the database. */
export async function startExplorer(config: IndexerConfig): Promise<IndexerService> {
    const { startService } = await import('../../indexer/service');
    const { defaultPorts } = await import('../../indexer/ingest/default-ports');
    return startService({ config, ports: defaultPorts() });
}

export async function runExplorer(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = stdio): Promise<number> {
    return runCommand('explorer', io, env, async () => {
        const config = explorerConfig(argv, env);
        if (config === 'help') {
            io.out(explorerHelp());
            return 0;
        }
        const service = await startExplorer(config).catch((e: Error & { code?: string }) => {
            // Indexer errors (no root, bad database URL, unreadable data dir) are configuration mistakes.
            throw new CliError(e.code ?? 'EXPLORER', e.message);
        });
        io.out(
            `explorer: ${service.url ?? '(API disabled)'}  (database ${service.database.kind} ${service.database.location}${config.ingest ? `, ingesting ${config.rootAddress}` : ', read-only'}); Ctrl-C stops\n`,
        );
        await new Promise<void>((resolve) => {
            process.once('SIGINT', () => resolve());
            process.once('SIGTERM', () => resolve());
        });
        await service.stop();
        return 0;
    });
}
