/**
 * `cocoon explorer`: the indexer's query API and the explorer web app over an existing database, without
 * reading the chain unless asked (`--ingest --root <address>`). It is the indexer service with other
 * defaults, so every indexer option, env variable and database kind (PGlite, PostgreSQL) applies.
 */
import { configOf, INDEXER_OPTIONS, type IndexerConfig } from '../../indexer/config';
import type { IndexerService } from '../../indexer/service';
import {
    CHAIN_OPTIONS,
    chainUrlOf,
    CliError,
    noPositionals,
    optionsHelp,
    parseCommandLine,
    runCommand,
    stdio,
    type CliIo,
    type OptionSource,
    type OptionSpec,
    type OptionValue,
} from './chain-args';

const chainOption = (name: string, help: string): OptionSpec => ({ ...CHAIN_OPTIONS.find((o) => o.name === name)!, help });

/** The indexer's options with ingest off by default, and the chain named as the other chain commands name it. */
export const EXPLORER_OPTIONS: OptionSpec[] = [
    chainOption('network', 'local | testnet | mainnet | ... (sets --chain-url; only used with --ingest)'),
    chainOption('endpoint', 'chain API URL (same as --chain-url; default: from --network)'),
    ...INDEXER_OPTIONS.map((o) => (o.name === 'ingest' ? { ...o, default: false } : o)),
];

export function explorerHelp(): string {
    return optionsHelp(
        'cocoon explorer [options]',
        [
            'Serves the indexer API (/api, OpenAPI at /api/openapi.json) and the explorer web app over an existing',
            'indexer database (PGlite data dir, or PostgreSQL with --database-url). Read-only by default; with',
            '--ingest --root <address> it also follows the chain, exactly as `cocoon indexer`.',
        ].join('\n'),
        EXPLORER_OPTIONS,
    );
}

/**
 * Where the chain is: a --chain-url flag, then --network/--endpoint flags, then COCOON_CHAIN_URL, then a
 * network from COCOON_NETWORK or an endpoint or network from the config file, then the config file's
 * chain-url and the default.
 */
function chainUrl(values: Record<string, OptionValue>, sources: Record<string, OptionSource>): string {
    const named = () => chainUrlOf(values);
    if (sources['chain-url'] === 'flag') return String(values['chain-url']);
    if (sources.endpoint === 'flag' || sources.network === 'flag') return named();
    if (sources['chain-url'] === 'env') return String(values['chain-url']);
    if (sources.endpoint === 'config' || sources.network === 'env' || sources.network === 'config') return named();
    return String(values['chain-url']);
}

/** The indexer config for the explorer: flags > env > config file > defaults (ingest off). */
export function explorerConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): IndexerConfig | 'help' {
    const parsed = parseCommandLine(EXPLORER_OPTIONS, argv, env);
    if (parsed === 'help') return 'help';
    noPositionals(parsed, 'cocoon explorer');
    return { ...configOf(parsed.values), chainUrl: chainUrl(parsed.values, parsed.sources) };
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
        const ingesting = config.ingest ? `, ingesting ${config.rootAddress}` : ', read-only';
        io.out(
            `explorer: ${service.url ?? '(API disabled)'}  ` +
                `(database ${service.database.kind} ${service.database.location}${ingesting}); Ctrl-C stops\n`,
        );
        await new Promise<void>((resolve) => {
            process.once('SIGINT', () => resolve());
            process.once('SIGTERM', () => resolve());
        });
        await service.stop();
        return 0;
    });
}
