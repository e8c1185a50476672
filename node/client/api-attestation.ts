/**
 * GET /v1/attestation/report?nonce=<hex>[&model=<name>]: the evidence chain behind the answers (the
 * proxy's and the workers' RA-TLS certificates and quotes, image and model hashes, the root's lists),
 * signed over the caller's nonce. Only the proxy holds the workers' certificates and an attested key,
 * so the client asks it (`cocoonx.getAttestationReport`) and passes the report on unchanged: a third
 * party checks it with verifyAttestationReport / `cocoon verify`, trusting neither the client nor us.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { AttestationError } from '../attestation/errors';
import { parseReportNonce } from '../attestation/verify';
import type { RpcConnection } from '../protocol';
import { sendError } from './api-errors';

const MAX_MODEL_LENGTH = 256;
const REPORT_TIMEOUT_MS = 10_000;

export async function attestationReport(req: IncomingMessage, res: ServerResponse, conn: RpcConnection | null): Promise<void> {
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const nonceHex = query.get('nonce');
    if (nonceHex === null)
        return sendError(
            res,
            400,
            "'nonce' is required: 1..64 bytes in hex, fresh for each report (e.g. `openssl rand -hex 32`)",
            'invalid_request_error',
            'invalid_request',
            'nonce',
        );
    let nonce: Buffer;
    try {
        nonce = parseReportNonce(nonceHex);
    } catch (e) {
        if (e instanceof AttestationError) return sendError(res, 400, e.message, 'invalid_request_error', 'invalid_request', 'nonce');
        throw e;
    }
    const model = query.get('model') ?? '';
    if (model.length > MAX_MODEL_LENGTH)
        return sendError(
            res,
            400,
            `'model' is longer than ${MAX_MODEL_LENGTH} characters`,
            'invalid_request_error',
            'invalid_request',
            'model',
        );
    if (!conn || conn.closed)
        return sendError(res, 503, 'the client is not connected to a proxy yet; retry in a few seconds', 'server_error', 'proxy_not_ready');
    let json: string;
    try {
        json = (await conn.query({ _: 'cocoonx.getAttestationReport', nonce, model }, REPORT_TIMEOUT_MS)).json;
    } catch (e) {
        // An original C++ proxy does not know the extension and answers with a query error.
        return sendError(
            res,
            502,
            `the proxy gave no attestation report: ${(e as Error).message}`,
            'server_error',
            'attestation_unavailable',
        );
    }
    let report: unknown;
    try {
        report = JSON.parse(json);
    } catch {
        return sendError(res, 502, 'the proxy sent an attestation report that is not JSON', 'server_error', 'attestation_unavailable');
    }
    // A report for another nonce is a replay (or a broken proxy): never pass it on as fresh.
    const echoed =
        typeof report === 'object' && report !== null && Object.hasOwn(report, 'request_nonce')
            ? (report as { request_nonce: unknown }).request_nonce
            : undefined;
    if (echoed !== nonce.toString('hex'))
        return sendError(res, 502, 'the proxy answered with a report for another nonce', 'server_error', 'attestation_unavailable');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(json);
}
