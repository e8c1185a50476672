/**
 * The explorer in headless Chromium against the real indexer API server over a seeded database: every page
 * shows the API's numbers, navigation and search work, the live feed shows a new transaction.
 * Screenshots go to tests/artifacts/web/ (gitignored).
 */
import { Address } from '@ton/core';
import type { Page as PwPage } from 'playwright-core';
import { startApiServer } from '../../indexer/api/server';
import { events, transactions } from '../../indexer/db/schema';
import { silentLogger } from '../../node/common/log';
import { openTestDatabase } from '../indexer/helpers/db';
import type {
    ClientInfo,
    DailyStat,
    ModelsResponse,
    Overview,
    Page,
    ProxyInfo,
    RootConfig,
    RootConfigChange,
    TransactionDetail,
    TransactionInfo,
    WorkerInfo,
} from '../../indexer/api/types';
import { BASE_UTIME, CLIENTS, MODEL, OWNER, PROXIES, WORKERS, seed, txHash } from '../indexer/helpers/seed';
import { formatInt } from '../../web/src/format';
import { explorerDriver, startSeededExplorer, tonText, WEB_DIST, type SeededExplorer } from './helpers/explorer';
import { checkAccessibility, DESKTOP, noSidewaysScroll, PHONE } from './helpers/pages';

let explorer: SeededExplorer;
let page: PwPage;
const { api, open, shot, text, rowKeys } = explorerDriver(() => ({ page, url: explorer.server.url }));

beforeAll(async () => {
    explorer = await startSeededExplorer(seed, {
        knownModels: [MODEL],
        streamPollMs: 100,
        opcodes: [
            { op: '0xbb63ff93', name: 'ext_client_charge_signed', receivers: ['client'] },
            { op: '0xf172e6c2', name: 'ext_client_top_up', receivers: ['client'] },
        ],
    });
    page = explorer.page;
});

afterAll(async () => explorer?.close());

describe('explorer', () => {
    it('overview shows the API totals, a daily chart and first contentful paint', async () => {
        const ov = await api<Overview>('/api/overview');
        await open('');
        for (const k of ['deposits', 'tonCharged', 'refunds', 'workersPaid', 'commission', 'commissionWithdrawn'] as const) {
            expect((await page.getByTestId(`total-${k}`).locator('.stat-value').textContent())?.trim()).toBe(tonText(ov.totals[k]));
            expect(await page.getByTestId(`total-${k}`).locator('[data-nano]').getAttribute('data-nano')).toBe(ov.totals[k]);
        }
        expect(await text('total-deposits')).toContain('96 TON');
        expect(await page.getByTestId('total-tokensCharged').locator('.num').first().textContent()).toBe(
            formatInt(ov.totals.tokensCharged),
        );
        expect(await page.getByTestId('total-transactions').locator('.num').first().textContent()).toBe(String(ov.totals.transactions));
        expect(await text('count-proxies')).toContain(
            `${ov.proxies.total} ${ov.proxies.normal} active · ${ov.proxies.closing} closing · ` +
                `${ov.proxies.closed} closed · ${ov.proxies.outdated} outdated`,
        );
        expect(await text('count-clients')).toContain(`${ov.clients.total} `);
        expect(await text('count-workers')).toContain(`${ov.workers.total} `);
        expect(await text('index-status')).toContain(`Indexed to block ${ov.status.indexedSeqno} of ${ov.status.headSeqno}`);
        // TON held in contracts: the overview's own sums, equal to the sums over every proxy and client listed.
        const proxies = await api<Page<ProxyInfo>>('/api/proxies?limit=500');
        const clients = await api<Page<ClientInfo>>('/api/clients?limit=500');
        const sum = (xs: string[]) => xs.reduce((a, b) => a + BigInt(b), 0n).toString();
        const held = {
            proxyStakes: sum(proxies.items.map((p) => p.stake)),
            proxyCommission: sum(proxies.items.map((p) => p.balance)),
            clientBalances: sum(clients.items.map((c) => c.balance)),
            clientStakes: sum(clients.items.map((c) => c.stake)),
            total: '',
        };
        // Client stakes are inside client balances: the total counts them once.
        held.total = sum([held.proxyStakes, held.proxyCommission, held.clientBalances]);
        expect(held.clientBalances).toBe((15n * 10n ** 9n).toString());
        expect(ov.held).toEqual(held);
        for (const [k, v] of Object.entries(held))
            expect((await page.getByTestId(`held-${k}`).locator('.stat-value').textContent())?.trim()).toBe(tonText(v));
        const daily = await api<Page<unknown>>('/api/stats/daily');
        expect(await text('daily-range')).toBe(`${daily.items.length} days, 2026-01-01 to 2026-01-03`);
        await page.getByTestId('daily-chart').locator('canvas').waitFor();
        await page.getByTestId('metric').selectOption('tonCharged');
        await page.getByTestId('daily-chart').locator('canvas').waitFor();
        const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
        expect(typeof fcp).toBe('number');
        console.log(`explorer first contentful paint: ${(fcp as number).toFixed(0)} ms`);
        await shot('overview');
    });

    it('live feed shows a transaction inserted after the page opened', async () => {
        await open('');
        await page.getByTestId('feed-state').filter({ hasText: 'live' }).waitFor();
        const hash = txHash(5000);
        const lt = 990_000n;
        await explorer.database.db.insert(transactions).values({
            lt,
            hash,
            account: CLIENTS[2],
            accountKind: 'client',
            utime: BASE_UTIME + 500_000,
            op: 0xf172e6c2,
            opName: 'ext_client_top_up',
            inValue: 3_250_000_000n,
            success: true,
        });
        await explorer.database.db.insert(events).values({
            txLt: lt,
            txHash: hash,
            idx: 0,
            type: 'deposit',
            account: CLIENTS[2],
            utime: BASE_UTIME + 500_000,
            success: true,
            client: CLIENTS[2],
            amount: 3_250_000_000n,
            payload: {},
        });
        explorer.server.api.hub.poke();
        const item = page.getByTestId('live-feed').locator(`li[data-hash="${hash}"]`);
        await item.waitFor({ timeout: 10_000 });
        const t = ((await item.textContent()) ?? '').replace(/\s+/g, ' ');
        expect(t).toContain('ext_client_top_up');
        expect(t).toContain('3.25 TON');
        await shot('overview-live');
        // The feed links to the transaction page.
        await item.locator('a').first().click();
        await page.waitForURL(`**/#/transactions/${hash}`);
        expect(await text('tx-hash')).toBe(hash);
    });

    it('proxies list and detail match the API, with related clients and workers', async () => {
        const list = await api<Page<ProxyInfo>>('/api/proxies?sort=lastActivity');
        await open('proxies');
        expect(await rowKeys('proxies')).toEqual(list.items.map((p) => p.address));
        for (const p of list.items) {
            const row = page.getByTestId('proxies').locator(`tr[data-key="${p.address}"]`);
            expect(await row.locator('td[data-label="Stake"] [data-nano]').getAttribute('data-nano')).toBe(p.stake);
            expect((await row.locator('td[data-label="Commission earned"]').textContent())?.trim()).toBe(tonText(p.commissionEarned));
        }
        await shot('proxies');
        // Sorting is part of the URL.
        await page.getByTestId('sort').selectOption('stake');
        await page.waitForURL('**/#/proxies?sort=stake');
        const byStake = await api<Page<ProxyInfo>>('/api/proxies?sort=stake');
        await page.getByTestId('proxies').locator(`tr[data-key="${byStake.items[0].address}"]`).waitFor();
        expect(await rowKeys('proxies')).toEqual(byStake.items.map((p) => p.address));

        const target = PROXIES[0];
        await page.getByTestId('proxies').locator(`tr[data-key="${target}"] a.addr`).first().click();
        await page.waitForURL(`**/#/proxies/${target}`);
        const p = await api<ProxyInfo>(`/api/proxies/${target}`);
        expect(await text('detail-address')).toBe(target);
        expect(await text('detail-stake')).toBe(tonText(p.stake));
        expect(await text('detail-commissionEarned')).toBe(tonText(p.commissionEarned));
        expect(await text('detail-tokensCharged')).toBe(formatInt(p.tokensCharged));
        expect(await text('detail-tonBalance')).toBe(tonText(p.tonBalance));
        const clients = await api<Page<ClientInfo>>(`/api/clients?proxy=${target}&limit=20`);
        const workers = await api<Page<WorkerInfo>>(`/api/workers?proxy=${target}&limit=20`);
        expect((await rowKeys('related-clients')).sort()).toEqual(clients.items.map((c) => c.address).sort());
        expect((await rowKeys('related-workers')).sort()).toEqual(workers.items.map((w) => w.address).sort());
        await shot('proxy');
    });

    it('clients and workers lists and details match the API', async () => {
        const clients = await api<Page<ClientInfo>>('/api/clients?sort=lastActivity');
        await open('clients');
        expect(await rowKeys('clients')).toEqual(clients.items.map((c) => c.address));
        const c = await api<ClientInfo>(`/api/clients/${CLIENTS[3]}`);
        await page.getByTestId('clients').locator(`tr[data-key="${CLIENTS[3]}"] a.addr`).first().click();
        await page.waitForURL(`**/#/clients/${CLIENTS[3]}`);
        expect(await text('detail-balance')).toBe(tonText(c.balance));
        expect(await text('detail-deposited')).toBe(tonText(c.deposited));
        expect(await text('detail-tonCharged')).toBe(tonText(c.tonCharged));
        expect(await text('detail-tokensCharged')).toBe(formatInt(c.tokensCharged));
        // The client's own per-day series.
        const series = await api<Page<DailyStat>>(`/api/stats/daily?order=desc&limit=120&address=${CLIENTS[3]}`);
        expect(series.items.length).toBeGreaterThan(0);
        expect(await text('daily-range')).toBe(
            `${series.items.length} days, ${series.items[series.items.length - 1].day} to ${series.items[0].day}`,
        );
        await page.getByTestId('daily-chart').locator('canvas').waitFor();
        const txs = await api<Page<TransactionInfo>>(`/api/transactions?account=${CLIENTS[3]}&limit=20`);
        expect(await rowKeys('account-transactions')).toEqual(txs.items.map((t) => t.hash));
        await shot('client');

        const workers = await api<Page<WorkerInfo>>('/api/workers?sort=lastActivity');
        await open('workers');
        expect(await rowKeys('workers')).toEqual(workers.items.map((w) => w.address));
        for (const w of workers.items) {
            const cell = page.getByTestId('workers').locator(`tr[data-key="${w.address}"] td[data-label="Earned"]`);
            expect((await cell.textContent())?.trim()).toBe(tonText(w.tonEarned));
        }
        const w = await api<WorkerInfo>(`/api/workers/${WORKERS[3]}`);
        await open(`workers/${WORKERS[3]}`);
        expect(await text('detail-tonEarned')).toBe(tonText(w.tonEarned));
        expect(await text('detail-tokensPaid')).toBe(formatInt(w.tokensPaid));
        await shot('worker');
    });

    it('transactions: list, paging, filter, detail with decoded events', async () => {
        const first = await api<Page<TransactionInfo>>('/api/transactions?limit=50');
        await open('transactions');
        expect(await rowKeys('transactions')).toEqual(first.items.map((t) => t.hash));
        const row = page.getByTestId('transactions').locator(`tr[data-key="${first.items[1].hash}"]`);
        expect((await row.locator('td[data-label="Message"]').textContent())?.trim()).toBe(first.items[1].opName);
        expect((await row.locator('td[data-label="Value"]').textContent())?.trim()).toBe(tonText(first.items[1].inValue));
        await page.getByRole('button', { name: 'Load more' }).click();
        const second = await api<Page<TransactionInfo>>(`/api/transactions?limit=50&cursor=${first.nextCursor}`);
        await page.getByTestId('transactions').locator(`tr[data-key="${second.items[49].hash}"]`).waitFor();
        expect(await rowKeys('transactions')).toEqual([...first.items, ...second.items].map((t) => t.hash));

        // Message filter: the choices come from the API's message catalogue.
        await page.getByTestId('filter-opName').selectOption('ext_client_charge_signed');
        await page.waitForURL('**/#/transactions?opName=ext_client_charge_signed');
        const charges = await api<Page<TransactionInfo>>('/api/transactions?opName=ext_client_charge_signed&limit=50');
        await page.getByTestId('transactions').locator(`tr[data-key="${charges.items[0].hash}"]`).waitFor();
        expect(await rowKeys('transactions')).toEqual(charges.items.map((t) => t.hash));
        await page.getByTestId('filter-opName').selectOption('');
        await page.waitForURL((u) => u.hash === '#/transactions');

        await page.getByTestId('filter-outcome').selectOption('failed');
        await page.waitForURL('**/#/transactions?outcome=failed');
        const failed = await api<Page<TransactionInfo>>('/api/transactions?outcome=failed&limit=50');
        await page.getByTestId('transactions').locator(`tr[data-key="${failed.items[0].hash}"]`).waitFor();
        expect(await rowKeys('transactions')).toEqual(failed.items.map((t) => t.hash));
        expect(failed.items.length).toBeGreaterThan(0);
        await shot('transactions-failed');

        const f = failed.items[0];
        await page.getByTestId('transactions').locator(`tr[data-key="${f.hash}"] td[data-label="Hash"] a`).click();
        await page.waitForURL(`**/#/transactions/${f.hash}`);
        const d = await api<TransactionDetail>(`/api/transactions/${f.hash}`);
        expect(await text('tx-hash')).toBe(d.hash);
        expect(await text('tx-op')).toBe(d.opName);
        expect(await text('tx-exit')).toBe(`exit code ${d.exitCode}`);
        expect(await text('tx-why')).toBe(`compute phase exit ${d.exitCode}`);
        expect(await text('tx-value')).toBe(tonText(d.inValue));
        expect(await text('tx-fees')).toBe(tonText(d.totalFees));
        expect(await text('trace')).toContain(`failed (exit ${d.exitCode})`);
        const evRows = page.getByTestId('tx-events').locator('tbody tr');
        expect(await evRows.count()).toBe(d.events.length);
        expect((await evRows.first().locator('td[data-label="Event"]').textContent())?.trim()).toBe(d.events[0].type);
        await shot('transaction');
    });

    it('transaction page links the message chain: the parent and the children of a transaction', async () => {
        // A proxy pays a worker: the proxy's transaction sends one message, the worker's transaction receives it.
        const t0 = BASE_UTIME + 600_000;
        const parent = txHash(6000);
        const mid = txHash(6001);
        const child = txHash(6002);
        await explorer.database.db.insert(transactions).values([
            {
                lt: 995_000n,
                hash: parent,
                account: PROXIES[1],
                accountKind: 'proxy',
                utime: t0,
                opName: 'ext_proxy_payout_request',
                op: 0x7610e6eb,
                source: CLIENTS[1],
                outMsgs: 1,
                success: true,
            },
            {
                lt: 995_010n,
                hash: mid,
                account: WORKERS[1],
                accountKind: 'worker',
                utime: t0 + 5,
                opName: 'payout',
                op: 0xc59a7cd3,
                source: PROXIES[1],
                outMsgs: 1,
                inValue: 1_234_500_000n,
                success: true,
            },
            {
                lt: 995_020n,
                hash: child,
                account: CLIENTS[1],
                accountKind: 'client',
                utime: t0 + 10,
                opName: 'excesses',
                op: 0xd53276db,
                source: WORKERS[1],
                success: false,
                outcome: 'failed',
                exitCode: 37,
            },
        ]);
        await open(`transactions/${mid}`);
        expect(await text('trace-parent')).toContain('ext_proxy_payout_request');
        await page.getByTestId('trace-child').waitFor();
        expect(await page.getByTestId('trace-child').count()).toBe(1);
        expect(await text('trace-child')).toContain('excesses');
        expect(await text('trace-child')).toContain('failed (exit 37)');
        await shot('transaction-trace');
        await page.getByTestId('trace-parent').locator('a').first().click();
        await page.waitForURL(`**/#/transactions/${parent}`);
        expect(await text('tx-hash')).toBe(parent);
        await page.getByTestId('trace-child').locator(`a[title="${mid}"]`).waitFor();
    });

    it('governance shows the root parameters, registered proxies, hashes and history', async () => {
        const root = await api<RootConfig>('/api/root');
        const history = await api<Page<RootConfigChange>>('/api/root/history?limit=20');
        await open('governance');
        expect(await text('root-version')).toBe(String(root.version));
        expect(await text('root-paramsVersion')).toBe(String(root.paramsVersion));
        expect(await text('root-pricePerToken')).toBe(tonText(root.pricePerToken));
        expect(await text('root-minProxyStake')).toBe(tonText(root.minProxyStake));
        expect(await rowKeys('registered-proxies')).toEqual(root.registeredProxies.map((p) => String(p.seqno)));
        expect(await text('registered-proxies')).toContain(root.registeredProxies[1].address);
        expect(await page.getByTestId('model-hashes').locator('li').count()).toBe(root.modelHashes.length);
        expect(await text('model-hashes')).toContain(MODEL);
        expect(await rowKeys('root-history')).toEqual(history.items.map((c) => `${c.lt}:${c.txHash}`));
        // The params change (v1 -> v2) shows which root fields moved.
        const changed =
            (await page.getByTestId('root-history').locator('tbody tr').first().locator('td[data-label="Fields changed"]').textContent()) ??
            '';
        expect(changed).toContain('pricePerToken');
        expect(changed).toContain('paramsVersion');
        expect(changed).not.toContain('registeredProxies');
        await shot('governance');
    });

    it('models show prices per million tokens by class and follow the coefficient', async () => {
        const m = await api<ModelsResponse>('/api/models');
        await open('models');
        const named = m.models.find((x) => x.name === MODEL)!;
        const row = page.getByTestId('models').locator(`tr[data-key="${named.hash}"]`);
        await row.waitFor();
        for (const c of ['prompt', 'cached', 'completion', 'reasoning'] as const) {
            expect(await row.getByTestId(`price-${c}`).getAttribute('data-nano')).toBe(named.pricePerMillion[c]);
            expect((await row.getByTestId(`price-${c}`).textContent())?.trim()).toBe(tonText(named.pricePerMillion[c]));
        }
        await page.getByTestId('coefficient').fill('2000');
        await page.getByTestId('coefficient').press('Enter');
        await page.waitForURL('**/#/models?coefficient=2000');
        const m2 = await api<ModelsResponse>('/api/models?coefficient=2000');
        const named2 = m2.models.find((x) => x.name === MODEL)!;
        await row
            .getByTestId('price-completion')
            .and(page.locator(`[data-nano="${named2.pricePerMillion.completion}"]`))
            .waitFor();
        await shot('models');
    });

    it('search finds addresses, transactions and models and leads to their pages', async () => {
        await open('');
        const input = page.getByTestId('search-input');
        // A lone hit opens its page directly; the user-friendly address form works as well as the raw one.
        await input.fill(Address.parse(WORKERS[1]).toString({ bounceable: true, testOnly: true }));
        await input.press('Enter');
        await page.waitForURL(`**/#/workers/${WORKERS[1]}`);
        await page.getByTestId('detail-tonEarned').waitFor();
        await page.goBack();
        await page.waitForURL((u) => u.hash === '#/' || u.hash === '');

        await input.fill(txHash(4));
        await input.press('Enter');
        await page.waitForURL(`**/#/transactions/${txHash(4)}`);
        expect(await text('tx-hash')).toBe(txHash(4));

        // An owner wallet: the address page lists what it owns.
        await input.fill(OWNER);
        await input.press('Enter');
        await page.waitForURL(`**/#/address/${OWNER}`);
        await page.getByTestId('owns').waitFor();
        expect(await page.getByTestId('owns').locator('li').count()).toBe(PROXIES.length);

        // Several hits: a list to pick from; a message name leads to the filtered transaction list.
        await input.fill('ext_client');
        await input.press('Enter');
        await page.getByTestId('search-hits').locator('li[data-kind="opcode"]').nth(1).waitFor();
        await page.getByTestId('search-hits').locator('li[data-kind="opcode"] a', { hasText: 'ext_client_top_up' }).click();
        await page.waitForURL('**/#/transactions?opName=ext_client_top_up');
        const topUps = await api<Page<TransactionInfo>>('/api/transactions?opName=ext_client_top_up&limit=50');
        await page.getByTestId('transactions').locator(`tr[data-key="${topUps.items[0].hash}"]`).waitFor();
        expect(await rowKeys('transactions')).toEqual(topUps.items.map((t) => t.hash));

        await input.fill('Qwen');
        await input.press('Enter');
        expect(await text('search-hits')).toContain(`model ${MODEL}`);
        await shot('search');

        await input.fill('no-such-thing-anywhere');
        await input.press('Enter');
        await page.locator('[data-state="empty"]').filter({ hasText: 'Nothing found' }).waitFor();
    });

    it('shows empty states over an empty database', async () => {
        const emptyDb = await openTestDatabase();
        const emptyServer = await startApiServer({ database: emptyDb, log: silentLogger, webDir: WEB_DIST });
        try {
            const visit = async (hash: string, expected: string) => {
                await page.goto(`${emptyServer.url}/#/${hash}`);
                await page.locator('[data-state="empty"]').filter({ hasText: expected }).first().waitFor();
            };
            await visit('', 'No daily statistics yet.');
            expect(await page.getByTestId('total-deposits').locator('.stat-value').textContent()).toBe('0 TON');
            expect(await page.getByTestId('held-clientBalances').locator('.stat-value').textContent()).toBe('0 TON');
            await page.locator('[data-state="empty"]').filter({ hasText: 'Waiting for new transactions' }).waitFor();
            await visit('proxies', 'No proxies yet.');
            await visit('clients', 'No clients yet.');
            await visit('workers', 'No workers yet.');
            await visit('transactions', 'No transactions yet.');
            await visit('governance', 'has not read the root contract yet');
            await visit('governance', 'No configuration changes yet.');
            await visit('models', 'No models are allowed');
            await shot('empty-governance');
        } finally {
            await emptyServer.close();
            await emptyDb.close();
        }
    });

    it('shows error states, navigates with the header, and fits a phone screen', async () => {
        await open(`proxies/0:${'f'.repeat(64)}`);
        const err = page.locator('[data-state="error"]').first();
        await err.waitFor();
        expect(await err.textContent()).toContain('not found');
        await page.locator('header nav a[data-nav="governance"]').click();
        await page.waitForURL('**/#/governance');
        await page.getByTestId('root-version').waitFor();
        await page.goBack();
        await page.waitForURL(`**/#/proxies/0:${'f'.repeat(64)}`);

        await page.setViewportSize({ width: 390, height: 844 });
        await open('transactions');
        await page.getByTestId('transactions').waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow).toBeLessThanOrEqual(1);
        await page.getByRole('button', { name: 'menu' }).click();
        await page.locator('header nav a[data-nav="clients"]').click();
        await page.waitForURL('**/#/clients');
        await page.getByTestId('clients').waitFor();
        await shot('phone-clients');
        await open('');
        await page.getByTestId('totals').waitFor();
        await shot('phone-overview');
        await page.setViewportSize({ width: 1280, height: 900 });
    });

    const everyPageTitle =
        'every page at desktop and phone sizes: no serious accessibility violations (axe-core), no sideways scrolling, ' +
        'an unknown proxy shows only its error';
    it(everyPageTitle, async () => {
        const routes = [
            '',
            'proxies',
            `proxies/${PROXIES[0]}`,
            'workers',
            `workers/${WORKERS[0]}`,
            'clients',
            `clients/${CLIENTS[0]}`,
            'transactions',
            `transactions/${txHash(7)}`,
            'governance',
            'models',
            `address/${OWNER}`,
            'search?q=charge',
            `proxies/0:${'0'.repeat(64)}`,
        ];
        for (const size of [DESKTOP, PHONE]) {
            await page.setViewportSize(size);
            for (const r of routes) {
                await open(r);
                await page.locator('main h1').waitFor();
                await page.locator('main [data-state="loading"]').first().waitFor({ state: 'detached' });
                const name = `${size.name}-${r.replace(/[^a-z0-9]+/gi, '-').slice(0, 40) || 'overview'}`;
                await shot(`walk-${name}`);
                expect({ page: name, serious: await checkAccessibility(page) }).toEqual({ page: name, serious: [] });
                expect({ page: name, overflow: await noSidewaysScroll(page) }).toEqual({ page: name, overflow: 0 });
            }
        }
        await page.setViewportSize(DESKTOP);
        // The unknown proxy (last route): its error and nothing else (no "No … yet" sections under it).
        expect(await page.locator('main [data-state="error"]').count()).toBe(1);
        expect(await page.locator('main [data-state="empty"]').count()).toBe(0);
        // Friendly addresses: a proxy (contract) bounceable, its owner (wallet) non-bounceable; raw on demand.
        await open(`proxies/${PROXIES[0]}`);
        const owner = page.getByTestId('proxy-fields').locator('a.addr').first();
        await owner.waitFor();
        expect(await page.getByTestId('detail-friendly').locator('a.addr').textContent()).toBe(
            Address.parseRaw(PROXIES[0]).toString({ bounceable: true }),
        );
        const p = await api<ProxyInfo>(`/api/proxies/${PROXIES[0]}`);
        expect(await page.getByTestId('proxy-fields').locator(`a.addr[data-raw="${p.owner}"]`).textContent()).toBe(
            Address.parseRaw(p.owner!).toString({ bounceable: false }),
        );
        await page.getByTestId('raw-toggle').check();
        expect(await page.getByTestId('detail-friendly').locator('a.addr').textContent()).toBe(PROXIES[0]);
        await page.getByTestId('raw-toggle').uncheck();
    });
});
