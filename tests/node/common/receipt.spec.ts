import { createHash, randomBytes } from 'crypto';
import { keyPairFromSeed } from '@ton/crypto';
import {
    decodeReceipt,
    encodeReceipt,
    signReceipt,
    signReceiptAsync,
    verifyReceipt,
    verifyReceiptAsync,
    type Receipt,
    type UnsignedReceipt,
} from '../../../node/common/receipt';

const key = keyPairFromSeed(Buffer.alloc(32, 9));
const body = Buffer.from('data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n');
const requestId = randomBytes(32);
const unsigned: UnsignedReceipt = {
    requestId: requestId.toString('hex'),
    model: 'Qwen/Qwen3-0.6B@abc:def',
    coefficient: '1000',
    tokens: { prompt: '34000', cached: '11000', completion: '100000', reasoning: '10000', total: '155000' },
    status: 200,
    responseSha256: createHash('sha256').update(body).digest('hex'),
    responseBytes: body.length,
    issuedAt: 1795331928,
};

describe('receipts', () => {
    it('sync and threadpool signing give the same receipt; both verifiers accept it', async () => {
        const a = signReceipt(unsigned, key);
        const b = await signReceiptAsync(unsigned, key);
        expect(b).toEqual(a);
        const expect1 = { workerKey: key.publicKey, requestId, body };
        expect(verifyReceipt(a, expect1)).toEqual({ ok: true });
        expect(await verifyReceiptAsync(a, expect1)).toEqual({ ok: true });
        // The digest of the body, for a caller that hashed the pieces as they passed.
        const bodyDigest = { sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length };
        expect(verifyReceipt(a, { bodyDigest })).toEqual({ ok: true });
        expect(decodeReceipt(encodeReceipt(a))).toEqual(a);
    });

    it('names what is wrong, the same way in both verifiers', async () => {
        const r = signReceipt(unsigned, key);
        const other = keyPairFromSeed(Buffer.alloc(32, 8));
        const cases: [Receipt, Parameters<typeof verifyReceipt>[1], RegExp][] = [
            [{ ...r, version: 2 as 1 }, {}, /unsupported receipt version 2/],
            [{ ...r, signature: 'zz' }, {}, /malformed signature/],
            [r, { workerKey: other.publicKey }, /different worker key/],
            [r, { requestId: randomBytes(32) }, /another request/],
            [r, { body: Buffer.concat([body, Buffer.from('x')]) }, /response length/],
            [r, { body: Buffer.from(body.toString().replace('hi', 'ho')) }, /response bytes differ/],
            [r, { bodyDigest: { sha256: '00'.repeat(32), bytes: body.length } }, /response bytes differ/],
            [{ ...r, tokens: { ...r.tokens, total: '1' } }, {}, /bad signature/],
            [{ ...signReceipt(unsigned, other), workerKey: key.publicKey.toString('hex') }, {}, /bad signature/],
        ];
        for (const [receipt, expectation, reason] of cases) {
            const sync = verifyReceipt(receipt, expectation);
            expect(sync).toEqual({ ok: false, reason: expect.stringMatching(reason) });
            expect(await verifyReceiptAsync(receipt, expectation)).toEqual(sync);
        }
    });

    it('reads a malformed receipt from the network as no receipt (never a crash in the checks)', () => {
        const r = signReceipt(unsigned, key);
        const bad = [
            '{"version":1,"tokens":null}',
            '"text"',
            'null',
            JSON.stringify({ ...r, tokens: { ...r.tokens, total: 5 } }),
            JSON.stringify({ ...r, responseBytes: '12' }),
            JSON.stringify({ ...r, tokens: JSON.parse('{"__proto__":{"prompt":"1"}}') }),
        ];
        for (const json of bad) expect(decodeReceipt(`cocoon-receipt/1 ${json}`)).toBeNull();
        expect(decodeReceipt(encodeReceipt(r))).toEqual(r);
    });
});
