/**
 * The GPU owners pages and the Models page's activity and cost calculator in headless Chromium, against the
 * real indexer API over the seeded database plus two registries: the numbers the API answers, filters,
 * links, the calculator against hand-computed values, and axe-core at desktop and phone sizes.
 * Screenshots go to tests/artifacts/web/ (gitignored).
 */
import type { Page as PwPage } from 'playwright-core';
import { registries } from '../../indexer/db/schema';
import type { GpuOwnerList } from '../../indexer/api/types';
import { OWNER_A, REG_A, REG_B, profile, seedGpuOwners } from '../indexer/helpers/gpu-owners';
import { BASE_UTIME, MODEL, WORKERS, addr, seed } from '../indexer/helpers/seed';
import { explorerDriver, startSeededExplorer, type SeededExplorer } from './helpers/explorer';
import { checkAccessibility, DESKTOP, noSidewaysScroll, PHONE } from './helpers/pages';

let explorer: SeededExplorer;
let page: PwPage;
const { api, shot, text, rowKeys } = explorerDriver(() => ({ page, url: explorer.server.url }));

beforeAll(async () => {
    explorer = await startSeededExplorer(
        async (db) => {
            await seed(db);
            await seedGpuOwners(db);
        },
        { knownModels: [MODEL] },
    );
    page = explorer.page;
});

afterAll(async () => explorer?.close());

describe('explorer: GPU owners and models', () => {
    it('lists GPU owners with declared uptime and earnings, filters by GPU model, and opens an owner', async () => {
        await page.goto(`${explorer.server.url}/#/gpu-owners`);
        expect(await rowKeys('gpu-owners')).toEqual([REG_B, REG_A]);
        const row = page.getByTestId('gpu-owners').locator(`tr[data-key="${REG_A}"]`);
        expect((await row.textContent())?.replace(/\s+/g, ' ')).toContain('NVIDIA H100 80GB HBM3');
        expect(await row.getByTestId('uptime').getAttribute('data-declared')).toBe('990');
        await page.locator('input[name="gpuModel"]').fill('h100');
        await page.getByRole('button', { name: 'Apply' }).click();
        await page.waitForURL(/gpuModel=h100/);
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="gpu-owners"] tbody tr').length === 1);
        expect(await rowKeys('gpu-owners')).toEqual([REG_A]);
        await shot('gpu-owners');

        await page.getByTestId('gpu-owners').locator(`tr[data-key="${REG_A}"] a`).first().click();
        await page.waitForURL(new RegExp(`#/gpu-owners/${OWNER_A}`));
        expect(await text('owner-tonEarned')).toBe('0.0000005 TON');
        expect(await rowKeys('owner-workers')).toEqual([WORKERS[1]]);
        expect(await page.getByTestId('owner-history').locator('tbody tr').count()).toBe(2);
        // One payout, one day: the payouts chart spans that day with a day each side (uPlot alone drew 1000 days).
        const day = Math.floor((BASE_UTIME + 30) / 86400) * 86400;
        const chart = page.getByTestId('daily-chart');
        await chart.locator('canvas').first().waitFor();
        expect([await chart.getAttribute('data-x-min'), await chart.getAttribute('data-x-max')]).toEqual([
            String(day - 86400),
            String(day + 86400),
        ]);
        await shot('gpu-owner');
    });

    it('the worker page links to its GPU owner', async () => {
        await page.goto(`${explorer.server.url}/#/workers/${WORKERS[1]}`);
        await page.getByTestId('gpu-owner-link').click();
        await page.waitForURL(new RegExp(`#/gpu-owners/${OWNER_A}`));
        expect(await text('gpu-owner-fields')).toContain('8 × NVIDIA H100 80GB HBM3');
    });

    it('the Models page computes costs and earnings at the live price', async () => {
        await page.goto(`${explorer.server.url}/#/models`);
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
        await shot('models-calculator');
    });

    it('new pages at desktop and phone sizes: no serious accessibility violations, no sideways scrolling', async () => {
        for (const size of [DESKTOP, PHONE]) {
            await page.setViewportSize(size);
            for (const [name, hash, ready] of [
                ['gpu-owners', 'gpu-owners', 'gpu-owners'],
                ['gpu-owner', `gpu-owners/${REG_A}`, 'gpu-owner-fields'],
                ['models', 'models', 'calculator'],
            ] as const) {
                await page.goto(`${explorer.server.url}/#/${hash}`);
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
                await shot(`${name}-${size.name}`);
            }
        }
        await page.setViewportSize(DESKTOP);
    });

    it('reaches the owners past the first page with Load more, filtered or not', async () => {
        // 55 more owners with one L4 each and nothing earned: they sort after A and B, by registry address.
        await explorer.database.db.insert(registries).values(
            Array.from({ length: 55 }, (_, i) => ({
                address: addr(9200 + i),
                owner: addr(9300 + i),
                root: addr(1),
                status: 1,
                deposit: 1_000_000_000n,
                registeredAt: BASE_UTIME,
                updatedAt: BASE_UTIME,
                profile: profile({ gpuModel: 'NVIDIA L4', gpuCount: 1 }),
                gpuModel: 'NVIDIA L4',
            })),
        );
        for (const [route, query, total] of [
            ['gpu-owners', '', 57],
            ['gpu-owners?gpuModel=L4', 'gpuModel=L4&', 55],
        ] as const) {
            const first = await api<GpuOwnerList>(`/api/gpu-owners?${query}limit=50`);
            const second = await api<GpuOwnerList>(`/api/gpu-owners?${query}limit=50&cursor=${first.nextCursor}`);
            expect([first.items.length, second.items.length, second.nextCursor]).toEqual([50, total - 50, null]);
            await page.goto(`${explorer.server.url}/#/${route}`);
            await page.getByTestId('gpu-owners').locator(`tr[data-key="${first.items[49].address}"]`).waitFor();
            expect(await rowKeys('gpu-owners')).toEqual(first.items.map((o) => o.address));
            await page.getByRole('button', { name: 'Load more' }).click();
            await page
                .getByTestId('gpu-owners')
                .locator(`tr[data-key="${second.items[second.items.length - 1].address}"]`)
                .waitFor();
            expect(await rowKeys('gpu-owners')).toEqual([...first.items, ...second.items].map((o) => o.address));
            expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
        }
        await shot('gpu-owners-more');
    });
});
