/**
 * Ed25519 sign/verify on Node's native crypto (OpenSSL), with the same inputs and outputs as
 * @ton/crypto's sign/signVerify (tweetnacl), about 100x faster: tweetnacl takes 10-20 ms per operation
 * on a busy 2-core machine, which dominated the per-request cost of the query path (worker receipts,
 * proxy-signed payments checked on every proxy.runQueryEx). Ed25519 is deterministic (RFC 8032), so the
 * signatures are byte-identical. Anything the native path cannot take as is (wrong key sizes, a secret
 * key whose public half does not match its seed) goes to tweetnacl, so behaviour stays the same. The one
 * difference: OpenSSL refuses non-canonical signatures (S >= L) that tweetnacl accepts; honest signers
 * (tweetnacl, OpenSSL, TON) never produce them.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'crypto';
import { sign as naclSign, signVerify as naclVerify } from '@ton/crypto';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const CACHE_LIMIT = 256;

const privateKeys = new Map<string, KeyObject | null>();
const publicKeys = new Map<string, KeyObject | null>();

function remember<T>(m: Map<string, T>, k: string, v: T): T {
    if (m.size >= CACHE_LIMIT) m.delete(m.keys().next().value as string);
    m.set(k, v);
    return v;
}

/** The native key for a 64-byte seed‖public secret key, or null when tweetnacl must handle it. */
function privateKey(secretKey: Buffer): KeyObject | null {
    const k = secretKey.toString('hex');
    const hit = privateKeys.get(k);
    if (hit !== undefined) return hit;
    let key: KeyObject | null = null;
    try {
        const candidate = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
        const pub = createPublicKey(candidate).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
        // tweetnacl signs with the stored public half; only when it is the seed's own key are the results equal.
        if (pub.equals(secretKey.subarray(32, 64))) key = candidate;
    } catch {
        key = null;
    }
    return remember(privateKeys, k, key);
}

function publicKey(pub: Buffer): KeyObject | null {
    const k = pub.toString('hex');
    const hit = publicKeys.get(k);
    if (hit !== undefined) return hit;
    let key: KeyObject | null = null;
    try {
        key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
    } catch {
        key = null;
    }
    return remember(publicKeys, k, key);
}

/** Same as @ton/crypto `sign(data, secretKey)` (64-byte secret key). */
export function ed25519Sign(data: Buffer, secretKey: Buffer): Buffer {
    const key = secretKey.length === 64 ? privateKey(secretKey) : null;
    return key ? nodeSign(null, data, key) : naclSign(data, secretKey);
}

/**
 * ed25519Sign on libuv's threadpool, off the event loop (same signature). For a busy server: the
 * signature costs ~60 µs of CPU that the event loop spends on other requests meanwhile; when it has
 * nothing else to do, the synchronous call is faster (no thread hand-off).
 */
export function ed25519SignAsync(data: Buffer, secretKey: Buffer): Promise<Buffer> {
    const key = secretKey.length === 64 ? privateKey(secretKey) : null;
    if (!key) return Promise.resolve(naclSign(data, secretKey));
    return new Promise((resolve, reject) => nodeSign(null, data, key, (err, sig) => (err ? reject(err) : resolve(sig))));
}

/** ed25519Verify on libuv's threadpool (see ed25519SignAsync). */
export function ed25519VerifyAsync(data: Buffer, signature: Buffer, pub: Buffer): Promise<boolean> {
    const key = pub.length === 32 && signature.length === 64 ? publicKey(pub) : null;
    if (!key) return Promise.resolve(naclVerify(data, signature, pub));
    return new Promise((resolve) => {
        try {
            nodeVerify(null, data, key, signature, (err, ok) => resolve(err ? naclVerify(data, signature, pub) : ok));
        } catch {
            resolve(naclVerify(data, signature, pub));
        }
    });
}

/** Same as @ton/crypto `signVerify(data, signature, publicKey)`. */
export function ed25519Verify(data: Buffer, signature: Buffer, pub: Buffer): boolean {
    const key = pub.length === 32 && signature.length === 64 ? publicKey(pub) : null;
    if (!key) return naclVerify(data, signature, pub);
    try {
        return nodeVerify(null, data, key, signature);
    } catch {
        return naclVerify(data, signature, pub);
    }
}
