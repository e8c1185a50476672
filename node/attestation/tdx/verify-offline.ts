/**
 * Offline DCAP quote verification: everything that needs no collateral.
 * 1. the PCK chain carried in the quote verifies up to the embedded Intel SGX Root CA, all certificates
 *    valid at `now`;
 * 2. the QE report is signed by the PCK leaf key (ECDSA P-256 / SHA-256);
 * 3. the QE report data binds the attestation key: SHA-256(attest_key || qe_auth_data) || 32 zero bytes;
 * 4. the quote header+body is signed by that attestation key.
 * Not checked offline (needs PCCS collateral): TCB level, QE identity, CRL revocation.
 */
import { X509Certificate, createHash, createPublicKey, verify as cryptoVerify, KeyObject } from 'crypto';
import { AttestationError } from '../errors';
import { INTEL_SGX_ROOT_CA, rootKeyId } from './intel-root';
import { ATTESTATION_KEY_TYPE_ECDSA_P256, ParsedQuote, parseQuote } from './quote';

export interface QuoteVerification {
    quote: ParsedQuote;
    /** SHA-384 of the root CA key the PCK chain ends at (the original's collateral_root_hash). */
    collateralRootHash: Buffer;
    /** 'offline' when only signatures/chain were checked; otherwise the DCAP TCB status. */
    tcbStatus: string;
    advisoryIds: string[];
}

function p256Key(raw64: Buffer): KeyObject {
    return createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: raw64.subarray(0, 32).toString('base64url'), y: raw64.subarray(32, 64).toString('base64url') },
        format: 'jwk',
    });
}

function ecdsaOk(data: Buffer, key: KeyObject, sigRaw: Buffer): boolean {
    try {
        return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sigRaw);
    } catch {
        return false;
    }
}

export function splitPemChain(pem: string): X509Certificate[] {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    try {
        return blocks.map((b) => new X509Certificate(b));
    } catch (err) {
        throw new AttestationError('PCK_CHAIN', `PCK chain contains an unparsable certificate: ${(err as Error).message}`, err);
    }
}

/** Verifies leaf -> ... -> root against the trusted root, with validity windows checked at `nowMs`. */
export function verifyPckChain(chain: X509Certificate[], nowMs: number, trustedRoot: X509Certificate = INTEL_SGX_ROOT_CA): void {
    if (chain.length < 2)
        throw new AttestationError('PCK_CHAIN', `PCK chain has ${chain.length} certificate(s), expected leaf, intermediate and root`);
    const last = chain[chain.length - 1];
    // The chain's root must be the trusted root itself, not merely something with the same name.
    if (!last.raw.equals(trustedRoot.raw)) {
        if (!(last.checkIssued(trustedRoot) && last.verify(trustedRoot.publicKey))) {
            throw new AttestationError(
                'PCK_CHAIN',
                `PCK chain ends at "${last.subject.replace(/\n/g, ', ')}", which is not the trusted Intel SGX Root CA`,
            );
        }
        chain = [...chain, trustedRoot];
    }
    for (let i = 0; i < chain.length; i++) {
        const cert = chain[i];
        const issuer = i + 1 < chain.length ? chain[i + 1] : cert;
        if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
            throw new AttestationError(
                'PCK_CHAIN',
                `certificate "${cert.subject.replace(/\n/g, ', ')}" is not signed by "${issuer.subject.replace(/\n/g, ', ')}"`,
            );
        }
        const from = Date.parse(cert.validFrom);
        const to = Date.parse(cert.validTo);
        if (nowMs < from || nowMs > to) {
            throw new AttestationError(
                'PCK_CHAIN',
                `certificate "${cert.subject.replace(/\n/g, ', ')}" is not valid at ${new Date(nowMs).toISOString()} ` +
                    `(valid ${cert.validFrom} .. ${cert.validTo})`,
            );
        }
        if (i > 0 && !cert.ca) throw new AttestationError('PCK_CHAIN', `issuer "${cert.subject.replace(/\n/g, ', ')}" is not a CA`);
    }
}

export function verifyQuoteOffline(
    raw: Buffer,
    nowMs: number = Date.now(),
    trustedRoot: X509Certificate = INTEL_SGX_ROOT_CA,
): QuoteVerification {
    const quote = parseQuote(raw);
    if (quote.attestationKeyType !== ATTESTATION_KEY_TYPE_ECDSA_P256) {
        throw new AttestationError('QUOTE_PARSE', `attestation key type ${quote.attestationKeyType} is not ECDSA-P256`);
    }
    const chain = splitPemChain(quote.pckChainPem);
    verifyPckChain(chain, nowMs, trustedRoot);

    if (!ecdsaOk(quote.qeReport, chain[0].publicKey, quote.qeReportSignature)) {
        throw new AttestationError('QE_REPORT_SIGNATURE', 'QE report signature does not verify with the PCK certificate key');
    }
    const expected = createHash('sha256').update(quote.attestationKey).update(quote.qeAuthData).digest();
    const qeReportData = quote.qeReport.subarray(320, 384);
    if (!qeReportData.subarray(0, 32).equals(expected) || qeReportData.subarray(32).some((b) => b !== 0)) {
        throw new AttestationError(
            'QE_REPORT_BINDING',
            'QE report data does not bind the attestation key (SHA-256(attest_key || qe_auth_data))',
        );
    }
    let attKey: KeyObject;
    try {
        attKey = p256Key(quote.attestationKey);
    } catch (err) {
        throw new AttestationError('QUOTE_SIGNATURE', `attestation key is not a valid P-256 point: ${(err as Error).message}`, err);
    }
    if (!ecdsaOk(quote.signedData, attKey, quote.signature)) {
        throw new AttestationError('QUOTE_SIGNATURE', 'quote signature does not verify with the attestation key');
    }
    return { quote, collateralRootHash: rootKeyId(trustedRoot), tcbStatus: 'offline', advisoryIds: [] };
}
