/**
 * The proxy's answer to `cocoonx.getAttestationReport` (beyond the original COCOON): the evidence chain a
 * client's caller verifies, signed over the caller's nonce with the proxy's attested RA-TLS key (the key
 * of the certificate clients see). It lists the workers serving the model asked for (all workers when
 * none is named), each with the certificate its RA-TLS handshake presented, and the root's allowlists.
 */
import { createPrivateKey } from 'crypto';
import { AttestationError, type RaTlsCertificate } from '../attestation';
import { buildAttestationReport } from '../attestation/verify';
import { baseModelName } from '../common/models';
import { rootAllowlist } from '../common/root-allowlist';
import { QueryError, type RpcConnection, type cocoonx_attestationReport, type cocoonx_getAttestationReport } from '../protocol';
import type { RootState } from '../chain/cocoon';

/** What the report is built from; the runner provides it (see ProxyRunner.peerPort). */
export interface AttestationSource {
    /** The certificate the client port presents (null when it runs without RA-TLS). */
    certificate(): RaTlsCertificate | null;
    /** The registered workers. */
    workers(): readonly { model: string; conn: RpcConnection }[];
}

/** Bounds the report's size (each entry carries a certificate with a quote of up to ~8 KB). */
export const MAX_REPORTED_WORKERS = 16;

export function answerAttestationReport(
    source: AttestationSource | undefined,
    root: RootState,
    q: cocoonx_getAttestationReport,
): cocoonx_attestationReport {
    const cert = source?.certificate();
    if (!source || !cert?.quote)
        throw new QueryError(503, 'this proxy has no attested certificate on its client port (RA-TLS is off): no attestation report');
    const wanted = q.model ? baseModelName(q.model) : null;
    const workers = source
        .workers()
        .filter((w) => (wanted === null || baseModelName(w.model) === wanted) && w.conn.peer.certificate)
        .slice(0, MAX_REPORTED_WORKERS)
        .map((w) => ({ certificate: w.conn.peer.certificate!, model: w.model }));
    if (wanted !== null && !workers.length) throw new QueryError(404, `no attested worker serves '${q.model}' right now`);
    try {
        const report = buildAttestationReport({
            nonce: q.nonce,
            proxyCertificate: cert.der,
            workers,
            root: rootAllowlist(root),
            signerSecretKey: createPrivateKey(cert.keyPem),
        });
        return { _: 'cocoonx.attestationReport', json: JSON.stringify(report) };
    } catch (e) {
        if (e instanceof AttestationError) throw new QueryError(e.code === 'REPORT_NONCE' ? 400 : 500, e.message);
        throw e;
    }
}
