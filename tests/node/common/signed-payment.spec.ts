import { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { acceptSignedPayment, type HeldPayment } from '../../../node/common/signed-payment';
import type { proxy_SignedPayment } from '../../../node/protocol';
import { signedMessage, SIGNED_OP } from '../../../wrappers/signed';

const proxy = keyPairFromSeed(Buffer.alloc(32, 1));
const forger = keyPairFromSeed(Buffer.alloc(32, 2));
const mine = Address.parse('0:' + '44'.repeat(32));
const other = Address.parse('0:' + '55'.repeat(32));
const excesses = Address.parse('0:' + '66'.repeat(32));
const expect_ = { op: SIGNED_OP.workerPayout, target: mine, proxyPublicKey: proxy.publicKey };

function payment(
    tokens: bigint,
    opts: { op?: (typeof SIGNED_OP)[keyof typeof SIGNED_OP]; target?: Address; key?: Buffer } = {},
): proxy_SignedPayment {
    const body = signedMessage(opts.op ?? SIGNED_OP.workerPayout, 0n, tokens, opts.target ?? mine, excesses, opts.key ?? proxy.secretKey);
    return { _: 'proxy.signedPayment', data: body.toBoc() };
}
const empty = (): HeldPayment => ({ signed: 0n, message: null, verified: null });

describe('acceptSignedPayment', () => {
    it('keeps a verified payment: its tokens, the opened message and the BOC it came in', () => {
        const held = empty();
        const p = payment(70n);
        acceptSignedPayment(held, p, expect_);
        expect(held.signed).toBe(70n);
        expect(held.message?.tokens).toBe(70n);
        expect(held.message?.target.equals(mine)).toBe(true);
        expect(held.verified).toBe(p._ === 'proxy.signedPayment' ? p.data : null);
    });

    it('keeps only the highest amount; a lower one still counts as the last verified', () => {
        const held = empty();
        acceptSignedPayment(held, payment(70n), expect_);
        const first = held.message;
        const lower = payment(50n);
        acceptSignedPayment(held, lower, expect_);
        expect(held.signed).toBe(70n);
        expect(held.message).toBe(first);
        expect(held.verified).toEqual(lower._ === 'proxy.signedPayment' ? lower.data : null);
        acceptSignedPayment(held, payment(90n), expect_);
        expect(held.signed).toBe(90n);
    });

    it('an empty payment changes nothing', () => {
        const held = empty();
        acceptSignedPayment(held, { _: 'proxy.signedPaymentEmpty' }, expect_);
        expect(held).toEqual(empty());
    });

    it('the BOC verified last is not opened again (the proxy resends it with every message until its next commit)', () => {
        const held = empty();
        const p = payment(70n);
        acceptSignedPayment(held, p, expect_);
        held.signed = 0n; // were it opened again, the amount would come back
        acceptSignedPayment(held, p, expect_);
        expect(held.signed).toBe(0n);
    });

    it.each([
        ['signed with another key', payment(70n, { key: forger.secretKey }), 'signed message signature does not verify with the proxy key'],
        ['for another contract', payment(70n, { target: other }), `signed message is for ${other.toString()}, not ${mine.toString()}`],
        [
            'with another op (a client charge)',
            payment(70n, { op: SIGNED_OP.clientCharge }),
            `signed message has op 0x${SIGNED_OP.clientCharge.toString(16)}, expected 0x${SIGNED_OP.workerPayout.toString(16)}`,
        ],
    ])('a payment %s throws and is not kept', (_what, p, message) => {
        const held = empty();
        expect(() => acceptSignedPayment(held, p, expect_)).toThrow(message);
        expect(held).toEqual(empty());
    });

    it('bytes that are no BOC throw', () => {
        const held = empty();
        expect(() => acceptSignedPayment(held, { _: 'proxy.signedPayment', data: Buffer.from('not a boc') }, expect_)).toThrow();
        expect(held).toEqual(empty());
    });
});
