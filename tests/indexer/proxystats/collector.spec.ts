/**
 * The proxy stats collector against a real HTTP stats page (serialized by the proxies' own stats server code)
 * and a real database, read back through the API: unsettled usage per proxy and in the overview, learnt model
 * names, unreachable and hostile pages.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Address } from '@ton/core';
import { sectionsToJson, ton, type StatsSection } from '../../../node/common/stats-server';
import { startApiServer, type ApiServer } from '../../../indexer/api/server';
import { modelHash } from '../../../indexer/api/models';
import { silentLogger } from '../../../node/common/log';
import { ProxyStatsCollector, statsUrl } from '../../../indexer/proxystats/collector';
import { ModelNames } from '../../../indexer/proxystats/models';
import { UnsettledUsage, unsettledFromPage } from '../../../indexer/proxystats/unsettled';
import type { ModelsResponse, Overview, ProxyInfo, ProxyReport } from '../../../indexer/api/types';
import { openTestDatabase, type TestDatabase } from '../helpers/db';
import { OpenApiChecker } from '../helpers/openapi';
import { CLIENTS, MODEL, PROXIES, WORKERS, seed } from '../helpers/seed';

const friendly = (raw: string) => Address.parseRaw(raw).toString();

/** A page shaped like the proxy's /jsonstats (node/proxy/stats.ts), with the figures the collector reads. */
function proxyPage(o: { used: bigint[]; charged: (bigint | null)[]; earned: bigint[]; paid: bigint[] }): Record<string, unknown> {
    const sections: StatsSection[] = [
        { kind: 'kv', id: 'status', values: { owner: friendly(CLIENTS[5]), contract: friendly(PROXIES[0]), worker_connections: 1 } },
        {
            kind: 'table',
            id: 'workers',
            columns: ['owner', 'sc_address', 'earned_tokens', 'paid_tokens'],
            rows: o.earned.map((e, i) => ({
                owner: friendly(CLIENTS[4]),
                sc_address: friendly(WORKERS[i]),
                earned_tokens: e,
                paid_tokens: o.paid[i],
            })),
        },
        {
            kind: 'table',
            id: 'worker_connections',
            columns: ['id', 'model'],
            rows: [
                { id: 1, model: MODEL },
                { id: 2, model: MODEL },
            ],
        },
        {
            kind: 'table',
            id: 'clients',
            columns: ['owner', 'sc_address', 'used_tokens', 'charged_tokens'],
            rows: o.used.map((u, i) => ({
                owner: friendly(CLIENTS[3]),
                sc_address: friendly(CLIENTS[i]),
                used_tokens: u,
                charged_tokens: o.charged[i],
            })),
        },
        { kind: 'kv', id: 'root_contract_config', values: { price_per_token: ton(20n), worker_fee_per_token: ton(10n) } },
    ];
    return JSON.parse(
        JSON.stringify(sectionsToJson('proxy', sections), (_k, v: unknown) =>
            typeof v === 'bigint' ? v.toString() : v && typeof v === 'object' && 'nano' in v ? String((v as { nano: bigint }).nano) : v,
        ),
    );
}

let database: TestDatabase;
let api: ApiServer;
let stats: http.Server;
let statsBase: string;
let page: unknown = {};
let served = 0;
const openapi = new OpenApiChecker();

async function get<T>(path: string): Promise<T> {
    const res = await fetch(api.url + path);
    const body = (await res.json()) as T;
    expect(res.status).toBe(200);
    openapi.check(path, body);
    return body;
}

beforeAll(async () => {
    database = await openTestDatabase();
    await seed(database.db);
    // No --models: names must come from the proxies' pages.
    api = await startApiServer({ database, log: silentLogger, webDir: null, knownModels: [] });
    stats = http.createServer((req, res) => {
        served++;
        if (req.url === '/jsonstats') {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(typeof page === 'string' ? page : JSON.stringify(page));
        } else {
            res.writeHead(404).end();
        }
    });
    await new Promise<void>((ok) => stats.listen(0, '127.0.0.1', ok));
    statsBase = `http://127.0.0.1:${(stats.address() as AddressInfo).port}`;
});

afterAll(async () => {
    await api?.close();
    await new Promise((ok) => stats?.close(ok));
    await database?.close();
});

function collector(sources: string[]): ProxyStatsCollector {
    return new ProxyStatsCollector({
        db: database.db,
        consumers: [new UnsettledUsage(), new ModelNames()],
        log: silentLogger,
        sources,
        timeoutMs: 2000,
    });
}

describe('proxy stats collector', () => {
    it('names the stats page of a server URL and refuses other schemes', () => {
        expect(statsUrl('http://10.0.0.1:9090')).toBe('http://10.0.0.1:9090/jsonstats');
        expect(statsUrl('http://10.0.0.1:9090/custom')).toBe('http://10.0.0.1:9090/custom');
        expect(() => statsUrl('file:///etc/passwd')).toThrow('not an http(s) URL');
    });

    it('stores what a proxy reports as unsettled and serves it next to the on-chain figures', async () => {
        // Client 0: 500 used, 300 charged; client 1: 40 used, never charged (null); worker 0: 400 earned, 100 paid.
        page = proxyPage({ used: [500n, 40n], charged: [300n, null], earned: [400n, 70n], paid: [100n, 90n] });
        const c = collector([statsBase, 'http://127.0.0.1:1/jsonstats']);
        const before = Math.floor(Date.now() / 1000);
        await c.collectOnce();
        const reports = await get<ProxyReport[]>('/api/proxy-reports');
        expect(reports).toHaveLength(2);
        const [bad, good] = [...reports].sort((a, b) => (a.error ? 0 : 1) - (b.error ? 0 : 1));
        expect(bad).toMatchObject({ source: 'http://127.0.0.1:1/jsonstats', proxy: null, seenAt: null, tokensUncharged: '0' });
        expect(bad.error).toEqual(expect.any(String));
        expect(good).toMatchObject({
            source: `${statsBase}/jsonstats`,
            proxy: PROXIES[0],
            owner: CLIENTS[5],
            error: null,
            tokensUncharged: '240',
            tonUncharged: '4800',
            tokensUnpaid: '300',
            tonUnpaid: '3000',
        });
        expect(good.seenAt).toBeGreaterThanOrEqual(before);
        expect(good.clients).toEqual([
            { address: CLIENTS[0], owner: CLIENTS[3], tokens: '500', settled: '300', unsettled: '200', unsettledTon: '4000' },
            { address: CLIENTS[1], owner: CLIENTS[3], tokens: '40', settled: '0', unsettled: '40', unsettledTon: '800' },
        ]);
        // A worker paid more than the proxy's ledger says it earned owes nothing (never negative).
        expect(good.workers.map((w) => w.unsettled)).toEqual(['300', '0']);

        const ov = await get<Overview>('/api/overview');
        expect(ov.unsettled).toEqual({
            tokensUncharged: '240',
            tonUncharged: '4800',
            tokensUnpaid: '300',
            tonUnpaid: '3000',
            sources: 2,
            reachable: 1,
            seenAt: good.seenAt,
        });
        const proxy = await get<ProxyInfo>(`/api/proxies/${PROXIES[0]}`);
        expect(proxy.report).toEqual(good);
        expect((await get<ProxyInfo>(`/api/proxies/${PROXIES[1]}`)).report).toBeNull();
        // Workers announce the model by name: the hash the root registers now has it.
        const models = await get<ModelsResponse>('/api/models');
        expect(models.models.find((m) => m.hash === modelHash(MODEL))?.name).toBe(MODEL);
    });

    it('keeps the last good figures when a page goes bad, and says why', async () => {
        page = '{"status": {"contract": "nope"}}';
        const c = collector([statsBase]);
        await c.collectOnce();
        const [r] = (await get<ProxyReport[]>('/api/proxy-reports')).filter((x) => x.source.startsWith(statsBase));
        expect(r.error).toContain('not a proxy stats page');
        expect(r).toMatchObject({ proxy: PROXIES[0], tokensUncharged: '240' });
        page = 'not json';
        await c.collectOnce();
        const [r2] = (await get<ProxyReport[]>('/api/proxy-reports')).filter((x) => x.source.startsWith(statsBase));
        expect(r2.error).toContain('not JSON');
        expect((await get<Overview>('/api/overview')).unsettled.reachable).toBe(0);
    });

    it('reads hostile pages as missing data, never through Object.prototype', () => {
        const hostile = JSON.parse(
            '{"__proto__": {"contract": "x"}, "status": {"contract": "' +
                friendly(PROXIES[0]) +
                '"}, "clients": [{"used_tokens": "-5"}, {"used_tokens": 1e400}, {"__proto__": {"used_tokens": "9"}}, ' +
                '{"used_tokens": "7", "charged_tokens": {"toString": 1}}], "root_contract_config": {"price_per_token": "1.5"}}',
        );
        const r = unsettledFromPage(hostile);
        expect(r).toMatchObject({ proxy: PROXIES[0], tokensUncharged: 7n, tonUncharged: 0n });
        expect(unsettledFromPage(JSON.parse('{"__proto__": {"status": {"contract": "' + friendly(PROXIES[0]) + '"}}}'))).toContain(
            'not a proxy stats page',
        );
    });

    it('reads every source on a schedule and stops cleanly', async () => {
        page = proxyPage({ used: [10n], charged: [0n], earned: [], paid: [] });
        let rounds = 0;
        let threeRounds!: () => void;
        const done = new Promise<void>((ok) => (threeRounds = ok));
        const c = new ProxyStatsCollector({
            db: database.db,
            consumers: [new UnsettledUsage()],
            log: silentLogger,
            intervalMs: 50,
            onChange: () => ++rounds === 3 && threeRounds(),
        });
        c.start();
        c.add(statsBase);
        await done;
        await c.stop();
        const after = served;
        expect(rounds).toBeGreaterThanOrEqual(3);
        expect(c.sourceList).toEqual([`${statsBase}/jsonstats`]);
        expect(served).toBe(after);
    });
});
