/**
 * Progress of one ingest cycle, logged at most every `everyMs`: accounts done of those queued,
 * transactions written, transaction rate and an ETA extrapolated from the share of accounts done.
 * Quiet for short cycles, so following the head does not flood the log.
 */
import type { Logger } from '../../node/common/log';

export interface ProgressSnapshot {
    phase: string;
    accountsDone: number;
    accountsTotal: number;
    transactions: number;
    txPerSec: number;
    etaSec: number | null;
    elapsedSec: number;
}

export class Progress {
    private readonly started: number;
    private lastLog: number;

    constructor(
        private log: Logger,
        private phase: string,
        private everyMs = 2000,
        private now: () => number = Date.now,
    ) {
        this.started = now();
        this.lastLog = this.started;
    }

    snapshot(accountsTotal: number, accountsDone: number, transactions: number): ProgressSnapshot {
        const elapsedSec = (this.now() - this.started) / 1000;
        const share = accountsTotal > 0 ? accountsDone / accountsTotal : 1;
        return {
            phase: this.phase,
            accountsDone,
            accountsTotal,
            transactions,
            txPerSec: elapsedSec > 0 ? Math.round(transactions / elapsedSec) : 0,
            etaSec: share > 0 ? Math.round((elapsedSec * (1 - share)) / share) : null,
            elapsedSec: Math.round(elapsedSec * 10) / 10,
        };
    }

    report(accountsTotal: number, accountsDone: number, transactions: number): void {
        const t = this.now();
        if (t - this.lastLog < this.everyMs) return;
        this.lastLog = t;
        this.log.info('progress', { ...this.snapshot(accountsTotal, accountsDone, transactions) });
    }

    /** Logs a summary when the cycle was long enough to have reported progress. */
    done(accountsTotal: number, transactions: number, head: number): void {
        if (this.now() - this.started < this.everyMs) return;
        this.log.info('caught up', { ...this.snapshot(accountsTotal, accountsTotal, transactions), etaSec: 0, head });
    }
}
