/**
 * `cocoon indexer [command] [options]`: run the indexer (ingest + API), or maintain its database.
 */
import path from 'node:path';
import { helpText, parseConfig, type IndexerConfig } from './config';
import { openDatabase } from './db/client';
import { IndexerError } from './errors';
import { createLogger } from '../node/common/log';
import { derivedMismatches, rebuildDerived } from './ingest/derived';
import { startService, type ServiceOptions } from './service';
import { defaultPorts } from './ingest/default-ports';

async function withDatabase<T>(config: IndexerConfig, fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
    const database = await openDatabase({
        databaseUrl: config.databaseUrl ?? undefined,
        dataDir: config.databaseUrl ? undefined : path.resolve(config.dataDir),
    });
    try {
        return await fn(database);
    } finally {
        await database.close();
    }
}

export async function main(argv: string[], ports: ServiceOptions['ports'] = defaultPorts()): Promise<number> {
    if (argv.includes('--help') || argv.includes('-h')) {
        console.log(helpText());
        return 0;
    }
    const { config, rest } = parseConfig(argv);
    const log = createLogger('indexer', config.logLevel);
    const command = rest[0] ?? 'run';
    switch (command) {
        case 'migrate':
            await withDatabase(config, async (d) => log.info('schema is current', { kind: d.kind, location: d.location }));
            return 0;
        case 'verify': {
            const diffs = await withDatabase(config, (d) => derivedMismatches(d.db));
            for (const d of diffs.slice(0, 50)) log.warn('derived mismatch', { detail: d });
            log.info('verify', { mismatches: diffs.length });
            return diffs.length ? 1 : 0;
        }
        case 'rebuild':
            await withDatabase(config, (d) => rebuildDerived(d.db));
            log.info('derived totals rebuilt from events');
            return 0;
        case 'run': {
            const service = await startService({ config, log, ports });
            await new Promise<void>((resolve) => {
                const stop = () => resolve();
                process.once('SIGINT', stop);
                process.once('SIGTERM', stop);
            });
            log.info('stopping');
            await service.stop();
            return 0;
        }
        default:
            throw new IndexerError('BAD_COMMAND', `unknown command '${command}'; see --help`);
    }
}
