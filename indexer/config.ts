/**
 * Indexer configuration: the indexer's option table (each option a flag, an environment variable and a
 * default; flag > env > config file > default, parsed by node/common/options.ts) and the typed config
 * it turns into.
 */
import { Address } from '@ton/core';
import { logLevelOption, optionsHelp, parseCommandLine, usageError, type OptionSpec, type OptionValue } from '../node/common/options';
import type { LogLevel } from '../node/common/log';

export interface IndexerConfig {
    chainUrl: string;
    rootAddress: string | null;
    databaseUrl: string | null;
    dataDir: string;
    apiPort: number;
    apiHost: string;
    webDir: string | null;
    api: boolean;
    ingest: boolean;
    confirmations: number;
    batchSize: number;
    pageSize: number;
    pollMs: number;
    scanBlocks: boolean;
    startSeqno: number | null;
    startTime: number | null;
    concurrency: number;
    reader: string;
    models: string[];
    proxyStats: string[];
    proxyStatsMs: number;
    /** null: decided from the chain URL (a URL naming testnet is a test network). */
    testnet: boolean | null;
    logLevel: LogLevel;
}

export const INDEXER_OPTIONS: OptionSpec[] = [
    {
        name: 'chain-url',
        env: 'COCOON_CHAIN_URL',
        type: 'string',
        default: 'http://127.0.0.1:8081',
        help: 'TON HTTP API endpoint (local chain, testnet or mainnet v4 endpoint)',
    },
    {
        name: 'root',
        env: 'COCOON_ROOT_ADDRESS',
        type: 'string',
        help: 'root contract address (required to ingest; default none: API only)',
    },
    {
        name: 'database-url',
        env: 'DATABASE_URL',
        type: 'string',
        help: 'postgres://... to use PostgreSQL instead of the embedded PGlite (default: PGlite in --data-dir)',
    },
    {
        name: 'data-dir',
        env: 'COCOON_INDEXER_DATA',
        type: 'string',
        default: '.cocoon/indexer',
        help: 'PGlite data directory (ignored with --database-url)',
    },
    {
        name: 'api-port',
        env: 'COCOON_INDEXER_PORT',
        type: 'port',
        default: 8090,
        help: 'HTTP port of the API and explorer (0 = any free port)',
    },
    {
        name: 'api-host',
        env: 'COCOON_INDEXER_HOST',
        type: 'string',
        default: '127.0.0.1',
        help: 'interface to listen on',
    },
    {
        name: 'web-dir',
        env: 'COCOON_WEB_DIR',
        type: 'string',
        help: 'built explorer to serve (default: web/dist when present)',
    },
    { name: 'api', env: 'COCOON_INDEXER_API', type: 'bool', default: true, help: 'serve the API (--no-api: ingest only)' },
    {
        name: 'ingest',
        env: 'COCOON_INDEXER_INGEST',
        type: 'bool',
        default: true,
        help: 'read the chain (--no-ingest: API only over an existing database)',
    },
    {
        name: 'confirmations',
        env: 'COCOON_INDEXER_CONFIRMATIONS',
        type: 'int',
        default: 0,
        help: 'blocks behind the head before rows are final (TON masterchain blocks are final at once)',
    },
    {
        name: 'batch-size',
        env: 'COCOON_INDEXER_BATCH',
        type: 'int',
        default: 2000,
        help: 'transactions per database transaction',
    },
    { name: 'page-size', env: 'COCOON_INDEXER_PAGE', type: 'int', default: 100, help: 'transactions per chain request' },
    {
        name: 'poll-ms',
        env: 'COCOON_INDEXER_POLL_MS',
        type: 'int',
        default: 1000,
        help: 'pause between cycles once caught up (ms)',
    },
    {
        name: 'scan-blocks',
        env: 'COCOON_INDEXER_SCAN_BLOCKS',
        type: 'bool',
        default: true,
        help: 'scan blocks to find new contracts (--no-scan-blocks: follow messages only)',
    },
    {
        name: 'start-seqno',
        env: 'COCOON_INDEXER_START_SEQNO',
        type: 'int',
        help: 'first masterchain block to scan on an empty database (mainnet/testnet; default: block 1)',
    },
    {
        name: 'start-time',
        env: 'COCOON_INDEXER_START_TIME',
        type: 'int',
        help: 'ignore transactions before this unix time on an empty database (default: keep all)',
    },
    {
        name: 'concurrency',
        env: 'COCOON_INDEXER_CONCURRENCY',
        type: 'int',
        default: 4,
        help: 'parallel chain requests',
    },
    {
        name: 'reader',
        env: 'COCOON_INDEXER_READER',
        type: 'string',
        default: 'chain',
        help:
            "chain: node/chain client (v4 or toncenter v2, by URL); lean-v4: the indexer's own v4 page reader (several times " +
            'faster decoding, block numbers for --confirmations)',
    },
    {
        name: 'models',
        env: 'COCOON_MODELS',
        type: 'list',
        default: [],
        help: 'comma-separated full model names (as workers announce them), shown next to their on-chain hashes',
    },
    {
        name: 'proxy-stats',
        env: 'COCOON_PROXY_STATS',
        type: 'list',
        default: [],
        help:
            "comma-separated proxy stats URLs (http://host:port of a proxy's stats port, or its /jsonstats): " +
            'unsettled usage and model names, off-chain',
    },
    {
        name: 'proxy-stats-ms',
        env: 'COCOON_PROXY_STATS_MS',
        type: 'int',
        default: 5000,
        help: 'pause between two reads of the proxy stats pages (ms)',
    },
    {
        name: 'testnet',
        env: 'COCOON_TESTNET',
        type: 'bool',
        help: 'the chain is a test network: addresses shown with the testnet flag (default: when the chain URL names testnet)',
    },
    logLevelOption('info'),
];

const text = (v: OptionValue): string | null => (v === undefined ? null : String(v));
const int = (v: OptionValue): number | null => (v === undefined ? null : Number(v));

function rootAddress(raw: OptionValue): string | null {
    if (raw === undefined) return null;
    try {
        return Address.parse(String(raw)).toRawString();
    } catch {
        throw usageError(`--root (COCOON_ROOT_ADDRESS): '${String(raw)}' is not a TON address`);
    }
}

/** The typed config from parsed option values (names as in INDEXER_OPTIONS). */
export function configOf(values: Record<string, OptionValue>): IndexerConfig {
    return {
        chainUrl: String(values['chain-url']),
        rootAddress: rootAddress(values.root),
        databaseUrl: text(values['database-url']),
        dataDir: String(values['data-dir']),
        apiPort: Number(values['api-port']),
        apiHost: String(values['api-host']),
        webDir: text(values['web-dir']),
        api: values.api === true,
        ingest: values.ingest === true,
        confirmations: Number(values.confirmations),
        batchSize: Number(values['batch-size']),
        pageSize: Number(values['page-size']),
        pollMs: Number(values['poll-ms']),
        scanBlocks: values['scan-blocks'] === true,
        startSeqno: int(values['start-seqno']),
        startTime: int(values['start-time']),
        concurrency: Number(values.concurrency),
        reader: String(values.reader),
        models: values.models as string[],
        proxyStats: values['proxy-stats'] as string[],
        proxyStatsMs: Number(values['proxy-stats-ms']),
        testnet: values.testnet === undefined ? null : values.testnet === true,
        logLevel: values['log-level'] as LogLevel,
    };
}

/** The indexer's config from its command line; `rest` holds the command (run, migrate, verify, rebuild). */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): { config: IndexerConfig; rest: string[] } {
    const parsed = parseCommandLine(INDEXER_OPTIONS, argv, env);
    // The command answers --help itself (main.ts) before asking for a config.
    if (parsed === 'help') throw usageError('--help asks for the help text, not a config: see cocoon indexer --help');
    return { config: configOf(parsed.values), rest: parsed.positionals };
}

export function helpText(): string {
    return optionsHelp(
        'cocoon indexer [run|migrate|verify|rebuild] [options]',
        [
            'Indexes a Cocoon network (root, proxies, clients, workers, cocoon wallets) into PGlite or PostgreSQL',
            'and serves the query API (and the explorer when web/dist is built).',
            '',
            'Commands:',
            '  run        ingest and serve (default)',
            '  migrate    create or upgrade the database schema, then exit',
            '  verify     compare derived totals with a recomputation from events; exit 1 on differences',
            '  rebuild    recompute derived totals and daily aggregates from events',
        ].join('\n'),
        INDEXER_OPTIONS,
    );
}
