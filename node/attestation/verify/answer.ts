/**
 * verifyAnswer: one call for an app developer holding an answer, its receipt and the evidence behind
 * it. The worker's certificate comes either as is or out of an attestation report (which is verified
 * first: nonce, age, signature, every quote, the root's lists); then the receipt is checked against the
 * answer bytes, that certificate and the root's lists (receipt.ts). What `cocoon verify` runs.
 */
import type { Receipt } from '../../common/receipt';
import type { AttestationOptions } from './attested-key';
import { type VerifiedReceipt, parseReceipt, verifyReceipt } from './receipt';
import { type AttestationReport, type VerifiedReport, verifyAttestationReport, workerCertificateFor } from './report';
import { type RootAllowlist, type VerifyFailure, fail, isFailure } from './result';

export type AnswerEvidence =
    /** The worker's RA-TLS certificate (DER), from wherever the caller trusts. */
    | { workerCertificate: Buffer }
    /** An attestation report fetched with `nonce` (GET /v1/attestation/report?nonce=…). */
    | { report: unknown; nonce: Buffer; maxAgeSeconds?: number; nowMs?: number };

export interface VerifyAnswerInput extends AttestationOptions {
    receipt: Receipt | string;
    /** The answer bytes as received; without them the answer itself is not checked (the result says so). */
    body?: Buffer;
    requestId?: Buffer;
    /** The root contract's lists, read on-chain by the caller (rootAllowlist in node/common). */
    root: RootAllowlist & { address?: string };
    evidence: AnswerEvidence;
}

export interface VerifiedAnswer {
    ok: true;
    receipt: VerifiedReceipt;
    /** The verified report, when the evidence was one. */
    report?: VerifiedReport;
    /** False when no answer bytes were given: only the receipt and its attestation were checked. */
    answerChecked: boolean;
}

export async function verifyAnswer(input: VerifyAnswerInput): Promise<VerifiedAnswer | VerifyFailure> {
    const parsed = parseReceipt(input.receipt);
    if (isFailure(parsed)) return parsed;
    let workerCertificate: Buffer;
    let report: VerifiedReport | undefined;
    const ev = input.evidence;
    if ('workerCertificate' in ev) workerCertificate = ev.workerCertificate;
    else {
        const root = input.root.address ? { ...input.root, address: input.root.address } : undefined;
        const r = await verifyAttestationReport(ev.report, {
            nonce: ev.nonce,
            root,
            allowFakeQuotes: input.allowFakeQuotes,
            tdx: input.tdx,
            maxAgeSeconds: ev.maxAgeSeconds,
            nowMs: ev.nowMs,
        });
        if (isFailure(r)) return { ...r, message: `attestation report: ${r.message}` };
        report = r;
        const cert = workerCertificateFor(ev.report as AttestationReport, parsed.workerKey);
        if (!cert)
            return fail(
                'KEY_NOT_ATTESTED',
                `no worker in the attestation report holds the receipt's key ${parsed.workerKey} (ask for the report with the ` +
                    `receipt's model, while that worker is connected)`,
            );
        workerCertificate = cert;
    }
    const receipt = await verifyReceipt({
        receipt: parsed,
        workerCertificate,
        root: input.root,
        body: input.body,
        requestId: input.requestId,
        allowFakeQuotes: input.allowFakeQuotes,
        tdx: input.tdx,
    });
    if (isFailure(receipt)) return receipt;
    return { ok: true, receipt, report, answerChecked: input.body !== undefined };
}
