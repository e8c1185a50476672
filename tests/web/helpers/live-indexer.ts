/**
 * The indexer service as `cocoon up` runs it, over a live test network (tests/e2e/helpers/network.ts): its
 * own PGlite directory, ingesting the chain's public API, serving the built explorer, and reading the
 * proxy's real stats page (the proxy's own stats code on its own stats server) for unsettled usage, model
 * names and observed worker uptime.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../indexer/config';
import { defaultPorts } from '../../../indexer/ingest/default-ports';
import { startService, type IndexerService } from '../../../indexer/service';
import { startStatsServer, type StatsServer } from '../../../node/common/stats-server';
import { proxyStats } from '../../../node/proxy/stats';
import type { TestNetwork } from '../../e2e/helpers/network';
import { WEB_DIST } from './explorer';

export interface LiveIndexer {
    service: IndexerService;
    /** The API and explorer base URL. */
    url: string;
    proxyStats: StatsServer;
    close(): Promise<void>;
}

/** `pollMs`: chain polling; `proxyStatsMs`: how often the proxy's stats page is read. */
export async function startLiveIndexer(net: TestNetwork, o: { pollMs?: number; proxyStatsMs?: number } = {}): Promise<LiveIndexer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cocoon-web-indexer-'));
    const stats = await startStatsServer({ source: proxyStats(net.proxy).source, host: '127.0.0.1', port: 0 });
    // No --models: the model's name comes from the workers' announcements on the proxy's stats page.
    const { config } = parseConfig(
        [
            '--chain-url',
            net.local.v4Url,
            '--data-dir',
            dir,
            '--api-port',
            '0',
            '--root',
            net.root.toRawString(),
            '--proxy-stats',
            stats.url,
            '--proxy-stats-ms',
            String(o.proxyStatsMs ?? 1000),
            '--poll-ms',
            String(o.pollMs ?? 100),
            '--web-dir',
            WEB_DIST,
            '--log-level',
            'error',
        ],
        {},
    );
    const service = await startService({ config: { ...config, databaseUrl: null }, ports: defaultPorts() });
    if (!service.url) throw new Error('the indexer started without its API');
    return {
        service,
        url: service.url,
        proxyStats: stats,
        async close() {
            await service.stop();
            await stats.close();
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
