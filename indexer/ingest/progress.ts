/** Backfill progress: counts, rate and ETA, logged at most every `everyMs`. */
import type { Logger } from '../log';

export interface ProgressSnapshot {
    phase: string;
    done: number;
    total: number | null;
    ratePerSec: number;
    etaSec: number | null;
    elapsedSec: number;
}

export class Progress {
    private done = 0;
    private total: number | null = null;
    private started = Date.now();
    private lastLog = 0;
    /** Recent (time, done) samples for a rate that follows speed changes instead of averaging from the start. */
    private samples: [number, number][] = [];

    constructor(
        private log: Logger,
        private phase: string,
        private everyMs = 2000,
        private now: () => number = Date.now,
    ) {
        this.started = now();
    }

    setTotal(total: number | null): void {
        this.total = total;
    }

    add(n: number, extra?: Record<string, unknown>): void {
        this.done += n;
        const t = this.now();
        this.samples.push([t, this.done]);
        while (this.samples.length > 2 && t - this.samples[0][0] > 10_000) this.samples.shift();
        if (t - this.lastLog >= this.everyMs) {
            this.lastLog = t;
            this.log.info('progress', { ...this.snapshot(), ...extra });
        }
    }

    snapshot(): ProgressSnapshot {
        const t = this.now();
        const elapsedSec = (t - this.started) / 1000;
        const [t0, d0] = this.samples[0] ?? [this.started, 0];
        const span = (t - t0) / 1000;
        const ratePerSec = span > 0 ? (this.done - d0) / span : elapsedSec > 0 ? this.done / elapsedSec : 0;
        const etaSec = this.total !== null && ratePerSec > 0 ? Math.max(0, (this.total - this.done) / ratePerSec) : null;
        return {
            phase: this.phase,
            done: this.done,
            total: this.total,
            ratePerSec: Math.round(ratePerSec),
            etaSec: etaSec === null ? null : Math.round(etaSec),
            elapsedSec: Math.round(elapsedSec * 10) / 10,
        };
    }

    finish(extra?: Record<string, unknown>): ProgressSnapshot {
        const s = this.snapshot();
        const ratePerSec = s.elapsedSec > 0 ? Math.round(this.done / s.elapsedSec) : 0;
        const out = { ...s, ratePerSec, etaSec: 0 };
        this.log.info('done', { ...out, ...extra });
        return out;
    }
}
