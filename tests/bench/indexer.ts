/**
 * `npm run bench -- indexer [--tx N]`: decode+store rate (tx/s) on PGlite and PostgreSQL, backfill time of
 * 100,000 transactions, head lag while following a live chain. Baseline (same run): the same rows written
 * with drizzle's VALUES builder instead of the indexer's unnest bulk insert.
 * Targets: >= 5,000 tx/s and a 100k backfill under 30 s.
 */
import { execFileSync, execSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../indexer/db/client';
import { transactions, events } from '../../indexer/db/schema';
import { IngestEngine } from '../../indexer/ingest/engine';
import { createLogger, silentLogger, type Logger } from '../../node/common/log';
import type { Decoder, StateReader } from '../../indexer/ingest/ports';
import { benchComponents, checkBenchSignature } from '../indexer/helpers/bench-components';
import { DEFAULT_SHAPE, SyntheticChain } from '../indexer/helpers/synthetic';
import { installNativeSha256 } from '../../node/chain/fast-hash';

const TARGET_TPS = 5000;
const TARGET_BACKFILL_S = 30;

function arg(name: string, def: number): number {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const print = (s: string) => process.stdout.write(s + '\n');

interface RunFigures {
    transactions: number;
    seconds: number;
    txPerSec: number;
}

async function backfill(
    database: Database,
    chain: SyntheticChain,
    decoder: Decoder,
    states: StateReader,
    log: Logger,
): Promise<RunFigures> {
    const engine = new IngestEngine({
        db: database.db,
        chain,
        decoder,
        states,
        rootAddress: chain.root.raw,
        log,
        batchSize: 2000,
        pageSize: 1000,
        pipelineWrites: database.kind === 'postgres',
    });
    const t0 = performance.now();
    const r = await engine.runOnce();
    const seconds = (performance.now() - t0) / 1000;
    return { transactions: r.transactions, seconds: round(seconds, 2), txPerSec: Math.round(r.transactions / seconds) };
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

/** Same decoded rows through drizzle's builder (one parameter per value): what the bulk insert replaced. */
async function builderBaseline(database: Database, chain: SyntheticChain, decoder: Decoder, n: number): Promise<number> {
    const rows: { t: typeof transactions.$inferInsert; e: (typeof events.$inferInsert)[] }[] = [];
    outer: for (const acc of chain.accounts.values()) {
        if (!acc.kind || !acc.txs.length) continue;
        const page = await chain.transactions(acc.raw, acc.txs[acc.txs.length - 1], 1000);
        for (const t of page) {
            const known = {
                address: acc.raw,
                kind: acc.kind,
                codeHash: null,
                paramsVersion: 1,
                parent: acc.parent,
                owner: null,
                pricePerToken: 20n,
                workerFeePerToken: 10n,
            };
            const d = decoder.decode(t, known);
            rows.push({
                t: {
                    lt: t.lt,
                    hash: t.hash + 'b',
                    account: t.account,
                    accountKind: acc.kind,
                    utime: t.utime,
                    blockSeqno: t.seqno,
                    op: d.op,
                    opName: d.opName,
                    source: d.source,
                    inValue: d.inValue,
                    totalFees: d.totalFees,
                    success: d.success,
                    exitCode: d.exitCode,
                    outMsgs: d.outMsgs,
                },
                e: d.events.map((e, idx) => ({
                    txLt: t.lt,
                    txHash: t.hash + 'b',
                    idx,
                    type: e.type,
                    account: t.account,
                    utime: t.utime,
                    success: d.success,
                    proxy: e.proxy ?? null,
                    client: e.client ?? null,
                    worker: e.worker ?? null,
                    amount: e.amount ?? null,
                    payload: e.payload,
                })),
            });
            if (rows.length >= n) break outer;
        }
    }
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += 1000) {
        const part = rows.slice(i, i + 1000);
        await database.db.transaction(async (tx) => {
            await tx
                .insert(transactions)
                .values(part.map((r) => r.t))
                .onConflictDoNothing();
            const evs = part.flatMap((r) => r.e);
            if (evs.length) await tx.insert(events).values(evs).onConflictDoNothing();
        });
    }
    return Math.round(rows.length / ((performance.now() - t0) / 1000));
}

/** Time from a block's production to its transactions being final in the database, while following the chain. */
async function headLag(
    database: Database,
    chain: SyntheticChain,
    decoder: Decoder,
    states: StateReader,
    seconds: number,
    txPerSec: number,
): Promise<{ p50: number; p95: number; max: number; samples: number }> {
    const engine = new IngestEngine({
        db: database.db,
        chain,
        decoder,
        states,
        rootAddress: chain.root.raw,
        log: silentLogger,
        batchSize: 2000,
        pageSize: 200,
    });
    await engine.runOnce();
    const lags: number[] = [];
    const blockMs = 250;
    const perBlock = Math.max(1, Math.round((txPerSec * blockMs) / 1000));
    const timer = setInterval(() => chain.generate(perBlock), blockMs);
    const end = Date.now() + seconds * 1000;
    let lastFinal = chain.seqno;
    while (Date.now() < end) {
        const r = await engine.runOnce();
        const now = Date.now();
        for (let s = lastFinal + 1; s <= r.finalSeqno; s++) {
            const produced = chain.blockTimes.get(s);
            if (produced !== undefined) lags.push(now - produced);
        }
        lastFinal = Math.max(lastFinal, r.finalSeqno);
        await new Promise((res) => setTimeout(res, 50));
    }
    clearInterval(timer);
    lags.sort((a, b) => a - b);
    const q = (p: number) => (lags.length ? lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] : 0);
    return { p50: q(0.5), p95: q(0.95), max: lags[lags.length - 1] ?? 0, samples: lags.length };
}

async function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

/** DATABASE_URL, or a private throwaway cluster when PostgreSQL is installed (not the shared pg-temp one). */
async function postgresUrl(): Promise<{ url: string; stop(): void } | null> {
    if (process.env.DATABASE_URL?.startsWith('postgres')) return { url: process.env.DATABASE_URL, stop: () => undefined };
    const base = '/usr/lib/postgresql';
    if (!fs.existsSync(base)) return null;
    const version = fs.readdirSync(base).sort().pop();
    if (!version) return null;
    const bin = path.join(base, version, 'bin');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cocoon-bench-pg-'));
    const data = path.join(dir, 'data');
    fs.mkdirSync(data, { mode: 0o700 });
    const asRoot = process.getuid?.() === 0;
    const run = (cmd: string) =>
        asRoot ? execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', cmd], { stdio: 'ignore' }) : execSync(cmd, { stdio: 'ignore' });
    if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
    const port = await freePort();
    try {
        run(`${bin}/initdb -D ${data} -U postgres --auth=trust -E UTF8`);
        run(`${bin}/pg_ctl -D ${data} -l ${dir}/pg.log -o '-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off' -w start`);
    } catch {
        fs.rmSync(dir, { recursive: true, force: true });
        return null;
    }
    return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        stop: () => {
            try {
                run(`${bin}/pg_ctl -D ${data} -m fast stop`);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        },
    };
}

const HELP = `Usage: npm run bench -- indexer [--tx N] [--verbose]

Generates a synthetic Cocoon network (real message encodings) and measures the indexer: decode alone,
decode+store on PGlite and PostgreSQL (DATABASE_URL, or a private throwaway cluster when PostgreSQL is
installed), a drizzle VALUES-builder baseline, and head lag while following a live chain.
  --tx N       transactions to generate (default 100000)
  --verbose    print the ingest's own logs
Ends with one line: RESULT {json}.`;

async function main(): Promise<void> {
    if (process.argv.includes('--help') || process.argv.includes('-h')) {
        print(HELP);
        return;
    }
    installNativeSha256();
    if (!checkBenchSignature())
        throw new Error('native Ed25519 signatures differ from @ton/crypto: the generated envelopes would be invalid');
    const total = arg('--tx', DEFAULT_SHAPE.transactions);
    const log = process.argv.includes('--verbose') ? createLogger('bench') : silentLogger;
    const load = () => os.loadavg()[0].toFixed(1);
    print(
        `indexer benchmark: ${total.toLocaleString('en')} transactions, ${os.cpus().length} cores, ` +
            `load average ${load()} (other processes share the cores)`,
    );

    const make = () => {
        const shape = { ...DEFAULT_SHAPE, transactions: total };
        const comps = benchComponents();
        const chain = new SyntheticChain(shape, comps.bodies);
        return { chain, comps };
    };
    let t0 = performance.now();
    const { chain, comps } = make();
    chain.generate(total);
    print(
        `generated ${chain.networkTxs.toLocaleString('en')} network transactions in ${chain.seqno} blocks ` +
            `(${round((performance.now() - t0) / 1000, 1)} s; not timed below); decoder: ${comps.label}`,
    );

    // Decode alone: parse BOCs and decode every transaction, no database.
    t0 = performance.now();
    let decoded = 0;
    for (const acc of chain.accounts.values()) {
        if (!acc.kind || !acc.txs.length) continue;
        let from: { lt: bigint; hash: string } | null = acc.txs[acc.txs.length - 1];
        while (from) {
            const page = await chain.transactions(acc.raw, from, 1000);
            for (const t of page)
                comps.decoder.decode(t, {
                    address: acc.raw,
                    kind: acc.kind,
                    codeHash: null,
                    paramsVersion: 1,
                    parent: acc.parent,
                    owner: null,
                    pricePerToken: 20n,
                    workerFeePerToken: 10n,
                });
            decoded += page.length;
            const oldest = page[page.length - 1].tx;
            from =
                page.length === 1000 && oldest.prevTransactionLt
                    ? { lt: oldest.prevTransactionLt, hash: oldest.prevTransactionHash.toString(16).padStart(64, '0') }
                    : null;
        }
    }
    const decodeTps = Math.round(decoded / ((performance.now() - t0) / 1000));
    print(`decode only (parse + decode):  ${decodeTps.toLocaleString('en')} tx/s`);

    const pgliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cocoon-bench-pglite-'));
    const pglite = await openDatabase({ dataDir: pgliteDir });
    const pgliteRun = await backfill(pglite, chain, comps.decoder, comps.statesFor(chain), log);
    print(
        `PGlite (data dir):    ${pgliteRun.txPerSec.toLocaleString('en')} tx/s decode+store, ` +
            `backfill of ${pgliteRun.transactions.toLocaleString('en')} tx in ${pgliteRun.seconds} s`,
    );
    const baseline = await builderBaseline(pglite, chain, comps.decoder, 10_000);
    print(
        `PGlite baseline (drizzle VALUES builder, same rows): ${baseline.toLocaleString('en')} tx/s -> bulk insert ` +
            `is ${round(pgliteRun.txPerSec / baseline, 1)}x`,
    );

    const lagChain = make();
    lagChain.chain.generate(2000);
    const lagDb = await openDatabase({});
    const lag = await headLag(lagDb, lagChain.chain, lagChain.comps.decoder, lagChain.comps.statesFor(lagChain.chain), 6, 400);
    await lagDb.close();
    print(
        `head lag (PGlite, following 400 tx/s in 250 ms blocks): p50 ${lag.p50} ms, p95 ${lag.p95} ms, ` +
            `max ${lag.max} ms over ${lag.samples} blocks`,
    );
    await pglite.close();
    fs.rmSync(pgliteDir, { recursive: true, force: true });

    let postgres: RunFigures | null = null;
    const pg = await postgresUrl();
    if (pg) {
        try {
            const { Client } = await import('pg');
            const admin = new Client({ connectionString: pg.url });
            await admin.connect();
            const name = `cocoon_bench_${process.pid}`;
            await admin.query(`drop database if exists ${name}`);
            await admin.query(`create database ${name}`);
            const url = pg.url.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
            const database = await openDatabase({ databaseUrl: url });
            postgres = await backfill(database, chain, comps.decoder, comps.statesFor(chain), log);
            await database.close();
            await admin.query(`drop database if exists ${name} with (force)`);
            await admin.end();
            print(
                `PostgreSQL:           ${postgres.txPerSec.toLocaleString('en')} tx/s decode+store, ` +
                    `backfill of ${postgres.transactions.toLocaleString('en')} tx in ${postgres.seconds} s`,
            );
        } finally {
            pg.stop();
        }
    } else {
        print('PostgreSQL: skipped (no DATABASE_URL and no PostgreSQL installed; tools/setup-system.sh installs it)');
    }

    const scale = 100_000 / Math.max(1, pgliteRun.transactions);
    const backfill100k = round(pgliteRun.seconds * scale, 2);
    const meets = pgliteRun.txPerSec >= TARGET_TPS && backfill100k < TARGET_BACKFILL_S;
    print(
        `targets: >= ${TARGET_TPS} tx/s and 100k backfill < ${TARGET_BACKFILL_S} s on PGlite: ${meets ? 'met' : 'NOT met'} ` +
            `(${pgliteRun.txPerSec} tx/s, ${backfill100k} s)`,
    );
    print(
        'RESULT ' +
            JSON.stringify({
                bench: 'indexer',
                transactions: pgliteRun.transactions,
                decoder: comps.label,
                decodeOnlyTxPerSec: decodeTps,
                pglite: { txPerSec: pgliteRun.txPerSec, backfillSec: pgliteRun.seconds, backfill100kSec: backfill100k },
                postgres: postgres
                    ? {
                          txPerSec: postgres.txPerSec,
                          backfillSec: postgres.seconds,
                          backfill100kSec: round(postgres.seconds * (100_000 / Math.max(1, postgres.transactions)), 2),
                      }
                    : null,
                baseline: { builderTxPerSec: baseline, speedup: round(pgliteRun.txPerSec / baseline, 2) },
                headLagMs: lag,
                targets: { txPerSec: TARGET_TPS, backfill100kSec: TARGET_BACKFILL_S },
                meetsTargets: meets,
                loadAverage: Number(load()),
            }),
    );
}

main().then(
    () => process.exit(0),
    (err) => {
        console.error(err);
        process.exit(1);
    },
);
