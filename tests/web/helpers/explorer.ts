/**
 * What the browser suites share to drive the explorer: where the built app and the screenshots live, the
 * page helpers every suite uses (open a route, read a test id's text or a table's row keys, call the API,
 * take a screenshot), and the seeded-database setup of the suites that run without a chain.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../../indexer/api/server';
import type { Database } from '../../../indexer/db/client';
import { silentLogger } from '../../../node/common/log';
import { formatTon } from '../../../web/src/format';
import { openTestDatabase, type TestDatabase } from '../../indexer/helpers/db';
import { launchBrowser, type Browser } from './browser';
import { waitFor } from '../../helpers/wait';

export const ROOT_DIR = path.resolve(__dirname, '../../..');
export const WEB_DIST = path.join(ROOT_DIR, 'web', 'dist');
/** Screenshots (gitignored). */
export const SHOTS = path.join(ROOT_DIR, 'tests', 'artifacts', 'web');

/** Builds the explorer when web/dist is missing and makes the screenshot directory. */
export function prepareWebDist(): void {
    if (!fs.existsSync(path.join(WEB_DIST, 'index.html'))) execFileSync('npm', ['run', 'build:web'], { cwd: ROOT_DIR, stdio: 'inherit' });
    fs.mkdirSync(SHOTS, { recursive: true });
}

/** How the explorer shows an amount: "1.5 TON". */
export const tonText = (nano: string | bigint) => `${formatTon(nano.toString())} TON`;

/**
 * Polls `ok` every 100 ms until it answers true (a throw counts as not yet); fails naming `what` after
 * `timeoutMs`, with the last error if there was one.
 */
export async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    let last: unknown = null;
    const probe = () =>
        ok().catch((err: unknown) => {
            last = err;
            return false;
        });
    await waitFor(probe, what, timeoutMs, 100).catch((e: Error) => {
        throw new Error(`${e.message}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    });
}

export interface ExplorerDriver {
    /** Opens a hash route (`''` = the overview). */
    open(hash: string): Promise<unknown>;
    /** A full-page screenshot into SHOTS, named `<prefix><name>.png`. */
    shot(name: string): Promise<unknown>;
    /** Whitespace-collapsed text of the first element with this test id, once it is on the page. */
    text(testId: string): Promise<string>;
    /** `data-key` of every row of the table with this test id, once its first row is on the page. */
    rowKeys(testId: string): Promise<string[]>;
    /** GET on the indexer API; throws on a non-2xx answer. */
    api<T>(path: string): Promise<T>;
}

/**
 * The helpers over a page and an explorer URL that exist only once the suite's beforeAll ran: `at` is
 * called on each use, so a suite can build the driver at module level.
 */
export function explorerDriver(at: () => { page: Page; url: string }, shotPrefix = ''): ExplorerDriver {
    return {
        open: (hash) => at().page.goto(`${at().url}/#/${hash}`),
        shot: (name) => at().page.screenshot({ path: path.join(SHOTS, `${shotPrefix}${name}.png`), fullPage: true }),
        async text(testId) {
            const el = at().page.getByTestId(testId).first();
            await el.waitFor();
            return ((await el.textContent()) ?? '').replace(/\s+/g, ' ').trim();
        },
        async rowKeys(testId) {
            const table = at().page.getByTestId(testId);
            await table.locator('tbody tr').first().waitFor();
            return table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key') ?? ''));
        },
        async api<T>(p: string) {
            const res = await fetch(at().url + p);
            if (!res.ok) throw new Error(`${p}: HTTP ${res.status}`);
            return (await res.json()) as T;
        },
    };
}

export interface SeededExplorer {
    database: TestDatabase;
    server: ApiServer;
    browser: Browser;
    page: Page;
    close(): Promise<void>;
}

/** The real API server with the built explorer over a fresh test database that `seed` fills, and Chromium. */
export async function startSeededExplorer(
    seed: (db: Database['db']) => Promise<void>,
    options: Omit<ApiServerOptions, 'database' | 'log' | 'webDir'>,
): Promise<SeededExplorer> {
    prepareWebDist();
    const database = await openTestDatabase();
    await seed(database.db);
    const server = await startApiServer({ ...options, database, log: silentLogger, webDir: WEB_DIST });
    const browser = await launchBrowser().catch(async (err: unknown) => {
        await server.close();
        await database.close();
        throw err;
    });
    return {
        database,
        server,
        browser,
        page: browser.page,
        async close() {
            await browser.close();
            await server.close();
            await database.close();
        },
    };
}
