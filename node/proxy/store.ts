/**
 * The proxy's crash-safe store (COCOON's signed RocksDB, here on the project's drizzle stack: PGlite in a
 * data directory by default, PostgreSQL with DATABASE_URL). Every record is signed by the proxy key and
 * verified on load, so an edited or foreign database is refused instead of silently trusted. All dirty
 * records of one save-state seqno are written in one transaction: after a crash the store holds exactly
 * the last committed seqno, never half of one.
 */
import { createHash } from 'crypto';
import { mkdirSync } from 'fs';
import { ed25519Sign as sign, ed25519Verify as signVerify } from '../../wrappers/ed25519';
import { sql } from 'drizzle-orm';
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { LedgerSnapshot } from './signed-payments';

export const proxyRecords = pgTable('proxy_records', {
    key: text('key').primaryKey(),
    value: text('value').notNull(),
    signature: text('signature').notNull(),
    seqno: integer('seqno').notNull(),
});

/**
 * Both drivers' databases, seen through what the store uses (execute, select, insert). Each driver's type
 * differs only in its query-result type parameter, which TypeScript does not relate to the base one: hence
 * the `as unknown as Db` below (the only double casts left in node/proxy).
 */
type Db = PgDatabase<PgQueryResultHKT>;

export class StoreError extends Error {
    constructor(
        readonly code: 'TAMPERED' | 'SEQNO' | 'CONNECT',
        message: string,
    ) {
        super(message);
    }
}

export interface ProxyStoreOptions {
    /** postgres://... selects PostgreSQL; otherwise PGlite in dataDir (in memory when omitted). */
    databaseUrl?: string;
    dataDir?: string;
    /** The proxy's Ed25519 key (64-byte secret key as @ton/crypto keeps it). */
    key: { publicKey: Buffer; secretKey: Buffer };
}

/** JSON with bigints as decimal strings tagged so they come back as bigints. */
function encodeValue(v: unknown): string {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? { $big: x.toString() } : x));
}
function decodeValue<T>(s: string): T {
    return JSON.parse(s, (_k, x) =>
        x && typeof x === 'object' && typeof x.$big === 'string' && Object.keys(x).length === 1 ? BigInt(x.$big) : x,
    ) as T;
}

function digest(key: string, value: string, seqno: number): Buffer {
    return createHash('sha256').update(`${key}\n${seqno}\n${value}`).digest();
}

export interface StoredState {
    /** The last save-state seqno committed to the store (0 for a new store). */
    seqno: number;
    records: Map<string, unknown>;
}

export class ProxyStore {
    private constructor(
        private readonly db: Db,
        private readonly key: ProxyStoreOptions['key'],
        private readonly closeFn: () => Promise<void>,
        private lastSeqno: number,
    ) {}

    static async open(opts: ProxyStoreOptions): Promise<{ store: ProxyStore; state: StoredState }> {
        let db: Db;
        let close: () => Promise<void>;
        if (opts.databaseUrl && /^postgres(ql)?:\/\//.test(opts.databaseUrl)) {
            const { Pool } = await import('pg');
            const pool = new Pool({ connectionString: opts.databaseUrl, max: 2 });
            try {
                (await pool.connect()).release();
            } catch (e) {
                await pool.end();
                throw new StoreError('CONNECT', `cannot connect to the proxy database: ${(e as Error).message}`);
            }
            const { drizzle } = await import('drizzle-orm/node-postgres');
            db = drizzle(pool) as unknown as Db;
            close = () => pool.end();
        } else {
            const { PGlite } = await import('@electric-sql/pglite');
            if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
            const pg = new PGlite({ dataDir: opts.dataDir });
            await pg.waitReady;
            const { drizzle } = await import('drizzle-orm/pglite');
            db = drizzle(pg) as unknown as Db;
            close = () => pg.close();
        }
        await db.execute(
            sql`create table if not exists proxy_records (
                key text primary key, value text not null, signature text not null, seqno integer not null)`,
        );
        const rows = await db.select().from(proxyRecords);
        const records = new Map<string, unknown>();
        let seqno = 0;
        for (const r of rows) {
            const ok =
                /^[0-9a-f]{128}$/.test(r.signature) &&
                signVerify(digest(r.key, r.value, r.seqno), Buffer.from(r.signature, 'hex'), opts.key.publicKey);
            if (!ok) {
                await close();
                throw new StoreError(
                    'TAMPERED',
                    `proxy database record '${r.key}' is not signed by this proxy's key: ` +
                        `the database was modified or belongs to another proxy; ` +
                        `restore it from a backup or start with an empty data directory`,
                );
            }
            if (r.key === 'config') seqno = decodeValue<{ seqno: number }>(r.value).seqno;
            else records.set(r.key, decodeValue(r.value));
        }
        return { store: new ProxyStore(db, opts.key, close, seqno), state: { seqno, records } };
    }

    get seqno(): number {
        return this.lastSeqno;
    }

    /** Writes the dirty records and the new seqno atomically. Seqnos must grow. */
    async commit(seqno: number, dirty: ReadonlyMap<string, unknown>): Promise<void> {
        if (seqno <= this.lastSeqno) throw new StoreError('SEQNO', `save-state seqno must grow: ${seqno} after ${this.lastSeqno}`);
        const rows = [...dirty, ['config', { seqno }] as const].map(([key, v]) => {
            const value = encodeValue(v);
            return { key, value, seqno, signature: sign(digest(key, value, seqno), this.key.secretKey).toString('hex') };
        });
        await this.db.transaction(async (tx) => {
            for (const r of rows) {
                await tx
                    .insert(proxyRecords)
                    .values(r)
                    .onConflictDoUpdate({ target: proxyRecords.key, set: { value: r.value, signature: r.signature, seqno: r.seqno } });
            }
        });
        this.lastSeqno = seqno;
    }

    async close(): Promise<void> {
        await this.closeFn();
    }
}

/** Ledger snapshots are what the proxy stores per client and per worker. */
export type LedgerRecord = LedgerSnapshot;
