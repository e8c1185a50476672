/** @jest-environment node */
/**
 * The three runners' stats surfaces over a real network (local chain, proxy, worker on the embedded
 * model, client): /jsonstats shapes after one request, /stats and /metrics render, admin actions act on
 * the runners through the guarded /request/* endpoints.
 */
import { toNano } from '@ton/core';
import { startStatsServer, type RunnerStats, type StatsServer } from '../../../node/common/stats-server';
import { proxyStats } from '../../../node/proxy/stats';
import { workerStats } from '../../../node/worker/stats';
import { clientStats } from '../../../node/client/stats';
import { startTestNetwork, type TestNetwork } from '../../e2e/helpers/network';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);

const SECRET = 'stats-admin-secret';
let net: TestNetwork;
const servers: StatsServer[] = [];
let proxyUrl: string;
let workerUrl: string;
let clientUrl: string;

async function serve(stats: RunnerStats): Promise<string> {
    const s = await startStatsServer({ ...stats, secret: SECRET, port: 0 });
    servers.push(s);
    return s.url;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions on free-form JSON
async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
    const r = await fetch(url, init);
    return { status: r.status, body: await r.json() };
}

const admin = (url: string, action: string, query = '') =>
    json(`${url}/request/${action}${query}`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}` } });

beforeAll(async () => {
    net = await startTestNetwork({ params: { pricePerToken: 1000n, workerFeePerToken: 800n } });
    proxyUrl = await serve(proxyStats(net.proxy));
    workerUrl = await serve(workerStats(net.worker!));
    clientUrl = await serve(clientStats(net.client!));
    const r = await fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8 }),
    });
    expect(r.status).toBe(200);
    await r.text();
});
afterAll(async () => {
    for (const s of servers) await s.close();
    await net?.close();
});

describe('runner stats over a live network', () => {
    it('proxy: jsonstats, html, metrics and admin actions', async () => {
        const { status, body } = await json(`${proxyUrl}/jsonstats`);
        expect(status).toBe(200);
        expect(body.status.owner).toBe(net.proxy.owner.toString());
        expect(body.status.enabled).toBe(true);
        expect(body.stats.map((r: { name: string }) => r.name)).toContain('queries');
        expect(body.workers).toHaveLength(1);
        expect(body.clients).toHaveLength(1);
        expect(BigInt(body.clients[0].used_tokens)).toBeGreaterThan(0n);
        expect(body.clients[0].balance).toMatch(/^\d+$/);
        expect(body.worker_connections[0].model).toBe('cocoon/tiny-stories-1m@local:0');
        expect(body.root_contract_config.price_per_token).toBe('1000');
        expect(body.old_instances).toEqual([]);

        const html = await (await fetch(`${proxyUrl}/stats`)).text();
        expect(html).toContain('worker accounts');
        expect(html).toContain('0.000001000&nbsp;TON'); // price per token
        const metrics = await (await fetch(`${proxyUrl}/metrics`)).text();
        expect(metrics).toMatch(/^cocoon_proxy_worker_connections 1$/m);
        expect(metrics).toMatch(/^cocoon_proxy_client_tokens\{client="[^"]+",stage="used"\} [1-9]\d*$/m);

        expect((await admin(proxyUrl, 'disable')).body.result).toEqual({ enabled: false });
        expect(net.proxy.isDisabled).toBe(true);
        expect((await admin(proxyUrl, 'enable')).status).toBe(200);
        expect(net.proxy.isDisabled).toBe(false);
        const unknown = await admin(proxyUrl, 'charge', `?client=${net.wallets.owner.address.toString()}`);
        expect(unknown.status).toBe(400);
        expect(unknown.body.error.message).toMatch(/no client account for .*known clients: /);
        expect((await admin(proxyUrl, 'charge', '?client=nonsense')).body.error.message).toMatch(/'client' is not a TON address/);
        const charged = await admin(proxyUrl, 'charge', `?client=${net.wallets.client.address.toString()}`);
        expect(charged.status).toBe(200);
        expect(charged.body.result.tokens).toMatch(/^\d+$/);
        expect((await json(`${proxyUrl}/request/withdraw`)).status).toBe(401);
    });

    it('worker: status, hardware, proxies and admin actions', async () => {
        const { body } = await json(`${workerUrl}/jsonstats`);
        expect(body.status.actual_model).toBe('cocoon/tiny-stories-1m@local:0');
        expect(body.status.coefficient).toBe(1000);
        expect(body.hardware).toBeDefined();
        expect(body.stats.find((r: { name: string }) => r.name === 'queries').total).toBe(1);
        expect(body.proxies).toHaveLength(1);
        expect(body.proxies[0].connected).toBe(true);
        expect(body.proxy_connections).toHaveLength(1);

        expect((await admin(workerUrl, 'change_coefficient', '?multiplier=1.5')).body.result).toEqual({
            coefficient: 1500,
            multiplier: 1.5,
        });
        expect(net.worker!.snapshot().coefficient).toBe(1500);
        expect((await admin(workerUrl, 'set_coefficient', '?coefficient=1000')).status).toBe(200);
        expect((await admin(workerUrl, 'change_coefficient', '?coefficient=-1')).body.error.message).toMatch(/at least 0/);
        // Earnings per proxy in nanoTON: earned is what the worker contract paid on-chain times the worker fee (800).
        expect(body.earnings).toEqual([
            expect.objectContaining({
                proxy_sc_address: body.proxies[0].proxy_sc_address,
                connected: true,
                paid_tokens: body.proxies[0].paid_out_tokens,
                earned_nanoton: String(BigInt(body.proxies[0].paid_out_tokens) * 800n),
                payout_fee_nanoton: '10000000',
            }),
        ]);
        expect(body.status.max_payout_fee_permille).toBe(50);
        const uptimeRow = async () =>
            (await json(`${proxyUrl}/jsonstats`)).body.worker_uptime.find(
                (r: { owner: string }) => r.owner === net.worker!.owner.toString(),
            );
        expect(await uptimeRow()).toMatchObject({ up: true, worker_key: expect.stringMatching(/^[0-9a-f]{64}$/) });
        expect((await admin(workerUrl, 'disable')).status).toBe(200);
        expect(net.worker!.snapshot().enabled).toBe(false);
        // The proxy sees the worker's enabledDisabled, then counts it as down.
        await waitFor(() => net.proxy.workerConnections()[0]?.enabled === false, 'the proxy to see the worker disabled', 5000);
        const down = await uptimeRow();
        expect(down.up).toBe(false);
        expect(down.uptime_seconds).toBeLessThanOrEqual(down.window_seconds);
        expect((await admin(workerUrl, 'enable')).status).toBe(200);
        expect(net.worker!.snapshot().enabled).toBe(true);
        const metrics = await (await fetch(`${workerUrl}/metrics`)).text();
        expect(metrics).toMatch(/^cocoon_worker_queries_total 1$/m);
        expect(metrics).toMatch(/^cocoon_worker_info\{model="cocoon\/tiny-stories-1m@local:0",gpu="[^"]*"\} 1$/m);
    });

    it('client: proxy session, recent requests and admin actions', async () => {
        const { body } = await json(`${clientUrl}/jsonstats`);
        expect(body.status.ready).toBe(true);
        expect(body.proxy.sc_address).toBe(net.client!.info!.clientSc.toString());
        expect(body.proxy.state).toBe('normal');
        expect(body.recent_requests).toHaveLength(1);
        expect(body.recent_requests[0].receipt_valid).toBe(true);
        expect(body.stats.find((r: { name: string }) => r.name === 'success').total).toBe(1);

        const before = net.client!.info!.chain!.balance;
        const top = await admin(clientUrl, 'topup', '?amount=1');
        expect(top.status).toBe(200);
        expect(top.body.result).toEqual({ amount: toNano('1').toString(), amount_ton: '1.000000000' });
        expect(net.client!.info!.chain!.balance).toBe(before + toNano('1'));
        expect((await admin(clientUrl, 'topup', '?amount=abc')).body.error.message).toMatch(/'amount'.*not a TON amount/);
        expect((await admin(clientUrl, 'charge')).status).toBe(200);
        const html = await (await fetch(`${clientUrl}/stats`)).text();
        expect(html).toContain('recent requests');
    });
});
