/**
 * Public entry points of the indexer for the CLI (`cocoon up`, `cocoon indexer`) and tests.
 */
import { parseConfig, type IndexerConfig } from './config';
import type { Logger } from '../node/common/log';
import { startService, type IndexerService, type ServiceOptions } from './service';
import { defaultPorts } from './ingest/default-ports';

export interface StartIndexerOptions {
    chainUrl: string;
    rootAddress?: string | null;
    /** postgres://... (wins over dataDir). */
    databaseUrl?: string | null;
    /** PGlite data directory (default .cocoon/indexer). */
    dataDir?: string;
    /** 0 picks a free port. */
    apiPort?: number;
    apiHost?: string;
    /** Built explorer to serve; default web/dist when present. */
    webDir?: string;
    /** Any other setting (see config.ts / --help). */
    config?: Partial<IndexerConfig>;
    log?: Logger;
    ports?: ServiceOptions['ports'];
}

export type { IndexerService } from './service';

export async function startIndexer(opts: StartIndexerOptions): Promise<IndexerService> {
    // Start from the documented defaults and environment, then apply what the caller set explicitly.
    // Embedding code passes its settings; COCOON_CONFIG is for the command line.
    const { config: base } = parseConfig([], { ...process.env, COCOON_CONFIG: '' });
    const config: IndexerConfig = {
        ...base,
        ...opts.config,
        chainUrl: opts.chainUrl,
        rootAddress: opts.rootAddress ?? opts.config?.rootAddress ?? base.rootAddress,
        databaseUrl: opts.databaseUrl ?? opts.config?.databaseUrl ?? base.databaseUrl,
        dataDir: opts.dataDir ?? opts.config?.dataDir ?? base.dataDir,
        apiPort: opts.apiPort ?? opts.config?.apiPort ?? base.apiPort,
        apiHost: opts.apiHost ?? opts.config?.apiHost ?? base.apiHost,
        webDir: opts.webDir ?? opts.config?.webDir ?? base.webDir,
    };
    if (!config.rootAddress) config.ingest = opts.config?.ingest ?? false;
    return startService({ config, log: opts.log, ports: opts.ports ?? (config.ingest ? defaultPorts() : undefined) });
}
