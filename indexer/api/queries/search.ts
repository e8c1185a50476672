/** One search box: addresses, transaction hashes, model names/hashes, image hashes, proxy seqnos, opcodes. */
import { Address } from '@ton/core';
import { eq, sql } from 'drizzle-orm';
import { rows, type DbOrTx } from '../../db/client';
import { accounts, transactions } from '../../db/schema';
import { modelHash } from '../models';
import type { AccountKind, OpcodeInfo, SearchHit, SearchResponse } from '../types';
import { parseHash } from '../validate';
import { getRootConfig } from './status';

const MAX_HITS = 20;
const MAX_PREFIX_HITS = 10;
/** 6 to 63 hex digits: long enough to be a deliberate hash prefix, short of a whole hash. */
const HASH_PREFIX = /^[0-9a-fA-F]{6,63}$/;

function asAddress(q: string): string | null {
    try {
        return Address.parse(q).toRawString();
    } catch {
        return null;
    }
}

function asHash(q: string): string | null {
    try {
        return parseHash(q, 'q');
    } catch {
        return null;
    }
}

export async function search(
    db: DbOrTx,
    query: string,
    knownModels: readonly string[],
    opcodes: readonly OpcodeInfo[],
): Promise<SearchResponse> {
    const q = query.trim();
    const hits: SearchHit[] = [];
    const root = await getRootConfig(db);

    const address = asAddress(q);
    if (address) {
        const [acc] = await db.select({ kind: accounts.kind }).from(accounts).where(eq(accounts.address, address));
        if (acc) hits.push({ kind: 'account', address, accountKind: acc.kind as AccountKind });
        const [owned] = await rows<{ n: string }>(
            db,
            sql`select (select count(*) from proxies where owner = ${address}) + (select count(*) from clients where owner = ${address})
                     + (select count(*) from workers where owner = ${address}) as n`,
        );
        if (Number(owned.n) > 0) hits.push({ kind: 'owner', address, owns: Number(owned.n) });
    }

    const hash = asHash(q);
    if (!hash && !address && HASH_PREFIX.test(q)) {
        // A hash prefix, as people copy it from a shortened display ("3fa2c1…"): transactions only.
        const p = q.toLowerCase();
        const found = await db
            .select({ hash: transactions.hash, lt: transactions.lt, account: transactions.account })
            .from(transactions)
            // The range serves from the hash index; the LIKE keeps the answer exact under any collation.
            .where(sql`${transactions.hash} >= ${p} and ${transactions.hash} < ${p + 'g'} and ${transactions.hash} like ${p + '%'}`)
            .orderBy(transactions.hash)
            .limit(MAX_PREFIX_HITS);
        for (const t of found) hits.push({ kind: 'transaction', hash: t.hash, lt: t.lt.toString(), account: t.account });
    }
    if (hash) {
        const [tx] = await db
            .select({ lt: transactions.lt, account: transactions.account })
            .from(transactions)
            .where(eq(transactions.hash, hash));
        if (tx) hits.push({ kind: 'transaction', hash, lt: tx.lt.toString(), account: tx.account });
        if (root?.modelHashes.includes(hash))
            hits.push({ kind: 'model', hash, name: knownModels.find((n) => modelHash(n) === hash) ?? null });
        if (root?.proxyHashes.includes(hash)) hits.push({ kind: 'image_hash', hash, role: 'proxy' });
        if (root?.workerHashes.includes(hash)) hits.push({ kind: 'image_hash', hash, role: 'worker' });
    }

    if (root && q.length > 0 && !address && !hash) {
        const lower = q.toLowerCase();
        const exact = modelHash(q);
        if (root.modelHashes.includes(exact)) hits.push({ kind: 'model', hash: exact, name: q });
        for (const name of knownModels) {
            const h = modelHash(name);
            if (name !== q && name.toLowerCase().includes(lower) && root.modelHashes.includes(h))
                hits.push({ kind: 'model', hash: h, name });
        }
        if (/^\d{1,10}$/.test(q)) {
            const p = root.registeredProxies.find((r) => r.seqno === Number(q));
            if (p) hits.push({ kind: 'registered_proxy', seqno: p.seqno, address: p.address });
        } else {
            for (const p of root.registeredProxies)
                if (p.address.includes(q)) hits.push({ kind: 'registered_proxy', seqno: p.seqno, address: p.address });
        }
    }

    if (!address && !hash && q.length >= 3) {
        const lower = q.toLowerCase();
        for (const o of opcodes)
            if (o.name.toLowerCase().includes(lower) || o.op === lower) hits.push({ kind: 'opcode', op: o.op, name: o.name });
    }

    return { query: q, hits: hits.slice(0, MAX_HITS) };
}
