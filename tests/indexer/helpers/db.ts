/**
 * Test databases: a fresh PostgreSQL database per suite when DATABASE_URL is set (CI), otherwise an
 * in-memory PGlite started from a migrated template dumped to /tmp once per migration set (PGlite start
 * plus migrate costs seconds; loading a dump costs ~0.5 s).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { isPostgresUrl, migrationsFolder, openDatabase, type Database } from '../../../indexer/db/client';

export interface TestDatabase extends Database {
    /** Empties every table (keeps the schema). */
    reset(): Promise<void>;
    /** The URL or dir another process (a spawned indexer) can open; null for in-memory PGlite. */
    url: string | null;
}

export const TABLES = [
    'accounts',
    'code_hashes',
    'transactions',
    'events',
    'roots',
    'root_config_history',
    'proxies',
    'clients',
    'workers',
    'daily_stats',
    'account_daily',
    'cursors',
    'proxy_reports',
    'model_names',
    'registries',
    'worker_uptime',
];

export async function resetTables(db: Database['db']): Promise<void> {
    await db.execute(sql.raw(`truncate ${TABLES.join(', ')} restart identity`));
}

function migrationsHash(): string {
    const dir = migrationsFolder();
    const h = crypto.createHash('sha256');
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.sql')) h.update(fs.readFileSync(path.join(dir, f)));
    h.update(fs.readFileSync(path.join(dir, 'meta', '_journal.json')));
    return h.digest('hex').slice(0, 16);
}

async function pgliteTemplate(): Promise<Blob> {
    const file = path.join(os.tmpdir(), `cocoon-indexer-pglite-${migrationsHash()}.tar.gz`);
    if (fs.existsSync(file)) return new Blob([fs.readFileSync(file)]);
    const fresh = await openDatabase({});
    const dump = await fresh.pglite!.dumpDataDir('gzip');
    await fresh.close();
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, file);
    return dump;
}

/** PostgreSQL database name unique to this suite run. */
function uniqueDbName(): string {
    return `cocoon_idx_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
}

export async function openTestDatabase(): Promise<TestDatabase> {
    const url = process.env.DATABASE_URL;
    if (isPostgresUrl(url)) {
        const { Client } = await import('pg');
        const name = uniqueDbName();
        const admin = new Client({ connectionString: url });
        await admin.connect();
        await admin.query(`create database ${name}`);
        await admin.end();
        const dbUrl = url.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
        const database = await openDatabase({ databaseUrl: dbUrl, poolSize: 4 });
        return {
            ...database,
            url: dbUrl,
            reset: () => resetTables(database.db),
            close: async () => {
                await database.close();
                const drop = new Client({ connectionString: url });
                await drop.connect();
                await drop.query(`drop database if exists ${name} with (force)`);
                await drop.end();
            },
        };
    }
    const template = await pgliteTemplate();
    const database = await openDatabase({ loadDataDir: template, skipMigrate: true });
    return { ...database, url: null, reset: () => resetTables(database.db) };
}

/** A PostgreSQL URL for a brand-new database, or a fresh PGlite data directory path. */
export async function freshDatabaseLocation(): Promise<{ databaseUrl?: string; dataDir?: string; cleanup(): Promise<void> }> {
    const url = process.env.DATABASE_URL;
    if (isPostgresUrl(url)) {
        const { Client } = await import('pg');
        const name = uniqueDbName();
        const admin = new Client({ connectionString: url });
        await admin.connect();
        await admin.query(`create database ${name}`);
        await admin.end();
        return {
            databaseUrl: url.replace(/\/[^/?]*(\?|$)/, `/${name}$1`),
            cleanup: async () => {
                const drop = new Client({ connectionString: url });
                await drop.connect();
                await drop.query(`drop database if exists ${name} with (force)`);
                await drop.end();
            },
        };
    }
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cocoon-idx-'));
    return { dataDir, cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
}
