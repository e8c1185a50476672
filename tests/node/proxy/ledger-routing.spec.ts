import { SignedPaymentsLedger } from '../../../node/proxy/signed-payments';
import { chooseWorker, DecayingAverage, type WorkerCandidate } from '../../../node/proxy/routing';
import { tokensAvailable, tokensToReserve } from '../../../node/proxy/reservation';

describe('signed payments ledger', () => {
    it('signs only amounts whose database commit is confirmed on-chain', () => {
        const l = new SignedPaymentsLedger();
        l.add(100n);
        expect(l.tokensCommittedToBlockchain).toBe(0n);
        expect(l.committedToDb(1)).toBe(true);
        l.add(50n);
        expect(l.committedToDb(2)).toBe(true);
        expect([l.tokensMax, l.tokensCommittedToDb, l.tokensCommittedToBlockchain]).toEqual([150n, 150n, 0n]);
        expect(l.committedToBlockchain(1)).toBe(true);
        expect(l.tokensCommittedToBlockchain).toBe(100n);
        expect(l.committedToBlockchain(1)).toBe(false); // replay of the same note changes nothing
        expect(l.committedToBlockchain(5)).toBe(true);
        expect(l.tokensCommittedToBlockchain).toBe(150n);
    });

    it('restores from a snapshot and refuses inconsistent or shrinking state', () => {
        const l = new SignedPaymentsLedger();
        l.add(7n);
        l.committedToDb(3);
        const copy = new SignedPaymentsLedger(l.snapshot());
        expect(copy.snapshot()).toEqual(l.snapshot());
        expect(copy.committedToDb(4)).toBe(false); // nothing new since seqno 3
        copy.add(1n);
        expect(() => copy.committedToDb(3)).toThrow(/seqno must grow/);
        expect(() => new SignedPaymentsLedger({ max: 1n, db: 2n })).toThrow(/out of order/);
        expect(() => l.add(-1n)).toThrow(RangeError);
    });
});

describe('worker selection', () => {
    const w = (id: string, extra: Partial<WorkerCandidate> = {}): WorkerCandidate => ({
        id,
        model: 'org/m@c:v',
        coefficient: 1000n,
        enabled: true,
        running: 0,
        maxRunning: 4,
        averageQuerySeconds: 0,
        ...extra,
    });

    it('picks the least expected wait among affordable, enabled workers with a free slot', () => {
        const workers = [
            w('a', { running: 2, averageQuerySeconds: 1 }),
            w('b', { running: 1, averageQuerySeconds: 3 }),
            w('c', { running: 3, averageQuerySeconds: 0.5 }),
        ];
        expect((chooseWorker(workers, 'org/m', 4000n) as WorkerCandidate).id).toBe('c');
        expect((chooseWorker([...workers, w('d')], 'org/m@other', 4000n) as WorkerCandidate).id).toBe('d');
        expect((chooseWorker(workers, 'org/m', 4000n, new Set(['c'])) as WorkerCandidate).id).toBe('a');
    });

    it('explains refusals: unknown model, coefficient cap, all busy', () => {
        expect(chooseWorker([w('a')], 'org/x', 4000n)).toMatchObject({ reason: 'unknown_model' });
        expect(chooseWorker([w('a', { enabled: false })], 'org/m', 4000n)).toMatchObject({ reason: 'unknown_model' });
        expect(chooseWorker([w('a', { coefficient: 5000n }), w('b', { coefficient: 4500n })], 'org/m', 4000n)).toMatchObject({
            reason: 'coefficient_too_low',
            minCoefficient: 4500n,
        });
        expect(chooseWorker([w('a', { running: 4 })], 'org/m', 4000n)).toMatchObject({ reason: 'busy' });
    });

    it('decays query-time averages with a half-life', () => {
        const avg = new DecayingAverage(10);
        avg.add(2, 0);
        avg.add(4, 0);
        expect(avg.value(0)).toBeCloseTo(3);
        avg.add(10, 10); // older samples weigh half now
        expect(avg.value(10)).toBeCloseTo((1 + 2 + 10) / 2);
    });
});

describe('client reservation', () => {
    it('caps uncharged usage by the stake and total usage by the deposit', () => {
        const base = { balance: 10_000n, stake: 1_000n, tokensCharged: 0n, tokensUsed: 0n, tokensReserved: 0n };
        expect(tokensAvailable(base, 10n)).toBe(100n); // stake/price
        expect(tokensAvailable({ ...base, balance: 500n }, 10n)).toBe(50n); // deposit/price
        expect(tokensAvailable({ ...base, tokensUsed: 60n, tokensReserved: 30n }, 10n)).toBe(10n);
        expect(tokensAvailable({ ...base, tokensUsed: 200n }, 10n)).toBe(0n);
        expect(() => tokensAvailable(base, 0n)).toThrow(/price_per_token/);
    });

    it('reserves output budget plus request size at the client maximum coefficient', () => {
        expect(tokensToReserve(1000n, 200, 4000n)).toBe(4800n);
        expect(tokensToReserve(10n, 0, 1000n)).toBe(10n);
    });
});
