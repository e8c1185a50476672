/**
 * Key agreement of upstream's end-to-end encrypted requests ("v1", upstream 0831e3f/a647ff3): both
 * parties hold Ed25519 keys (the ones TON and the root contract's key registry use), so the shared
 * secret is X25519 over the birationally equivalent Montgomery curve, exactly as TON's
 * td::Ed25519::compute_shared_secret does it:
 *   - their public key y (little-endian, sign bit cleared) becomes u = (1 + y) / (1 - y) mod p;
 *   - our 32-byte seed becomes the scalar SHA-512(seed)[0..32], clamped (the Ed25519 signing scalar);
 *   - X25519(scalar, u) is the 32-byte raw secret.
 * Each message then uses its own key, SHA-256(raw secret ‖ nonce text ‖ "c" | "w"): the nonce is the
 * base64 *text* of `encryption_nonce`, and the last byte separates the two directions so a request and
 * its answer never share a key.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman } from 'crypto';
import { E2eError } from './errors';
import { bufferToBigInt, uint256Bytes } from '../../../wrappers/uint256';

const P = 2n ** 255n - 19n;
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export type E2eDirection = 'client-to-worker' | 'worker-to-client';

function modPow(base: bigint, exp: bigint): bigint {
    let result = 1n;
    let b = base % P;
    let e = exp;
    while (e > 0n) {
        if (e & 1n) result = (result * b) % P;
        b = (b * b) % P;
        e >>= 1n;
    }
    return result;
}

const leToBigInt = (b: Buffer) => bufferToBigInt(Buffer.from(b).reverse());
const bigIntToLe32 = (n: bigint) => uint256Bytes(n).reverse();

/** The Montgomery u-coordinate of an Ed25519 public key (TON's conversion, sign bit ignored). */
export function ed25519PublicToX25519(publicKey: Buffer): Buffer {
    if (publicKey.length !== 32) throw new E2eError('E2E_BAD_KEY', `an Ed25519 public key is 32 bytes, got ${publicKey.length}`);
    const yBytes = Buffer.from(publicKey);
    yBytes[31] &= 0x7f;
    const y = leToBigInt(yBytes);
    const denominator = (((1n - y) % P) + P) % P;
    // y = 1 is the neutral point: no shared secret with it (OpenSSL's mod_inverse fails the same way).
    if (denominator === 0n) throw new E2eError('E2E_BAD_KEY', 'the public key is the neutral point');
    return bigIntToLe32(((y + 1n) * modPow(denominator, P - 2n)) % P);
}

/** 32-byte seed, or @ton/crypto's 64-byte secret key (seed ‖ public key). */
export function seedOf(privateKey: Buffer): Buffer {
    if (privateKey.length !== 32 && privateKey.length !== 64) {
        throw new E2eError('E2E_BAD_KEY', `a private key is a 32-byte seed or a 64-byte secret key, got ${privateKey.length} bytes`);
    }
    return privateKey.subarray(0, 32);
}

/** The Ed25519 public key of a private key (seed or 64-byte secret key). */
export function ed25519PublicOf(privateKey: Buffer): Buffer {
    const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seedOf(privateKey)]), format: 'der', type: 'pkcs8' });
    return createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length);
}

/** The X25519 scalar of an Ed25519 seed: SHA-512(seed)[0..32], clamped. */
export function ed25519SeedToX25519(privateKey: Buffer): Buffer {
    const h = createHash('sha512').update(seedOf(privateKey)).digest().subarray(0, 32);
    h[0] &= 248;
    h[31] &= 127;
    h[31] |= 64;
    return h;
}

/** The raw 32-byte X25519 secret between our Ed25519 private key and their Ed25519 public key. */
export function rawSharedSecret(ourPrivateKey: Buffer, theirPublicKey: Buffer): Buffer {
    const privateKey = createPrivateKey({
        key: Buffer.concat([X25519_PKCS8_PREFIX, ed25519SeedToX25519(ourPrivateKey)]),
        format: 'der',
        type: 'pkcs8',
    });
    const publicKey = createPublicKey({
        key: Buffer.concat([X25519_SPKI_PREFIX, ed25519PublicToX25519(theirPublicKey)]),
        format: 'der',
        type: 'spki',
    });
    let secret: Buffer;
    try {
        secret = diffieHellman({ privateKey, publicKey });
    } catch {
        // OpenSSL refuses the all-zero result of a low-order public key (anyone could compute it).
        secret = Buffer.alloc(32);
    }
    if (secret.every((b) => b === 0)) throw new E2eError('E2E_BAD_KEY', 'the public key is of low order: no secret can be agreed with it');
    return secret;
}

/** The per-message key: SHA-256(raw secret ‖ nonce text ‖ "c" for requests, "w" for answers). */
export function messageSecret(rawSecret: Buffer, nonceText: string, direction: E2eDirection): Buffer {
    return createHash('sha256')
        .update(rawSecret)
        .update(Buffer.from(nonceText, 'utf8'))
        .update(direction === 'client-to-worker' ? 'c' : 'w')
        .digest();
}
