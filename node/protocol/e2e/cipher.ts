/**
 * The string cipher of upstream's encrypted requests: Telegram's tde2e MessageEncryption
 * (encrypt_data / decrypt_data, no additional data), which COCOON 9060ce5 calls for every field.
 *
 *   prefix  = 16..31 random bytes, first byte = prefix length, so that prefix ‖ data is a multiple of 16
 *   K       = HMAC-SHA512(key = secret, "tde2e_encrypt_data"); encKey = K[0..32], macKey = K[32..64]
 *   msgId   = HMAC-SHA256(macKey, prefix ‖ data ‖ int32le(0))[0..16]
 *   H       = HMAC-SHA512(encKey, msgId); AES-256-CBC with key H[0..32], IV H[32..48], no padding
 *   output  = msgId ‖ ciphertext
 *
 * msgId is a MAC of the padded plaintext and also seeds the AES key and IV (MAC-then-encrypt, as in
 * MTProto 2.0); decryption checks it in constant time before anything uses the plaintext.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'crypto';
import { E2eError } from './errors';

const MIN_PADDING = 16;
const EXTRA_LENGTH_LE = Buffer.alloc(4); // int32le(extra.length) with no additional data

function keys(secret: Buffer): { encKey: Buffer; macKey: Buffer } {
    const k = createHmac('sha512', secret).update('tde2e_encrypt_data').digest();
    return { encKey: k.subarray(0, 32), macKey: k.subarray(32, 64) };
}

function aes(encKey: Buffer, msgId: Buffer): { key: Buffer; iv: Buffer } {
    const h = createHmac('sha512', encKey).update(msgId).digest();
    return { key: h.subarray(0, 32), iv: h.subarray(32, 48) };
}

const macOf = (macKey: Buffer, padded: Buffer) =>
    createHmac('sha256', macKey).update(padded).update(EXTRA_LENGTH_LE).digest().subarray(0, 16);

/** Prefix length for `size` bytes of data: at least 16, total a multiple of 16. */
export function prefixLength(size: number): number {
    return ((MIN_PADDING + 15 + size) & ~15) - size;
}

/** Encrypts `data`; `random` supplies the prefix bytes (tests pass a fixed source). */
export function encryptData(data: Buffer, secret: Buffer, random: (n: number) => Buffer = randomBytes): Buffer {
    const prefix = Buffer.from(random(prefixLength(data.length)));
    prefix[0] = prefix.length;
    const padded = Buffer.concat([prefix, data]);
    const { encKey, macKey } = keys(secret);
    const msgId = macOf(macKey, padded);
    const { key, iv } = aes(encKey, msgId);
    const c = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
    return Buffer.concat([msgId, c.update(padded), c.final()]);
}

export function decryptData(encrypted: Buffer, secret: Buffer): Buffer {
    if (encrypted.length < 16) throw new E2eError('E2E_TAMPERED', `ciphertext is ${encrypted.length} bytes, shorter than its 16-byte MAC`);
    if (encrypted.length % 16 !== 0) throw new E2eError('E2E_TAMPERED', `ciphertext length ${encrypted.length} is not a multiple of 16`);
    const msgId = encrypted.subarray(0, 16);
    const { encKey, macKey } = keys(secret);
    const { key, iv } = aes(encKey, msgId);
    const d = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
    const padded = Buffer.concat([d.update(encrypted.subarray(16)), d.final()]);
    if (!timingSafeEqual(macOf(macKey, padded), msgId)) {
        throw new E2eError('E2E_TAMPERED', 'ciphertext does not match its MAC: altered in transit, or encrypted for another key');
    }
    const prefix = padded.length > 0 ? padded[0] : 0;
    if (prefix < MIN_PADDING || prefix > padded.length) throw new E2eError('E2E_BAD_PLAINTEXT', `invalid prefix length ${prefix}`);
    return padded.subarray(prefix);
}
