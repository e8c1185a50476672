/**
 * Encrypted request and answer bodies, upstream's "v1" (COCOON 9060ce5, runners/helpers/ValidateRequest):
 *
 * - Four fields travel in the clear and carry the scheme: `is_encrypted` ("v1"), `sender_public_key` and
 *   `receiver_public_key` (hex Ed25519), `encryption_nonce` (base64 of 32 random bytes).
 * - Every string value is replaced by `ENC_<hex of the cipher output>` (cipher.ts), at any depth, except
 *   under the keys routing and billing need: model, max_completion_tokens, max_tokens, max_coefficient,
 *   timeout, debug, enable_debug, request_guid (skipped at every depth, with everything below them).
 *   Numbers, booleans and null stay as they are; array elements are protected like any other value.
 * - On decryption a protected string may also be `DEC_<plain>` (the sender chose to leave it readable).
 * - Requests are encrypted by the client app to a worker key from the root contract's key registry
 *   (direction "c"); the worker answers to the request's sender_public_key (direction "w").
 *
 * Values are parsed JSON (data from the network): keys are only ever enumerated, and new objects get
 * their keys as own properties, so `__proto__` and friends are plain data here.
 */
import { randomBytes } from 'crypto';
import { decryptData, encryptData } from './cipher';
import { E2eError } from './errors';
import { type E2eDirection, ed25519PublicOf, messageSecret, rawSharedSecret } from './shared-secret';

export const E2E_SCHEME = 'v1';
/** The fields that describe the encryption; always readable. */
export const E2E_FIELDS = ['is_encrypted', 'sender_public_key', 'receiver_public_key', 'encryption_nonce'] as const;
/** Fields left readable so a proxy can route and meter an encrypted request (upstream's list). */
export const E2E_READABLE_FIELDS = [
    'model',
    'max_completion_tokens',
    'max_tokens',
    'max_coefficient',
    'timeout',
    'debug',
    'enable_debug',
    'request_guid',
] as const;

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
    [key: string]: JsonValue;
}

const NOT_PROTECTED = new Set<string>([...E2E_FIELDS, ...E2E_READABLE_FIELDS]);
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function setOwn(o: JsonObject, key: string, value: JsonValue): void {
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

const isObject = (v: JsonValue): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Applies `onString` to every protected string below `v` (upstream's should_encrypt_field walk). */
function mapProtected(v: JsonValue, onString: (s: string) => string): JsonValue {
    if (Array.isArray(v)) return v.map((e) => (typeof e === 'string' ? onString(e) : mapProtected(e, onString)));
    if (!isObject(v)) return v;
    const out: JsonObject = {};
    for (const key of Object.keys(v)) {
        const value = v[key];
        if (NOT_PROTECTED.has(key)) setOwn(out, key, value);
        else setOwn(out, key, typeof value === 'string' ? onString(value) : mapProtected(value, onString));
    }
    return out;
}

/** A 32-byte key as upstream reads it from JSON: 32 raw bytes, 64 hex digits or 44 base64 characters. */
export function parseKey(text: string, what: string): Buffer {
    const raw = Buffer.from(text, 'utf8');
    if (raw.length === 32) return raw;
    if (raw.length === 64 && /^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
    if (raw.length === 44 && /^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, 'base64');
    throw new E2eError('E2E_BAD_KEY', `${what} must be 64 hex digits (or 44 base64 characters), got ${raw.length} characters`);
}

export interface EncryptOptions {
    /** 32 nonce bytes; random by default (tests pin it to compare with other implementations). */
    nonce?: Buffer;
    /** Source of the cipher's random prefix bytes; crypto.randomBytes by default. */
    random?: (n: number) => Buffer;
}

/**
 * Encrypts a request (client → worker) or an answer (worker → client) body. `privateKey` is the
 * sender's Ed25519 key (32-byte seed or 64-byte secret key); `receiverPublicKey` the receiver's.
 * Returns a new object; the input is not modified.
 */
export function encryptJson(
    value: JsonObject,
    privateKey: Buffer,
    receiverPublicKey: Buffer,
    direction: E2eDirection,
    opts: EncryptOptions = {},
): JsonObject {
    if (!isObject(value)) throw new E2eError('E2E_BAD_FIELD', 'only a JSON object can be encrypted');
    const nonceBytes = opts.nonce ?? randomBytes(32);
    if (nonceBytes.length !== 32) throw new E2eError('E2E_BAD_KEY', `the nonce is 32 bytes, got ${nonceBytes.length}`);
    const nonce = nonceBytes.toString('base64');
    const sender = ed25519PublicOf(privateKey);
    const secret = messageSecret(rawSharedSecret(privateKey, receiverPublicKey), nonce, direction);
    const encrypted = mapProtected(
        value,
        (s) => 'ENC_' + encryptData(Buffer.from(s, 'utf8'), secret, opts.random).toString('hex'),
    ) as JsonObject;
    setOwn(encrypted, 'is_encrypted', E2E_SCHEME);
    setOwn(encrypted, 'sender_public_key', sender.toString('hex'));
    setOwn(encrypted, 'receiver_public_key', receiverPublicKey.toString('hex'));
    setOwn(encrypted, 'encryption_nonce', nonce);
    return encrypted;
}

export interface DecryptOptions {
    /** Our private key. Without one an encrypted body is refused (E2E_NO_KEY) and a plaintext one passes. */
    privateKey?: Buffer;
    /**
     * The sender we talk to: the client passes the worker key it encrypted to, so an answer from anyone
     * else is refused. The worker leaves it out: it learns the client's key from the request.
     */
    expectedSender?: Buffer;
}

export interface Decrypted {
    /** The body with protected strings in plaintext and the four encryption fields removed. */
    value: JsonObject;
    encrypted: boolean;
    /** Who encrypted it (the key to answer to); absent for a plaintext body. */
    senderPublicKey?: Buffer;
}

export function isEncrypted(value: JsonObject): boolean {
    return Object.hasOwn(value, 'is_encrypted');
}

/**
 * Decrypts a body encrypted by encryptJson (or by upstream's C++). A plaintext body passes through
 * unless a key says it should have been encrypted: a proxy stripping the encryption must not turn an
 * encrypted conversation into a plaintext one unnoticed.
 */
export function decryptJson(value: JsonObject, direction: E2eDirection, opts: DecryptOptions = {}): Decrypted {
    if (!isObject(value)) throw new E2eError('E2E_BAD_FIELD', 'expected a JSON object');
    if (!isEncrypted(value)) {
        if (opts.privateKey) throw new E2eError('E2E_NOT_ENCRYPTED', 'encryption key is provided, but the message is unencrypted');
        if (opts.expectedSender) throw new E2eError('E2E_NOT_ENCRYPTED', 'public key is provided, but the message is unencrypted');
        return { value, encrypted: false };
    }
    const fields = new Map<string, string>();
    for (const name of E2E_FIELDS) {
        const v = Object.hasOwn(value, name) ? value[name] : undefined;
        if (typeof v !== 'string') throw new E2eError('E2E_MISSING_FIELDS', `encrypted message: field '${name}' must be a string`);
        fields.set(name, v);
    }
    if (fields.get('is_encrypted') !== E2E_SCHEME) {
        throw new E2eError('E2E_UNSUPPORTED', `encryption scheme '${fields.get('is_encrypted')}' is not supported (only '${E2E_SCHEME}')`);
    }
    const sender = parseKey(fields.get('sender_public_key')!, 'sender_public_key');
    const receiver = parseKey(fields.get('receiver_public_key')!, 'receiver_public_key');
    if (!opts.privateKey) throw new E2eError('E2E_NO_KEY', 'cannot find a private key for an encrypted message');
    if (!ed25519PublicOf(opts.privateKey).equals(receiver)) {
        throw new E2eError('E2E_WRONG_RECEIVER', `encrypted for ${receiver.toString('hex')}, which is not our key`);
    }
    if (opts.expectedSender && !opts.expectedSender.equals(sender)) {
        throw new E2eError(
            'E2E_WRONG_SENDER',
            `sender public key mismatch: expected ${opts.expectedSender.toString('hex')}, got ${sender.toString('hex')}`,
        );
    }
    const secret = messageSecret(rawSharedSecret(opts.privateKey, sender), fields.get('encryption_nonce')!, direction);
    const plain = mapProtected(value, (s) => {
        const method = s.slice(0, 4);
        if (method === 'DEC_') return s.slice(4);
        if (method !== 'ENC_')
            throw new E2eError('E2E_BAD_FIELD', `bad encryption method: a protected string starts with '${method}', not ENC_ or DEC_`);
        const hex = s.slice(4);
        if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new E2eError('E2E_BAD_FIELD', 'an ENC_ value is not hex');
        try {
            return UTF8.decode(decryptData(Buffer.from(hex, 'hex'), secret));
        } catch (err) {
            if (err instanceof E2eError) throw err;
            throw new E2eError('E2E_BAD_PLAINTEXT', 'a decrypted field is not valid UTF-8');
        }
    }) as JsonObject;
    for (const name of E2E_FIELDS) delete plain[name];
    return { value: plain, encrypted: true, senderPublicKey: sender };
}
