import {
    addValues,
    Counter,
    escapeLabelValue,
    formatValue,
    MetricsRegistry,
    RollingCounter,
    windowLabel,
} from '../../../node/common/metrics';
import { RateCounterSet } from '../../../node/common/rate-set';

/** Parses Prometheus text 0.0.4 line by line; throws on any line that does not fit the grammar. */
function parseExposition(text: string): {
    help: Map<string, string>;
    type: Map<string, string>;
    samples: { name: string; labels: Record<string, string>; value: string }[];
} {
    const help = new Map<string, string>();
    const type = new Map<string, string>();
    const samples: { name: string; labels: Record<string, string>; value: string }[] = [];
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.slice(0, -1).split('\n')) {
        let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
        if (m) {
            help.set(m[1], m[2]);
            continue;
        }
        m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
        if (m) {
            expect(type.has(m[1])).toBe(false);
            type.set(m[1], m[2]);
            continue;
        }
        m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!m) throw new Error(`bad exposition line: ${JSON.stringify(line)}`);
        const labels: Record<string, string> = {};
        if (m[2] !== undefined) {
            const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/gy;
            let pos = 0;
            let lm: RegExpExecArray | null;
            while (pos < m[2].length && (lm = re.exec(m[2]))) {
                labels[lm[1]] = lm[2].replace(/\\(\\|"|n)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
                pos = re.lastIndex;
            }
            expect(pos).toBe(m[2].length);
        }
        expect(m[3]).toMatch(/^(-?\d+(\.\d+)?(e[+-]?\d+)?|NaN|\+Inf|-Inf)$/);
        expect(type.has(m[1])).toBe(true); // TYPE comes before the samples
        samples.push({ name: m[1], labels, value: m[3] });
    }
    return { help, type, samples };
}

describe('metrics registry', () => {
    it('renders counters and gauges in Prometheus 0.0.4 with escaped labels and exact bigints', async () => {
        const r = new MetricsRegistry();
        const q = r.counter('cocoon_queries_total', 'Queries\nserved (\\ all)', ['model']);
        q.inc({ model: 'a"b\\c\nd' });
        q.inc({ model: 'a"b\\c\nd' }, 2);
        q.inc({ model: 'plain' });
        const money = r.gauge('cocoon_balance_nanoton', 'Balance', ['who']);
        const big = 123456789012345678901234567890n;
        money.set({ who: 'x' }, big);
        money.inc({ who: 'x' }, 1n);
        const up = r.gauge('cocoon_up', 'Up');
        let live = 0;
        r.onCollect(() => up.set(undefined, ++live));
        const text = await r.render();
        const p = parseExposition(text);
        expect(p.type.get('cocoon_queries_total')).toBe('counter');
        expect(p.type.get('cocoon_balance_nanoton')).toBe('gauge');
        expect(p.help.get('cocoon_queries_total')).toBe('Queries\\nserved (\\\\ all)');
        expect(p.samples).toContainEqual({ name: 'cocoon_queries_total', labels: { model: 'a"b\\c\nd' }, value: '3' });
        expect(p.samples).toContainEqual({ name: 'cocoon_queries_total', labels: { model: 'plain' }, value: '1' });
        expect(p.samples).toContainEqual({ name: 'cocoon_balance_nanoton', labels: { who: 'x' }, value: (big + 1n).toString() });
        expect(p.samples).toContainEqual({ name: 'cocoon_up', labels: {}, value: '1' });
        expect(text).toContain('model="a\\"b\\\\c\\nd"');
        expect(parseExposition(await r.render()).samples).toContainEqual({ name: 'cocoon_up', labels: {}, value: '2' });
    });

    it('validates names, labels and monotonicity', () => {
        const r = new MetricsRegistry();
        expect(() => r.counter('queries', 'x')).toThrow(/_total/);
        expect(() => r.gauge('bad-name', 'x')).toThrow(/invalid metric name/);
        expect(() => r.gauge('g', 'x', ['__x'])).toThrow(/invalid label name/);
        const c = r.counter('c_total', 'x', ['a']);
        expect(() => c.inc({ a: '1' }, -1)).toThrow(/cannot decrease/);
        expect(() => c.inc({ b: '1' })).toThrow(/no label 'b'/);
        expect(() => c.inc()).toThrow(/needs label 'a'/);
        expect(r.counter('c_total', 'x', ['a'])).toBe(c);
        expect(() => r.gauge('c_total', 'x')).toThrow(/already registered as a counter/);
        expect(() => new Counter('x_total', 'h').inc(undefined, 0.5)).not.toThrow();
    });

    it('adds and formats values exactly', () => {
        expect(addValues(1, 2)).toBe(3);
        expect(addValues(2n ** 70n, 1)).toBe(2n ** 70n + 1n);
        expect(() => addValues(1n, 0.5)).toThrow(/non-integer/);
        expect(formatValue(NaN)).toBe('NaN');
        expect(formatValue(Infinity)).toBe('+Inf');
        expect(formatValue(-Infinity)).toBe('-Inf');
        expect(formatValue(10n ** 30n)).toBe('1' + '0'.repeat(30));
        expect(escapeLabelValue('a\\"\n')).toBe('a\\\\\\"\\n');
        expect(windowLabel(60)).toBe('1m');
        expect(windowLabel(3600)).toBe('1h');
        expect(windowLabel(86400)).toBe('1d');
        expect(windowLabel(10)).toBe('10s');
    });
});

describe('rolling counters', () => {
    it('counts the total and the last minute / hour', () => {
        let now = 1_000_000_000;
        const c = new RollingCounter([60, 3600], () => now);
        c.add(5);
        now += 30_000;
        c.add(2n);
        expect(c.total).toBe(7n);
        expect(c.count(60)).toBe(7n);
        now += 45_000; // the first add is now 75 s old
        expect(c.count(60)).toBe(2n);
        expect(c.count(3600)).toBe(7n);
        expect(c.rate(60)).toBeCloseTo(2 / 60);
        now += 3600_000;
        expect(c.count(3600)).toBe(0);
        expect(c.snapshot()).toEqual({ total: 7n, windows: { '1m': 0, '1h': 0 } });
        expect(() => c.count(10)).toThrow(/no 10 s window/);
        expect(() => c.add(-1)).toThrow(/cannot decrease/);
    });

    it('RateCounterSet keeps its old API and registers as Prometheus counters', async () => {
        let now = 5_000_000;
        const s = new RateCounterSet(['queries', 'tokens'], [60], () => now);
        s.add('queries');
        s.add('tokens', 10n ** 20n);
        s.add('tokens', 5n);
        expect(s.total('queries')).toBe(1);
        expect(s.json()).toEqual({ queries: 1, tokens: 1e20 });
        expect(s.exact('tokens')).toBe(10n ** 20n + 5n);
        now += 61_000;
        expect(s.count('queries', 60)).toBe(0);
        expect(s.snapshot().queries).toEqual({ total: 1, windows: { '1m': 0 } });
        const r = new MetricsRegistry();
        s.register(r, 'cocoon_proxy');
        const p = parseExposition(await r.render());
        expect(p.samples).toContainEqual({ name: 'cocoon_proxy_tokens_total', labels: {}, value: '100000000000000000005' });
        expect(p.samples).toContainEqual({ name: 'cocoon_proxy_queries_total', labels: {}, value: '1' });
    });
});
