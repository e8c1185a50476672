/**
 * A node's signing key as the RA-TLS certificate's key. A worker signs receipts with its configured
 * Ed25519 key; for a verifier to tie a receipt to the worker's quote, the RA-TLS certificate must carry
 * that same key (pass it as RaTlsContext's `privateKey`), or every receipt fails KEY_NOT_ATTESTED.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'crypto';
import { AttestationError } from './errors';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX_LENGTH = 12;

/** The KeyObject of a 64-byte Ed25519 secret key (seed ‖ public, as @ton/crypto keeps it). */
export function ed25519KeyObject(secretKey: Buffer): KeyObject {
    if (secretKey.length !== 64)
        throw new AttestationError('KEY_NOT_ED25519', `an Ed25519 secret key is 64 bytes (seed ‖ public key), got ${secretKey.length}`);
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, secretKey.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
    const pub = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX_LENGTH);
    if (!pub.equals(secretKey.subarray(32)))
        throw new AttestationError('KEY_NOT_ED25519', "the secret key's public half is not the key of its seed");
    return key;
}
