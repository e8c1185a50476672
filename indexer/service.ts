/**
 * The indexer as a service: database + ingest engine + API server, started and stopped together.
 * `cocoon up` and the `indexer` command both come through here.
 */
import path from 'node:path';
import { openDatabase, type Database } from './db/client';
import { IndexerError } from './errors';
import { installNativeSha256 } from '../node/chain/fast-hash';
import { createLogger, type Logger } from '../node/common/log';
import { startApiServer, type ApiServer } from './api/server';
import type { ExitCodeInfo, OpcodeInfo } from './domain';
import { IngestEngine } from './ingest/engine';
import type { IngestPorts } from './ingest/ports';
import type { IndexerConfig } from './config';
import { ProxyStatsCollector } from './proxystats/collector';
import { ModelNames } from './proxystats/models';
import { UnsettledUsage } from './proxystats/unsettled';
import { WorkerUptimeReports } from './proxystats/uptime';
import { liveAccountReader } from './live-accounts';
import { createChainClient } from '../node/chain';

/** What the API shows about the contracts without reading the chain: message names and exit-code meanings. */
async function contractReference(ports: IngestPorts | null, log: Logger): Promise<{ opcodes: OpcodeInfo[]; exitCodes: ExitCodeInfo[] }> {
    if (ports) return ports;
    try {
        const { cocoonProtocol } = await import('./protocol');
        return cocoonProtocol();
    } catch (err) {
        log.warn('contract wrappers not loadable: message names and exit-code meanings are not shown', { err: (err as Error).message });
        return { opcodes: [], exitCodes: [] };
    }
}

/** --testnet, or else a chain URL that names testnet. */
export const isTestnet = (config: IndexerConfig): boolean => config.testnet ?? /testnet/i.test(config.chainUrl);

export interface ServiceOptions {
    config: IndexerConfig;
    log?: Logger;
    /** Builds the chain-facing parts for a chain URL (the default reads node/chain + wrappers). */
    ports?: (config: IndexerConfig, log: Logger) => Promise<IngestPorts>;
}

export interface IndexerService {
    url: string | null;
    database: Database;
    engine: IngestEngine | null;
    server: ApiServer | null;
    /** Reads the configured proxy stats pages; `add()` one more (`cocoon up` adds its proxy once it listens). */
    proxyStats: ProxyStatsCollector;
    stop(): Promise<void>;
}

export async function startService(opts: ServiceOptions): Promise<IndexerService> {
    installNativeSha256();
    const { config } = opts;
    const log = opts.log ?? createLogger('indexer', config.logLevel);
    const database = await openDatabase({
        databaseUrl: config.databaseUrl ?? undefined,
        dataDir: config.databaseUrl ? undefined : path.resolve(config.dataDir),
    });
    log.info('database ready', { kind: database.kind, location: database.location });
    let engine: IngestEngine | null = null;
    let server: ApiServer | null = null;
    const proxyStats = new ProxyStatsCollector({
        db: database.db,
        consumers: [new UnsettledUsage(), new ModelNames(), new WorkerUptimeReports()],
        log: log.child('proxy-stats'),
        sources: config.proxyStats,
        intervalMs: config.proxyStatsMs,
        onChange: () => server?.api.hub.pokeOverview(),
    });
    try {
        const ports = opts.ports && config.ingest ? await opts.ports(config, log) : null;
        if (config.ingest) {
            if (!config.rootAddress)
                throw new IndexerError('NO_ROOT', 'no root contract address: pass --root <address> or set COCOON_ROOT_ADDRESS');
            if (!ports)
                throw new IndexerError('NO_CHAIN', 'ingest needs chain access; start with --no-ingest to serve an existing database only');
            engine = new IngestEngine({
                db: database.db,
                chain: ports.chain,
                decoder: ports.decoder,
                states: ports.states,
                rootAddress: config.rootAddress,
                log: log.child('ingest'),
                confirmations: config.confirmations,
                batchSize: config.batchSize,
                pageSize: config.pageSize,
                scanBlocks: config.scanBlocks,
                startSeqno: config.startSeqno ?? undefined,
                startUtime: config.startTime ?? undefined,
                concurrency: config.concurrency,
                isRootConfigChange: ports.isRootConfigChange,
                pipelineWrites: database.kind === 'postgres',
                onCommit: () => server?.api.hub.poke(),
            });
            await engine.init();
        }
        if (config.api) {
            const reference = await contractReference(ports, log);
            server = await startApiServer({
                database,
                log: log.child('api'),
                port: config.apiPort,
                host: config.apiHost,
                webDir: config.webDir ?? undefined,
                knownModels: config.models,
                opcodes: reference.opcodes,
                exitCodes: reference.exitCodes,
                testnet: isTestnet(config),
                // Owner wallets are read from the chain only when the indexer is connected to one.
                liveAccount: config.ingest ? liveAccountReader(createChainClient({ url: config.chainUrl })) : undefined,
            });
            log.info('api listening', {
                url: server.url,
                openapi: `${server.url}/api/openapi.json`,
                explorer: server.webDir ? server.url : null,
            });
        }
        engine?.start(config.pollMs);
        proxyStats.start();
    } catch (err) {
        await proxyStats.stop();
        await server?.close();
        await database.close();
        throw err;
    }
    return {
        url: server?.url ?? null,
        database,
        engine,
        server,
        proxyStats,
        async stop() {
            await proxyStats.stop();
            await engine?.stop();
            await server?.close();
            await database.close();
        },
    };
}
