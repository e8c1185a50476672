/**
 * Metrics for the runners' stats surface: counters and gauges with labels, rendered in the Prometheus
 * text exposition format 0.0.4 (/metrics), and rolling-window counters (total + count over the last
 * minute, hour, ... as the original's AmortCounter) for /jsonstats.
 *
 * Values are `number | bigint`: money is bigint nanoTON and stays exact end to end (a bigint is never
 * passed through a JS number, neither when adding nor when rendering).
 */

export type MetricValue = number | bigint;
export type Labels = Readonly<Record<string, string | number | bigint | boolean>>;
export type MetricType = 'counter' | 'gauge';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Adds two metric values exactly: a bigint operand makes the result a bigint (the other must be an integer). */
export function addValues(a: MetricValue, b: MetricValue): MetricValue {
    if (typeof a === 'number' && typeof b === 'number') return a + b;
    return toBig(a) + toBig(b);
}

function toBig(v: MetricValue): bigint {
    if (typeof v === 'bigint') return v;
    if (!Number.isInteger(v)) throw new RangeError(`cannot mix the non-integer ${v} with bigint values`);
    return BigInt(v);
}

function isNegative(v: MetricValue): boolean {
    return typeof v === 'bigint' ? v < 0n : v < 0;
}

/** A sample value as Prometheus text: bigints exactly, NaN/+Inf/-Inf spelled as the format wants. */
export function formatValue(v: MetricValue): string {
    if (typeof v === 'bigint') return v.toString();
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return '+Inf';
    if (v === -Infinity) return '-Inf';
    return String(v);
}

/** Label value escaping (backslash, double quote, line feed). */
export function escapeLabelValue(s: string): string {
    return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escaping (backslash, line feed). */
export function escapeHelp(s: string): string {
    return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function checkName(name: string): void {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name '${name}': use [a-zA-Z_:][a-zA-Z0-9_:]*`);
}

function checkLabelNames(names: readonly string[]): void {
    const seen = new Set<string>();
    for (const n of names) {
        if (!LABEL_NAME.test(n) || n.startsWith('__'))
            throw new Error(`invalid label name '${n}': use [a-zA-Z_][a-zA-Z0-9_]* not starting with __`);
        if (seen.has(n)) throw new Error(`duplicate label name '${n}'`);
        seen.add(n);
    }
}

export interface Sample {
    /** Full sample name (equal to the family name for counters and gauges). */
    name: string;
    labels: Record<string, string>;
    value: MetricValue;
}

export interface MetricFamily {
    name: string;
    help: string;
    type: MetricType;
    samples(): Sample[];
}

/** A counter or gauge family: one value per label combination. */
abstract class LabelledMetric implements MetricFamily {
    abstract readonly type: MetricType;
    private readonly values = new Map<string, { labels: Record<string, string>; value: MetricValue }>();

    constructor(
        readonly name: string,
        readonly help: string,
        readonly labelNames: readonly string[],
    ) {
        checkName(name);
        checkLabelNames(labelNames);
    }

    private key(labels: Labels | undefined): { key: string; labels: Record<string, string> } {
        const given = labels ?? {};
        for (const k of Object.keys(given)) {
            if (!this.labelNames.includes(k))
                throw new Error(`metric ${this.name} has no label '${k}' (labels: ${this.labelNames.join(', ') || 'none'})`);
        }
        const out: Record<string, string> = {};
        for (const n of this.labelNames) {
            const v = given[n];
            if (v === undefined) throw new Error(`metric ${this.name} needs label '${n}'`);
            out[n] = String(v);
        }
        return { key: JSON.stringify(this.labelNames.map((n) => out[n])), labels: out };
    }

    protected update(labels: Labels | undefined, fn: (old: MetricValue | undefined) => MetricValue): void {
        const { key, labels: l } = this.key(labels);
        const cur = this.values.get(key);
        const value = fn(cur?.value);
        if (cur) cur.value = value;
        else this.values.set(key, { labels: l, value });
    }

    get(labels?: Labels): MetricValue {
        return this.values.get(this.key(labels).key)?.value ?? 0;
    }

    /** Drops every label combination (e.g. before a collect callback re-sets the gauges of live peers). */
    reset(): void {
        this.values.clear();
    }

    /** Drops one label combination. */
    remove(labels?: Labels): void {
        this.values.delete(this.key(labels).key);
    }

    samples(): Sample[] {
        const list = [...this.values.values()].map((v) => ({ name: this.name, labels: v.labels, value: v.value }));
        // An unlabelled metric is always exposed (0 until set), as client libraries do.
        if (list.length === 0 && this.labelNames.length === 0) list.push({ name: this.name, labels: {}, value: 0 });
        return list;
    }
}

export class Counter extends LabelledMetric {
    readonly type = 'counter' as const;

    constructor(name: string, help: string, labelNames: readonly string[] = []) {
        if (!name.endsWith('_total')) throw new Error(`counter name '${name}' must end in _total`);
        super(name, help, labelNames);
    }

    inc(labels?: Labels, v: MetricValue = 1): void {
        if (isNegative(v)) throw new RangeError(`counter ${this.name} cannot decrease (inc by ${v})`);
        this.update(labels, (old) => addValues(old ?? 0, v));
    }

    /** Mirrors a monotonic total kept elsewhere (set from a collect callback). */
    set(labels: Labels | undefined, v: MetricValue): void {
        if (isNegative(v)) throw new RangeError(`counter ${this.name} cannot be negative (${v})`);
        this.update(labels, () => v);
    }
}

export class Gauge extends LabelledMetric {
    readonly type = 'gauge' as const;

    set(labels: Labels | undefined, v: MetricValue): void {
        this.update(labels, () => v);
    }

    inc(labels?: Labels, v: MetricValue = 1): void {
        this.update(labels, (old) => addValues(old ?? 0, v));
    }

    dec(labels?: Labels, v: MetricValue = 1): void {
        const neg: MetricValue = typeof v === 'bigint' ? -v : -v;
        this.update(labels, (old) => addValues(old ?? 0, neg));
    }
}

export type CollectCallback = () => void | Promise<void>;

/** A set of metric families and the callbacks that refresh them from live state at scrape time. */
export class MetricsRegistry {
    private readonly families = new Map<string, MetricFamily>();
    private readonly collectors = new Set<CollectCallback>();

    /** `name` must end in `_total`. Registering the same name again returns the existing counter. */
    counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
        return this.add(name, () => new Counter(name, help, labelNames), Counter);
    }

    gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
        return this.add(name, () => new Gauge(name, help, labelNames), Gauge);
    }

    /** A rolling-window counter exposed as the counter `name` (which must end in `_total`). */
    rolling(name: string, help: string, windows: readonly number[] = DEFAULT_WINDOWS): RollingCounter {
        const existing = this.families.get(name);
        if (existing instanceof RollingFamily) return existing.counter;
        const family = new RollingFamily(name, help, new RollingCounter(windows));
        this.register(family);
        return family.counter;
    }

    /** Adds any family (custom sample sources); names must be unique. */
    register(family: MetricFamily): void {
        checkName(family.name);
        if (this.families.has(family.name)) throw new Error(`metric ${family.name} is already registered`);
        this.families.set(family.name, family);
    }

    private add<T extends MetricFamily>(name: string, make: () => T, cls: abstract new (...a: never[]) => T): T {
        const existing = this.families.get(name);
        if (existing) {
            if (existing instanceof cls) return existing;
            throw new Error(`metric ${name} is already registered as a ${existing.type}`);
        }
        const m = make();
        this.families.set(name, m);
        return m;
    }

    /** Runs `fn` before every scrape (it sets gauges from live state); returns an unregister function. */
    onCollect(fn: CollectCallback): () => void {
        this.collectors.add(fn);
        return () => this.collectors.delete(fn);
    }

    get(name: string): MetricFamily | undefined {
        return this.families.get(name);
    }

    /** Runs the collect callbacks, then returns the families sorted by name. */
    async collect(): Promise<MetricFamily[]> {
        for (const c of this.collectors) await c();
        return [...this.families.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }

    /** The Prometheus text exposition (format 0.0.4). */
    async render(): Promise<string> {
        return renderPrometheus(await this.collect());
    }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function renderPrometheus(families: readonly MetricFamily[]): string {
    const out: string[] = [];
    for (const f of families) {
        out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
        out.push(`# TYPE ${f.name} ${f.type}`);
        for (const s of f.samples()) {
            const labels = Object.entries(s.labels);
            const l = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
            out.push(`${s.name}${l} ${formatValue(s.value)}`);
        }
    }
    return out.length ? out.join('\n') + '\n' : '';
}

// ---------------------------------------------------------------------------------------------- rolling windows

/** Default windows: 1 minute and 1 hour (seconds). */
export const DEFAULT_WINDOWS: readonly number[] = [60, 3600];

/** Buckets per window: a window's count is exact to within 1/BUCKETS of its length. */
const BUCKETS = 60;

/** "60" -> "1m", "3600" -> "1h", "86400" -> "1d", "10" -> "10s". */
export function windowLabel(seconds: number): string {
    if (seconds % 86400 === 0) return `${seconds / 86400}d`;
    if (seconds % 3600 === 0) return `${seconds / 3600}h`;
    if (seconds % 60 === 0) return `${seconds / 60}m`;
    return `${seconds}s`;
}

class Window {
    private readonly epochs: number[] = new Array<number>(BUCKETS).fill(-1);
    private readonly sums: MetricValue[] = new Array<MetricValue>(BUCKETS).fill(0);
    private readonly bucketMs: number;

    constructor(readonly seconds: number) {
        this.bucketMs = (seconds * 1000) / BUCKETS;
    }

    add(v: MetricValue, nowMs: number): void {
        const idx = Math.floor(nowMs / this.bucketMs);
        const slot = idx % BUCKETS;
        if (this.epochs[slot] !== idx) {
            this.epochs[slot] = idx;
            this.sums[slot] = 0;
        }
        this.sums[slot] = addValues(this.sums[slot], v);
    }

    count(nowMs: number): MetricValue {
        const idx = Math.floor(nowMs / this.bucketMs);
        let sum: MetricValue = 0;
        for (let i = 0; i < BUCKETS; i++) {
            const e = this.epochs[i];
            if (e > idx - BUCKETS && e <= idx) sum = addValues(sum, this.sums[i]);
        }
        return sum;
    }
}

export interface RollingSnapshot {
    total: MetricValue;
    /** Count per window, keyed by windowLabel (e.g. "1m", "1h"). */
    windows: Record<string, MetricValue>;
}

/** A total since start plus counts over rolling windows (COCOON AmortCounter style). */
export class RollingCounter {
    private value: MetricValue = 0;
    private readonly windowList: Window[];

    constructor(
        windows: readonly number[] = DEFAULT_WINDOWS,
        private readonly now: () => number = Date.now,
    ) {
        for (const w of windows)
            if (!Number.isInteger(w) || w <= 0) throw new RangeError(`window must be a positive whole number of seconds, got ${w}`);
        this.windowList = windows.map((w) => new Window(w));
    }

    add(v: MetricValue = 1): void {
        if (isNegative(v)) throw new RangeError(`rolling counter cannot decrease (add ${v})`);
        this.value = addValues(this.value, v);
        const t = this.now();
        for (const w of this.windowList) w.add(v, t);
    }

    get total(): MetricValue {
        return this.value;
    }

    get windows(): readonly number[] {
        return this.windowList.map((w) => w.seconds);
    }

    /** Count over the last `seconds` (must be one of the configured windows). */
    count(seconds: number): MetricValue {
        const w = this.windowList.find((x) => x.seconds === seconds);
        if (!w) throw new RangeError(`no ${seconds} s window (have ${this.windows.join(', ')})`);
        return w.count(this.now());
    }

    /** Average per second over the window (a number; exact counts are in count()). */
    rate(seconds: number): number {
        return Number(this.count(seconds)) / seconds;
    }

    snapshot(): RollingSnapshot {
        const t = this.now();
        return { total: this.value, windows: Object.fromEntries(this.windowList.map((w) => [windowLabel(w.seconds), w.count(t)])) };
    }
}

class RollingFamily implements MetricFamily {
    readonly type = 'counter' as const;

    constructor(
        readonly name: string,
        readonly help: string,
        readonly counter: RollingCounter,
    ) {
        if (!name.endsWith('_total')) throw new Error(`counter name '${name}' must end in _total`);
        checkName(name);
    }

    samples(): Sample[] {
        return [{ name: this.name, labels: {}, value: this.counter.total }];
    }
}
