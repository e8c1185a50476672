/** @jest-environment node */
// Upstream's "v1" end-to-end encryption. Upstream has no test vectors for it (tdport/td/e2e has no
// tests, runners none), so every primitive is checked against an independent implementation here:
// X25519 from tweetnacl, the Edwards->Montgomery map from @noble/ed25519, HMAC/SHA from @noble/hashes,
// AES-CBC from WebCrypto.
import { webcrypto } from 'crypto';
import { keyPairFromSeed } from '@ton/crypto';
import * as nacl from 'tweetnacl';
import * as noble from '@noble/ed25519';
import { hmac } from '@noble/hashes/hmac';
import { sha256, sha512 } from '@noble/hashes/sha2';
import { e2e } from '../../../../node/protocol';

const {
    E2eError,
    decryptData,
    decryptJson,
    ed25519PublicToX25519,
    ed25519SeedToX25519,
    encryptData,
    encryptJson,
    messageSecret,
    parseKey,
    prefixLength,
    rawSharedSecret,
    receiverKeyOf,
    isZeroKey,
    E2E_READABLE_FIELDS,
} = e2e;

const keys = (n: number) => keyPairFromSeed(Buffer.alloc(32, n));
const client = keys(1);
const worker = keys(2);
const proxy = keys(3);
const fixedRandom = (n: number) => Buffer.alloc(n, 0xa5);

/** The error code a call fails with. */
function codeOf(f: () => unknown): string {
    try {
        f();
    } catch (err) {
        expect(err).toBeInstanceOf(E2eError);
        return (err as InstanceType<typeof E2eError>).code;
    }
    return 'no error';
}

/** tde2e encrypt_data rebuilt from the description with other libraries: HMACs from @noble, AES-CBC from WebCrypto. */
async function referenceEncrypt(data: Buffer, secret: Buffer, prefixByte: number): Promise<Buffer> {
    const size = ((16 + 15 + data.length) & ~15) - data.length;
    const prefix = Buffer.alloc(size, prefixByte);
    prefix[0] = size;
    const padded = Buffer.concat([prefix, data]);
    const large = hmac(sha512, secret, Buffer.from('tde2e_encrypt_data'));
    const msgId = hmac(sha256, large.subarray(32, 64), Buffer.concat([padded, Buffer.alloc(4)])).subarray(0, 16);
    const h = hmac(sha512, large.subarray(0, 32), msgId);
    const key = await webcrypto.subtle.importKey('raw', h.subarray(0, 32), 'AES-CBC', false, ['encrypt']);
    // WebCrypto always adds a PKCS#7 block; on block-aligned input the blocks before it are plain CBC.
    const withPad = Buffer.from(await webcrypto.subtle.encrypt({ name: 'AES-CBC', iv: h.subarray(32, 48) }, key, padded));
    return Buffer.concat([Buffer.from(msgId), withPad.subarray(0, padded.length)]);
}

describe('e2e key agreement (TON Ed25519::compute_shared_secret)', () => {
    it('maps Ed25519 keys to X25519 as @noble/ed25519 does, and the scalar matches the mapped public key', () => {
        for (const k of [client, worker, proxy]) {
            const u = ed25519PublicToX25519(k.publicKey);
            expect(u.toString('hex')).toBe(Buffer.from(noble.Point.fromHex(k.publicKey).toX25519()).toString('hex'));
            // the clamped SHA-512 scalar of the seed times the base point is the mapped public key
            expect(Buffer.from(nacl.scalarMult.base(ed25519SeedToX25519(k.secretKey))).equals(u)).toBe(true);
        }
    });

    it('computes the secret tweetnacl computes, the same from both ends, from a seed or a 64-byte key', () => {
        const ours = rawSharedSecret(client.secretKey, worker.publicKey);
        const scalar = Buffer.from(sha512(client.secretKey.subarray(0, 32)).subarray(0, 32));
        scalar[0] &= 248;
        scalar[31] &= 127;
        scalar[31] |= 64;
        const reference = Buffer.from(nacl.scalarMult(scalar, noble.Point.fromHex(worker.publicKey).toX25519()));
        expect(ours.toString('hex')).toBe(reference.toString('hex'));
        expect(rawSharedSecret(worker.secretKey.subarray(0, 32), client.publicKey).equals(ours)).toBe(true);
        expect(rawSharedSecret(proxy.secretKey, worker.publicKey).equals(ours)).toBe(false);
    });

    it('derives one key per message and direction: SHA-256(secret ‖ nonce text ‖ c|w)', () => {
        const raw = rawSharedSecret(client.secretKey, worker.publicKey);
        const nonce = Buffer.alloc(32, 7).toString('base64');
        const c = messageSecret(raw, nonce, 'client-to-worker');
        expect(c.toString('hex')).toBe(Buffer.from(sha256(Buffer.concat([raw, Buffer.from(nonce), Buffer.from('c')]))).toString('hex'));
        expect(messageSecret(raw, nonce, 'worker-to-client').toString('hex')).toBe(
            Buffer.from(sha256(Buffer.concat([raw, Buffer.from(nonce), Buffer.from('w')]))).toString('hex'),
        );
    });

    it('refuses unusable keys', () => {
        expect(codeOf(() => rawSharedSecret(client.secretKey, Buffer.alloc(31)))).toBe('E2E_BAD_KEY');
        expect(codeOf(() => rawSharedSecret(Buffer.alloc(16), worker.publicKey))).toBe('E2E_BAD_KEY');
        const neutral = Buffer.alloc(32);
        neutral[0] = 1; // y = 1
        expect(codeOf(() => rawSharedSecret(client.secretKey, neutral))).toBe('E2E_BAD_KEY');
        const zeroU = Buffer.alloc(32);
        zeroU[0] = 0xec; // y = p - 1 maps to u = 0, a low-order point: all-zero secret
        zeroU.fill(0xff, 1, 31);
        zeroU[31] = 0x7f;
        expect(codeOf(() => rawSharedSecret(client.secretKey, zeroU))).toBe('E2E_BAD_KEY');
    });
});

describe('e2e cipher (tde2e MessageEncryption)', () => {
    const secret = Buffer.alloc(32, 0x42);

    it.each([0, 1, 15, 16, 17, 100, 1000])('matches an independent implementation for %i bytes', async (n) => {
        const data = Buffer.alloc(n, 0x61);
        const ours = encryptData(data, secret, fixedRandom);
        expect(ours.toString('hex')).toBe((await referenceEncrypt(data, secret, 0xa5)).toString('hex'));
        expect(ours.length).toBe(16 + n + prefixLength(n));
        expect(prefixLength(n)).toBeGreaterThanOrEqual(16);
        expect(prefixLength(n)).toBeLessThan(32);
        expect(decryptData(ours, secret).equals(data)).toBe(true);
    });

    it('random prefixes make equal plaintexts encrypt differently', () => {
        const a = encryptData(Buffer.from('same'), secret);
        const b = encryptData(Buffer.from('same'), secret);
        expect(a.equals(b)).toBe(false);
        expect(decryptData(a, secret).toString()).toBe('same');
    });

    it('refuses tampering, truncation and a wrong key', () => {
        const c = encryptData(Buffer.from('hello'), secret);
        for (const i of [0, 15, 16, c.length - 1]) {
            const t = Buffer.from(c);
            t[i] ^= 1;
            expect(codeOf(() => decryptData(t, secret))).toBe('E2E_TAMPERED');
        }
        expect(codeOf(() => decryptData(c.subarray(0, 16), secret))).toBe('E2E_TAMPERED');
        expect(codeOf(() => decryptData(c.subarray(0, 20), secret))).toBe('E2E_TAMPERED');
        expect(codeOf(() => decryptData(c.subarray(0, 8), secret))).toBe('E2E_TAMPERED');
        expect(codeOf(() => decryptData(c, Buffer.alloc(32, 0x43)))).toBe('E2E_TAMPERED');
    });
});

describe('e2e JSON bodies (upstream encrypt_json / decrypt_json)', () => {
    const SECRET = 'the launch code is 0000 ✓';
    const request = () =>
        JSON.parse(
            JSON.stringify({
                model: 'qwen',
                max_tokens: 64,
                max_completion_tokens: 64,
                timeout: 30,
                request_guid: 'guid-1',
                temperature: 0.5,
                stream: true,
                messages: [
                    { role: 'system', content: 'be brief' },
                    { role: 'user', content: [{ type: 'text', text: SECRET }] },
                ],
                tools: [
                    {
                        type: 'function',
                        function: { name: 'lookup', parameters: { type: 'object', properties: { timeout: { type: 'number' } } } },
                    },
                ],
                stop: ['\n\n'],
            }),
        );

    it('encrypts every string but the routing fields, and the worker decrypts it back', () => {
        const body = request();
        const enc = encryptJson(body, client.secretKey, worker.publicKey, 'client-to-worker');
        expect(body).toEqual(request()); // input untouched
        const text = JSON.stringify(enc);
        expect(text).not.toContain('launch code');
        expect(text).not.toContain('be brief');
        expect(text).not.toContain('lookup');
        expect(enc).toMatchObject({
            model: 'qwen',
            max_tokens: 64,
            max_completion_tokens: 64,
            timeout: 30,
            request_guid: 'guid-1',
            temperature: 0.5,
            stream: true,
            is_encrypted: 'v1',
            sender_public_key: client.publicKey.toString('hex'),
            receiver_public_key: worker.publicKey.toString('hex'),
        });
        expect(enc.encryption_nonce).toMatch(/^[A-Za-z0-9+/]{43}=$/);
        const messages = enc.messages as { role: string; content: unknown }[];
        expect(messages[0].role).toMatch(/^ENC_[0-9a-f]+$/);
        expect((messages[1].content as { text: string }[])[0].text).toMatch(/^ENC_[0-9a-f]+$/);
        expect((enc.stop as string[])[0]).toMatch(/^ENC_/);
        // upstream skips the readable keys at every depth, with everything below them: a tool parameter
        // named "timeout" keeps its schema readable (interop requires the same walk on both sides)
        const props = (enc.tools as { function: { parameters: { properties: Record<string, unknown> } } }[])[0].function.parameters
            .properties;
        expect(props.timeout).toEqual({ type: 'number' });

        const dec = decryptJson(enc, 'client-to-worker', { privateKey: worker.secretKey });
        expect(dec.encrypted).toBe(true);
        expect(dec.senderPublicKey?.equals(client.publicKey)).toBe(true);
        expect(dec.value).toEqual(request());
    });

    it('the worker answers to the sender key, the client checks who answered', () => {
        const answer = {
            id: 'c1',
            object: 'chat.completion',
            choices: [{ index: 0, message: { role: 'assistant', content: 'ok ' + SECRET } }],
            usage: { prompt_tokens: 5, total_cost: 100 },
        };
        const enc = encryptJson(answer, worker.secretKey, client.publicKey, 'worker-to-client');
        expect(JSON.stringify(enc)).not.toContain('launch');
        expect(enc.usage).toEqual({ prompt_tokens: 5, total_cost: 100 });
        const dec = decryptJson(enc, 'worker-to-client', { privateKey: client.secretKey, expectedSender: worker.publicKey });
        expect(dec.value).toEqual(answer);
        // an answer re-encrypted by anyone else (a proxy holding another key) is refused by the client
        const forged = encryptJson(answer, proxy.secretKey, client.publicKey, 'worker-to-client');
        expect(
            codeOf(() => decryptJson(forged, 'worker-to-client', { privateKey: client.secretKey, expectedSender: worker.publicKey })),
        ).toBe('E2E_WRONG_SENDER');
        // directions have separate keys: an answer cannot be replayed as a request
        expect(codeOf(() => decryptJson(enc, 'client-to-worker', { privateKey: client.secretKey }))).toBe('E2E_TAMPERED');
    });

    it('a party without the receiver key cannot read it; the proxy holding the relayed worker key can', () => {
        const enc = encryptJson(request(), client.secretKey, worker.publicKey, 'client-to-worker');
        expect(codeOf(() => decryptJson(enc, 'client-to-worker', { privateKey: proxy.secretKey }))).toBe('E2E_WRONG_RECEIVER');
        expect(codeOf(() => decryptJson(enc, 'client-to-worker', {}))).toBe('E2E_NO_KEY');
        // Pretending to be the receiver does not help: the secret needs the receiver's private key.
        const lying = { ...enc, receiver_public_key: proxy.publicKey.toString('hex') };
        expect(codeOf(() => decryptJson(lying, 'client-to-worker', { privateKey: proxy.secretKey }))).toBe('E2E_TAMPERED');
        // The proxy receives the worker's private key to put in proxy.runQueryEx: with it, it reads everything.
        expect(decryptJson(enc, 'client-to-worker', { privateKey: worker.secretKey }).value).toEqual(request());
    });

    it('refuses each kind of tampering with its own code', () => {
        const enc = encryptJson(request(), client.secretKey, worker.publicKey, 'client-to-worker');
        const w = { privateKey: worker.secretKey };
        const flipped = JSON.parse(JSON.stringify(enc));
        flipped.messages[1].content[0].text = flipped.messages[1].content[0].text.replace(/.$/, (c: string) => (c === '0' ? '1' : '0'));
        expect(codeOf(() => decryptJson(flipped, 'client-to-worker', w))).toBe('E2E_TAMPERED');
        expect(codeOf(() => decryptJson({ ...enc, encryption_nonce: Buffer.alloc(32, 9).toString('base64') }, 'client-to-worker', w))).toBe(
            'E2E_TAMPERED',
        );
        expect(codeOf(() => decryptJson({ ...enc, sender_public_key: proxy.publicKey.toString('hex') }, 'client-to-worker', w))).toBe(
            'E2E_TAMPERED',
        );
        expect(codeOf(() => decryptJson({ ...enc, stop: ['PLAIN'] }, 'client-to-worker', w))).toBe('E2E_BAD_FIELD');
        expect(codeOf(() => decryptJson({ ...enc, stop: ['ENC_xyz'] }, 'client-to-worker', w))).toBe('E2E_BAD_FIELD');
        expect(codeOf(() => decryptJson({ ...enc, is_encrypted: 'v2' }, 'client-to-worker', w))).toBe('E2E_UNSUPPORTED');
        const { encryption_nonce: _n, ...noNonce } = enc;
        expect(codeOf(() => decryptJson(noNonce, 'client-to-worker', w))).toBe('E2E_MISSING_FIELDS');
        expect(codeOf(() => decryptJson({ ...enc, sender_public_key: 'abcd' }, 'client-to-worker', w))).toBe('E2E_BAD_KEY');
        // stripping the encryption (a downgrade to plaintext) is refused by a party that holds a key
        expect(codeOf(() => decryptJson(request(), 'client-to-worker', w))).toBe('E2E_NOT_ENCRYPTED');
        expect(codeOf(() => decryptJson(request(), 'worker-to-client', { expectedSender: worker.publicKey }))).toBe('E2E_NOT_ENCRYPTED');
        // a plaintext body passes where nobody expects encryption
        expect(decryptJson(request(), 'client-to-worker')).toEqual({ value: request(), encrypted: false });
    });

    it('accepts DEC_ strings the sender left readable, and keys in hex, base64 or raw form', () => {
        const enc = encryptJson({ a: 'x' }, client.secretKey, worker.publicKey, 'client-to-worker', {
            nonce: Buffer.alloc(32, 1),
            random: fixedRandom,
        });
        expect(enc.encryption_nonce).toBe(Buffer.alloc(32, 1).toString('base64'));
        const withPlain = { ...enc, b: 'DEC_visible', sender_public_key: client.publicKey.toString('base64') };
        expect(decryptJson(withPlain, 'client-to-worker', { privateKey: worker.secretKey }).value).toEqual({ a: 'x', b: 'visible' });
        expect(parseKey(worker.publicKey.toString('hex').toUpperCase(), 'k').equals(worker.publicKey)).toBe(true);
        expect(parseKey('a'.repeat(32), 'k')).toEqual(Buffer.alloc(32, 0x61));
        expect(codeOf(() => parseKey('a'.repeat(63), 'k'))).toBe('E2E_BAD_KEY');
        expect(codeOf(() => parseKey('z'.repeat(64), 'k'))).toBe('E2E_BAD_KEY');
    });

    it('treats network keys as data (__proto__ stays an own field)', () => {
        const body = JSON.parse('{"model":"m","__proto__":{"polluted":"yes"},"constructor":"c"}');
        const enc = encryptJson(body, client.secretKey, worker.publicKey, 'client-to-worker');
        expect(Object.hasOwn(enc, '__proto__')).toBe(true);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        const dec = decryptJson(JSON.parse(JSON.stringify(enc)), 'client-to-worker', { privateKey: worker.secretKey }).value;
        expect(JSON.stringify(dec)).toBe(JSON.stringify(body));
    });

    it('the client daemon reads only the receiver key of an app-encrypted body', () => {
        const enc = encryptJson(request(), client.secretKey, worker.publicKey, 'client-to-worker');
        expect(receiverKeyOf(enc)?.equals(worker.publicKey)).toBe(true);
        expect(receiverKeyOf(request())).toBeUndefined();
        expect(codeOf(() => receiverKeyOf({ receiver_public_key: 5 }))).toBe('E2E_BAD_KEY');
        expect(isZeroKey(Buffer.alloc(32))).toBe(true);
        expect(isZeroKey(worker.publicKey)).toBe(false);
        expect([...E2E_READABLE_FIELDS]).toEqual([
            'model',
            'max_completion_tokens',
            'max_tokens',
            'max_coefficient',
            'timeout',
            'debug',
            'enable_debug',
            'request_guid',
        ]);
    });
});
