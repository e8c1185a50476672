import { RunnerTimers } from '../../../node/common/timers';
import { createLogger, type LogLevel } from '../../../node/common/log';

/** A logger that keeps its lines (the real one, writing to an array). */
function captured() {
    const lines: { level: LogLevel; msg: string; error?: string }[] = [];
    const log = createLogger('test', 'debug', (line) => lines.push(JSON.parse(line)));
    return { log, lines };
}

describe('RunnerTimers', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('runs a loop every period', async () => {
        const { log } = captured();
        const t = new RunnerTimers(log);
        let runs = 0;
        t.every(100, async () => void runs++, 'tick');
        await jest.advanceTimersByTimeAsync(350);
        expect(runs).toBe(3);
        t.stop();
    });

    it('skips ticks while a run is still under way instead of piling them up', async () => {
        const { log } = captured();
        const t = new RunnerTimers(log);
        let started = 0;
        let finish!: () => void;
        t.every(
            100,
            () => {
                started++;
                return new Promise<void>((r) => (finish = r));
            },
            'slow',
        );
        await jest.advanceTimersByTimeAsync(550);
        expect(started).toBe(1);
        finish();
        await jest.advanceTimersByTimeAsync(100);
        expect(started).toBe(2);
        t.stop();
    });

    it('a failing run is logged as a warning naming the loop, and the loop goes on', async () => {
        const { log, lines } = captured();
        const t = new RunnerTimers(log);
        let runs = 0;
        t.every(
            100,
            async () => {
                runs++;
                throw new Error('chain unreachable');
            },
            'root refresh',
        );
        await jest.advanceTimersByTimeAsync(200);
        expect(runs).toBe(2);
        expect(lines.filter((l) => l.level === 'warn').map((l) => [l.msg, l.error])).toEqual([
            ['root refresh failed', 'chain unreachable'],
            ['root refresh failed', 'chain unreachable'],
        ]);
        t.stop();
    });

    it('stop ends every loop; a run under way finishes, none starts after', async () => {
        const { log } = captured();
        const t = new RunnerTimers(log);
        let a = 0;
        let b = 0;
        t.every(100, async () => void a++, 'a');
        t.every(50, async () => void b++, 'b');
        await jest.advanceTimersByTimeAsync(100);
        expect([a, b]).toEqual([1, 2]);
        t.stop();
        expect(t.isStopped).toBe(true);
        await jest.advanceTimersByTimeAsync(1000);
        expect([a, b]).toEqual([1, 2]);
        expect(jest.getTimerCount()).toBe(0);
    });
});
