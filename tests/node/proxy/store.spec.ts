import { spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { keyPairFromSeed } from '@ton/crypto';
import { ProxyStore, StoreError } from '../../../node/proxy/store';
import { SignedPaymentsLedger } from '../../../node/proxy/signed-payments';

jest.setTimeout(120_000);

const key = keyPairFromSeed(Buffer.alloc(32, 5));
const otherKey = keyPairFromSeed(Buffer.alloc(32, 6));

describe('proxy store (signed records, atomic save-state commits)', () => {
    let dir: string;
    beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), 'cocoon-proxy-store-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('round-trips ledgers through a restart and refuses shrinking seqnos', async () => {
        const l = new SignedPaymentsLedger();
        l.add(123n);
        l.committedToDb(1);
        const { store, state } = await ProxyStore.open({ dataDir: dir, key });
        expect(state).toEqual({ seqno: 0, records: new Map() });
        await store.commit(
            1,
            new Map([
                ['client_A', l.snapshot()],
                ['worker_B', { ...l.snapshot(), max: 9n ** 30n }],
            ]),
        );
        await expect(store.commit(1, new Map())).rejects.toThrow(/seqno must grow/);
        await store.close();
        const again = await ProxyStore.open({ dataDir: dir, key });
        expect(again.state.seqno).toBe(1);
        expect(again.state.records.get('client_A')).toEqual(l.snapshot());
        expect((again.state.records.get('worker_B') as { max: bigint }).max).toBe(9n ** 30n);
        await again.store.close();
    });

    it('refuses a database edited behind its back or signed by another proxy', async () => {
        const { store } = await ProxyStore.open({ dataDir: dir, key });
        await store.commit(1, new Map([['client_A', { max: 5n }]]));
        await store.close();
        await expect(ProxyStore.open({ dataDir: dir, key: otherKey })).rejects.toThrow(StoreError);
        // Raise the client's usage by hand: the signature no longer matches.
        const { PGlite } = await import('@electric-sql/pglite');
        const pg = new PGlite({ dataDir: dir });
        await pg.query(`update proxy_records set value = replace(value, '"5"', '"1"') where key = 'client_A'`);
        await pg.close();
        await expect(ProxyStore.open({ dataDir: dir, key })).rejects.toThrow(/record 'client_A' is not signed by this proxy's key/);
    });

    it('holds exactly one whole seqno after kill -9 in the middle of commits', async () => {
        // A child process commits seqno n with every record = n, as fast as it can, until killed.
        const script = join(__dirname, 'fixtures', 'store-writer.ts');
        const child = spawn(
            process.execPath,
            [
                require.resolve('ts-node/dist/bin.js'),
                '--transpile-only',
                '--project',
                join(__dirname, '../../../tsconfig.json'),
                script,
                join(dir, 'db'),
            ],
            { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        await new Promise<void>((resolve, reject) => {
            child.stdout.on('data', (d: Buffer) => {
                if (d.toString().includes('ready')) resolve();
            });
            child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
        });
        // Killed at once: by 'ready' (seqno 3) the writer is already committing seqno 4.
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        const { store, state } = await ProxyStore.open({ dataDir: join(dir, 'db'), key });
        expect(state.seqno).toBeGreaterThanOrEqual(3);
        for (let i = 0; i < 20; i++) expect(state.records.get('client_' + i)).toEqual({ max: BigInt(state.seqno) });
        await store.commit(state.seqno + 1, new Map([['client_0', { max: 0n }]]));
        await store.close();
    });

    const pgUrl = process.env.DATABASE_URL;
    (pgUrl ? it : it.skip)('works the same on PostgreSQL (DATABASE_URL)', async () => {
        const { Client } = await import('pg');
        const admin = new Client({ connectionString: pgUrl });
        await admin.connect();
        const name = `proxy_store_${process.pid}_${Date.now()}`;
        await admin.query(`create database ${name}`);
        const url = pgUrl!.replace(/\/[^/]*$/, `/${name}`);
        try {
            const { store } = await ProxyStore.open({ databaseUrl: url, key });
            await store.commit(7, new Map([['worker_X', { max: 42n }]]));
            await store.close();
            const again = await ProxyStore.open({ databaseUrl: url, key });
            expect(again.state).toEqual({ seqno: 7, records: new Map([['worker_X', { max: 42n }]]) });
            await again.store.close();
        } finally {
            await admin.query(`drop database ${name}`);
            await admin.end();
        }
    });
});
