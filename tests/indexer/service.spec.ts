/** The whole service (startIndexer) against the embedded local chain: ingest + API over HTTP. */
import { Address, toNano } from '@ton/core';
import { startLocalChain, type RunningLocalChain } from '../../node/localchain/server';
import { startIndexer, type IndexerService } from '../../indexer';
import { silentLogger } from '../../node/common/log';
import type { IndexerStatus, Page, TransactionInfo } from '../../indexer/api/types';
import { freshDatabaseLocation } from './helpers/db';
import { waitFor } from '../helpers/wait';

let running: RunningLocalChain;
let service: IndexerService;
let cleanup: () => Promise<void>;
const ROOT = Address.parseRaw('0:' + '3c'.repeat(32));

beforeAll(async () => {
    running = await startLocalChain({ wallets: 0 });
    for (let i = 0; i < 30; i++) await running.chain.fund(ROOT, toNano('2'));
    const loc = await freshDatabaseLocation();
    cleanup = loc.cleanup;
    service = await startIndexer({
        chainUrl: running.v4Url,
        rootAddress: ROOT.toString(),
        databaseUrl: loc.databaseUrl,
        dataDir: loc.dataDir,
        apiPort: 0,
        config: { pollMs: 100 },
        log: silentLogger,
    });
});

afterAll(async () => {
    await service?.stop();
    await running?.close();
    await cleanup?.();
});

const until = <T>(fn: () => Promise<T>, ms = 20_000) => waitFor(fn, fn.toString(), ms, 100);

describe('startIndexer', () => {
    it('ingests the chain and serves it, following new blocks', async () => {
        const get = async <T>(p: string) => (await (await fetch(service.url + p)).json()) as T;
        await until(async () => ((await get<IndexerStatus>('/api/status')).transactions === 30 ? true : undefined));
        const page = await get<Page<TransactionInfo>>(`/api/transactions?account=${ROOT.toRawString()}&limit=5`);
        expect(page.items).toHaveLength(5);
        expect(page.items[0].inValue).toBe(toNano('2').toString());
        await running.chain.fund(ROOT, toNano('3'));
        const status = await until(async () => {
            const s = await get<IndexerStatus>('/api/status');
            // The transaction row and the block cursor are read in separate queries: wait for both.
            return s.transactions === 31 && s.indexedSeqno === running.chain.lastBlock.seqno ? s : undefined;
        });
        expect(status.transactions).toBe(31);
        expect(status.lagBlocks).toBe(0);
    });
});
