/**
 * `npm run bench -- explorer [--tx N] [--runs N]`: latency of the API calls behind each explorer page over an
 * indexer database holding N synthetic transactions (default 100,000), and the explorer's first contentful
 * paint in headless Chromium. A page's latency is its calls issued together (as the app does) until the
 * last answer. Baseline (same run): /api/root, a one-row read: the floor of any database-backed request.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { openDatabase } from '../../indexer/db/client';
import { installNativeSha256 } from '../../node/chain/fast-hash';
import { IngestEngine } from '../../indexer/ingest/engine';
import { silentLogger } from '../../node/common/log';
import { startApiServer } from '../../indexer/api/server';
import type { ClientInfo, Page, ProxyInfo, TransactionDetail, TransactionInfo, WorkerInfo } from '../../indexer/api/types';
import { benchComponents } from '../indexer/helpers/bench-components';
import { DEFAULT_SHAPE, SyntheticChain } from '../indexer/helpers/synthetic';
import { CHROMIUM, CHROMIUM_ARGS } from '../web/helpers/browser';

const ROOT_DIR = path.resolve(__dirname, '../..');
const WEB_DIST = path.join(ROOT_DIR, 'web', 'dist');

function arg(name: string, def: number): number {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const print = (s: string) => process.stdout.write(s + '\n');
const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Figures {
    p50: number;
    p95: number;
    max: number;
}

function figures(samples: number[]): Figures {
    const s = [...samples].sort((a, b) => a - b);
    return { p50: round(percentile(s, 50)), p95: round(percentile(s, 95)), max: round(s[s.length - 1]) };
}

async function main(): Promise<void> {
    if (process.argv.includes('--help')) {
        print('Usage: npm run bench -- explorer [--tx N (default 100000)] [--runs N (default 30)] [--fcp-runs N (default 5)]');
        return;
    }
    installNativeSha256();
    const total = arg('--tx', DEFAULT_SHAPE.transactions);
    const runs = arg('--runs', 30);
    const fcpRuns = arg('--fcp-runs', 5);
    print(`explorer benchmark: ${total.toLocaleString('en')} transactions, ${runs} runs per page, ${os.cpus().length} cores`);
    if (!fs.existsSync(path.join(WEB_DIST, 'index.html'))) execFileSync('npm', ['run', 'build:web'], { cwd: ROOT_DIR, stdio: 'inherit' });

    const t0 = performance.now();
    const comps = benchComponents();
    const chain = new SyntheticChain({ ...DEFAULT_SHAPE, transactions: total }, comps.bodies);
    chain.generate(total);
    const database = await openDatabase({});
    const engine = new IngestEngine({
        db: database.db,
        chain,
        decoder: comps.decoder,
        states: comps.statesFor(chain),
        rootAddress: chain.root.raw,
        log: silentLogger,
        batchSize: 2000,
        pageSize: 1000,
    });
    const ingested = await engine.runOnce();
    print(
        `database: ${ingested.transactions.toLocaleString('en')} transactions indexed into in-memory PGlite ` +
            `(${round((performance.now() - t0) / 1000)} s, not timed below)`,
    );

    const server = await startApiServer({ database, log: silentLogger, webDir: WEB_DIST });
    const get = async <T>(p: string): Promise<T> => {
        const res = await fetch(server.url + p);
        if (!res.ok) throw new Error(`${p}: HTTP ${res.status} ${await res.text()}`);
        return (await res.json()) as T;
    };
    try {
        // Real ids for the detail pages: the busiest contracts and a recent transaction.
        const proxy = (await get<Page<ProxyInfo>>('/api/proxies?sort=tokensCharged&limit=1')).items[0].address;
        const client = (await get<Page<ClientInfo>>('/api/clients?sort=tokensCharged&limit=1')).items[0].address;
        const worker = (await get<Page<WorkerInfo>>('/api/workers?sort=tokensPaid&limit=1')).items[0].address;
        const tx = (await get<Page<TransactionInfo>>(`/api/transactions?account=${proxy}&limit=1`)).items[0];
        const txDetail = await get<TransactionDetail>(`/api/transactions/${tx.hash}`);
        const e = encodeURIComponent;
        const related = (a: string) => [
            `/api/transactions?account=${e(a)}&limit=20`,
            `/api/stats/daily?order=desc&limit=120&address=${e(a)}`,
        ];
        const PAGES: Record<string, string[]> = {
            // Totals, contract counts and TON held in contracts (Overview.held) come in one call.
            overview: ['/api/overview', '/api/stats/daily?order=desc&limit=120'],
            proxies: ['/api/proxies?sort=lastActivity'],
            proxy: [
                `/api/proxies/${e(proxy)}`,
                `/api/clients?proxy=${e(proxy)}&limit=20`,
                `/api/workers?proxy=${e(proxy)}&limit=20`,
                ...related(proxy),
            ],
            clients: ['/api/clients?sort=lastActivity'],
            client: [`/api/clients/${e(client)}`, ...related(client)],
            workers: ['/api/workers?sort=lastActivity'],
            worker: [`/api/workers/${e(worker)}`, ...related(worker)],
            transactions: ['/api/transactions?limit=50', '/api/opcodes'],
            transactionsFailed: ['/api/transactions?success=false&limit=50'],
            // The detail (with its parent and outgoing message links), then each processed message's transaction.
            transaction: [
                `/api/transactions/${tx.hash}`,
                ...txDetail.outMessages.flatMap((m) => (m.child ? [`/api/transactions/${m.child}`] : [])),
            ],
            governance: ['/api/root', '/api/models', '/api/root/history?limit=20'],
            models: ['/api/models'],
            searchAddress: [`/api/search?q=${e(worker)}`],
            searchTx: [`/api/search?q=${tx.hash}`],
        };
        const timeCalls = async (paths: string[]): Promise<number> => {
            const start = performance.now();
            await Promise.all(paths.map((p) => get(p)));
            return performance.now() - start;
        };
        // Warm-up: first queries plan and fill caches.
        for (const paths of Object.values(PAGES)) await timeCalls(paths);
        const floor: number[] = [];
        for (let i = 0; i < runs; i++) floor.push(await timeCalls(['/api/root']));
        const baseline = figures(floor);
        print(`baseline /api/root (one-row read): p50 ${baseline.p50} ms, p95 ${baseline.p95} ms`);
        const pages: Record<string, Figures & { calls: number }> = {};
        for (const [name, paths] of Object.entries(PAGES)) {
            const samples: number[] = [];
            for (let i = 0; i < runs; i++) samples.push(await timeCalls(paths));
            pages[name] = { ...figures(samples), calls: paths.length };
            print(
                `${name.padEnd(19)} ${String(paths.length).padStart(2)} call(s)  p50 ${String(pages[name].p50).padStart(7)} ms ` +
                    ` p95 ${String(pages[name].p95).padStart(7)} ms  (${round(pages[name].p50 / Math.max(0.1, baseline.p50))}x ` +
                    `baseline)`,
            );
        }

        // First contentful paint and time until the overview totals are on screen, fresh profile each time.
        const fcps: number[] = [];
        const ready: number[] = [];
        for (let i = 0; i < fcpRuns; i++) {
            // A new profile each time: a first visit, nothing cached.
            const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cocoon-bench-chromium-'));
            const context = await chromium.launchPersistentContext(profile, {
                executablePath: CHROMIUM,
                headless: true,
                args: CHROMIUM_ARGS,
                viewport: { width: 1280, height: 900 },
            });
            try {
                const page = context.pages()[0] ?? (await context.newPage());
                await page.goto(`${server.url}/#/`);
                await page.getByTestId('totals').waitFor();
                const m = await page.evaluate(() => ({
                    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
                    now: performance.getEntriesByName('overview-ready')[0]?.startTime ?? -1,
                }));
                fcps.push(m.fcp);
                ready.push(m.now);
            } finally {
                await context.close();
                fs.rmSync(profile, { recursive: true, force: true });
            }
        }
        const fcp = figures(fcps);
        const totalsVisible = figures(ready);
        print(
            `first contentful paint: p50 ${fcp.p50} ms, max ${fcp.max} ms; overview totals on screen: ` +
                `p50 ${totalsVisible.p50} ms (${fcpRuns} fresh loads)`,
        );
        const slowest = Object.entries(pages).sort((a, b) => b[1].p95 - a[1].p95)[0];
        const targets = { pageP95Ms: 50, fcpMs: 1000 };
        const met = { pages: slowest[1].p95 < targets.pageP95Ms, fcp: fcp.max < targets.fcpMs };
        print(
            `slowest page (p95): ${slowest[0]} ${slowest[1].p95} ms (target < ${targets.pageP95Ms} ` +
                `ms: ${met.pages ? 'met' : 'MISSED'}); first contentful paint max ${fcp.max} ms (target < ${targets.fcpMs} ` +
                `ms: ${met.fcp ? 'met' : 'MISSED'})`,
        );
        print(
            'RESULT ' +
                JSON.stringify({
                    bench: 'explorer',
                    transactions: ingested.transactions,
                    runs,
                    baselineRootMs: baseline,
                    pagesMs: pages,
                    fcpMs: fcp,
                    overviewReadyMs: totalsVisible,
                    slowest: { page: slowest[0], p95: slowest[1].p95 },
                    targets,
                    met,
                }),
        );
    } finally {
        await server.close();
        await database.close();
    }
}

main().then(
    () => process.exit(0),
    (err) => {
        console.error(err);
        process.exit(1);
    },
);
