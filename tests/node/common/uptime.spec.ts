import { UptimeMeter } from '../../../node/common/uptime';

describe('UptimeMeter', () => {
    it('counts only the up intervals, within the window since the key was first seen', () => {
        const m = new UptimeMeter(() => 0);
        expect(m.figures('a', 0)).toBeNull();
        m.set('a', true, 1000);
        expect(m.figures('a', 3000)).toEqual({ upMs: 2000, windowMs: 2000, permille: 1000, up: true });
        m.set('a', false, 4000);
        expect(m.figures('a', 9000)).toEqual({ upMs: 3000, windowMs: 8000, permille: 375, up: false });
        m.set('a', false, 9500); // repeated down: no change
        m.set('a', true, 10_000);
        m.set('a', true, 10_500); // repeated up: the interval is not restarted
        expect(m.figures('a', 11_000)).toEqual({ upMs: 4000, windowMs: 10_000, permille: 400, up: true });
    });

    it('observe() takes a whole population: absent keys go down, present ones as told', () => {
        const m = new UptimeMeter<string>(() => 0);
        m.observe(
            new Map([
                ['a', true],
                ['b', false],
            ]),
            0,
        );
        m.observe(new Map([['b', true]]), 5000);
        m.observe(new Map([['b', true]]), 8000);
        expect(m.figures('a', 8000)).toEqual({ upMs: 5000, windowMs: 8000, permille: 625, up: false });
        expect(m.figures('b', 8000)).toEqual({ upMs: 3000, windowMs: 8000, permille: 375, up: true });
        expect(m.keys()).toEqual(['a', 'b']);
    });
});
