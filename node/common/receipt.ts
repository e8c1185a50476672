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
import {
    ed25519Sign as sign,
    ed25519SignAsync as signAsync,
    ed25519Verify as signVerify,
    ed25519VerifyAsync as verifyAsync,
} from '../../wrappers/ed25519';
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
        'cocoon-receipt',
        String(r.version),
        r.requestId,
        r.model,
        r.coefficient,
        t.prompt,
        t.cached,
        t.completion,
        t.reasoning,
        t.total,
        String(r.status),
        r.responseSha256,
        String(r.responseBytes),
        String(r.issuedAt),
        r.workerKey,
    ];
    return createHash('sha256').update(lines.join('\n')).digest();
}

export function tokensToReceipt(t: AdjustedTokens): Receipt['tokens'] {
    return {
        prompt: t.prompt.toString(),
        cached: t.cached.toString(),
        completion: t.completion.toString(),
        reasoning: t.reasoning.toString(),
        total: t.total.toString(),
    };
}

type ReceiptKey = { publicKey: Buffer; secretKey: Buffer };

const withKey = (r: UnsignedReceipt, key: ReceiptKey) => ({ ...r, version: 1 as const, workerKey: key.publicKey.toString('hex') });

/** secretKey: 64-byte Ed25519 secret key (seed ‖ public key), as @ton/crypto keeps it. */
export function signReceipt(r: UnsignedReceipt, key: ReceiptKey): Receipt {
    const body = withKey(r, key);
    return { ...body, signature: sign(canonical(body), key.secretKey).toString('hex') };
}

/** signReceipt with the signature computed off the event loop (ed25519SignAsync). */
export async function signReceiptAsync(r: UnsignedReceipt, key: ReceiptKey): Promise<Receipt> {
    const body = withKey(r, key);
    return { ...body, signature: (await signAsync(canonical(body), key.secretKey)).toString('hex') };
}

export type ReceiptCheck = { ok: true } | { ok: false; reason: string };

export interface ReceiptExpectation {
    /** The attested key the receipt must be signed with. */
    workerKey?: Buffer;
    requestId?: Buffer;
    /** The response body as received... */
    body?: Buffer;
    /** ...or its SHA-256 (hex) and length, for a caller that hashed the pieces as they arrived. */
    bodyDigest?: { sha256: string; bytes: number };
}

/** Everything but the signature, cheapest first; returns what the signature check needs. */
function precheck(
    r: Receipt,
    expect: ReceiptExpectation,
): { ok: false; reason: string } | { ok: true; message: Buffer; signature: Buffer; key: Buffer } {
    if (r.version !== 1) return { ok: false, reason: `unsupported receipt version ${String(r.version)}` };
    const { signature, ...rest } = r;
    if (
        typeof signature !== 'string' ||
        typeof r.workerKey !== 'string' ||
        !/^[0-9a-f]{128}$/.test(signature) ||
        !/^[0-9a-f]{64}$/.test(r.workerKey)
    ) {
        return { ok: false, reason: 'malformed signature or worker key' };
    }
    const key = Buffer.from(r.workerKey, 'hex');
    if (expect.workerKey && !expect.workerKey.equals(key))
        return { ok: false, reason: 'signed by a different worker key than the attested one' };
    if (expect.requestId && expect.requestId.toString('hex') !== r.requestId)
        return { ok: false, reason: 'receipt is for another request' };
    const digest = expect.body ? { sha256: '', bytes: expect.body.length } : expect.bodyDigest;
    if (digest) {
        if (digest.bytes !== r.responseBytes)
            return { ok: false, reason: `response length ${digest.bytes} differs from the receipt's ${r.responseBytes}` };
        const sha = expect.body ? createHash('sha256').update(expect.body).digest('hex') : digest.sha256;
        if (sha !== r.responseSha256) return { ok: false, reason: 'response bytes differ from what the worker signed' };
    }
    return { ok: true, message: canonical(rest), signature: Buffer.from(signature, 'hex'), key };
}

const BAD_SIGNATURE: ReceiptCheck = { ok: false, reason: 'bad signature' };

export function verifyReceipt(r: Receipt, expect: ReceiptExpectation): ReceiptCheck {
    const p = precheck(r, expect);
    if (!p.ok) return p;
    return signVerify(p.message, p.signature, p.key) ? { ok: true } : BAD_SIGNATURE;
}

/** verifyReceipt with the signature checked off the event loop (ed25519VerifyAsync). */
export async function verifyReceiptAsync(r: Receipt, expect: ReceiptExpectation): Promise<ReceiptCheck> {
    const p = precheck(r, expect);
    if (!p.ok) return p;
    return (await verifyAsync(p.message, p.signature, p.key)) ? { ok: true } : BAD_SIGNATURE;
}

export function encodeReceipt(r: Receipt): string {
    return RECEIPT_PREFIX + JSON.stringify(r);
}

const RECEIPT_STRINGS = ['requestId', 'model', 'coefficient', 'responseSha256', 'workerKey', 'signature'] as const;
const RECEIPT_NUMBERS = ['version', 'status', 'responseBytes', 'issuedAt'] as const;
const TOKEN_FIELDS = ['prompt', 'cached', 'completion', 'reasoning', 'total'] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ownString = (o: Record<string, unknown>, k: string) => Object.hasOwn(o, k) && typeof o[k] === 'string';
const ownNumber = (o: Record<string, unknown>, k: string) => Object.hasOwn(o, k) && typeof o[k] === 'number';

/**
 * The receipt inside a worker_debug string, or null when there is none (e.g. an original C++ worker) or
 * it does not have a receipt's shape: it comes from the network, and the checks read every field.
 */
export function decodeReceipt(workerDebug: string | undefined | null): Receipt | null {
    if (!workerDebug || !workerDebug.startsWith(RECEIPT_PREFIX)) return null;
    let v: unknown;
    try {
        v = JSON.parse(workerDebug.slice(RECEIPT_PREFIX.length));
    } catch {
        return null;
    }
    if (!isRecord(v) || !RECEIPT_STRINGS.every((k) => ownString(v, k)) || !RECEIPT_NUMBERS.every((k) => ownNumber(v, k))) return null;
    const t = v.tokens;
    if (!isRecord(t) || !TOKEN_FIELDS.every((k) => ownString(t, k))) return null;
    return v as unknown as Receipt; // every field checked above
}
