/** @jest-environment node */
/**
 * The explorer over a live network: the local chain with real proxy, worker and client runners
 * (tests/e2e/helpers/network.ts) serving completions, the client charging itself, the worker cashing out
 * and the proxy withdrawing its commission; the real indexer service ingests that chain and serves the
 * built explorer; headless Chromium checks that every page shows the numbers the contracts hold (read with
 * their get-methods) and the indexer API returns, and that a transaction sent while the overview is open
 * arrives in its live feed. Screenshots go to tests/artifacts/web/network-*.png (gitignored).
 */
import fs from 'node:fs';
import OpenAI from 'openai';
import { Address, toNano } from '@ton/core';
import type { Page as PwPage } from 'playwright-core';
import { launchBrowser, type Browser } from './helpers/browser';
import { readClientContract, readProxyContract, readWorkerContract } from '../../node/chain/cocoon';
import { modelHash } from '../../indexer/api/models';
import type {
    AddressDetail,
    ClientInfo,
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
import { formatInt, formatTon } from '../../web/src/format';
import { MODEL, startTestNetwork, type TestNetwork } from '../e2e/helpers/network';
import { friendlyAddress } from '../../web/src/address';
import { checkAccessibility, PHONE, DESKTOP, noSidewaysScroll } from './helpers/pages';
import { explorerDriver, prepareWebDist, tonText, until } from './helpers/explorer';
import { startLiveIndexer, type LiveIndexer } from './helpers/live-indexer';

jest.setTimeout(180_000);

const PRICE = 1000n;
const FEE = 800n;
const DEPOSIT = toNano('5');

let net: TestNetwork;
let indexer: LiveIndexer;
let browser: Browser;
let page: PwPage;
/** Raw addresses of the network's contracts. */
const addr = { root: '', proxy: '', client: '', worker: '' };
let tokens = 0n;

const { api, open, shot, text, rowKeys } = explorerDriver(() => ({ page, url: indexer.url }), 'network-');
/** How the explorer shows an address: user-friendly, bounceable for contracts, non-bounceable for wallets (local chain: not testnet). */
const shown = (raw: string, contract: boolean) => friendlyAddress(raw, { bounceable: contract, testnet: false });

/**
 * One completion. A 503 `proxy_not_ready` (the client's proxy connection is being re-established, which a
 * loaded machine can cause between two requests) is retried as the error message asks, until connected.
 */
async function complete(content: string, maxTokens: number): Promise<void> {
    const openai = new OpenAI({ baseURL: net.apiUrl, apiKey: 'unused', maxRetries: 0 });
    const deadline = Date.now() + 60_000;
    for (;;) {
        try {
            await openai.chat.completions.create({
                model: 'cocoon/tiny-stories-1m',
                messages: [{ role: 'user', content }],
                max_tokens: maxTokens,
                temperature: 0,
            });
            return;
        } catch (err) {
            if (!(err instanceof OpenAI.APIError) || err.code !== 'proxy_not_ready' || Date.now() > deadline) throw err;
            await until('the client to reconnect to its proxy', async () => net.client!.ready);
        }
    }
}

/** Transactions the chain holds for an account vs. what the indexer stored. */
const parse = (a: string): Address => Address.parse(a);
const chainTxCount = (a: string) => net.local.chain.accountTransactions(parse(a)).length;

/** Waits until the indexer has every transaction of the network's contracts. */
async function caughtUp(): Promise<void> {
    await until('the indexer to catch up with the chain', async () => {
        const all = [addr.root, addr.proxy, addr.client, addr.worker];
        const details = await Promise.all(all.map((a) => api<AddressDetail>(`/api/addresses/${a}`)));
        return details.every((d, i) => d.account !== null && d.account.txCount === chainTxCount(all[i]));
    });
}

beforeAll(async () => {
    prepareWebDist();

    // The lifecycle: two completions, ledgers committed on-chain, the client charges itself, the worker
    // cashes out, the proxy withdraws its commission.
    const t0 = Date.now();
    const phases: string[] = [];
    const phase = (name: string) => phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // Plaintext between the runners: the explorer reads the chain only, RA-TLS would just cost time here.
    net = await startTestNetwork({ params: { pricePerToken: PRICE, workerFeePerToken: FEE }, tls: false });
    phase('network up');
    // From here on the lifecycle runs while the indexer (ingesting live, as `cocoon up` runs it) and the
    // browser start.
    const lifecycle = async () => {
        await complete('Tell me a story about a cat named Tom.', 16);
        await complete('Tell me a story about a cat named Tom.', 12);
        await until('ledgers committed on-chain', async () =>
            [...net.proxy.clientAccounts(), ...net.proxy.workerAccounts()].every(
                (a) => a.ledger.tokensMax > 0n && a.ledger.tokensCommittedToBlockchain === a.ledger.tokensMax,
            ),
        );
        const [clientAcc] = net.proxy.clientAccounts();
        const [workerAcc] = net.proxy.workerAccounts();
        tokens = clientAcc.ledger.tokensMax;
        await net.client!.charge();
        await net.worker!.payoutAll(true);
        await net.proxy.withdraw();
        Object.assign(addr, {
            proxy: net.proxy.contract.toRawString(),
            client: clientAcc.contract.toRawString(),
            worker: workerAcc.contract.toRawString(),
        });
        phase('lifecycle done');
    };
    // The indexer service as `cocoon up` runs it, ingesting live and reading the proxy's stats page.
    const startIndexer = async () => {
        indexer = await startLiveIndexer(net);
        phase('indexer up');
    };
    const startBrowser = async () => {
        browser = await launchBrowser();
        page = browser.page;
        phase('browser up');
    };
    addr.root = net.root.toRawString();
    await Promise.all([lifecycle(), startIndexer(), startBrowser()]);
    await caughtUp();
    phase('indexed');
    console.log(`live network for the explorer: ${phases.join(', ')}`);
});

afterAll(async () => {
    await browser?.close();
    await indexer?.close();
    await net?.close();
});

describe('explorer over a live network', () => {
    it('overview: totals and TON held match the contracts, and a new transaction arrives in the live feed', async () => {
        const [client, proxy] = await Promise.all([
            readClientContract(net.chain, parse(addr.client)),
            readProxyContract(net.chain, parse(addr.proxy)),
        ]);
        const ov = await api<Overview>('/api/overview');
        // The indexer's numbers are the chain's.
        expect(ov.totals).toMatchObject({
            deposits: DEPOSIT.toString(),
            tokensCharged: tokens.toString(),
            tonCharged: (tokens * PRICE).toString(),
            tokensPaid: tokens.toString(),
            workersPaid: (tokens * FEE).toString(),
            commission: (tokens * (PRICE - FEE)).toString(),
            commissionWithdrawn: (tokens * (PRICE - FEE)).toString(),
        });
        // The client contract counts its stake inside its balance: the total counts it once.
        expect(ov.held).toEqual({
            proxyStakes: proxy!.stake.toString(),
            proxyCommission: proxy!.balance.toString(),
            clientBalances: client!.balance.toString(),
            clientStakes: client!.stake.toString(),
            total: (proxy!.stake + proxy!.balance + client!.balance).toString(),
        });
        // The proxies' and clients' 1-nanoTON state notes are labelled notes, not failures.
        const notes = await api<Page<TransactionInfo>>('/api/transactions?outcome=note&limit=100');
        expect(notes.items.length).toBeGreaterThan(0);
        expect(notes.items.every((t) => t.inValue === '1' && t.computeSkipped === 'no_gas' && t.failure === null)).toBe(true);
        const failed = await api<Page<TransactionInfo>>('/api/transactions?outcome=failed&limit=100');
        expect(ov.totals.notes).toBe(notes.items.length);
        expect(ov.totals.failedTransactions).toBe(failed.items.length);
        expect([ov.proxies.total, ov.clients.total, ov.workers.total]).toEqual([1, 1, 1]);

        await open('');
        for (const k of ['deposits', 'tonCharged', 'workersPaid', 'commission', 'commissionWithdrawn', 'refunds'] as const) {
            expect(await page.getByTestId(`total-${k}`).locator('[data-nano]').getAttribute('data-nano')).toBe(ov.totals[k]);
            expect(await text(`total-${k}`)).toContain(tonText(ov.totals[k]));
        }
        expect(await text('total-tokensCharged')).toContain(formatInt(tokens.toString()));
        expect(await text('total-transactions')).toContain(
            `${formatInt(ov.totals.transactions)} (${ov.totals.failedTransactions} failed, ${ov.totals.notes} state notes)`,
        );
        for (const [k, v] of Object.entries(ov.held)) expect(await text(`held-${k}`)).toContain(tonText(v));
        expect(await text('held-clientBalances')).toContain(tonText(client!.balance));
        expect(await text('count-clients')).toContain('1 1 active');
        await page.getByTestId('daily-chart').locator('canvas').waitFor();
        const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
        console.log(`explorer (live network) first contentful paint: ${fcp?.toFixed(0)} ms`);
        await shot('overview');

        // Live: the client tops up while the page is open; the indexer ingests it and the feed shows it.
        await page.getByTestId('feed-state').filter({ hasText: 'live' }).waitFor();
        const before = net.local.chain.accountTransactions(parse(addr.client)).length;
        const depositsBefore = await page.getByTestId('total-deposits').locator('[data-nano]').getAttribute('data-nano');
        await net.client!.topUp(toNano('1'));
        const sent = net.local.chain.accountTransactions(parse(addr.client));
        expect(sent.length).toBeGreaterThan(before);
        const hash = sent[sent.length - 1].hash.toString('hex');
        const item = page.getByTestId('live-feed').locator(`li[data-hash="${hash}"]`);
        await item.waitFor({ timeout: 20_000 });
        const t = ((await item.textContent()) ?? '').replace(/\s+/g, ' ');
        const topUp = await api<TransactionDetail>(`/api/transactions/${hash}`);
        expect(topUp.events.find((e) => e.type === 'deposit')?.amount).toBe(toNano('1').toString());
        expect(t).toContain('ext_client_top_up');
        expect(t).toContain(tonText(topUp.inValue));
        // The totals are live too: the deposit shows without a reload.
        const depositsAfter = (BigInt(depositsBefore!) + toNano('1')).toString();
        await page.locator(`[data-testid="total-deposits"] [data-nano="${depositsAfter}"]`).waitFor({ timeout: 20_000 });
        await shot('overview-live');
        await caughtUp();
    });

    it('proxies list and detail match the proxy contract', async () => {
        const chainProxy = (await readProxyContract(net.chain, parse(addr.proxy)))!;
        const list = await api<Page<ProxyInfo>>('/api/proxies?sort=lastActivity');
        expect(list.items.map((p) => p.address)).toEqual([addr.proxy]);
        await open('proxies');
        expect(await rowKeys('proxies')).toEqual([addr.proxy]);
        const row = page.getByTestId('proxies').locator(`tr[data-key="${addr.proxy}"]`);
        expect(await row.locator('td[data-label="Stake"] [data-nano]').getAttribute('data-nano')).toBe(chainProxy.stake.toString());
        await shot('proxies');
        await row.locator('a.addr').first().click();
        await page.waitForURL(`**/#/proxies/${addr.proxy}`);
        const p = await api<ProxyInfo>(`/api/proxies/${addr.proxy}`);
        expect(p).toMatchObject({
            stake: chainProxy.stake.toString(),
            balance: chainProxy.balance.toString(),
            tokensCharged: tokens.toString(),
            tokensPaid: tokens.toString(),
            commissionEarned: (tokens * (PRICE - FEE)).toString(),
        });
        expect(await text('detail-address')).toBe(addr.proxy);
        expect(await text('detail-stake')).toBe(tonText(chainProxy.stake));
        expect(await text('detail-balance')).toBe(tonText(chainProxy.balance));
        expect(await text('detail-commissionEarned')).toBe(tonText(p.commissionEarned));
        expect(await text('detail-tokensCharged')).toBe(formatInt(tokens.toString()));
        expect(await rowKeys('related-clients')).toEqual([addr.client]);
        expect(await rowKeys('related-workers')).toEqual([addr.worker]);
        const txs = await api<Page<TransactionInfo>>(`/api/transactions?account=${addr.proxy}&limit=20`);
        expect(await rowKeys('account-transactions')).toEqual(txs.items.map((t) => t.hash));
        await shot('proxy');
    });

    it('workers list and detail match the worker contract', async () => {
        const chainWorker = (await readWorkerContract(net.chain, parse(addr.worker)))!;
        expect(chainWorker.tokens).toBe(tokens);
        await open('workers');
        expect(await rowKeys('workers')).toEqual([addr.worker]);
        expect(
            (await page.getByTestId('workers').locator(`tr[data-key="${addr.worker}"] td[data-label="Earned"]`).textContent())?.trim(),
        ).toBe(tonText(tokens * FEE));
        await page.getByTestId('workers').locator(`tr[data-key="${addr.worker}"] a.addr`).first().click();
        await page.waitForURL(`**/#/workers/${addr.worker}`);
        const w = await api<WorkerInfo>(`/api/workers/${addr.worker}`);
        expect(w).toMatchObject({
            proxy: addr.proxy,
            owner: net.wallets.worker.address.toRawString(),
            tokens: tokens.toString(),
            tonEarned: (tokens * FEE).toString(),
        });
        expect(await text('detail-tonEarned')).toBe(tonText(tokens * FEE));
        expect(await text('detail-tokensPaid')).toBe(formatInt(tokens.toString()));
        // User-friendly forms: the proxy is a contract (bounceable), the owner a wallet (non-bounceable).
        expect(await text('worker-fields')).toContain(shown(addr.proxy, true));
        expect(await text('worker-fields')).toContain(shown(w.owner!, false));
        expect(shown(addr.proxy, true)).toMatch(/^EQ/);
        expect(shown(w.owner!, false)).toMatch(/^UQ/);
        expect(await text('detail-friendly')).toContain(shown(addr.worker, true));
        expect(await text('detail-address')).toBe(addr.worker);
        await page.getByTestId('raw-toggle').check();
        expect(await text('worker-fields')).toContain(w.owner!);
        await page.getByTestId('raw-toggle').uncheck();
        await shot('worker');
    });

    it('clients list and detail match the client contract', async () => {
        const chainClient = (await readClientContract(net.chain, parse(addr.client)))!;
        await open('clients');
        expect(await rowKeys('clients')).toEqual([addr.client]);
        await page.getByTestId('clients').locator(`tr[data-key="${addr.client}"] a.addr`).first().click();
        await page.waitForURL(`**/#/clients/${addr.client}`);
        const c = await api<ClientInfo>(`/api/clients/${addr.client}`);
        expect(c).toMatchObject({
            balance: chainClient.balance.toString(),
            stake: chainClient.stake.toString(),
            tokensUsed: chainClient.tokensUsed.toString(),
            deposited: (DEPOSIT + toNano('1')).toString(),
            tonCharged: (tokens * PRICE).toString(),
        });
        expect(await text('detail-balance')).toBe(tonText(chainClient.balance));
        expect(await text('detail-stake')).toBe(tonText(chainClient.stake));
        expect(await text('detail-deposited')).toBe(tonText(c.deposited));
        expect(await text('detail-tonCharged')).toBe(tonText(tokens * PRICE));
        expect(await text('detail-tokensCharged')).toBe(formatInt(tokens.toString()));
        await page.getByTestId('daily-chart').locator('canvas').waitFor();
        await shot('client');
    });

    it('transactions: the list, a charge, and its message chain as the indexer linked it', async () => {
        const first = await api<Page<TransactionInfo>>('/api/transactions?limit=50');
        await open('transactions');
        expect(await rowKeys('transactions')).toEqual(first.items.map((t) => t.hash));
        await shot('transactions');

        // The client's signed charge: sent by the client's wallet, it notifies the proxy.
        const charges = await api<Page<TransactionInfo>>(`/api/transactions?account=${addr.client}&opName=ext_client_charge_signed`);
        expect(charges.items).toHaveLength(1);
        const charge = await api<TransactionDetail>(`/api/transactions/${charges.items[0].hash}`);
        expect(charge.success).toBe(true);
        await page.getByTestId('filter-opName').selectOption('ext_client_charge_signed');
        await page.waitForURL('**/#/transactions?opName=ext_client_charge_signed');
        await page.getByTestId('transactions').locator(`tr[data-key="${charge.hash}"] td[data-label="Hash"] a`).click();
        await page.waitForURL(`**/#/transactions/${charge.hash}`);
        expect(await text('tx-op')).toBe('ext_client_charge_signed');
        expect(await text('tx-value')).toBe(tonText(charge.inValue));
        expect(await text('tx-fees')).toBe(tonText(charge.totalFees));
        // The fee breakdown as TON explorers show it.
        expect(await text('tx-fee-total')).toBe(tonText(charge.totalFees));
        expect(charge.fees.compute).not.toBeNull();
        expect(await text('fee-compute')).toContain(tonText(charge.fees.compute!));
        expect(await text('fee-compute')).toContain(`${charge.fees.gasUsed} gas`);
        expect(await page.getByTestId('tx-events').locator('tbody tr td[data-label="Event"]').allTextContents()).toEqual(
            charge.events.map((e) => e.type),
        );
        const kids = charge.outMessages.filter((m) => m.child);
        expect(kids.length).toBeGreaterThan(0);
        await page
            .getByTestId('trace-child')
            .nth(charge.outMessages.length - 1)
            .waitFor();
        expect(await page.getByTestId('trace-child').evaluateAll((li) => li.map((l) => l.getAttribute('data-hash')))).toEqual(
            charge.outMessages.map((m) => m.child ?? ''),
        );
        await page.getByTestId('trace-child').locator('.badge').first().waitFor();
        await shot('transaction');

        // Follow the chain: the proxy's transaction names the charge as its parent.
        const atProxy = charge.outMessages.find((m) => m.dest === addr.proxy)!;
        expect(atProxy.child).not.toBeNull();
        await page
            .getByTestId('trace-child')
            .filter({ has: page.locator(`a[title="${atProxy.child}"]`) })
            .locator(`a[title="${atProxy.child}"]`)
            .click();
        await page.waitForURL(`**/#/transactions/${atProxy.child}`);
        const proxyTx = await api<TransactionDetail>(`/api/transactions/${atProxy.child}`);
        expect(proxyTx.parent?.hash).toBe(charge.hash);
        expect(await text('trace-parent')).toContain('ext_client_charge_signed');
        await page.getByTestId('trace-parent').locator(`a[title="${charge.hash}"]`).waitFor();
        await shot('transaction-trace');
    });

    it('governance shows the root as the chain holds it, with its history', async () => {
        const root = await api<RootConfig>('/api/root');
        expect(root).toMatchObject({
            address: addr.root,
            pricePerToken: PRICE.toString(),
            workerFeePerToken: FEE.toString(),
            owner: net.wallets.owner.address.toRawString(),
        });
        expect(root.modelHashes).toEqual([modelHash(MODEL)]);
        expect(root.registeredProxies.length).toBe(1);
        const history = await api<Page<RootConfigChange>>('/api/root/history?limit=20');
        await open('governance');
        expect(await text('root-version')).toBe(String(root.version));
        expect(await text('root-pricePerToken')).toBe(tonText(PRICE));
        expect(await text('root-workerFeePerToken')).toBe(tonText(FEE));
        expect(await text('registered-proxies')).toContain(root.registeredProxies[0].address);
        expect(await text('model-hashes')).toContain(MODEL);
        expect(await page.getByTestId('worker-hashes').locator('li').count()).toBe(root.workerHashes.length);
        if (history.items.length) expect(await rowKeys('root-history')).toEqual(history.items.map((c) => `${c.lt}:${c.txHash}`));
        await shot('governance');
    });

    it('models show the served model with its prices per million tokens', async () => {
        const m = await api<ModelsResponse>('/api/models');
        const served = m.models.find((x) => x.name === MODEL)!;
        expect(served.hash).toBe(modelHash(MODEL));
        // price per token x class multiplier (10000 = 1x) x 1,000,000 tokens.
        expect(served.pricePerMillion.prompt).toBe(
            ((PRICE * BigInt(net.params.promptTokensPriceMultiplier) * 1_000_000n) / 10000n).toString(),
        );
        await open('models');
        const row = page.getByTestId('models').locator(`tr[data-key="${served.hash}"]`);
        await row.waitFor();
        expect(await row.textContent()).toContain(MODEL);
        for (const c of ['prompt', 'cached', 'completion', 'reasoning'] as const)
            expect(await row.getByTestId(`price-${c}`).getAttribute('data-nano')).toBe(served.pricePerMillion[c]);
        await shot('models');
    });

    it('search finds the contracts, a transaction and the model', async () => {
        await open('');
        const input = page.getByTestId('search-input');
        await input.fill(parse(addr.client).toString({ testOnly: true }));
        await input.press('Enter');
        await page.waitForURL(`**/#/clients/${addr.client}`);
        await page.getByTestId('detail-balance').waitFor();

        await input.fill(addr.worker);
        await input.press('Enter');
        await page.waitForURL(`**/#/workers/${addr.worker}`);

        const [tx] = (await api<Page<TransactionInfo>>(`/api/transactions?account=${addr.proxy}&limit=1`)).items;
        await input.fill(tx.hash);
        await input.press('Enter');
        await page.waitForURL(`**/#/transactions/${tx.hash}`);
        expect(await text('tx-hash')).toBe(tx.hash);

        // The owner of the proxy: its address page lists what it owns.
        await input.fill(net.wallets.proxy.address.toRawString());
        await input.press('Enter');
        await page.waitForURL(`**/#/address/${net.wallets.proxy.address.toRawString()}`);
        expect(await text('owns')).toContain(shown(addr.proxy, true));
        // An owner's wallet: its balance read from the chain now, and the transactions its messages caused.
        const owner = await api<AddressDetail>(`/api/addresses/${net.wallets.proxy.address.toRawString()}`);
        expect(owner.live).toMatchObject({ status: 'active', error: null });
        expect(BigInt(owner.live!.balance!)).toBeGreaterThan(0n);
        await page.getByTestId('wallet-balance').waitFor();
        const caused = await api<Page<TransactionInfo>>(`/api/transactions?source=${net.wallets.proxy.address.toRawString()}&limit=20`);
        expect(caused.items.length).toBeGreaterThan(0);
        expect(await rowKeys('account-transactions')).toEqual(caused.items.map((t) => t.hash));

        // A transaction-hash prefix, as copied from a shortened display.
        await input.fill(tx.hash.slice(0, 12));
        await input.press('Enter');
        await until(
            'the prefix search to find the transaction',
            async () =>
                page.url().endsWith(`/transactions/${tx.hash}`) ||
                (await page.getByTestId('search-hits').textContent({ timeout: 500 }))!.includes(tx.hash.slice(0, 8)),
        );

        await input.fill('tiny-stories');
        await input.press('Enter');
        expect(await text('search-hits')).toContain(`model ${MODEL}`);
        await shot('search');
    });

    const everyPageTitle =
        'every page at desktop and phone sizes: no serious accessibility violations, no sideways scrolling, no failed-looking notes';
    const everyPage = async () => {
        const [tx] = (await api<Page<TransactionInfo>>(`/api/transactions?account=${addr.client}&opName=ext_client_charge_signed`)).items;
        const [note] = (await api<Page<TransactionInfo>>('/api/transactions?outcome=note&limit=1')).items;
        const routes = [
            '',
            'proxies',
            `proxies/${addr.proxy}`,
            'workers',
            `workers/${addr.worker}`,
            'clients',
            `clients/${addr.client}`,
            'transactions',
            'transactions?outcome=note',
            `transactions/${tx.hash}`,
            `transactions/${note.hash}`,
            'governance',
            'models',
            `address/${net.wallets.proxy.address.toRawString()}`,
            'search?q=tiny-stories',
        ];
        for (const size of [DESKTOP, PHONE]) {
            await page.setViewportSize(size);
            for (const r of routes) {
                await open(r);
                await page.locator('main [data-state="loading"]').first().waitFor({ state: 'detached' });
                await page.locator('main h1').waitFor();
                const name = `${size.name}-${r.replace(/[^a-z0-9]+/gi, '-').slice(0, 40) || 'overview'}`;
                await shot(name);
                const serious = await checkAccessibility(page);
                expect({ page: name, serious }).toEqual({ page: name, serious: [] });
                expect({ page: name, overflow: await noSidewaysScroll(page) }).toEqual({ page: name, overflow: 0 });
            }
        }
        await page.setViewportSize(DESKTOP);
        // A note reads as a note everywhere it appears, never as a failure.
        await open(`transactions/${note.hash}`);
        expect(await text('tx-fields')).toContain('state note');
        expect(await text('tx-fields')).not.toContain('failed');
        expect(await text('tx-why')).toContain('Not a failure');
        await open('transactions?outcome=note');
        const badges = await page.getByTestId('transactions').locator('td[data-label="Result"] .badge').allTextContents();
        expect(badges.length).toBeGreaterThan(0);
        expect(new Set(badges)).toEqual(new Set(['state note']));
    };
    // The timeout: axe-core over every page at two sizes takes minutes on 2 shared cores; a late walk would keep driving
    // the page under the next test.
    it(everyPageTitle, everyPage, 420_000);

    it('block links, CSV export, and an unknown proxy that shows only its error', async () => {
        const [tx] = (await api<Page<TransactionInfo>>(`/api/transactions?account=${addr.client}&opName=ext_client_charge_signed`)).items;
        await open(`transactions/${tx.hash}`);
        await page.getByTestId('block-link').click();
        await page.waitForURL(`**/#/transactions?block=${tx.blockSeqno}`);
        const inBlock = await api<Page<TransactionInfo>>(`/api/transactions?block=${tx.blockSeqno}&limit=50`);
        expect(inBlock.items.map((t) => t.hash)).toContain(tx.hash);
        expect(await rowKeys('transactions')).toEqual(inBlock.items.map((t) => t.hash));

        const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv').click()]);
        const csv = fs
            .readFileSync((await download.path())!, 'utf8')
            .trim()
            .split('\r\n');
        expect(csv[0]).toBe('"Hash","Time","Account","Message","Value","Fees","Result"');
        expect(csv.slice(1).map((l) => JSON.parse(l.split(',')[0]))).toEqual(inBlock.items.map((t) => t.hash));
        // Full values, not the shortened display: the raw account and the exact TON amount.
        const first = inBlock.items[0];
        expect(csv[1]).toContain(`"${first.account}"`);
        expect(csv[1]).toContain(`"${formatTon(first.inValue).replace(/,/g, '')}"`);

        await open(`proxies/0:${'00'.repeat(32)}`);
        await page.locator('main [data-state="error"]').waitFor();
        expect(await page.locator('main [data-state="empty"]').count()).toBe(0);
        expect(await page.locator('main section.card').count()).toBe(0);
        await shot('unknown-proxy');
    });

    it('usage shows as off-chain unsettled until a settlement, then the on-chain totals change live', async () => {
        await open('');
        const tonCharged = async () => page.getByTestId('total-tonCharged').locator('[data-nano]').getAttribute('data-nano');
        const chargedBefore = BigInt((await tonCharged())!);
        await complete('Once upon a time', 8);
        await until('ledgers committed on-chain', async () =>
            net.proxy.clientAccounts().every((a) => a.ledger.tokensCommittedToBlockchain === a.ledger.tokensMax),
        );
        const [acc] = net.proxy.clientAccounts();
        const unsettled = acc.ledger.tokensMax - (acc.chain?.tokensUsed ?? 0n);
        expect(unsettled).toBeGreaterThan(0n);
        // The proxy's stats page reports it; the explorer shows it labelled as off-chain.
        await until(
            'the proxy report of unsettled tokens',
            async () => (await api<Overview>('/api/overview')).unsettled.tokensUncharged === unsettled.toString(),
            30_000,
        );
        await page
            .locator('[data-testid="unsettled-tokensUncharged"] .stat-value', {
                hasText: new RegExp(`^\\s*${formatInt(unsettled.toString())}\\s*$`),
            })
            .waitFor({ timeout: 20_000 });
        expect(await page.locator('.section-title', { hasText: 'Not yet settled' }).textContent()).toContain(
            'off-chain, reported by the proxy',
        );
        await open(`proxies/${addr.proxy}`);
        expect(await text('report-tokensUncharged')).toBe(formatInt(unsettled.toString()));
        expect(await text('proxy-report')).toContain('off-chain, reported by the proxy');
        await shot('proxy-unsettled');

        // The settlement: the client charges itself on-chain. The open overview updates without a reload.
        await open('');
        await page.getByTestId('feed-state').filter({ hasText: 'live' }).waitFor();
        await net.client!.charge();
        const expected = (chargedBefore + unsettled * PRICE).toString();
        await page.locator(`[data-testid="total-tonCharged"] [data-nano="${expected}"]`).waitFor({ timeout: 30_000 });
        await until(
            'the proxy to report the charge settled',
            async () => (await api<Overview>('/api/overview')).unsettled.tokensUncharged === '0',
            30_000,
        );
        await page.locator('[data-testid="unsettled-tokensUncharged"] .stat-value', { hasText: /^\s*0\s*$/ }).waitFor({ timeout: 20_000 });
        await shot('overview-settled');
    });
});
