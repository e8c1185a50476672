/**
 * Indexer configuration: every value has a default, an environment variable and a command-line flag
 * (flag wins over env, env over default).
 */
import { Address } from '@ton/core';
import { IndexerError } from './errors';
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

interface OptionSpec {
    key: keyof IndexerConfig;
    flag: string;
    env: string;
    type: 'string' | 'int' | 'bool' | 'list' | 'address';
    default: IndexerConfig[keyof IndexerConfig];
    help: string;
}

export const OPTIONS: OptionSpec[] = [
    {
        key: 'chainUrl',
        flag: '--chain-url',
        env: 'COCOON_CHAIN_URL',
        type: 'string',
        default: 'http://127.0.0.1:8081',
        help: 'TON HTTP API endpoint (local chain, testnet or mainnet v4 endpoint)',
    },
    {
        key: 'rootAddress',
        flag: '--root',
        env: 'COCOON_ROOT_ADDRESS',
        type: 'address',
        default: null,
        help: 'root contract address (required to ingest)',
    },
    {
        key: 'databaseUrl',
        flag: '--database-url',
        env: 'DATABASE_URL',
        type: 'string',
        default: null,
        help: 'postgres://... to use PostgreSQL instead of the embedded PGlite',
    },
    {
        key: 'dataDir',
        flag: '--data-dir',
        env: 'COCOON_INDEXER_DATA',
        type: 'string',
        default: '.cocoon/indexer',
        help: 'PGlite data directory (ignored with --database-url)',
    },
    {
        key: 'apiPort',
        flag: '--api-port',
        env: 'COCOON_INDEXER_PORT',
        type: 'int',
        default: 8090,
        help: 'HTTP port of the API and explorer (0 = any free port)',
    },
    {
        key: 'apiHost',
        flag: '--api-host',
        env: 'COCOON_INDEXER_HOST',
        type: 'string',
        default: '127.0.0.1',
        help: 'interface to listen on',
    },
    {
        key: 'webDir',
        flag: '--web-dir',
        env: 'COCOON_WEB_DIR',
        type: 'string',
        default: null,
        help: 'built explorer to serve (default: web/dist when present)',
    },
    { key: 'api', flag: '--api', env: 'COCOON_INDEXER_API', type: 'bool', default: true, help: 'serve the API (--no-api: ingest only)' },
    {
        key: 'ingest',
        flag: '--ingest',
        env: 'COCOON_INDEXER_INGEST',
        type: 'bool',
        default: true,
        help: 'read the chain (--no-ingest: API only over an existing database)',
    },
    {
        key: 'confirmations',
        flag: '--confirmations',
        env: 'COCOON_INDEXER_CONFIRMATIONS',
        type: 'int',
        default: 0,
        help: 'blocks behind the head before rows are final (TON masterchain blocks are final at once)',
    },
    {
        key: 'batchSize',
        flag: '--batch-size',
        env: 'COCOON_INDEXER_BATCH',
        type: 'int',
        default: 2000,
        help: 'transactions per database transaction',
    },
    { key: 'pageSize', flag: '--page-size', env: 'COCOON_INDEXER_PAGE', type: 'int', default: 100, help: 'transactions per chain request' },
    {
        key: 'pollMs',
        flag: '--poll-ms',
        env: 'COCOON_INDEXER_POLL_MS',
        type: 'int',
        default: 1000,
        help: 'pause between cycles once caught up (ms)',
    },
    {
        key: 'scanBlocks',
        flag: '--scan-blocks',
        env: 'COCOON_INDEXER_SCAN_BLOCKS',
        type: 'bool',
        default: true,
        help: 'scan blocks to find new contracts (--no-scan-blocks: follow messages only)',
    },
    {
        key: 'startSeqno',
        flag: '--start-seqno',
        env: 'COCOON_INDEXER_START_SEQNO',
        type: 'int',
        default: null,
        help: 'first masterchain block to scan on an empty database (mainnet/testnet)',
    },
    {
        key: 'startTime',
        flag: '--start-time',
        env: 'COCOON_INDEXER_START_TIME',
        type: 'int',
        default: null,
        help: 'ignore transactions before this unix time on an empty database',
    },
    {
        key: 'concurrency',
        flag: '--concurrency',
        env: 'COCOON_INDEXER_CONCURRENCY',
        type: 'int',
        default: 4,
        help: 'parallel chain requests',
    },
    {
        key: 'reader',
        flag: '--reader',
        env: 'COCOON_INDEXER_READER',
        type: 'string',
        default: 'chain',
        help: "chain: node/chain client (v4 or toncenter v2, by URL); lean-v4: the indexer's own v4 page reader (several times faster decoding, block numbers for --confirmations)",
    },
    {
        key: 'models',
        flag: '--models',
        env: 'COCOON_MODELS',
        type: 'list',
        default: [],
        help: 'comma-separated full model names (as workers announce them), shown next to their on-chain hashes',
    },
    {
        key: 'proxyStats',
        flag: '--proxy-stats',
        env: 'COCOON_PROXY_STATS',
        type: 'list',
        default: [],
        help: "comma-separated proxy stats URLs (http://host:port of a proxy's stats port, or its /jsonstats): unsettled usage and model names, off-chain",
    },
    {
        key: 'proxyStatsMs',
        flag: '--proxy-stats-ms',
        env: 'COCOON_PROXY_STATS_MS',
        type: 'int',
        default: 5000,
        help: 'pause between two reads of the proxy stats pages (ms)',
    },
    {
        key: 'testnet',
        flag: '--testnet',
        env: 'COCOON_TESTNET',
        type: 'bool',
        default: null,
        help: 'the chain is a test network: addresses shown with the testnet flag (default: when the chain URL names testnet)',
    },
    { key: 'logLevel', flag: '--log-level', env: 'COCOON_LOG_LEVEL', type: 'string', default: 'info', help: 'debug | info | warn | error' },
];

function convert(spec: OptionSpec, raw: string, source: string): IndexerConfig[keyof IndexerConfig] {
    switch (spec.type) {
        case 'int': {
            if (!/^\d+$/.test(raw)) throw new IndexerError('BAD_CONFIG', `${source}: expected a non-negative integer, got '${raw}'`);
            return Number(raw);
        }
        case 'bool':
            if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
            if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
            throw new IndexerError('BAD_CONFIG', `${source}: expected true or false, got '${raw}'`);
        case 'list':
            return raw
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean);
        case 'address':
            try {
                return Address.parse(raw).toRawString();
            } catch {
                throw new IndexerError('BAD_CONFIG', `${source}: '${raw}' is not a TON address`);
            }
        default:
            return raw;
    }
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): { config: IndexerConfig; rest: string[] } {
    const config = Object.fromEntries(OPTIONS.map((o) => [o.key, o.default])) as unknown as Record<string, unknown>;
    for (const o of OPTIONS) {
        const v = env[o.env];
        if (v !== undefined && v !== '') config[o.key] = convert(o, v, o.env);
    }
    const rest: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (!arg.startsWith('--')) {
            rest.push(arg);
            continue;
        }
        const [name, inline] = arg.split(/=(.*)/s, 2);
        const negated = name.startsWith('--no-') ? OPTIONS.find((o) => o.type === 'bool' && o.flag === '--' + name.slice(5)) : undefined;
        if (negated) {
            config[negated.key] = false;
            continue;
        }
        const o = OPTIONS.find((x) => x.flag === name);
        if (!o) throw new IndexerError('BAD_FLAG', `unknown option ${name}; see --help`);
        if (o.type === 'bool' && inline === undefined) {
            config[o.key] = true;
            continue;
        }
        const value = inline ?? argv[++i];
        if (value === undefined) throw new IndexerError('BAD_FLAG', `${name} needs a value`);
        config[o.key] = convert(o, value, name);
    }
    return { config: config as unknown as IndexerConfig, rest };
}

export function helpText(): string {
    const lines = OPTIONS.map((o) => {
        const def = Array.isArray(o.default) ? o.default.join(',') : o.default;
        return `  ${(o.flag + (o.type === 'bool' ? '' : ' <value>')).padEnd(26)} ${o.help}\n  ${''.padEnd(26)} env ${o.env}${def === null || def === '' ? '' : `, default ${def}`}`;
    });
    return [
        'Usage: npm run indexer -- [command] [options]',
        '',
        'Indexes a Cocoon network (root, proxies, clients, workers, cocoon wallets) into PGlite or PostgreSQL',
        'and serves the query API (and the explorer when web/dist is built).',
        '',
        'Commands:',
        '  run        ingest and serve (default)',
        '  migrate    create or upgrade the database schema, then exit',
        '  verify     compare derived totals with a recomputation from events; exit 1 on differences',
        '  rebuild    recompute derived totals and daily aggregates from events',
        '',
        'Options:',
        ...lines,
        '  --help                     this text',
    ].join('\n');
}
