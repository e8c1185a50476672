/** @jest-environment node */
import { spawnSync } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import {
    INTEL_SGX_ROOT_CA,
    OID_TDX_QUOTE,
    OID_TDX_USER_CLAIMS,
    anyPolicy,
    buildCertificate,
    createRaTlsCertificate,
    fakePolicy,
    fakeProvider,
    noneProvider,
    parseRaTlsCertificate,
    rawEd25519PublicKey,
    userClaimsHash,
    verifyRaTlsCertificate,
    x509FromDer,
} from '../../../node/attestation';
import { attestationCode, tdxQuoteFixture } from '../helpers/attestation';

const QUOTE = tdxQuoteFixture();

const code = attestationCode;

function build(over: Partial<Parameters<typeof buildCertificate>[0]> = {}) {
    const now = Date.now();
    return buildCertificate({
        privateKey: generateKeyPairSync('ed25519').privateKey,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 3_600_000),
        ...over,
    });
}

describe('RA-TLS certificate', () => {
    it('matches the original layout: subject, SAN, one-day validity, critical COCOON extensions', async () => {
        const now = Date.parse('2026-03-01T12:00:00Z');
        const cert = await createRaTlsCertificate(fakeProvider, { nowMs: now });
        const x = x509FromDer(cert.der);
        expect(x.subject.split('\n')).toEqual(['C=AE', 'ST=DUBAI', 'O=TDLib Development', 'OU=Security', 'CN=localhost']);
        expect(x.issuer).toBe(x.subject);
        expect(x.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
        expect(x.publicKey.asymmetricKeyType).toBe('ed25519');
        expect(x.ca).toBe(false);
        expect(x.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
        expect((Date.parse(x.validTo) - Date.parse(x.validFrom)) / 1000).toBe(86_400);
        expect(Date.parse(x.validFrom)).toBe(now - 60_000);
        const parsed = parseRaTlsCertificate(cert.der);
        expect(parsed.userClaims).toEqual(cert.publicKey);
        expect(parsed.quote).toEqual(userClaimsHash(cert.publicKey));
        expect(cert.publicKey).toEqual(rawEd25519PublicKey(x.publicKey));

        const text = spawnSync('openssl', ['x509', '-noout', '-text'], { input: cert.certPem });
        if (text.status === 0) {
            const out = text.stdout.toString();
            expect(out).toContain(`${OID_TDX_QUOTE}: critical`);
            expect(out).toContain(`${OID_TDX_USER_CLAIMS}: critical`);
            expect(out).toContain('X509v3 Basic Constraints: critical');
            expect(out).toContain('Signature Algorithm: ED25519');
        }
    });

    it('carries no COCOON extensions without a quote (provider none)', async () => {
        const parsed = parseRaTlsCertificate((await createRaTlsCertificate(noneProvider)).der);
        expect(parsed.quote).toBeUndefined();
        expect(parsed.userClaims).toBeUndefined();
    });

    it('parses the certificate itself even when its quote embeds PEM certificates', () => {
        const cert = build({ quote: QUOTE });
        const parsed = parseRaTlsCertificate(cert.der);
        expect(parsed.publicKey).toEqual(cert.publicKey);
        expect(parsed.quote).toEqual(QUOTE);
        expect(cert.certPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    });

    it('rejects malformed, foreign and tampered certificates', () => {
        expect(code(() => parseRaTlsCertificate(Buffer.from('not a certificate')))).toBe('CERT_PARSE');
        expect(code(() => parseRaTlsCertificate(INTEL_SGX_ROOT_CA.raw))).toBe('KEY_NOT_ED25519');
        const good = build();
        const broken = Buffer.from(good.der);
        broken[broken.length - 5] ^= 0xff;
        expect(code(() => parseRaTlsCertificate(broken))).toBe('CERT_NOT_SELF_SIGNED');
        expect(
            code(() => parseRaTlsCertificate(build({ extraExtensions: [{ oid: '1.2.3.4', critical: true, value: Buffer.alloc(2) }] }).der)),
        ).toBe('UNKNOWN_CRITICAL_EXTENSION');
        // Unknown extensions that are not critical are fine.
        expect(
            code(() =>
                parseRaTlsCertificate(build({ extraExtensions: [{ oid: '1.2.3.4', critical: false, value: Buffer.alloc(2) }] }).der),
            ),
        ).toBe('none');
        expect(code(() => parseRaTlsCertificate(build({ quote: Buffer.alloc(40_000) }).der))).toBe('QUOTE_TOO_LARGE');
    });

    it('verifies validity windows and the claims/key binding', async () => {
        const now = Date.now();
        const expired = build({ notBefore: new Date(now - 2 * 86_400_000), notAfter: new Date(now - 86_400_000) });
        await expect(verifyRaTlsCertificate(expired.der, anyPolicy(), now)).rejects.toMatchObject({ code: 'CERT_EXPIRED' });
        const future = build({ notBefore: new Date(now + 60_000), notAfter: new Date(now + 86_400_000) });
        await expect(verifyRaTlsCertificate(future.der, anyPolicy(), now)).rejects.toMatchObject({ code: 'CERT_NOT_YET_VALID' });
        const other = generateKeyPairSync('ed25519').privateKey;
        const wrongClaims = build({ quote: Buffer.alloc(64), userClaims: rawEd25519PublicKey(other) });
        await expect(verifyRaTlsCertificate(wrongClaims.der, anyPolicy(), now)).rejects.toMatchObject({ code: 'CLAIMS_MISMATCH' });
        const ok = await createRaTlsCertificate(fakeProvider);
        await expect(verifyRaTlsCertificate(ok.der, fakePolicy())).resolves.toMatchObject({
            publicKey: ok.publicKey,
            attestation: { kind: 'fake' },
        });
    });

    it('refuses unreasonable validity periods', async () => {
        await expect(createRaTlsCertificate(fakeProvider, { validitySeconds: 0 })).rejects.toMatchObject({ code: 'POLICY_CONFIG' });
    });
});
