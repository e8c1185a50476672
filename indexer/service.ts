/**
 * The indexer as a service: database + ingest engine + API server, started and stopped together.
 * `cocoon up` and the `indexer` command both come through here.
 */
import path from 'node:path';
import { openDatabase, type Database } from './db/client';
import { IndexerError } from './errors';
import { installNativeSha256 } from '../node/chain/fast-hash';
import { createLogger, type Logger } from './log';
import { startApiServer, type ApiServer } from './api/server';
import type { OpcodeInfo } from './api/types';
import { IngestEngine } from './ingest/engine';
import type { Decoder, IngestChain, StateReader } from './ingest/ports';
import type { IndexerConfig } from './config';

export interface IngestPorts {
    chain: IngestChain;
    decoder: Decoder;
    states: StateReader;
    opcodes: OpcodeInfo[];
    isRootConfigChange: (opName: string | null) => boolean;
}

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
    stop(): Promise<void>;
}

export async function startService(opts: ServiceOptions): Promise<IndexerService> {
    installNativeSha256();
    const { config } = opts;
    const log = opts.log ?? createLogger('indexer', config.logLevel);
    const database = await openDatabase({ databaseUrl: config.databaseUrl ?? undefined, dataDir: config.databaseUrl ? undefined : path.resolve(config.dataDir) });
    log.info('database ready', { kind: database.kind, location: database.location });
    let engine: IngestEngine | null = null;
    let server: ApiServer | null = null;
    try {
        const ports = opts.ports && config.ingest ? await opts.ports(config, log) : null;
        if (config.ingest) {
            if (!config.rootAddress) throw new IndexerError('NO_ROOT', 'no root contract address: pass --root <address> or set COCOON_ROOT_ADDRESS');
            if (!ports) throw new IndexerError('NO_CHAIN', 'ingest needs chain access; start with --no-ingest to serve an existing database only');
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
            server = await startApiServer({
                database,
                log: log.child('api'),
                port: config.apiPort,
                host: config.apiHost,
                webDir: config.webDir ?? undefined,
                knownModels: config.models,
                opcodes: ports?.opcodes ?? [],
            });
            log.info('api listening', { url: server.url, openapi: `${server.url}/api/openapi.json`, explorer: server.webDir ? server.url : null });
        }
        engine?.start(config.pollMs);
    } catch (err) {
        await server?.close();
        await database.close();
        throw err;
    }
    return {
        url: server?.url ?? null,
        database,
        engine,
        server,
        async stop() {
            await engine?.stop();
            await server?.close();
            await database.close();
        },
    };
}
