/** The client API's receipt store: bounded by count and by age, oldest first. */
import { ReceiptStore, receiptHeaderValue, type ServedReceipt } from '../../../node/client/api-receipts';

const receipt = (n: number): ServedReceipt => ({
    version: 1,
    requestId: n.toString(16).padStart(64, '0'),
    model: 'm',
    coefficient: '1000',
    tokens: { prompt: '1', cached: '0', completion: '2', reasoning: '0', total: '3' },
    status: 200,
    responseSha256: '00'.repeat(32),
    responseBytes: 10,
    issuedAt: 1,
    workerKey: '11'.repeat(32),
    signature: '22'.repeat(64),
    verified: true,
});
const id = (n: number) => `id${n}`;

describe('ReceiptStore', () => {
    it('keeps at most maxEntries, dropping the oldest', () => {
        const s = new ReceiptStore({ maxEntries: 3 });
        for (let i = 1; i <= 5; i++) s.put(id(i), receipt(i));
        expect(s.size).toBe(3);
        expect(s.get(id(1))).toBeNull();
        expect(s.get(id(2))).toBeNull();
        expect(s.get(id(3))).toEqual(receipt(3));
        expect(s.get(id(5))).toEqual(receipt(5));
    });

    it('forgets receipts older than maxAgeSeconds', () => {
        let now = 1_000_000;
        const s = new ReceiptStore({ maxAgeSeconds: 60, now: () => now });
        s.put(id(1), receipt(1));
        now += 30_000;
        s.put(id(2), receipt(2));
        now += 30_001;
        expect(s.get(id(1))).toBeNull();
        expect(s.get(id(2))).toEqual(receipt(2));
        now += 30_000;
        expect(s.get(id(2))).toBeNull();
        expect(s.size).toBe(0);
    });

    it('has defaults, refuses nonsense limits, and keeps nothing with maxEntries 0', () => {
        expect(() => new ReceiptStore({ maxEntries: -1 })).toThrow('receipts.maxEntries must be a non-negative integer, got -1');
        expect(() => new ReceiptStore({ maxAgeSeconds: Number.NaN })).toThrow(
            'receipts.maxAgeSeconds must be a non-negative number, got NaN',
        );
        const none = new ReceiptStore({ maxEntries: 0 });
        none.put(id(1), receipt(1));
        expect(none.get(id(1))).toBeNull();
        const dflt = new ReceiptStore();
        for (let i = 0; i < 10_001; i++) dflt.put(id(i), receipt(i));
        expect(dflt.size).toBe(10_000);
    });

    it('encodes the header value as base64 of the JSON the endpoint serves', () => {
        expect(JSON.parse(Buffer.from(receiptHeaderValue(receipt(7)), 'base64').toString('utf8'))).toEqual(receipt(7));
    });
});
