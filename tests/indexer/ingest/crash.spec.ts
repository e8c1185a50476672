/**
 * kill -9 in the middle of a backfill, then restart: the database ends equal to the chain, with no gap
 * and no duplicate. The indexer runs as a child process against the embedded local chain over HTTP, on
 * a PGlite data directory (or a fresh PostgreSQL database when DATABASE_URL is set).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Address, beginCell, external, internal, storeMessage, toNano } from '@ton/core';
import { mnemonicToPrivateKey } from '@ton/crypto';
import { WalletContractV4 } from '@ton/ton';
import { sql } from 'drizzle-orm';
import { startLocalChain, type RunningLocalChain } from '../../../node/localchain/server';
import { openDatabase, rows } from '../../../indexer/db/client';
import { derivedMismatches } from '../../../indexer/ingest/derived';
import { freshDatabaseLocation } from '../helpers/db';

const CHILD = path.join(__dirname, '../helpers/child-indexer.ts');
const ROOT = Address.parseRaw('0:' + '7e'.repeat(32));
const TXS = 400;

let running: RunningLocalChain;
/** A funded v4 wallet pays the root; it is followed as a wallet (it messages the root), so two accounts are backfilled. */
let treasury: Address;
let treasuryCode: string;

beforeAll(async () => {
    running = await startLocalChain({ wallets: 1 });
    const key = await mnemonicToPrivateKey(running.wallets[0].mnemonic);
    const wallet = WalletContractV4.create({ workchain: 0, publicKey: key.publicKey });
    treasury = wallet.address;
    treasuryCode = wallet.init.code.hash().toString('hex');
    // Four transfers per external message, as a wallet batches them.
    for (let seqno = 0; seqno < TXS / 4; seqno++) {
        const body = wallet.createTransfer({
            seqno,
            secretKey: key.secretKey,
            messages: [1, 2, 3, 4].map((k) => internal({ to: ROOT, value: toNano('1') + BigInt(seqno * 4 + k), bounce: false })),
        });
        await running.chain.sendMessage(
            beginCell()
                .store(storeMessage(external({ to: wallet.address, init: seqno === 0 ? wallet.init : undefined, body })))
                .endCell(),
        );
    }
});

afterAll(async () => {
    await running?.close();
});

/** Runs the child; resolves with its exit code and the number of commits it printed; kills it after `killAfter` commits. */
function runChild(
    where: string,
    killAfter: number | null,
): Promise<{ code: number | null; signal: string | null; commits: number; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(
            process.execPath,
            ['-r', 'ts-node/register/transpile-only', CHILD, running.v4Url, ROOT.toRawString(), where, '10', treasuryCode],
            {
                stdio: ['ignore', 'pipe', 'pipe'],
                env: { ...process.env, NODE_OPTIONS: '' },
            },
        );
        let commits = 0;
        let stderr = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
            commits += chunk.split('\n').filter((l) => l === 'COMMIT').length;
            if (killAfter !== null && commits >= killAfter) child.kill('SIGKILL');
        });
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('exit', (code, signal) => resolve({ code, signal, commits, stderr }));
    });
}

describe('crash safety', () => {
    it('restarts after kill -9 mid-backfill with no gaps and no duplicates', async () => {
        const loc = await freshDatabaseLocation();
        const where = loc.databaseUrl ?? loc.dataDir!;
        try {
            // The kill lands wherever the child is by then: between batches or inside one.
            const first = await runChild(where, 2);
            expect(first.signal).toBe('SIGKILL');
            const second = await runChild(where, 3);
            expect(second.signal === 'SIGKILL' || second.code === 0).toBe(true);
            const last = await runChild(where, null);
            expect(last.stderr).toBe('');
            expect(last.code).toBe(0);

            const database = await openDatabase(loc.databaseUrl ? { databaseUrl: loc.databaseUrl } : { dataDir: loc.dataDir });
            try {
                const stored = await rows<{ hash: string; lt_text: string }>(
                    database.db,
                    sql`select hash, lt::text as lt_text from transactions where account = ${ROOT.toRawString()} order by transactions.lt`,
                );
                const onChain = running.chain.accountTransactions(ROOT);
                expect(onChain).toHaveLength(TXS);
                expect(stored.map((r) => r.hash)).toEqual(onChain.map((t) => t.hash.toString('hex')));
                const [acc] = await rows<{ tx_count: number; last_lt: string }>(
                    database.db,
                    sql`select tx_count, last_lt::text as last_lt from accounts where address = ${ROOT.toRawString()}`,
                );
                expect(acc.tx_count).toBe(TXS);
                expect(acc.last_lt).toBe(onChain[TXS - 1].lt.toString());
                const wallet = await rows<{ hash: string }>(
                    database.db,
                    sql`select hash from transactions where account = ${treasury.toRawString()} order by transactions.lt`,
                );
                const walletOnChain = running.chain.accountTransactions(treasury);
                expect(walletOnChain).toHaveLength(TXS / 4 + 1);
                expect(wallet.map((r) => r.hash)).toEqual(walletOnChain.map((t) => t.hash.toString('hex')));
                const [kind] = await rows<{ kind: string; discovered_via: string }>(
                    database.db,
                    sql`select kind, discovered_via from accounts where address = ${treasury.toRawString()}`,
                );
                expect(kind).toEqual({ kind: 'wallet', discovered_via: 'message' });
                const [daily] = await rows<{ n: string }>(database.db, sql`select coalesce(sum(tx_count), 0) as n from daily_stats`);
                expect(Number(daily.n)).toBe(TXS + walletOnChain.length);
                expect(await derivedMismatches(database.db)).toEqual([]);
            } finally {
                await database.close();
            }
        } finally {
            await loc.cleanup();
        }
    });
});
