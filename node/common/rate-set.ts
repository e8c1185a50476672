/**
 * Named counters for a runner's stats (queries, successes, failures, tokens, ...): totals since start,
 * rendered the same way in /jsonstats and /metrics.
 */
export class RateCounterSet<K extends string = string> {
    private readonly totals = new Map<K, number>();

    constructor(names: readonly K[]) {
        for (const n of names) this.totals.set(n, 0);
    }

    add(name: K, v: number | bigint = 1): void {
        this.totals.set(name, (this.totals.get(name) ?? 0) + Number(v));
    }

    total(name: K): number {
        return this.totals.get(name) ?? 0;
    }

    json(): Record<string, number> {
        return Object.fromEntries(this.totals);
    }
}
