/** @jest-environment node */
import { randomBytes } from 'crypto';
import { keyPairFromSeed, sign, signVerify } from '@ton/crypto';
import { ed25519Sign, ed25519Verify } from '../../../wrappers/ed25519';

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
