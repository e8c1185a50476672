/**
 * Signed inference receipts (beyond the original COCOON): the worker signs, with its attested key, what
 * it served: request id, model, token counts and the SHA-256 of the exact response bytes. The client
 * verifies it against the worker key the proxy attested, so a response cannot be altered or re-billed
 * in transit without detection.
 *
 * On the wire it rides in `proxy.queryFinalInfo.worker_debug` (flags.0) as `cocoon-receipt/1 <json>`:
 * the TL stays unchanged, and an original C++ proxy passes the field through to the client untouched.
 */
import { createHash } from 'crypto';
import { ed25519Sign as sign, ed25519Verify as signVerify } from '../../wrappers/ed25519';
import type { AdjustedTokens } from './tokens';

export const RECEIPT_PREFIX = 'cocoon-receipt/1 ';

export interface Receipt {
    version: 1;
    requestId: string; // hex, 32 bytes
    model: string;
    coefficient: string;
    /** Adjusted tokens billed for this request (decimal strings). */
    tokens: { prompt: string; cached: string; completion: string; reasoning: string; total: string };
    status: number;
    /** SHA-256 of the HTTP response body bytes, hex. */
    responseSha256: string;
    responseBytes: number;
    issuedAt: number;
    workerKey: string; // hex Ed25519 public key
    signature: string; // hex
}

export type UnsignedReceipt = Omit<Receipt, 'signature' | 'version' | 'workerKey'>;

function canonical(r: Omit<Receipt, 'signature'>): Buffer {
    const t = r.tokens;
    const lines = [
        'cocoon-receipt', String(r.version), r.requestId, r.model, r.coefficient,
        t.prompt, t.cached, t.completion, t.reasoning, t.total,
        String(r.status), r.responseSha256, String(r.responseBytes), String(r.issuedAt), r.workerKey,
    ];
    return createHash('sha256').update(lines.join('\n')).digest();
}

export function tokensToReceipt(t: AdjustedTokens): Receipt['tokens'] {
    return { prompt: t.prompt.toString(), cached: t.cached.toString(), completion: t.completion.toString(), reasoning: t.reasoning.toString(), total: t.total.toString() };
}

/** secretKey: 64-byte Ed25519 secret key (seed ‖ public key), as @ton/crypto keeps it. */
export function signReceipt(r: UnsignedReceipt, key: { publicKey: Buffer; secretKey: Buffer }): Receipt {
    const body = { ...r, version: 1 as const, workerKey: key.publicKey.toString('hex') };
    return { ...body, signature: sign(canonical(body), key.secretKey).toString('hex') };
}

export type ReceiptCheck = { ok: true } | { ok: false; reason: string };

export function verifyReceipt(r: Receipt, expect: { workerKey?: Buffer; requestId?: Buffer; body?: Buffer }): ReceiptCheck {
    if (r.version !== 1) return { ok: false, reason: `unsupported receipt version ${String(r.version)}` };
    const { signature, ...rest } = r;
    if (!/^[0-9a-f]{128}$/.test(signature) || !/^[0-9a-f]{64}$/.test(r.workerKey)) return { ok: false, reason: 'malformed signature or worker key' };
    if (!signVerify(canonical(rest), Buffer.from(signature, 'hex'), Buffer.from(r.workerKey, 'hex'))) return { ok: false, reason: 'bad signature' };
    if (expect.workerKey && !expect.workerKey.equals(Buffer.from(r.workerKey, 'hex'))) return { ok: false, reason: 'signed by a different worker key than the attested one' };
    if (expect.requestId && expect.requestId.toString('hex') !== r.requestId) return { ok: false, reason: 'receipt is for another request' };
    if (expect.body) {
        if (expect.body.length !== r.responseBytes) return { ok: false, reason: `response length ${expect.body.length} differs from the receipt's ${r.responseBytes}` };
        if (createHash('sha256').update(expect.body).digest('hex') !== r.responseSha256) return { ok: false, reason: 'response bytes differ from what the worker signed' };
    }
    return { ok: true };
}

export function encodeReceipt(r: Receipt): string {
    return RECEIPT_PREFIX + JSON.stringify(r);
}

/** The receipt inside a worker_debug string, or null when there is none (e.g. an original C++ worker). */
export function decodeReceipt(workerDebug: string | undefined | null): Receipt | null {
    if (!workerDebug || !workerDebug.startsWith(RECEIPT_PREFIX)) return null;
    try {
        return JSON.parse(workerDebug.slice(RECEIPT_PREFIX.length)) as Receipt;
    } catch {
        return null;
    }
}
