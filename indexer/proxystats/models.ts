/**
 * Model names from the proxies' stats: each connected worker announces its model by name, and the chain
 * stores only sha256(name). Remembering the names lets Models, Governance and search show names for hashes
 * the indexer was not told about with --models.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { modelNames } from '../db/schema';
import { modelHash } from '../api/models';
import type { StatsConsumer, StatsPage } from './collector';
import { field, rowsOf, text } from './page';

const MAX_CONNECTIONS = 10_000;
const MAX_NAME = 200;

export function modelNamesFromPage(json: unknown): string[] {
    const names = new Set<string>();
    for (const r of rowsOf(json, 'worker_connections', MAX_CONNECTIONS)) {
        const name = text(field(r, 'model'), MAX_NAME);
        if (name) names.add(name);
    }
    return [...names].sort();
}

export class ModelNames implements StatsConsumer {
    readonly name = 'model-names';

    async consume(tx: DbOrTx, page: StatsPage): Promise<void> {
        const names = modelNamesFromPage(page.json);
        if (!names.length) return;
        await tx
            .insert(modelNames)
            .values(names.map((name) => ({ hash: modelHash(name), name, source: page.source, seenAt: page.readAt })))
            .onConflictDoUpdate({ target: modelNames.hash, set: { seenAt: sql`excluded.seen_at`, source: sql`excluded.source` } });
    }
}
