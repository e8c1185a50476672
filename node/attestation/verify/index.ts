/**
 * Verifiable answers (beyond the original COCOON): receipts checked against the worker's attested key,
 * and the attestation report of `GET /v1/attestation/report?nonce=<hex>` with its verifier.
 */
export { AttestationOptions, AttestedKey, TeeKind, checkAttestedCertificate, isFakeQuote } from './attested-key';
export { RootAllowlist, VerifyFailure, VerifyReason } from './result';
export { VerifiedReceipt, VerifyReceiptInput, parseReceipt, verifyReceipt } from './receipt';
export { AnswerEvidence, VerifiedAnswer, VerifyAnswerInput, verifyAnswer } from './answer';
export {
    AttestationReport,
    BuildReportInput,
    MAX_NONCE_BYTES,
    ModelEvidence,
    NodeEvidence,
    REPORT_VERSION,
    VerifiedReport,
    VerifyReportOptions,
    buildAttestationReport,
    parseReportNonce,
    reportSigningMessage,
    verifyAttestationReport,
    workerCertificateFor,
} from './report';
