/** @jest-environment node */
// Receipts and attestation reports end to end with the real code paths: certificates from
// createRaTlsCertificate (fake provider, as the local network runs), receipts from the worker's
// signReceipt, the real TDX fixture quote for the DCAP path. Every kind of tampering gets its own reason.
import { createHash, createPrivateKey, type KeyObject } from 'crypto';
import { keyPairFromSeed, type KeyPair } from '@ton/crypto';
import {
    buildAttestationReport,
    buildCertificate,
    createRaTlsCertificate,
    fakeProvider,
    imageHash,
    noneProvider,
    parseQuote,
    parseReportNonce,
    reportSigningMessage,
    userClaimsHash,
    verifyAttestationReport,
    verifyReceipt,
    workerCertificateFor,
    zeroMeasurements,
    type AttestationReport,
    type RootAllowlist,
} from '../../../node/attestation';
import { decodeReceipt, encodeReceipt, signReceipt, tokensToReceipt } from '../../../node/common/receipt';
import { adjustUsage } from '../../../node/common/tokens';
import { ed25519Sign } from '../../../wrappers/ed25519';
import { attestationCode, tdxQuoteFixture } from '../helpers/attestation';

const NOW = Date.parse('2026-06-01T00:00:00Z'); // inside the TDX fixture's PCK validity
const MODEL = 'Qwen/Qwen3-0.6B';
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();
const FAKE_IMAGE = imageHash(zeroMeasurements());

function keyObject(k: KeyPair): KeyObject {
    return createPrivateKey({
        key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), k.secretKey.subarray(0, 32)]),
        format: 'der',
        type: 'pkcs8',
    });
}

const workerKey = keyPairFromSeed(Buffer.alloc(32, 0x11));
const proxyKey = keyPairFromSeed(Buffer.alloc(32, 0x22));
const attacker = keyPairFromSeed(Buffer.alloc(32, 0x33));
const root: RootAllowlist & { address: string } = {
    address: 'EQroot',
    proxyHashes: [FAKE_IMAGE],
    workerHashes: [FAKE_IMAGE],
    modelHashes: [sha256(MODEL)],
};
const body = Buffer.from(
    '{"id":"chatcmpl-1","choices":[{"message":{"role":"assistant","content":"four"}}],"usage":{"prompt_tokens":12,"completion_tokens":3}}',
);
const requestId = Buffer.alloc(32, 0x44);

let workerCert: Buffer;
let proxyCert: Buffer;

function receiptFor(key: KeyPair, answer: Buffer = body) {
    const tokens = adjustUsage({ promptTokens: 12, cachedTokens: 0, completionTokens: 3, reasoningTokens: 0 }, 1000n, {
        pricePerToken: 20n,
        promptMultiplier: 10000n,
        cachedMultiplier: 10000n,
        completionMultiplier: 10000n,
        reasoningMultiplier: 10000n,
    });
    const unsigned = {
        requestId: requestId.toString('hex'),
        model: MODEL,
        coefficient: '1000',
        tokens: tokensToReceipt(tokens),
        status: 200,
        responseSha256: sha256(answer).toString('hex'),
        responseBytes: answer.length,
        issuedAt: Math.floor(NOW / 1000) + 10,
    };
    return encodeReceipt(signReceipt(unsigned, key));
}

beforeAll(async () => {
    workerCert = (await createRaTlsCertificate(fakeProvider, { privateKey: keyObject(workerKey), nowMs: NOW })).der;
    proxyCert = (await createRaTlsCertificate(fakeProvider, { privateKey: keyObject(proxyKey), nowMs: NOW })).der;
});

describe('verifyReceipt', () => {
    const base = () => ({ receipt: receiptFor(workerKey), workerCertificate: workerCert, root, body, requestId, allowFakeQuotes: true });

    it('accepts a real receipt on a real answer, marking the fake attestation', async () => {
        const r = await verifyReceipt(base());
        expect(r).toMatchObject({
            ok: true,
            tee: 'fake',
            fake: true,
            workerKey: workerKey.publicKey.toString('hex'),
            imageHash: FAKE_IMAGE.toString('hex'),
            modelHash: sha256(MODEL).toString('hex'),
            checks: ['signature', 'answer', 'quote (fake, accepted on request)', 'attested key', 'root allows image and model'],
        });
        // the receipt object and a digest instead of the body work the same
        const digest = { sha256: sha256(body).toString('hex'), bytes: body.length };
        const again = await verifyReceipt({
            ...base(),
            receipt: decodeReceipt(receiptFor(workerKey))!,
            body: undefined,
            bodyDigest: digest,
        });
        expect(again.ok).toBe(true);
    });

    it('refuses a fake quote unless explicitly allowed', async () => {
        expect(await verifyReceipt({ ...base(), allowFakeQuotes: false })).toMatchObject({ ok: false, reason: 'FAKE_QUOTE_NOT_ALLOWED' });
    });

    it('refuses a tampered answer', async () => {
        const altered = Buffer.from(body.toString().replace('four', 'five'));
        expect(await verifyReceipt({ ...base(), body: altered })).toMatchObject({
            ok: false,
            reason: 'ANSWER_MISMATCH',
            message: 'the answer is not the one the worker signed: response bytes differ from what the worker signed',
        });
    });

    it('refuses an altered receipt', async () => {
        const r = decodeReceipt(receiptFor(workerKey))!;
        const cheaper = { ...r, tokens: { ...r.tokens, completion: '1', total: '13' } };
        expect(await verifyReceipt({ ...base(), receipt: cheaper })).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    });

    it('refuses a receipt signed by a key the certificate does not attest', async () => {
        const r = await verifyReceipt({ ...base(), receipt: receiptFor(attacker) });
        expect(r).toEqual({
            ok: false,
            reason: 'KEY_NOT_ATTESTED',
            message:
                `receipt is signed by ${attacker.publicKey.toString('hex')}, ` +
                `the attested worker key is ${workerKey.publicKey.toString('hex')}`,
        });
    });

    it('refuses a quote that does not bind the certificate key (fake and real TDX)', async () => {
        const stolenFake = buildCertificate({
            privateKey: keyObject(workerKey),
            quote: userClaimsHash(attacker.publicKey),
            notBefore: new Date(NOW - 60_000),
            notAfter: new Date(NOW + 86_400_000),
        }).der;
        expect(await verifyReceipt({ ...base(), workerCertificate: stolenFake })).toMatchObject({
            ok: false,
            reason: 'QUOTE_INVALID',
            message: expect.stringContaining('REPORTDATA_MISMATCH'),
        });
        // a genuine Intel-signed quote, made for another key: DCAP passes, the binding does not
        const realQuote = buildCertificate({
            privateKey: keyObject(workerKey),
            quote: tdxQuoteFixture(),
            notBefore: new Date(NOW - 60_000),
            notAfter: new Date(NOW + 86_400_000),
        }).der;
        expect(await verifyReceipt({ ...base(), workerCertificate: realQuote })).toMatchObject({
            ok: false,
            reason: 'QUOTE_INVALID',
            message: expect.stringContaining('REPORTDATA_MISMATCH'),
        });
        // the same quote with one signature byte flipped fails DCAP itself
        const forged = tdxQuoteFixture();
        forged[forged.length - 100] ^= 1;
        const forgedCert = buildCertificate({
            privateKey: keyObject(workerKey),
            quote: forged,
            notBefore: new Date(NOW - 60_000),
            notAfter: new Date(NOW + 86_400_000),
        }).der;
        const f = await verifyReceipt({ ...base(), workerCertificate: forgedCert });
        expect(f).toMatchObject({ ok: false, reason: 'QUOTE_INVALID' });
        expect(f.ok === false && f.message).not.toContain('REPORTDATA_MISMATCH');
    });

    it('refuses image and model hashes the root does not allow', async () => {
        const otherImage = sha256('another image');
        expect(await verifyReceipt({ ...base(), root: { ...root, workerHashes: [otherImage] } })).toEqual({
            ok: false,
            reason: 'IMAGE_HASH_NOT_ALLOWED',
            message: `worker image hash ${FAKE_IMAGE.toString('hex')} is not among the root contract's worker hashes`,
        });
        expect(await verifyReceipt({ ...base(), root: { ...root, modelHashes: [sha256('other-model')] } })).toMatchObject({
            ok: false,
            reason: 'MODEL_NOT_ALLOWED',
        });
    });

    it('refuses certificates without a quote, or not valid when the receipt was issued', async () => {
        const bare = (await createRaTlsCertificate(noneProvider, { privateKey: keyObject(workerKey), nowMs: NOW })).der;
        expect(await verifyReceipt({ ...base(), workerCertificate: bare })).toMatchObject({ ok: false, reason: 'QUOTE_MISSING' });
        const later = (await createRaTlsCertificate(fakeProvider, { privateKey: keyObject(workerKey), nowMs: NOW + 3_600_000 })).der;
        expect(await verifyReceipt({ ...base(), workerCertificate: later })).toMatchObject({ ok: false, reason: 'CERTIFICATE_INVALID' });
        expect(await verifyReceipt({ ...base(), workerCertificate: Buffer.from('not a certificate') })).toMatchObject({
            ok: false,
            reason: 'CERTIFICATE_INVALID',
        });
    });

    it('refuses malformed receipts and receipts for another request', async () => {
        expect(await verifyReceipt({ ...base(), receipt: 'cocoon-receipt/1 {nope' })).toMatchObject({ ok: false, reason: 'MALFORMED' });
        const r = decodeReceipt(receiptFor(workerKey))!;
        expect(await verifyReceipt({ ...base(), receipt: { ...r, responseBytes: -1 } })).toMatchObject({
            ok: false,
            reason: 'MALFORMED',
            message: 'receipt.responseBytes must be a non-negative integer',
        });
        expect(await verifyReceipt({ ...base(), receipt: JSON.stringify({ ...r, __proto__: { version: 1 }, version: 2 }) })).toMatchObject({
            ok: false,
            reason: 'MALFORMED',
        });
        expect(await verifyReceipt({ ...base(), requestId: Buffer.alloc(32, 0x55) })).toMatchObject({
            ok: false,
            reason: 'REQUEST_MISMATCH',
        });
    });
});

describe('attestation report', () => {
    const nonce = parseReportNonce('a1'.repeat(32));
    const build = (over: Partial<Parameters<typeof buildAttestationReport>[0]> = {}) =>
        buildAttestationReport({
            nonce,
            proxyCertificate: proxyCert,
            workers: [{ certificate: workerCert, model: MODEL }],
            root,
            signerSecretKey: proxyKey.secretKey,
            nowMs: NOW,
            ...over,
        });
    const opts = { nonce, root, allowFakeQuotes: true, nowMs: NOW + 5_000 };
    const resign = (r: AttestationReport, key: KeyPair = proxyKey): AttestationReport => {
        const body = { ...r, signing_public_key: key.publicKey.toString('hex') };
        return { ...body, signature: ed25519Sign(reportSigningMessage(body), key.secretKey).toString('hex') };
    };

    it("has the NEAR/RedPill shape with COCOON's evidence", () => {
        const r = build();
        expect(Object.keys(r).sort()).toEqual([
            'gateway_attestation',
            'model_attestations',
            'request_nonce',
            'root',
            'signature',
            'signing_algo',
            'signing_public_key',
            'timestamp',
            'version',
        ]);
        expect(r).toMatchObject({
            version: 'cocoon-attestation/1',
            request_nonce: 'a1'.repeat(32),
            timestamp: NOW / 1000,
            signing_algo: 'ed25519',
            signing_public_key: proxyKey.publicKey.toString('hex'),
            root: {
                address: 'EQroot',
                proxy_hashes: [FAKE_IMAGE.toString('hex')],
                worker_hashes: [FAKE_IMAGE.toString('hex')],
                model_hashes: [sha256(MODEL).toString('hex')],
            },
            gateway_attestation: {
                role: 'proxy',
                tee: 'fake',
                signing_algo: 'ed25519',
                signing_public_key: proxyKey.publicKey.toString('hex'),
                intel_quote: userClaimsHash(proxyKey.publicKey).toString('hex'),
                image_hash: FAKE_IMAGE.toString('hex'),
                event_log: [],
                nvidia_payload: null,
            },
        });
        expect(r.model_attestations).toHaveLength(1);
        expect(r.model_attestations[0]).toMatchObject({
            role: 'worker',
            model_name: MODEL,
            model_hash: sha256(MODEL).toString('hex'),
            certificate: workerCert.toString('base64'),
        });
        expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    });

    it('verifies, and leads to the certificate a receipt is checked against', async () => {
        const report = JSON.parse(JSON.stringify(build())) as AttestationReport;
        const v = await verifyAttestationReport(report, opts);
        expect(v).toEqual({
            ok: true,
            fake: true,
            rootTrusted: true,
            signer: 'proxy',
            proxy: {
                publicKey: proxyKey.publicKey.toString('hex'),
                imageHash: FAKE_IMAGE.toString('hex'),
                tee: 'fake',
                tcbStatus: undefined,
            },
            workers: [
                {
                    model: MODEL,
                    publicKey: workerKey.publicKey.toString('hex'),
                    imageHash: FAKE_IMAGE.toString('hex'),
                    tee: 'fake',
                    tcbStatus: undefined,
                },
            ],
            checks: ['nonce and freshness', 'signature', 'certificates and quotes', 'root allows images and models'],
        });
        const cert = workerCertificateFor(report, workerKey.publicKey.toString('hex'))!;
        expect(
            (await verifyReceipt({ receipt: receiptFor(workerKey), workerCertificate: cert, root, body, allowFakeQuotes: true })).ok,
        ).toBe(true);
        expect(workerCertificateFor(report, attacker.publicKey.toString('hex'))).toBeUndefined();
        // the proxy's RaTlsContext key (a KeyObject) signs the same bytes (Ed25519 is deterministic)
        expect(build({ signerSecretKey: keyObject(proxyKey) }).signature).toBe(report.signature);
        // signed by the worker's attested key instead of the proxy's
        expect(await verifyAttestationReport(build({ signerSecretKey: workerKey.secretKey }), opts)).toMatchObject({
            ok: true,
            signer: 'worker',
        });
        // without the caller's on-chain lists the report's own are used, and the result says so
        expect(await verifyAttestationReport(build(), { ...opts, root: undefined })).toMatchObject({ ok: true, rootTrusted: false });
    });

    it('refuses a replayed, stale, altered or unattested report, each with its reason', async () => {
        const r = build();
        expect(await verifyAttestationReport(r, { ...opts, nonce: Buffer.alloc(32, 0xb2) })).toMatchObject({
            ok: false,
            reason: 'NONCE_MISMATCH',
        });
        expect(await verifyAttestationReport(r, { ...opts, nowMs: NOW + 301_000 })).toMatchObject({ ok: false, reason: 'STALE' });
        expect(await verifyAttestationReport(r, { ...opts, nowMs: NOW - 61_000 })).toMatchObject({ ok: false, reason: 'STALE' });
        const widened = { ...r, root: { ...r.root, worker_hashes: [...r.root.worker_hashes, sha256('rogue').toString('hex')] } };
        expect(await verifyAttestationReport(widened, opts)).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
        expect(await verifyAttestationReport(resign(r, attacker), opts)).toMatchObject({ ok: false, reason: 'KEY_NOT_ATTESTED' });
        expect(await verifyAttestationReport({ ...r, model_attestations: 'x' }, opts)).toMatchObject({ ok: false, reason: 'MALFORMED' });
        expect(await verifyAttestationReport(null, opts)).toMatchObject({ ok: false, reason: 'MALFORMED' });
    });

    it('refuses evidence that does not match its certificate or quote, or that the root does not allow', async () => {
        const r = build();
        const wrongQuote = resign({
            ...r,
            model_attestations: [{ ...r.model_attestations[0], intel_quote: userClaimsHash(attacker.publicKey).toString('hex') }],
        });
        expect(await verifyAttestationReport(wrongQuote, opts)).toMatchObject({
            ok: false,
            reason: 'EVIDENCE_MISMATCH',
            message: `worker ${MODEL}: intel_quote is not the quote in the certificate`,
        });
        const wrongImage = resign({ ...r, gateway_attestation: { ...r.gateway_attestation, image_hash: sha256('x').toString('hex') } });
        expect(await verifyAttestationReport(wrongImage, opts)).toMatchObject({ ok: false, reason: 'EVIDENCE_MISMATCH' });
        const stolenFake = buildCertificate({
            privateKey: keyObject(workerKey),
            quote: userClaimsHash(attacker.publicKey),
            notBefore: new Date(NOW - 60_000),
            notAfter: new Date(NOW + 86_400_000),
        }).der;
        expect(await verifyAttestationReport(build({ workers: [{ certificate: stolenFake, model: MODEL }] }), opts)).toMatchObject({
            ok: false,
            reason: 'QUOTE_INVALID',
        });
        expect(await verifyAttestationReport(r, { ...opts, allowFakeQuotes: false })).toMatchObject({
            ok: false,
            reason: 'FAKE_QUOTE_NOT_ALLOWED',
        });
        expect(await verifyAttestationReport(r, { ...opts, root: { ...root, address: 'EQother' } })).toMatchObject({
            ok: false,
            reason: 'ROOT_MISMATCH',
        });
        expect(await verifyAttestationReport(r, { ...opts, root: { ...root, proxyHashes: [] } })).toMatchObject({
            ok: false,
            reason: 'IMAGE_HASH_NOT_ALLOWED',
        });
        expect(await verifyAttestationReport(r, { ...opts, root: { ...root, workerHashes: [sha256('other')] } })).toMatchObject({
            ok: false,
            reason: 'IMAGE_HASH_NOT_ALLOWED',
        });
        expect(await verifyAttestationReport(r, { ...opts, root: { ...root, modelHashes: [] } })).toMatchObject({
            ok: false,
            reason: 'MODEL_NOT_ALLOWED',
        });
        const wrongModel = resign({ ...r, model_attestations: [{ ...r.model_attestations[0], model_name: 'other' }] });
        expect(await verifyAttestationReport(wrongModel, opts)).toMatchObject({ ok: false, reason: 'EVIDENCE_MISMATCH' });
    });

    it('reports a real TDX quote as tdx with its measured image hash', () => {
        const quote = tdxQuoteFixture();
        const cert = buildCertificate({
            privateKey: keyObject(workerKey),
            quote,
            notBefore: new Date(NOW - 60_000),
            notAfter: new Date(NOW + 86_400_000),
        }).der;
        const r = build({ workers: [{ certificate: cert, model: MODEL }] });
        expect(r.model_attestations[0]).toMatchObject({
            tee: 'tdx',
            intel_quote: quote.toString('hex'),
            image_hash: imageHash(parseQuote(quote).measurements).toString('hex'),
        });
        expect(r.model_attestations[0].image_hash).toBe('04b3afd931d28680af91a15b09d672c40ad6b141f7f9089a8d67d595220f7436');
    });

    it('builder and nonce parser refuse bad input with clear errors', () => {
        const code = attestationCode;
        expect(code(() => parseReportNonce('zz'))).toBe('REPORT_NONCE');
        expect(code(() => parseReportNonce(''))).toBe('REPORT_NONCE');
        expect(code(() => parseReportNonce('ab'.repeat(65)))).toBe('REPORT_NONCE');
        expect(parseReportNonce('AB01')).toEqual(Buffer.from([0xab, 0x01]));
        expect(code(() => build({ signerSecretKey: attacker.secretKey }))).toBe('REPORT_SIGNER');
        expect(code(() => build({ nonce: Buffer.alloc(0) }))).toBe('REPORT_NONCE');
    });
});
