/**
 * Why a receipt or an attestation report was refused: one code per distinct failure, so a caller can
 * act on it (and a test can tell a tampered answer from a tampered key).
 */
export type VerifyReason =
    /** the receipt or report is not in the expected shape */
    | 'MALFORMED'
    /** the answer bytes differ from what the worker signed */
    | 'ANSWER_MISMATCH'
    /** the receipt is for another request */
    | 'REQUEST_MISMATCH'
    /** the Ed25519 signature does not verify */
    | 'BAD_SIGNATURE'
    /** the signing key is not the key of the attested certificate */
    | 'KEY_NOT_ATTESTED'
    /** the certificate is malformed, not self-signed, or was not valid at the time */
    | 'CERTIFICATE_INVALID'
    /** the certificate carries no quote */
    | 'QUOTE_MISSING'
    /** a fake (local-network) quote where real attestation is required */
    | 'FAKE_QUOTE_NOT_ALLOWED'
    /** the quote does not verify or does not bind the certificate key */
    | 'QUOTE_INVALID'
    /** the report's quote or image hash field differs from its certificate */
    | 'EVIDENCE_MISMATCH'
    /** the image hash is not allowed by the root contract */
    | 'IMAGE_HASH_NOT_ALLOWED'
    /** the model hash is not allowed by the root contract */
    | 'MODEL_NOT_ALLOWED'
    /** the report is for another root contract than the one trusted */
    | 'ROOT_MISMATCH'
    /** the report was made for another nonce (a replay) */
    | 'NONCE_MISMATCH'
    /** the report is older than allowed, or from the future */
    | 'STALE';

export interface VerifyFailure {
    ok: false;
    reason: VerifyReason;
    message: string;
}

export const fail = (reason: VerifyReason, message: string): VerifyFailure => ({ ok: false, reason, message });

export const isFailure = (v: object): v is VerifyFailure => Object.hasOwn(v, 'ok') && (v as { ok: unknown }).ok === false;

/** What the root contract allows (the on-chain read is the caller's: pass its lists in). */
export interface RootAllowlist {
    /** The root contract's address, as the report names it. */
    address?: string;
    proxyHashes?: Buffer[];
    workerHashes: Buffer[];
    /** SHA-256 of the model names the root allows. */
    modelHashes: Buffer[];
}

export const listed = (list: Buffer[] | undefined, v: Buffer) => (list ?? []).some((x) => x.equals(v));
