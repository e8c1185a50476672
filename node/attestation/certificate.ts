/**
 * RA-TLS certificates, compatible with the original COCOON router: self-signed X.509 with an Ed25519
 * key, one day of validity, and two critical private extensions:
 *   1.3.6.1.4.1.12345.1 TDX_QUOTE        the raw quote whose reportdata = SHA-512(public key)
 *   1.3.6.1.4.1.12345.2 TDX_USER_CLAIMS  the user claims = the raw 32-byte Ed25519 public key
 * Verification accepts only a self-signed leaf, only known critical extensions, only Ed25519, a
 * current validity window, then hands the quote and key to the attestation policy.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { KeyObject, X509Certificate, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'crypto';
import { isIP } from 'net';
import { AttestationError } from './errors';
import { userClaimsHash } from './measurements';
import { AttestationPolicy, AttestationResult } from './policy';
import { QuoteProvider } from './providers';
import { MAX_QUOTE_SIZE } from './tdx/quote';

export const OID_TDX_QUOTE = '1.3.6.1.4.1.12345.1';
export const OID_TDX_USER_CLAIMS = '1.3.6.1.4.1.12345.2';
const OID_ED25519 = '1.3.101.112';
export const DEFAULT_VALIDITY_SECONDS = 86_400;
/** notBefore is moved back a little so peers whose clocks lag ours still accept a fresh certificate. */
export const DEFAULT_BACKDATE_SECONDS = 60;

/** Critical extensions OpenSSL itself understands (X509_supported_extension), plus the two COCOON ones. */
const KNOWN_CRITICAL = new Set([
    '2.5.29.15', // keyUsage
    '2.5.29.17', // subjectAltName
    '2.5.29.19', // basicConstraints
    '2.5.29.30', // nameConstraints
    '2.5.29.32', // certificatePolicies
    '2.5.29.33', // policyMappings
    '2.5.29.36', // policyConstraints
    '2.5.29.37', // extKeyUsage
    '2.5.29.54', // inhibitAnyPolicy
    '1.3.6.1.5.5.7.1.14', // proxyCertInfo
    '2.16.840.1.113730.1.1', // nsCertType
    OID_TDX_QUOTE,
    OID_TDX_USER_CLAIMS,
]);

export interface SubjectConfig {
    country: string;
    state: string;
    organization: string;
    organizationalUnit: string;
    commonName: string;
    sanNames: string[];
}

/** The original's defaults (tdx::CertConfig). */
export const DEFAULT_SUBJECT: SubjectConfig = {
    country: 'AE',
    state: 'DUBAI',
    organization: 'TDLib Development',
    organizationalUnit: 'Security',
    commonName: 'localhost',
    sanNames: ['localhost', '127.0.0.1', '::1'],
};

export interface RaTlsCertificate {
    certPem: string;
    keyPem: string;
    der: Buffer;
    /** Raw 32-byte Ed25519 public key (the user claims). */
    publicKey: Buffer;
    quote?: Buffer;
    notBefore: Date;
    notAfter: Date;
}

export interface BuildCertificateParams {
    privateKey: KeyObject;
    quote?: Buffer;
    /** Defaults to the raw public key when a quote is present, omitted otherwise. */
    userClaims?: Buffer | null;
    notBefore: Date;
    notAfter: Date;
    subject?: SubjectConfig;
    /** Additional extensions (tests use this to add unknown critical ones). */
    extraExtensions?: { oid: string; critical: boolean; value: Buffer }[];
}

/**
 * Node's X509Certificate(buffer) looks for PEM text anywhere in its input before trying DER, and a
 * TDX quote embeds its PCK chain as PEM. Parsing untrusted DER directly would therefore read the
 * Intel certificate inside the quote instead of the peer's. Always go through our own PEM armour.
 */
export function derToPem(der: Buffer): string {
    const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
    return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

export function x509FromDer(der: Buffer): X509Certificate {
    const cert = new X509Certificate(derToPem(der));
    if (!cert.raw.equals(der)) throw new AttestationError('CERT_PARSE', 'certificate DER has trailing or ambiguous data');
    return cert;
}

export function rawEd25519PublicKey(key: KeyObject): Buffer {
    const pub = key.type === 'private' ? createPublicKey(key) : key;
    if (pub.asymmetricKeyType !== 'ed25519')
        throw new AttestationError('KEY_NOT_ED25519', `key type ${pub.asymmetricKeyType} is not Ed25519`);
    return Buffer.from(pub.export({ format: 'jwk' }).x as string, 'base64url');
}

function rdn(type: string, value: asn.AttributeValue): asn.RelativeDistinguishedName {
    return new asn.RelativeDistinguishedName([new asn.AttributeTypeAndValue({ type, value })]);
}

function subjectName(s: SubjectConfig): asn.Name {
    return new asn.Name([
        rdn('2.5.4.6', new asn.AttributeValue({ printableString: s.country })),
        rdn('2.5.4.8', new asn.AttributeValue({ utf8String: s.state })),
        rdn('2.5.4.10', new asn.AttributeValue({ utf8String: s.organization })),
        rdn('2.5.4.11', new asn.AttributeValue({ utf8String: s.organizationalUnit })),
        rdn('2.5.4.3', new asn.AttributeValue({ utf8String: s.commonName })),
    ]);
}

function ext(oid: string, critical: boolean, value: ArrayBuffer | Uint8Array): asn.Extension {
    return new asn.Extension({ extnID: oid, critical, extnValue: new OctetString(value) });
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
}

/** Builds and signs a certificate from explicit parts (no provider involved). */
export function buildCertificate(p: BuildCertificateParams): RaTlsCertificate {
    const publicKey = rawEd25519PublicKey(p.privateKey);
    const spkiDer = createPublicKey(p.privateKey).export({ format: 'der', type: 'spki' });
    const subject = p.subject ?? DEFAULT_SUBJECT;
    const name = subjectName(subject);
    const keyId = createHash('sha1').update(publicKey).digest();
    const san = new asn.SubjectAlternativeName(
        subject.sanNames.map((n) => {
            return isIP(n) ? new asn.GeneralName({ iPAddress: n }) : new asn.GeneralName({ dNSName: n });
        }),
    );
    const ku = new asn.KeyUsage(asn.KeyUsageFlags.digitalSignature);
    const extensions = [
        ext('2.5.29.19', true, AsnConvert.serialize(new asn.BasicConstraints({ cA: false }))),
        ext('2.5.29.15', true, AsnConvert.serialize(ku)),
        ext('2.5.29.37', true, AsnConvert.serialize(new asn.ExtendedKeyUsage(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']))),
        ext('2.5.29.14', false, AsnConvert.serialize(new asn.SubjectKeyIdentifier(toArrayBuffer(keyId)))),
        ext(
            '2.5.29.35',
            false,
            AsnConvert.serialize(new asn.AuthorityKeyIdentifier({ keyIdentifier: new asn.KeyIdentifier(toArrayBuffer(keyId)) })),
        ),
        ext('2.5.29.17', false, AsnConvert.serialize(san)),
    ];
    if (p.quote) extensions.push(ext(OID_TDX_QUOTE, true, p.quote));
    const claims = p.userClaims === undefined ? (p.quote ? publicKey : null) : p.userClaims;
    if (claims) extensions.push(ext(OID_TDX_USER_CLAIMS, true, claims));
    for (const e of p.extraExtensions ?? []) extensions.push(ext(e.oid, e.critical, e.value));

    const alg = new asn.AlgorithmIdentifier({ algorithm: OID_ED25519 });
    const tbs = new asn.TBSCertificate({
        version: asn.Version.v3,
        // Positive 16-byte serial, random like the original's.
        serialNumber: toArrayBuffer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
        signature: alg,
        issuer: name,
        subject: name,
        validity: new asn.Validity({ notBefore: p.notBefore, notAfter: p.notAfter }),
        subjectPublicKeyInfo: AsnConvert.parse(spkiDer, asn.SubjectPublicKeyInfo),
        extensions: new asn.Extensions(extensions),
    });
    const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
    const signature = sign(null, tbsDer, p.privateKey);
    const cert = new asn.Certificate({ tbsCertificate: tbs, signatureAlgorithm: alg, signatureValue: toArrayBuffer(signature) });
    const der = Buffer.from(AsnConvert.serialize(cert));
    const certPem = derToPem(der);
    const keyPem = p.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    return { certPem, keyPem, der, publicKey, quote: p.quote, notBefore: p.notBefore, notAfter: p.notAfter };
}

export interface CreateCertificateOptions {
    privateKey?: KeyObject;
    validitySeconds?: number;
    backdateSeconds?: number;
    nowMs?: number;
    subject?: SubjectConfig;
}

/** A fresh key (unless given) and a certificate carrying the provider's quote for that key. */
export async function createRaTlsCertificate(provider: QuoteProvider, opts: CreateCertificateOptions = {}): Promise<RaTlsCertificate> {
    const validity = opts.validitySeconds ?? DEFAULT_VALIDITY_SECONDS;
    if (!Number.isInteger(validity) || validity <= 0 || validity > 10 * 365 * 86_400) {
        throw new AttestationError('POLICY_CONFIG', `certificate validity must be 1 s .. 10 years, got ${validity}`);
    }
    const privateKey = opts.privateKey ?? generateKeyPairSync('ed25519').privateKey;
    const publicKey = rawEd25519PublicKey(privateKey);
    const quote = await provider.makeQuote(userClaimsHash(publicKey));
    const now = opts.nowMs ?? Date.now();
    const notBefore = new Date(Math.floor(now / 1000) * 1000 - (opts.backdateSeconds ?? DEFAULT_BACKDATE_SECONDS) * 1000);
    const notAfter = new Date(notBefore.getTime() + validity * 1000);
    return buildCertificate({ privateKey, quote, notBefore, notAfter, subject: opts.subject });
}

export function loadPrivateKey(pem: string): KeyObject {
    const key = createPrivateKey(pem);
    rawEd25519PublicKey(key);
    return key;
}

export interface ParsedRaTlsCertificate {
    publicKey: Buffer;
    quote?: Buffer;
    userClaims?: Buffer;
    notBefore: Date;
    notAfter: Date;
}

/** Structural checks that need no policy: self-signed, Ed25519, known critical extensions, sizes. */
export function parseRaTlsCertificate(der: Buffer): ParsedRaTlsCertificate {
    let cert: asn.Certificate;
    let x509: X509Certificate;
    try {
        cert = AsnConvert.parse(der, asn.Certificate);
        x509 = x509FromDer(der);
    } catch (err) {
        throw new AttestationError('CERT_PARSE', `peer certificate is not valid DER X.509: ${(err as Error).message}`, err);
    }
    if (cert.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm !== OID_ED25519) {
        throw new AttestationError(
            'KEY_NOT_ED25519',
            `peer certificate key algorithm ${cert.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm} is not Ed25519`,
        );
    }
    // checkIssued() would demand keyCertSign, which a leaf must not have; compare names and the signature.
    if (x509.issuer !== x509.subject || !x509.verify(x509.publicKey)) {
        throw new AttestationError(
            'CERT_NOT_SELF_SIGNED',
            'peer certificate is not self-signed by its own key (only depth-0 RA-TLS certificates are accepted)',
        );
    }
    let quote: Buffer | undefined;
    let userClaims: Buffer | undefined;
    for (const e of cert.tbsCertificate.extensions ?? []) {
        if (e.critical && !KNOWN_CRITICAL.has(e.extnID)) {
            throw new AttestationError('UNKNOWN_CRITICAL_EXTENSION', `peer certificate has unknown critical extension ${e.extnID}`);
        }
        const value = Buffer.from(e.extnValue.buffer);
        if (e.extnID === OID_TDX_QUOTE) {
            if (value.length > MAX_QUOTE_SIZE)
                throw new AttestationError('QUOTE_TOO_LARGE', `quote extension of ${value.length} bytes exceeds ${MAX_QUOTE_SIZE}`);
            quote = value;
        } else if (e.extnID === OID_TDX_USER_CLAIMS) {
            userClaims = value;
        }
    }
    const publicKey = rawEd25519PublicKey(x509.publicKey);
    return { publicKey, quote, userClaims, notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo) };
}

export interface VerifiedCertificate {
    publicKey: Buffer;
    notAfter: Date;
    attestation: AttestationResult;
}

export async function verifyRaTlsCertificate(
    der: Buffer,
    policy: AttestationPolicy,
    nowMs: number = Date.now(),
): Promise<VerifiedCertificate> {
    const c = parseRaTlsCertificate(der);
    if (nowMs < c.notBefore.getTime()) {
        throw new AttestationError(
            'CERT_NOT_YET_VALID',
            `peer certificate is valid from ${c.notBefore.toISOString()} only (check the clocks)`,
        );
    }
    if (nowMs > c.notAfter.getTime()) {
        throw new AttestationError('CERT_EXPIRED', `peer certificate expired at ${c.notAfter.toISOString()}`);
    }
    // The original rebuilds the claims from the key; a certificate whose claims name another key is malformed.
    if (c.userClaims && !c.userClaims.equals(c.publicKey)) {
        throw new AttestationError('CLAIMS_MISMATCH', 'TDX_USER_CLAIMS extension does not match the certificate key');
    }
    const attestation = await policy.validate(c.quote, c.publicKey, nowMs);
    return { publicKey: c.publicKey, notAfter: c.notAfter, attestation };
}
