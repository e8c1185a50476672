import { Progress } from '../../../indexer/ingest/progress';
import type { Logger } from '../../../node/common/log';

function recorder() {
    const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
    const log: Logger = {
        debug: () => undefined,
        info: (msg, fields) => lines.push({ msg, fields }),
        warn: () => undefined,
        error: () => undefined,
        child: () => log,
    };
    return { lines, log };
}

describe('Progress', () => {
    it('reports counts, rate and an ETA from the share of accounts done, at most every interval', () => {
        let now = 1_000_000;
        const { lines, log } = recorder();
        const p = new Progress(log, 'ingest', 2000, () => now);
        now += 1000;
        p.report(100, 10, 5000);
        expect(lines).toHaveLength(0);
        now += 1000;
        p.report(100, 25, 12_000);
        expect(lines).toHaveLength(1);
        expect(lines[0].fields).toMatchObject({
            phase: 'ingest',
            accountsDone: 25,
            accountsTotal: 100,
            transactions: 12_000,
            txPerSec: 6000,
            etaSec: 6,
            elapsedSec: 2,
        });
        now += 500;
        p.report(100, 30, 13_000);
        expect(lines).toHaveLength(1);
        now += 3500;
        p.done(100, 40_000, 77);
        expect(lines[1]).toMatchObject({ msg: 'caught up', fields: { accountsDone: 100, transactions: 40_000, etaSec: 0, head: 77 } });
    });

    it('stays quiet for short cycles', () => {
        let now = 0;
        const { lines, log } = recorder();
        const p = new Progress(log, 'ingest', 2000, () => now);
        now = 300;
        p.report(3, 3, 10);
        p.done(3, 10, 5);
        expect(lines).toHaveLength(0);
    });
});
