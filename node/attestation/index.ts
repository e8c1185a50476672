/** RA-TLS certificates, attestation policies and TEE quote providers (fake, TDX via configfs-tsm + DCAP). */
export { AttestationError } from './errors';
export type { PeerIdentity } from './identity';
export { unattestedIdentity } from './identity';
export {
    MEASUREMENT_BLOB_SIZE,
    TdxMeasurements,
    imageHash,
    isFakeTdx,
    parseMeasurements,
    serializeMeasurements,
    userClaimsHash,
    zeroMeasurements,
} from './measurements';
export {
    AttestationPolicy,
    AttestationResult,
    PolicyAllowlists,
    PolicyConfig,
    PolicyKind,
    TdxVerifierConfig,
    anyPolicy,
    checkMeasurements,
    createPolicy,
    decodeHash,
    fakePolicy,
    tdxPolicy,
} from './policy';
export { ProviderKind, QuoteProvider, createProvider, fakeProvider, noneProvider, tdxProvider } from './providers';
export {
    DEFAULT_SUBJECT,
    DEFAULT_VALIDITY_SECONDS,
    OID_TDX_QUOTE,
    OID_TDX_USER_CLAIMS,
    RaTlsCertificate,
    buildCertificate,
    derToPem,
    x509FromDer,
    createRaTlsCertificate,
    loadPrivateKey,
    parseRaTlsCertificate,
    rawEd25519PublicKey,
    verifyRaTlsCertificate,
} from './certificate';
export { RaTlsContext, RaTlsOptions, TLS_CIPHERSUITES } from './ra-tls';
export { ed25519KeyObject } from './keys';
export * from './verify';
export { ConfigfsTsm, ConfigfsTsmOptions, DEFAULT_TSM_REPORT_DIR, TsmFs } from './tdx/configfs-tsm';
export { INTEL_ROOT_KEY_ID, INTEL_SGX_ROOT_CA, INTEL_SGX_ROOT_CA_PEM } from './tdx/intel-root';
export { ParsedQuote, parseQuote } from './tdx/quote';
export { QuoteVerification, verifyPckChain, verifyQuoteOffline } from './tdx/verify-offline';
export { CollateralParams, DEFAULT_ACCEPTED_TCB_STATUSES, PccsOptions, PccsQuoteVerifier, collateralParams } from './tdx/verify-pccs';
