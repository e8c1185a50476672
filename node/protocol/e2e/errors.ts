import { ProtocolError } from '../errors';

/**
 * Why an end-to-end encrypted request or answer was refused. Codes:
 * - E2E_BAD_KEY: a key has the wrong size or is not usable (neutral point, low order);
 * - E2E_NOT_ENCRYPTED: a key was given for a message that came in plaintext (a downgrade);
 * - E2E_MISSING_FIELDS: `is_encrypted` is present but one of the four encryption fields is not a string;
 * - E2E_UNSUPPORTED: `is_encrypted` names a scheme other than "v1";
 * - E2E_NO_KEY: the message is encrypted and we hold no private key for it;
 * - E2E_WRONG_RECEIVER: `receiver_public_key` is not our key;
 * - E2E_WRONG_SENDER: `sender_public_key` is not the key we talk to;
 * - E2E_BAD_FIELD: a protected string is neither `ENC_<hex>` nor `DEC_<plain>`;
 * - E2E_TAMPERED: the ciphertext fails its MAC (altered, truncated, or another key);
 * - E2E_BAD_PLAINTEXT: the MAC holds but the padding or UTF-8 inside does not.
 */
export class E2eError extends ProtocolError {
    constructor(code: string, message: string) {
        super(code, message);
        this.name = 'E2eError';
    }
}
