/** @jest-environment node */
import { randomBytes } from 'crypto';
import { keyPairFromSeed, sign, signVerify } from '@ton/crypto';
import { ed25519Sign, ed25519SignAsync, ed25519Verify, ed25519VerifyAsync } from '../../../wrappers/ed25519';

describe('native Ed25519 (same results as @ton/crypto)', () => {
    it('signs byte-identically and verifies the same', () => {
        for (let i = 0; i < 20; i++) {
            const kp = keyPairFromSeed(randomBytes(32));
            const data = randomBytes(i * 7);
            const sig = ed25519Sign(data, kp.secretKey);
            expect(sig.equals(sign(data, kp.secretKey))).toBe(true);
            expect(ed25519Verify(data, sig, kp.publicKey)).toBe(true);
            const bad = Buffer.from(sig);
            bad[i % 64] ^= 1;
            expect(ed25519Verify(data, bad, kp.publicKey)).toBe(signVerify(data, bad, kp.publicKey));
            expect(ed25519Verify(Buffer.concat([data, Buffer.from([1])]), sig, kp.publicKey)).toBe(false);
        }
    });

    it('falls back to tweetnacl for keys the native path cannot take as is', () => {
        const kp = keyPairFromSeed(Buffer.alloc(32, 3));
        const other = keyPairFromSeed(Buffer.alloc(32, 4));
        const mixed = Buffer.concat([kp.secretKey.subarray(0, 32), other.publicKey]);
        const data = Buffer.from('cocoon');
        expect(ed25519Sign(data, mixed).equals(sign(data, mixed))).toBe(true);
        expect(() => ed25519Verify(data, Buffer.alloc(64), Buffer.alloc(31))).toThrow();
        expect(() => signVerify(data, Buffer.alloc(64), Buffer.alloc(31))).toThrow();
    });
});

describe('Ed25519 on the threadpool (same results as inline)', () => {
    it('signs and verifies like the synchronous calls', async () => {
        for (let i = 0; i < 10; i++) {
            const kp = keyPairFromSeed(randomBytes(32));
            const data = randomBytes(i * 11);
            const sig = await ed25519SignAsync(data, kp.secretKey);
            expect(sig.equals(ed25519Sign(data, kp.secretKey))).toBe(true);
            expect(await ed25519VerifyAsync(data, sig, kp.publicKey)).toBe(true);
            const bad = Buffer.from(sig);
            bad[i] ^= 1;
            expect(await ed25519VerifyAsync(data, bad, kp.publicKey)).toBe(ed25519Verify(data, bad, kp.publicKey));
        }
    });

    it('falls back to tweetnacl the same way', async () => {
        const kp = keyPairFromSeed(Buffer.alloc(32, 3));
        const other = keyPairFromSeed(Buffer.alloc(32, 4));
        const mixed = Buffer.concat([kp.secretKey.subarray(0, 32), other.publicKey]);
        const data = Buffer.from('cocoon');
        expect((await ed25519SignAsync(data, mixed)).equals(sign(data, mixed))).toBe(true);
        // A non-canonical signature (S >= L) that OpenSSL refuses to parse: answered like tweetnacl.
        const sig = ed25519Sign(data, kp.secretKey);
        const high = Buffer.concat([sig.subarray(0, 32), Buffer.alloc(32, 0xff)]);
        expect(await ed25519VerifyAsync(data, high, kp.publicKey)).toBe(signVerify(data, high, kp.publicKey));
    });
});
