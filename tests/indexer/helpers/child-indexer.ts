/**
 * The ingest as its own process, for crash tests: runs cycles against a v4 endpoint until one finds
 * nothing new, printing COMMIT after every committed batch (the parent kills it with SIGKILL on cue).
 * Usage: node -r ts-node/register/transpile-only child-indexer.ts <chainUrl> <root> <dataDir|postgres://...> <batchSize> [walletCodeHash]
 * Accounts with walletCodeHash that exchange messages with followed accounts are followed as wallets.
 */
import { openDatabase } from '../../../indexer/db/client';
import { CatalogueDecoder } from '../../../indexer/ingest/decoder';
import { IngestEngine } from '../../../indexer/ingest/engine';
import { ChainClientSource, ChainClientStateReader } from '../../../indexer/ingest/chain-client';
import { createChainClient } from '../../../node/chain';
import { silentLogger } from '../../../node/common/log';

async function run(): Promise<void> {
    const [chainUrl, root, where, batch, walletCodeHash] = process.argv.slice(2);
    const database = await openDatabase(where.startsWith('postgres') ? { databaseUrl: where } : { dataDir: where });
    const client = createChainClient({ url: chainUrl });
    const chain = new ChainClientSource(client);
    // No catalogue: these crash tests exercise paging, batching and cursors, not message meaning.
    const decoder = new CatalogueDecoder({ decode: () => null, nameOf: () => null });
    const engine = new IngestEngine({
        db: database.db,
        chain,
        decoder,
        states: new ChainClientStateReader(client, { walletCodeHash: walletCodeHash ?? null }),
        rootAddress: root,
        log: silentLogger,
        batchSize: Number(batch),
        onCommit: () => process.stdout.write('COMMIT\n'),
    });
    for (;;) {
        const r = await engine.runOnce();
        if (r.transactions === 0) break;
    }
    await database.close();
    process.stdout.write('DONE\n');
}

run().then(
    () => process.exit(0),
    (err) => {
        process.stderr.write(String((err as Error).stack ?? err) + '\n');
        process.exit(1);
    },
);
