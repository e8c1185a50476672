/**
 * One step shared by receipt and report verification: is this RA-TLS certificate's key attested, and
 * by which image? Certificate structure and validity (at the moment that matters: when the receipt
 * was signed, or now for a report), then its quote: a fake quote (the local network's fake_tdx: the
 * 64-byte reportdata itself) only when the caller allows it, a TDX quote through the DCAP verifier
 * (offline by default, or a PCCS). Either way the quote must bind the certificate's key.
 */
import { parseRaTlsCertificate } from '../certificate';
import { AttestationError } from '../errors';
import { type TdxVerifierConfig, fakePolicy, tdxPolicy } from '../policy';
import { type VerifyFailure, fail } from './result';

export type TeeKind = 'fake' | 'tdx';

export interface AttestedKey {
    publicKey: Buffer;
    tee: TeeKind;
    quote: Buffer;
    imageHash: Buffer;
    tcbStatus?: string;
    notBefore: Date;
    notAfter: Date;
}

export interface AttestationOptions {
    /** Accept fake quotes (local network, development). Off by default: a fake quote proves nothing. */
    allowFakeQuotes?: boolean;
    /** How real TDX quotes are verified (default: offline DCAP signatures and PCK chain). */
    tdx?: TdxVerifierConfig;
}

const CERTIFICATE_CODES = new Set([
    'CERT_PARSE',
    'CERT_NOT_SELF_SIGNED',
    'UNKNOWN_CRITICAL_EXTENSION',
    'KEY_NOT_ED25519',
    'QUOTE_TOO_LARGE',
]);

/** A 64-byte quote is the fake_tdx form; anything else must be a TDX quote. */
export const isFakeQuote = (quote: Buffer) => quote.length === 64;

/**
 * Checks `der` at time `atMs`; returns the attested key or the failure (never throws on bad input).
 * `who` names the certificate in messages ("worker", "proxy").
 */
export async function checkAttestedCertificate(
    der: Buffer,
    atMs: number,
    who: string,
    opts: AttestationOptions,
): Promise<AttestedKey | VerifyFailure> {
    let cert: ReturnType<typeof parseRaTlsCertificate>;
    try {
        cert = parseRaTlsCertificate(der);
    } catch (err) {
        const e = err as AttestationError;
        if (err instanceof AttestationError && CERTIFICATE_CODES.has(e.code))
            return fail('CERTIFICATE_INVALID', `${who} certificate: ${e.message} (${e.code})`);
        throw err;
    }
    if (atMs < cert.notBefore.getTime() || atMs > cert.notAfter.getTime()) {
        return fail(
            'CERTIFICATE_INVALID',
            `${who} certificate was not valid at ${new Date(atMs).toISOString()} (valid ${cert.notBefore.toISOString()} ` +
                `.. ${cert.notAfter.toISOString()})`,
        );
    }
    if (cert.userClaims && !cert.userClaims.equals(cert.publicKey)) {
        return fail('CERTIFICATE_INVALID', `${who} certificate: its user-claims extension names another key (CLAIMS_MISMATCH)`);
    }
    if (!cert.quote) return fail('QUOTE_MISSING', `${who} certificate carries no quote: its key is not attested`);
    const fake = isFakeQuote(cert.quote);
    if (fake && !opts.allowFakeQuotes) {
        return fail(
            'FAKE_QUOTE_NOT_ALLOWED',
            `${who} is attested by a fake quote (local network or development); pass allowFakeQuotes to accept it`,
        );
    }
    const policy = fake ? fakePolicy() : tdxPolicy(opts.tdx ?? { mode: 'offline' });
    try {
        const r = await policy.validate(cert.quote, cert.publicKey, atMs);
        return {
            publicKey: cert.publicKey,
            tee: fake ? 'fake' : 'tdx',
            quote: cert.quote,
            imageHash: r.imageHash,
            tcbStatus: r.tcbStatus,
            notBefore: cert.notBefore,
            notAfter: cert.notAfter,
        };
    } catch (err) {
        // The quote is network data: whatever its parser or verifier trips on is a refusal, not a crash.
        if (err instanceof AttestationError) return fail('QUOTE_INVALID', `${who} quote: ${err.message} (${err.code})`);
        return fail('QUOTE_INVALID', `${who} quote: ${err instanceof Error ? err.message : String(err)}`);
    }
}
