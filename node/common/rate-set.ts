/**
 * Named counters for a runner's stats (queries, successes, failures, tokens, ...): totals since start plus
 * counts over rolling windows (last minute, hour, ...), rendered the same way in /jsonstats and /metrics.
 */
import type { TableSection } from './stats-server';
import { DEFAULT_WINDOWS, RollingCounter, windowLabel, type MetricValue, type MetricsRegistry, type RollingSnapshot } from './metrics';

export class RateCounterSet<K extends string = string> {
    private readonly counters = new Map<K, RollingCounter>();

    constructor(
        names: readonly K[],
        readonly windows: readonly number[] = DEFAULT_WINDOWS,
        private readonly now: () => number = Date.now,
    ) {
        for (const n of names) this.counters.set(n, new RollingCounter(windows, now));
    }

    private counter(name: K): RollingCounter {
        let c = this.counters.get(name);
        if (!c) {
            c = new RollingCounter(this.windows, this.now);
            this.counters.set(name, c);
        }
        return c;
    }

    add(name: K, v: number | bigint = 1): void {
        this.counter(name).add(v);
    }

    /** The total as a JS number (kept for callers that want a number; see exact() for bigints). */
    total(name: K): number {
        return Number(this.counters.get(name)?.total ?? 0);
    }

    /** The exact total (a bigint once a bigint was added). */
    exact(name: K): MetricValue {
        return this.counters.get(name)?.total ?? 0;
    }

    /** Count over the last `seconds` (one of `windows`). */
    count(name: K, seconds: number): MetricValue {
        return this.counters.get(name)?.count(seconds) ?? 0;
    }

    names(): K[] {
        return [...this.counters.keys()];
    }

    /** name -> total (numbers, as before). */
    json(): Record<string, number> {
        return Object.fromEntries([...this.counters].map(([k, c]) => [k, Number(c.total)]));
    }

    /** name -> { total, windows: { "1m": n, "1h": n } }, exact. */
    snapshot(): Record<string, RollingSnapshot> {
        return Object.fromEntries([...this.counters].map(([k, c]) => [k, c.snapshot()]));
    }

    /** Window labels in order ("1m", "1h"). */
    windowLabels(): string[] {
        return this.windows.map(windowLabel);
    }

    /** Exposes every counter as `<prefix>_<name>_total` in the registry (values read at scrape time). */
    register(registry: MetricsRegistry, prefix: string, help: (name: K) => string = (n) => `${n} since start`): void {
        for (const name of this.names()) {
            const metric = registry.counter(`${prefix}_${name}_total`, help(name));
            registry.onCollect(() => metric.set(undefined, this.exact(name)));
        }
    }

    /** A stats table: one row per counter with its total and its window counts. */
    table(id = 'stats', title = 'counters'): TableSection {
        const labels = this.windowLabels();
        return {
            kind: 'table',
            id,
            title,
            columns: ['name', 'total', ...labels.map((l) => `last_${l}`)],
            rows: [...this.counters].map(([name, c]) => {
                const snap = c.snapshot();
                return { name, total: snap.total, ...Object.fromEntries(labels.map((l) => [`last_${l}`, snap.windows[l]])) };
            }),
        };
    }
}
