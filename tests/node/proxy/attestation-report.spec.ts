/** The proxy's answer to cocoonx.getAttestationReport, from fake-attested certificates (as the local network runs). */
import { randomBytes } from 'crypto';
import { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import {
    createRaTlsCertificate,
    ed25519KeyObject,
    fakeProvider,
    verifyAttestationReport,
    AttestationError,
    type RaTlsCertificate,
} from '../../../node/attestation';
import type { RootState } from '../../../node/chain/cocoon';
import { rootAllowlist } from '../../../node/common/root-allowlist';
import { answerAttestationReport, type AttestationSource } from '../../../node/proxy/attestation-report';
import { QueryError, type RpcConnection } from '../../../node/protocol';

const workerKey = keyPairFromSeed(Buffer.alloc(32, 9));
let proxyCert: RaTlsCertificate;
let workerCert: RaTlsCertificate;
const root = {
    address: Address.parse('0:' + '11'.repeat(32)),
    registry: { proxyHashes: [1n], workerHashes: [2n], modelHashes: [3n], registeredProxies: new Map(), lastProxySeqno: 0 },
} as unknown as RootState; // only address and registry are read (rootAllowlist)

beforeAll(async () => {
    proxyCert = await createRaTlsCertificate(fakeProvider);
    workerCert = await createRaTlsCertificate(fakeProvider, { privateKey: ed25519KeyObject(workerKey.secretKey) });
});

const source = (cert: RaTlsCertificate | null, models: string[]): AttestationSource => ({
    certificate: () => cert,
    // Only peer.certificate is read.
    workers: () => models.map((model) => ({ model, conn: { peer: { certificate: workerCert.der } } as unknown as RpcConnection })),
});

function refusal(f: () => unknown): { code: number; message: string } {
    try {
        f();
    } catch (e) {
        if (e instanceof QueryError) return { code: e.errorCode, message: e.message };
        throw e;
    }
    throw new Error('expected a QueryError');
}

describe('answerAttestationReport', () => {
    it('signs over the nonce with the client port certificate key and lists the workers of the model', async () => {
        const nonce = randomBytes(32);
        const a = answerAttestationReport(source(proxyCert, ['Org/M@c:1', 'Org/Other@c:1']), root, {
            _: 'cocoonx.getAttestationReport',
            nonce,
            model: 'Org/M',
        });
        const report = JSON.parse(a.json);
        expect(report.signing_public_key).toBe(proxyCert.publicKey.toString('hex'));
        expect(
            report.model_attestations.map((m: { model_name: string; signing_public_key: string }) => [m.model_name, m.signing_public_key]),
        ).toEqual([['Org/M@c:1', workerKey.publicKey.toString('hex')]]);
        expect(report.root).toEqual({
            address: root.address.toString(),
            proxy_hashes: ['00'.repeat(31) + '01'],
            worker_hashes: ['00'.repeat(31) + '02'],
            model_hashes: ['00'.repeat(31) + '03'],
        });
        const v = await verifyAttestationReport(report, { nonce, allowFakeQuotes: true });
        // Our own hashes are not in the made-up root lists: the signature and evidence passed, the allowlist did not.
        expect(v).toMatchObject({ ok: false, reason: 'IMAGE_HASH_NOT_ALLOWED' });
        expect(rootAllowlist(root).workerHashes[0].toString('hex')).toBe('00'.repeat(31) + '02');
    });

    it('refuses without an attested certificate, for an unserved model, and for a bad nonce', () => {
        const q = { _: 'cocoonx.getAttestationReport' as const, nonce: randomBytes(8), model: '' };
        expect(refusal(() => answerAttestationReport(undefined, root, q))).toMatchObject({ code: 503 });
        expect(refusal(() => answerAttestationReport(source(null, []), root, q)).message).toContain('no attested certificate');
        expect(refusal(() => answerAttestationReport(source(proxyCert, ['Org/M@c:1']), root, { ...q, model: 'Org/None' }))).toEqual({
            code: 404,
            message: "no attested worker serves 'Org/None' right now",
        });
        expect(refusal(() => answerAttestationReport(source(proxyCert, []), root, { ...q, nonce: Buffer.alloc(65) }))).toMatchObject({
            code: 400,
        });
    });
});

describe('ed25519KeyObject', () => {
    it('gives the certificate the receipt key, and refuses a key that is not seed ‖ its public key', async () => {
        expect(workerCert.publicKey).toEqual(workerKey.publicKey);
        expect(() => ed25519KeyObject(Buffer.alloc(32))).toThrow(AttestationError);
        const wrong = Buffer.concat([workerKey.secretKey.subarray(0, 32), Buffer.alloc(32, 1)]);
        expect(() => ed25519KeyObject(wrong)).toThrow("the secret key's public half is not the key of its seed");
    });
});
