/**
 * The periodic loops every runner keeps (COCOON BaseRunner's alarms): reconnect, payment status, settlement,
 * root refresh, ... Each loop runs at most once at a time (a slow chain call skips ticks instead of piling
 * them up), stops with the runner, and reports a failure as a warning instead of ending the loop: the next
 * tick tries again.
 */
import type { Logger } from './log';

export class RunnerTimers {
    private readonly timers: NodeJS.Timeout[] = [];
    private stopped = false;

    constructor(private readonly log: Logger) {}

    /** Runs `fn` every `ms` until stop(); `what` names it in the warning a failure logs. */
    every(ms: number, fn: () => Promise<unknown>, what: string): void {
        let busy = false;
        const t = setInterval(() => {
            if (busy || this.stopped) return;
            busy = true;
            fn()
                .catch((e: Error) => this.log.warn(`${what} failed`, { error: e.message }))
                .finally(() => (busy = false));
        }, ms);
        // A runner is stopped through close(); its loops alone must not keep the process alive.
        t.unref();
        this.timers.push(t);
    }

    get isStopped(): boolean {
        return this.stopped;
    }

    /** Ends every loop; a run already under way finishes, no new one starts. */
    stop(): void {
        this.stopped = true;
        for (const t of this.timers) clearInterval(t);
        this.timers.length = 0;
    }
}
