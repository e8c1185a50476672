/**
 * Opens the indexer database: PostgreSQL when a postgres:// URL is given, otherwise embedded PGlite
 * (a data directory, or in memory when none). Both run the same migrations from ./drizzle.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql, type SQL } from 'drizzle-orm';
import * as schema from './schema';
import { IndexerError } from '../errors';

export type Schema = typeof schema;
/** Both drivers' databases share this base class; code above this file never sees which one it has. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** The handle passed to a `db.transaction` callback. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface DatabaseOptions {
    /** postgres://user@host:port/db; wins over dataDir. */
    databaseUrl?: string;
    /** PGlite data directory; in-memory when omitted. */
    dataDir?: string;
    /** Start PGlite from a dumped data directory (tests reuse one migrated template this way). */
    loadDataDir?: Blob;
    /** Skip migrations (the caller knows the schema is current, e.g. loaded from a migrated dump). */
    skipMigrate?: boolean;
    /** Pool size for PostgreSQL. */
    poolSize?: number;
}

export interface Database {
    db: Db;
    kind: 'pglite' | 'postgres';
    /** Human-readable location for logs (never contains a password). */
    location: string;
    /** PGlite only: the raw instance (dumpDataDir, clone). */
    pglite?: PGlite;
    close(): Promise<void>;
}

/** Finds ./drizzle whether running from sources (indexer/db) or compiled output (dist/indexer/db). */
export function migrationsFolder(): string {
    let dir = __dirname;
    for (let i = 0; i < 6; i++) {
        const candidate = path.join(dir, 'drizzle');
        if (fs.existsSync(path.join(candidate, 'meta', '_journal.json'))) return candidate;
        dir = path.dirname(dir);
    }
    throw new IndexerError(
        'MIGRATIONS_MISSING',
        `drizzle/ migrations not found above ${__dirname}; run from the repository (npm run db:generate creates them)`,
    );
}

export function isPostgresUrl(url: string | undefined): url is string {
    return !!url && /^postgres(ql)?:\/\//.test(url);
}

export async function openDatabase(opts: DatabaseOptions = {}): Promise<Database> {
    return isPostgresUrl(opts.databaseUrl) ? openPostgres(opts.databaseUrl, opts) : openPglite(opts);
}

async function openPostgres(url: string, opts: DatabaseOptions): Promise<Database> {
    const { Pool } = await import('pg');
    // Asynchronous commit: a crash may lose the last few commits but never leaves a partial one, and the
    // ingest re-reads everything after its cursors, so durability of each commit buys nothing here.
    const pool = new Pool({ connectionString: url, max: opts.poolSize ?? 10, options: '-c synchronous_commit=off' });
    pool.on('error', () => {
        // An idle client lost its connection; the pool replaces it and the next query reports real errors.
    });
    try {
        const client = await pool.connect();
        client.release();
    } catch (err) {
        await pool.end();
        throw new IndexerError('DB_CONNECT', `cannot connect to PostgreSQL at ${redact(url)}: ${(err as Error).message}`);
    }
    const { drizzle } = await import('drizzle-orm/node-postgres');
    const db = drizzle(pool, { schema }) as unknown as Db;
    if (!opts.skipMigrate) {
        const { migrate } = await import('drizzle-orm/node-postgres/migrator');
        // Two indexers starting against one database must not both run the same migration.
        await pool.query('select pg_advisory_lock(774411)');
        try {
            await migrate(db as never, { migrationsFolder: migrationsFolder() });
        } finally {
            await pool.query('select pg_advisory_unlock(774411)');
        }
    }
    return { db, kind: 'postgres', location: redact(url), close: () => pool.end() };
}

async function openPglite(opts: DatabaseOptions): Promise<Database> {
    const { PGlite } = await import('@electric-sql/pglite');
    if (opts.dataDir) fs.mkdirSync(opts.dataDir, { recursive: true });
    const pg = new PGlite({ dataDir: opts.dataDir, loadDataDir: opts.loadDataDir });
    await pg.waitReady;
    // PGlite keeps synchronous commit: it has no background WAL writer, so an asynchronous commit could sit
    // unflushed until the process ends, and a kill -9 would throw away a whole backfill's progress.
    const { drizzle } = await import('drizzle-orm/pglite');
    const db = drizzle(pg, { schema }) as unknown as Db;
    if (!opts.skipMigrate) {
        const { migrate } = await import('drizzle-orm/pglite/migrator');
        await migrate(db as never, { migrationsFolder: migrationsFolder() });
    }
    return {
        db,
        kind: 'pglite',
        location: opts.dataDir ? path.resolve(opts.dataDir) : 'memory',
        pglite: pg,
        close: () => pg.close(),
    };
}

function redact(url: string): string {
    return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** Rows of a raw query, whichever driver runs it. */
export async function rows<T>(db: DbOrTx, query: SQL): Promise<T[]> {
    const res = (await db.execute(query)) as unknown as { rows: T[] };
    return res.rows;
}

export { sql };
