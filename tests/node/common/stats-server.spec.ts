import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { MetricsRegistry } from '../../../node/common/metrics';
import {
    BadRequest,
    flagged,
    parseTon,
    secretMatches,
    startStatsServer,
    statsHandler,
    ton,
    type AdminAction,
    type StatsServer,
    type StatsSource,
} from '../../../node/common/stats-server';
import { formatTonFixed } from '../../../node/common/ton';

const SECRET = 's3cret-value';

/** One sample line of the Prometheus text format: name, optional {label="value",...}, value. */
const PROMETHEUS_SAMPLE = new RegExp(
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.source +
        /(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})?/.source +
        / (-?\d+(?:\.\d+)?|NaN|[+-]Inf)$/.source,
);

function source(): StatsSource {
    return {
        title: 'test <runner>',
        sections: () => [
            {
                kind: 'kv',
                id: 'status',
                title: 'status',
                values: {
                    owner: '<script>alert("x")</script>',
                    balance: ton(1_500_000_000n),
                    enabled: true,
                    big: 2n ** 80n,
                    health: flagged(ton(1n), 'bad'),
                    missing: undefined,
                },
            },
            {
                kind: 'table',
                id: 'workers',
                columns: ['owner', 'earned', 'coef'],
                rows: [
                    { owner: 'a&b', earned: ton(123n), coef: 1000 },
                    { owner: 'c', earned: null, coef: 1.5 },
                ],
            },
            { kind: 'table', id: 'empty', columns: ['x'], rows: [] },
        ],
    };
}

function actions(log: unknown[]): Record<string, AdminAction> {
    return {
        echo: {
            description: 'echoes its input',
            params: 'n=<int> [amount=<TON>]',
            run: (i) => ({
                n: i.integer('n', { min: 0, max: 10 }),
                amount: i.ton('amount', { optional: true }),
                flag: i.boolean('flag', false),
            }),
        },
        fail: {
            description: 'always fails',
            run: () => {
                throw new Error('it broke');
            },
        },
        record: {
            description: 'records its input',
            run: (i) => {
                log.push(i.string('what'));
                return null;
            },
        },
        names: {
            description: 'reports which parameters are present',
            run: (i) => ['constructor', 'toString', '__proto__', 'valueOf', 'n'].filter((k) => i.has(k)),
        },
        bad: {
            description: 'bad request',
            run: () => {
                throw new BadRequest('nope');
            },
        },
    };
}

async function get(url: string, init: RequestInit = {}): Promise<{ status: number; type: string; text: string; headers: Headers }> {
    const r = await fetch(url, init);
    return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text(), headers: r.headers };
}

describe('stats server', () => {
    let srv: StatsServer;
    let noSecret: StatsServer;
    const log: unknown[] = [];
    const errors: string[] = [];
    const metrics = new MetricsRegistry();

    beforeAll(async () => {
        const q = metrics.counter('cocoon_test_queries_total', 'Queries', ['model']);
        q.inc({ model: 'm"1' }, 3);
        metrics.gauge('cocoon_test_balance_nanoton', 'Balance').set(undefined, 10n ** 25n);
        srv = await startStatsServer({
            port: 0,
            source: source(),
            metrics,
            actions: actions(log),
            secret: SECRET,
            onError: (w) => errors.push(w),
        });
        noSecret = await startStatsServer({ port: 0, source: source(), actions: actions(log), secretHint: 'pass --access-secret <s>' });
    });
    afterAll(async () => {
        await srv.close();
        await noSecret.close();
    });

    it('serves an escaped HTML page with TON amounts', async () => {
        const r = await get(`${srv.url}/stats`);
        expect(r.status).toBe(200);
        expect(r.type).toMatch(/^text\/html/);
        expect(r.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
        expect(r.text).not.toContain('<script>');
        expect(r.text).toContain('<title>test &lt;runner&gt;</title>');
        expect(r.text).toContain('1.500000000&nbsp;TON');
        expect(r.text).toContain('0.000000123&nbsp;TON');
        expect(r.text).toContain('a&amp;b');
        expect(r.text).toContain('<span class="bad">');
        expect(r.text).toContain(String(2n ** 80n));
        expect(r.text).toContain('echoes its input'); // actions listed
        expect(r.text).toContain('POST <code>/request/&lt;action&gt;</code> with <code>Authorization: Bearer &lt;secret&gt;</code>');
        expect(r.text).not.toMatch(/X-Cocoon-Secret|\?secret=|access_hash|GET or POST/);
        expect(r.text).not.toContain(SECRET);
    });

    it('serves JSON with bigints and money as decimal strings', async () => {
        const r = await get(`${srv.url}/jsonstats`);
        expect(r.status).toBe(200);
        expect(r.type).toMatch(/^application\/json/);
        const j = JSON.parse(r.text);
        expect(j.title).toBe('test <runner>');
        expect(j.status).toEqual({
            owner: '<script>alert("x")</script>',
            balance: '1500000000',
            enabled: true,
            big: (2n ** 80n).toString(),
            health: '1',
            missing: null,
        });
        expect(j.workers).toEqual([
            { owner: 'a&b', earned: '123', coef: 1000 },
            { owner: 'c', earned: null, coef: 1.5 },
        ]);
        expect(j.empty).toEqual([]);
        expect(typeof j.generated_at).toBe('number');
    });

    it('serves Prometheus metrics that parse line by line', async () => {
        const r = await get(`${srv.url}/metrics`);
        expect(r.status).toBe(200);
        expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8');
        const lines = r.text.trimEnd().split('\n');
        const typed = new Set<string>();
        for (const line of lines) {
            if (line.startsWith('# HELP ')) continue;
            const t = /^# TYPE (\S+) (counter|gauge)$/.exec(line);
            if (t) {
                typed.add(t[1]);
                continue;
            }
            const s = PROMETHEUS_SAMPLE.exec(line);
            expect(s).not.toBeNull();
            expect(typed.has(s![1])).toBe(true);
        }
        expect(lines).toContain('cocoon_test_queries_total{model="m\\"1"} 3');
        expect(lines).toContain(`cocoon_test_balance_nanoton ${10n ** 25n}`);
        expect(lines).toContain('# TYPE cocoon_test_queries_total counter');
    });

    const post = (path: string, init: RequestInit = {}) => get(srv.url + path, { method: 'POST', ...init });
    const auth = { authorization: `Bearer ${SECRET}` };

    it('takes the secret only as Authorization: Bearer, compared in constant time (never from the query string)', async () => {
        let r = await post('/request/echo?n=3');
        expect(r.status).toBe(401);
        expect(JSON.parse(r.text).error.message).toBe('missing access secret: send Authorization: Bearer <secret> (over POST)');
        expect(r.headers.get('www-authenticate')).toBe('Bearer realm="cocoon"');
        r = await post('/request/echo?n=3', { headers: { authorization: 'Bearer wrong' } });
        expect(r.status).toBe(401);
        expect(JSON.parse(r.text).error.message).toBe('wrong access secret');
        r = await post('/request/echo?n=3&amount=2.5', { headers: auth });
        expect(r.status).toBe(200);
        expect(JSON.parse(r.text)).toEqual({ ok: true, action: 'echo', result: { n: 3, amount: '2500000000', flag: false } });
        // The old ways are refused: a secret in a URL ends up in logs, histories and Referer headers.
        for (const path of [`/request/echo?n=5&secret=${SECRET}`, `/request/echo?n=6&access_hash=${SECRET}`])
            expect((await post(path)).status).toBe(401);
        expect((await post('/request/echo?n=4', { headers: { 'x-cocoon-secret': SECRET } })).status).toBe(401);
        expect((await post('/request/echo?n=4', { headers: { authorization: `Basic ${SECRET}` } })).status).toBe(401);
    });

    it('runs actions over POST only: GET answers 405 and changes nothing', async () => {
        const before = log.length;
        let r = await get(`${srv.url}/request/record?what=x`, { headers: auth });
        expect(r.status).toBe(405);
        expect(r.headers.get('allow')).toBe('POST');
        expect(JSON.parse(r.text).error.message).toBe('/request/record changes state: use POST');
        r = await get(`${srv.url}/request/record?what=x`);
        expect(r.status).toBe(401);
        expect(log.length).toBe(before);
        r = await post('/request/record', { headers: auth, body: JSON.stringify({ what: 'done' }) });
        expect(r.status).toBe(200);
        expect(log).toContain('done');
        // The listing of actions is read-only: GET is fine there, with the secret.
        r = await get(`${srv.url}/request`, { headers: auth });
        expect(JSON.parse(r.text).actions.record).toEqual({ description: 'records its input', params: '' });
    });

    it('takes parameters from the query, a JSON or a form body, never from Object.prototype', async () => {
        let r = await post('/request/echo?n=1', {
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ n: 7, flag: true }),
        });
        expect(JSON.parse(r.text).result).toEqual({ n: 7, flag: true });
        r = await post('/request/echo', { headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'n=8' });
        expect(JSON.parse(r.text).result.n).toBe(8);
        r = await post('/request/names?n=1', { headers: auth });
        expect(JSON.parse(r.text).result).toEqual(['n']);
        r = await post('/request/names?constructor=1&__proto__=2', {
            headers: { ...auth, 'content-type': 'application/json' },
            body: '{"toString":3,"__proto__":{"valueOf":4}}',
        });
        expect(JSON.parse(r.text).result).toEqual(['constructor', 'toString', '__proto__']);
    });

    it('answers 400 with a clear message on bad input and failures', async () => {
        const cases: [string, RegExp][] = [
            ['/request/echo', /missing parameter 'n'/],
            ['/request/echo?n=abc', /'n' must be an integer, got 'abc'/],
            ['/request/echo?n=11', /'n' must be at most 10/],
            ['/request/echo?n=1&amount=1.0000000001', /'amount'.*at most 9 decimals/],
            ['/request/echo?n=1&flag=maybe', /'flag' must be true or false/],
            ['/request/fail', /^it broke$/],
            ['/request/bad', /^nope$/],
        ];
        for (const [path, msg] of cases) {
            const r = await post(path, { headers: auth });
            expect(r.status).toBe(400);
            expect(JSON.parse(r.text).error.message).toMatch(msg);
        }
        const r = await post('/request/echo', { headers: { ...auth, 'content-type': 'application/json' }, body: '{not json' });
        expect(r.status).toBe(400);
        expect(JSON.parse(r.text).error.message).toMatch(/not valid JSON/);
        expect(errors).toContain('/request/fail');
    });

    it('answers 404 listing the known actions', async () => {
        const r = await post('/request/nosuch', { headers: auth });
        expect(r.status).toBe(404);
        const e = JSON.parse(r.text).error;
        expect(e.message).toMatch(/unknown action 'nosuch'; known actions: echo, fail, record, names, bad/);
        expect(e.actions).toEqual(['echo', 'fail', 'record', 'names', 'bad']);
        // constructor / __proto__ are not actions
        for (const name of ['constructor', '__proto__', 'toString'])
            expect((await post(`/request/${name}`, { headers: auth })).status).toBe(404);
    });

    it('disables admin actions with 403 when no secret is configured', async () => {
        const r = await get(`${noSecret.url}/request/echo?n=1`, { method: 'POST', headers: { authorization: 'Bearer ' } });
        expect(r.status).toBe(403);
        expect(JSON.parse(r.text).error.message).toMatch(/no access secret is configured; pass --access-secret <s>/);
        expect((await get(`${noSecret.url}/jsonstats`)).status).toBe(200);
        expect((await get(`${noSecret.url}/metrics`)).text).toBe('');
    });

    it('mounts next to other handlers: false for foreign paths', async () => {
        const h = statsHandler({ source: source(), secret: SECRET, basePath: '/admin' });
        const plain = statsHandler({ source: source() });
        const seen: string[] = [];
        const server: Server = createServer((req, res) => {
            if (h(req, res)) return;
            seen.push(req.url ?? '');
            res.writeHead(418).end('other');
        });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        try {
            expect((await get(`${url}/v1/models`)).status).toBe(418);
            expect((await get(`${url}/stats`)).status).toBe(418);
            expect((await get(`${url}/adminx/stats`)).status).toBe(418);
            expect((await get(`${url}/admin/stats`)).status).toBe(200);
            expect((await get(`${url}/admin/jsonstats`)).status).toBe(200);
            expect(seen).toEqual(['/v1/models', '/stats', '/adminx/stats']);
        } finally {
            server.closeAllConnections();
            await new Promise((r) => server.close(r));
        }
        // Called directly: unowned paths return false without touching the response.
        const fake = { url: '/v1/chat/completions', method: 'POST', headers: {} } as unknown as Parameters<typeof plain>[0];
        expect(plain(fake, {} as Parameters<typeof plain>[1])).toBe(false);
    });

    it('protects the pages too when asked', async () => {
        const s = await startStatsServer({ port: 0, source: source(), secret: SECRET, protectPages: true });
        try {
            expect((await get(`${s.url}/stats`)).status).toBe(401);
            expect((await get(`${s.url}/stats?secret=${SECRET}`)).status).toBe(401);
            expect((await get(`${s.url}/stats`, { headers: auth })).status).toBe(200);
            expect((await get(`${s.url}/unknown`)).status).toBe(404);
        } finally {
            await s.close();
        }
    });

    it('formats and parses TON exactly', () => {
        expect(formatTonFixed(0n)).toBe('0.000000000');
        expect(formatTonFixed(-1_500_000_000n)).toBe('-1.500000000');
        expect(formatTonFixed(10n ** 30n + 1n)).toBe('1' + '0'.repeat(21) + '.000000001');
        expect(parseTon('2.5')).toBe(2_500_000_000n);
        expect(parseTon('0.000000001')).toBe(1n);
        expect(parseTon('12345678901234567890')).toBe(12345678901234567890n * 10n ** 9n);
        expect(() => parseTon('-1')).toThrow(/not a TON amount/);
        expect(() => parseTon('1e9')).toThrow(/not a TON amount/);
        expect(secretMatches('a', 'a')).toBe(true);
        expect(secretMatches('a', 'ab')).toBe(false);
    });
});
