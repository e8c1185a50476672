/**
 * The GPU owners pages and the Models page's activity and cost calculator in headless Chromium, against the
 * real indexer API over the seeded database plus two registries: the numbers the API answers, filters,
 * links, the calculator against hand-computed values, and axe-core at desktop and phone sizes.
 * Screenshots go to tests/artifacts/web/ (gitignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page as PwPage } from 'playwright-core';
import { startApiServer, type ApiServer } from '../../indexer/api/server';
import { silentLogger } from '../../node/common/log';
import { openTestDatabase, type TestDatabase } from '../indexer/helpers/db';
import { OWNER_A, REG_A, REG_B, seedGpuOwners } from '../indexer/helpers/gpu-owners';
import { MODEL, WORKERS, seed } from '../indexer/helpers/seed';
import { launchBrowser, type Browser } from './helpers/browser';
import { checkAccessibility, DESKTOP, noSidewaysScroll, PHONE } from './helpers/pages';

const ROOT_DIR = path.resolve(__dirname, '../..');
const WEB_DIST = path.join(ROOT_DIR, 'web', 'dist');
const SHOTS = path.join(ROOT_DIR, 'tests', 'artifacts', 'web');

let database: TestDatabase;
let server: ApiServer;
let browser: Browser;
let page: PwPage;

const text = async (testId: string) => {
    const el = page.getByTestId(testId).first();
    await el.waitFor();
    return ((await el.textContent()) ?? '').replace(/\s+/g, ' ').trim();
};
const rowKeys = async (testId: string) => {
    await page.getByTestId(testId).waitFor();
    return page
        .getByTestId(testId)
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key') ?? ''));
};

beforeAll(async () => {
    if (!fs.existsSync(path.join(WEB_DIST, 'index.html'))) throw new Error('web/dist is missing: npm run build:web');
    fs.mkdirSync(SHOTS, { recursive: true });
    database = await openTestDatabase();
    await seed(database.db);
    await seedGpuOwners(database.db);
    server = await startApiServer({ database, log: silentLogger, knownModels: [MODEL], webDir: WEB_DIST });
    browser = await launchBrowser();
    page = browser.page;
});

afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
});

describe('explorer: GPU owners and models', () => {
    it('lists GPU owners with declared uptime and earnings, filters by GPU model, and opens an owner', async () => {
        await page.goto(`${server.url}/#/gpu-owners`);
        expect(await rowKeys('gpu-owners')).toEqual([REG_B, REG_A]);
        const row = page.getByTestId('gpu-owners').locator(`tr[data-key="${REG_A}"]`);
        expect((await row.textContent())?.replace(/\s+/g, ' ')).toContain('NVIDIA H100 80GB HBM3');
        expect(await row.getByTestId('uptime').getAttribute('data-declared')).toBe('990');
        await page.locator('input[name="gpuModel"]').fill('h100');
        await page.getByRole('button', { name: 'Apply' }).click();
        await page.waitForURL(/gpuModel=h100/);
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="gpu-owners"] tbody tr').length === 1);
        expect(await rowKeys('gpu-owners')).toEqual([REG_A]);
        await page.screenshot({ path: path.join(SHOTS, 'gpu-owners.png'), fullPage: true });

        await page.getByTestId('gpu-owners').locator(`tr[data-key="${REG_A}"] a`).first().click();
        await page.waitForURL(new RegExp(`#/gpu-owners/${OWNER_A}`));
        expect(await text('owner-tonEarned')).toBe('0.0000005 TON');
        expect(await rowKeys('owner-workers')).toEqual([WORKERS[1]]);
        expect(await page.getByTestId('owner-history').locator('tbody tr').count()).toBe(2);
        await page.screenshot({ path: path.join(SHOTS, 'gpu-owner.png'), fullPage: true });
    });

    it('the worker page links to its GPU owner', async () => {
        await page.goto(`${server.url}/#/workers/${WORKERS[1]}`);
        await page.getByTestId('gpu-owner-link').click();
        await page.waitForURL(new RegExp(`#/gpu-owners/${OWNER_A}`));
        expect(await text('gpu-owner-fields')).toContain('8 × NVIDIA H100 80GB HBM3');
    });

    it('the Models page computes costs and earnings at the live price', async () => {
        await page.goto(`${server.url}/#/models`);
        // Seeded root: 20 nanoTON per token, worker fee 10, prompt x1, completion x2 (tests/indexer/helpers/seed.ts).
        // 1000 queries x (500 + 2 x 200) tokens x 20 = 18,000,000 nanoTON a day.
        expect(await text('calc-app-day')).toBe('0.018 TON');
        expect(await text('calc-app-month')).toBe('0.54 TON');
        // 50 tok/s x 50% x 86,400 = 2,160,000 tokens x 2 x 10 = 43,200,000 nanoTON a day.
        expect(await text('calc-gpu-day')).toBe('0.0432 TON');
        await page.getByTestId('calc-util').fill('101');
        expect(await page.getByTestId('calculator').getByRole('alert').textContent()).toBe(
            'utilization must be a whole number from 0 to 100',
        );
        await page.getByTestId('calc-util').fill('40');
        expect(await text('calc-gpu-day')).toBe('0.03456 TON');
        await page.getByTestId('demand').waitFor();
        await page.screenshot({ path: path.join(SHOTS, 'models-calculator.png'), fullPage: true });
    });

    it('new pages at desktop and phone sizes: no serious accessibility violations, no sideways scrolling', async () => {
        for (const size of [DESKTOP, PHONE]) {
            await page.setViewportSize(size);
            for (const [name, hash, ready] of [
                ['gpu-owners', 'gpu-owners', 'gpu-owners'],
                ['gpu-owner', `gpu-owners/${REG_A}`, 'gpu-owner-fields'],
                ['models', 'models', 'calculator'],
            ] as const) {
                await page.goto(`${server.url}/#/${hash}`);
                await page.getByTestId(ready).waitFor();
                expect({ page: name, size: size.name, serious: await checkAccessibility(page) }).toEqual({
                    page: name,
                    size: size.name,
                    serious: [],
                });
                expect({ page: name, size: size.name, overflow: await noSidewaysScroll(page) }).toEqual({
                    page: name,
                    size: size.name,
                    overflow: 0,
                });
                await page.screenshot({ path: path.join(SHOTS, `${name}-${size.name}.png`), fullPage: true });
            }
        }
        await page.setViewportSize(DESKTOP);
    });
});
