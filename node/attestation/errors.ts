/**
 * Attestation failures carry a stable code and an actionable message. Codes:
 * CERT_PARSE, CERT_NOT_SELF_SIGNED, CERT_EXPIRED, CERT_NOT_YET_VALID, UNKNOWN_CRITICAL_EXTENSION,
 * KEY_NOT_ED25519, QUOTE_REQUIRED, QUOTE_TOO_LARGE, QUOTE_PARSE, QUOTE_NOT_TDX, REPORTDATA_MISMATCH,
 * CLAIMS_MISMATCH, MRTD_NOT_ALLOWED, RTMR_NOT_ALLOWED, IMAGE_HASH_NOT_ALLOWED, COLLATERAL_NOT_ALLOWED,
 * QUOTE_SIGNATURE, QE_REPORT_SIGNATURE, QE_REPORT_BINDING, PCK_CHAIN, PCCS_UNAVAILABLE,
 * QUOTE_VERIFICATION, TCB_STATUS, TSM_UNAVAILABLE, TSM_FAILED, POLICY_CONFIG, PEER_INFO.
 */
export class AttestationError extends Error {
    constructor(
        readonly code: string,
        message: string,
        readonly cause?: unknown,
    ) {
        super(message);
        this.name = 'AttestationError';
    }
}
