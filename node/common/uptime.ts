/**
 * Connected-and-enabled time per peer, counted by whoever observes the connection (the worker for each
 * proxy it serves, the proxy for each worker). `set(key, on)` records a state change; `observe()`
 * samples a whole population at once (a key missing from the sample is off). Time is in milliseconds of
 * an injectable clock, so tests drive it with fake timers or an explicit `now`.
 */
export interface UptimeFigures {
    /** Connected-and-enabled milliseconds within the window. */
    upMs: number;
    /** Since the meter first saw the key (ms). */
    windowMs: number;
    /** upMs / windowMs in per-mille (0 when the window is empty). */
    permille: number;
    /** Up right now. */
    up: boolean;
}

interface Entry {
    firstSeen: number;
    upMs: number;
    /** When the current up-interval started; null while down. */
    since: number | null;
}

export class UptimeMeter<K extends string = string> {
    private readonly entries = new Map<K, Entry>();

    constructor(private readonly clock: () => number = Date.now) {}

    /** The key is up (connected and enabled) or down from now on. */
    set(key: K, up: boolean, now = this.clock()): void {
        let e = this.entries.get(key);
        if (!e) {
            e = { firstSeen: now, upMs: 0, since: null };
            this.entries.set(key, e);
        }
        if (up && e.since === null) e.since = now;
        else if (!up && e.since !== null) {
            e.upMs += Math.max(0, now - e.since);
            e.since = null;
        }
    }

    /** Samples a population: the keys given are up or down as told, every other known key is down. */
    observe(up: ReadonlyMap<K, boolean>, now = this.clock()): void {
        for (const key of this.entries.keys()) if (!up.has(key)) this.set(key, false, now);
        for (const [key, on] of up) this.set(key, on, now);
    }

    figures(key: K, now = this.clock()): UptimeFigures | null {
        const e = this.entries.get(key);
        if (!e) return null;
        const upMs = e.upMs + (e.since !== null ? Math.max(0, now - e.since) : 0);
        const windowMs = Math.max(0, now - e.firstSeen);
        return { upMs, windowMs, permille: windowMs > 0 ? Math.min(1000, Math.floor((upMs * 1000) / windowMs)) : 0, up: e.since !== null };
    }

    keys(): K[] {
        return [...this.entries.keys()];
    }
}
