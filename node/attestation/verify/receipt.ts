/**
 * verifyReceipt: everything a third party needs to trust one answer, in order, each failure with its
 * own reason (result.ts):
 *   1. the receipt is well-formed (MALFORMED) and its Ed25519 signature verifies (BAD_SIGNATURE);
 *   2. the answer bytes are the ones signed (ANSWER_MISMATCH), for the request asked (REQUEST_MISMATCH);
 *   3. the worker's RA-TLS certificate was valid when the receipt was issued and its quote verifies and
 *      binds the certificate key (CERTIFICATE_INVALID, QUOTE_MISSING, FAKE_QUOTE_NOT_ALLOWED, QUOTE_INVALID);
 *   4. the receipt's key is that attested key (KEY_NOT_ATTESTED);
 *   5. the root contract allows the worker's image hash and the model (IMAGE_HASH_NOT_ALLOWED, MODEL_NOT_ALLOWED).
 * The root's lists are passed in (read them on-chain with node/chain); nothing here touches the network
 * unless the TDX verifier is configured with a PCCS.
 */
import { createHash } from 'crypto';
import { type Receipt, decodeReceipt, verifyReceipt as checkReceiptSignature } from '../../common/receipt';
import { type AttestationOptions, type TeeKind, checkAttestedCertificate } from './attested-key';
import { type RootAllowlist, type VerifyFailure, fail, isFailure, listed } from './result';

export interface VerifyReceiptInput extends AttestationOptions {
    /** The receipt object, or its wire form (`cocoon-receipt/1 {...}` from worker_debug, or bare JSON). */
    receipt: Receipt | string;
    /** DER of the worker's RA-TLS certificate (from the attestation report or the proxy). */
    workerCertificate: Buffer;
    /** What the root contract allows. */
    root: RootAllowlist;
    /** The answer body as received, or its SHA-256 (hex) and length. Without either, step 2 is skipped. */
    body?: Buffer;
    bodyDigest?: { sha256: string; bytes: number };
    /** The request id the answer is for (32 bytes). */
    requestId?: Buffer;
}

export interface VerifiedReceipt {
    ok: true;
    receipt: Receipt;
    tee: TeeKind;
    /** True when the worker's attestation is a fake quote: the local network, not a real TEE. */
    fake: boolean;
    workerKey: string;
    imageHash: string;
    modelHash: string;
    tcbStatus?: string;
    /** The checks that ran, in order (an answer without body skips 'answer'). */
    checks: string[];
}

const HEX64 = /^[0-9a-f]{64}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,30})$/;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The receipt in any of its forms (object, `cocoon-receipt/1 {json}`, JSON text), every field checked. */
export function parseReceipt(input: Receipt | string): Receipt | VerifyFailure {
    let r: unknown = input;
    if (typeof input === 'string') {
        const trimmed = input.trim();
        r = decodeReceipt(trimmed);
        if (r === null) {
            try {
                r = JSON.parse(trimmed);
            } catch {
                return fail('MALFORMED', 'receipt is neither `cocoon-receipt/1 {json}` nor JSON');
            }
        }
    }
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return fail('MALFORMED', 'receipt is not a JSON object');
    const o = r as Record<string, unknown>;
    const field = (k: string) => (Object.hasOwn(o, k) ? o[k] : undefined);
    if (field('version') !== 1) return fail('MALFORMED', `unsupported receipt version ${JSON.stringify(field('version'))}`);
    for (const k of ['requestId', 'responseSha256', 'workerKey']) {
        const v = field(k);
        if (typeof v !== 'string' || !HEX64.test(v)) return fail('MALFORMED', `receipt.${k} must be 64 lower-case hex digits`);
    }
    const sig = field('signature');
    if (typeof sig !== 'string' || !/^[0-9a-f]{128}$/.test(sig))
        return fail('MALFORMED', 'receipt.signature must be 128 lower-case hex digits');
    if (typeof field('model') !== 'string') return fail('MALFORMED', 'receipt.model must be a string');
    const coefficient = field('coefficient');
    if (typeof coefficient !== 'string' || !DECIMAL.test(coefficient))
        return fail('MALFORMED', 'receipt.coefficient must be a decimal string');
    for (const k of ['status', 'responseBytes', 'issuedAt'])
        if (!isCount(field(k))) return fail('MALFORMED', `receipt.${k} must be a non-negative integer`);
    const tokens = field('tokens');
    if (typeof tokens !== 'object' || tokens === null) return fail('MALFORMED', 'receipt.tokens must be an object');
    for (const k of ['prompt', 'cached', 'completion', 'reasoning', 'total']) {
        const v = Object.hasOwn(tokens, k) ? (tokens as Record<string, unknown>)[k] : undefined;
        if (typeof v !== 'string' || !DECIMAL.test(v)) return fail('MALFORMED', `receipt.tokens.${k} must be a decimal string`);
    }
    return o as unknown as Receipt; // every field checked above
}

export async function verifyReceipt(input: VerifyReceiptInput): Promise<VerifiedReceipt | VerifyFailure> {
    const checks: string[] = [];
    const receipt = parseReceipt(input.receipt);
    if (isFailure(receipt)) return receipt;
    if (!checkReceiptSignature(receipt, {}).ok)
        return fail('BAD_SIGNATURE', 'receipt signature does not verify with its worker key: the receipt was altered');
    checks.push('signature');
    if (input.body || input.bodyDigest) {
        const answer = checkReceiptSignature(receipt, { body: input.body, bodyDigest: input.bodyDigest });
        if (!answer.ok) return fail('ANSWER_MISMATCH', `the answer is not the one the worker signed: ${answer.reason}`);
        checks.push('answer');
    }
    if (input.requestId && input.requestId.toString('hex') !== receipt.requestId) {
        return fail('REQUEST_MISMATCH', `receipt is for request ${receipt.requestId}, not ${input.requestId.toString('hex')}`);
    }
    const attested = await checkAttestedCertificate(input.workerCertificate, receipt.issuedAt * 1000, 'worker', input);
    if (isFailure(attested)) return attested;
    checks.push(attested.tee === 'fake' ? 'quote (fake, accepted on request)' : 'quote (tdx)');
    if (attested.publicKey.toString('hex') !== receipt.workerKey) {
        return fail(
            'KEY_NOT_ATTESTED',
            `receipt is signed by ${receipt.workerKey}, the attested worker key is ${attested.publicKey.toString('hex')}`,
        );
    }
    checks.push('attested key');
    if (!listed(input.root.workerHashes, attested.imageHash)) {
        return fail(
            'IMAGE_HASH_NOT_ALLOWED',
            `worker image hash ${attested.imageHash.toString('hex')} is not among the root contract's worker hashes`,
        );
    }
    const modelHash = createHash('sha256').update(receipt.model).digest();
    if (!listed(input.root.modelHashes, modelHash)) {
        return fail(
            'MODEL_NOT_ALLOWED',
            `model '${receipt.model}' (sha256 ${modelHash.toString('hex')}) is not allowed by the root contract`,
        );
    }
    checks.push('root allows image and model');
    return {
        ok: true,
        receipt,
        tee: attested.tee,
        fake: attested.tee === 'fake',
        workerKey: receipt.workerKey,
        imageHash: attested.imageHash.toString('hex'),
        modelHash: modelHash.toString('hex'),
        tcbStatus: attested.tcbStatus,
        checks,
    };
}
