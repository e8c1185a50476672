import { WorkerUptime } from '../../../node/proxy/uptime';

const key = (b: number) => Buffer.alloc(32, b);
const worker = (owner: string, k: number, enabled: boolean) => ({ owner, enabled, conn: { peer: { publicKey: key(k) } } });

describe('proxy: observed worker uptime', () => {
    it('counts connected-and-enabled time per owner + worker key, and stops counting when the worker leaves or is disabled', () => {
        let now = 0;
        const u = new WorkerUptime(() => now);
        u.observe([worker('EQA', 1, true), worker('EQA', 2, false)]);
        now = 10_000;
        u.observe([worker('EQA', 1, true), worker('EQA', 2, true)]);
        now = 20_000;
        u.observe([worker('EQA', 2, true)]); // worker 1 disconnected
        now = 60_000;
        u.observe([worker('EQA', 2, false)]); // worker 2 disabled
        now = 80_000;
        u.observe([]);
        expect(u.rows()).toEqual([
            { owner: 'EQA', worker_key: key(1).toString('hex'), up: false, uptime_seconds: 20, window_seconds: 80, uptime_permille: 250 },
            { owner: 'EQA', worker_key: key(2).toString('hex'), up: false, uptime_seconds: 50, window_seconds: 80, uptime_permille: 625 },
        ]);
    });

    it('a worker with two connections is up while either is enabled', () => {
        let now = 0;
        const u = new WorkerUptime(() => now);
        u.observe([worker('EQB', 3, false), worker('EQB', 3, true)]);
        now = 4000;
        expect(u.rows()).toEqual([
            { owner: 'EQB', worker_key: key(3).toString('hex'), up: true, uptime_seconds: 4, window_seconds: 4, uptime_permille: 1000 },
        ]);
    });
});
