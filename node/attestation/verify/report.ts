/**
 * The attestation report behind `GET /v1/attestation/report?nonce=<hex>`: the evidence chain a third
 * party needs, in the shape NEAR AI Cloud and Phala/RedPill publish (`gateway_attestation`,
 * `model_attestations[]`, `intel_quote` in hex, `signing_algo`, `request_nonce`, `event_log`,
 * `nvidia_payload`), with COCOON's parts: each node's RA-TLS certificate (whose key the quote binds),
 * its image hash, the model hash, and the root contract's allowlists.
 *
 * Freshness: NEAR re-quotes per request with the nonce in reportdata. A COCOON quote binds the node's
 * RA-TLS key instead (reportdata = SHA-512(key)), so here the nonce goes into a fresh Ed25519 signature
 * by one of those attested keys over the whole report (canonical JSON, keys sorted): a replayed report
 * fails on the nonce, a forged one on the signature or the key's attestation.
 */
import { type KeyObject, createHash, sign } from 'crypto';
import { ed25519Sign, ed25519Verify } from '../../../wrappers/ed25519';
import { parseRaTlsCertificate, rawEd25519PublicKey } from '../certificate';
import { AttestationError } from '../errors';
import { imageHash, zeroMeasurements } from '../measurements';
import { parseQuote } from '../tdx/quote';
import { type AttestationOptions, type AttestedKey, type TeeKind, checkAttestedCertificate, isFakeQuote } from './attested-key';
import { type RootAllowlist, type VerifyFailure, fail, isFailure, listed } from './result';

export const REPORT_VERSION = 'cocoon-attestation/1';
export const MAX_NONCE_BYTES = 64;

export interface NodeEvidence {
    role: 'proxy' | 'worker';
    /** "fake" on the local network: no TEE stands behind it. */
    tee: TeeKind;
    signing_algo: 'ed25519';
    /** The node's RA-TLS key (hex): the key its quote binds and the key that signs its receipts. */
    signing_public_key: string;
    /** The RA-TLS certificate, base64 DER. */
    certificate: string;
    /** The quote from the certificate, hex (a fake quote is the 64-byte reportdata). */
    intel_quote: string;
    image_hash: string;
    /** NEAR's fields, empty here: COCOON measures the image in RTMRs (no event log shipped) and its TLS claims carry no GPU evidence. */
    event_log: [];
    nvidia_payload: null;
}

export interface ModelEvidence extends NodeEvidence {
    model_name: string;
    /** SHA-256 of model_name, as the root contract lists models. */
    model_hash: string;
}

export interface AttestationReport {
    version: typeof REPORT_VERSION;
    request_nonce: string;
    /** Unix seconds when the report was signed. */
    timestamp: number;
    root: { address: string; proxy_hashes: string[]; worker_hashes: string[]; model_hashes: string[] };
    gateway_attestation: NodeEvidence;
    model_attestations: ModelEvidence[];
    signing_algo: 'ed25519';
    /** One of the attested keys above. */
    signing_public_key: string;
    signature: string;
}

/** The `nonce` query parameter: 1..64 bytes in hex. */
export function parseReportNonce(hex: string): Buffer {
    if (!/^([0-9a-fA-F]{2}){1,64}$/.test(hex)) {
        throw new AttestationError(
            'REPORT_NONCE',
            `nonce must be 1..${MAX_NONCE_BYTES} bytes in hex (e.g. 64 hex digits from \`openssl rand -hex 32\`)`,
        );
    }
    return Buffer.from(hex, 'hex');
}

function canonicalJson(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
    if (typeof v === 'object' && v !== null) {
        const o = v as Record<string, unknown>;
        return `{${Object.keys(o)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
            .join(',')}}`;
    }
    return JSON.stringify(v);
}

/** What the signature covers: SHA-256 of the version line and the canonical JSON of everything but the signature. */
export function reportSigningMessage(report: Omit<AttestationReport, 'signature'> & { signature?: string }): Buffer {
    const { signature: _omit, ...body } = report;
    return createHash('sha256').update(`${REPORT_VERSION}\n`).update(canonicalJson(body)).digest();
}

const hex = (b: Buffer) => b.toString('hex');

function evidenceOf(role: 'proxy' | 'worker', der: Buffer): NodeEvidence {
    const c = parseRaTlsCertificate(der);
    if (!c.quote) throw new AttestationError('QUOTE_REQUIRED', `the ${role} certificate carries no quote: nothing to report`);
    const fake = isFakeQuote(c.quote);
    const measurements = fake ? zeroMeasurements(c.quote) : parseQuote(c.quote).measurements;
    return {
        role,
        tee: fake ? 'fake' : 'tdx',
        signing_algo: 'ed25519',
        signing_public_key: hex(c.publicKey),
        certificate: der.toString('base64'),
        intel_quote: hex(c.quote),
        image_hash: hex(imageHash(measurements)),
        event_log: [],
        nvidia_payload: null,
    };
}

export interface BuildReportInput {
    nonce: Buffer;
    /** DER of the proxy's RA-TLS certificate. */
    proxyCertificate: Buffer;
    /** The workers serving the model(s) asked about: certificate DER and model name. */
    workers: { certificate: Buffer; model: string }[];
    root: RootAllowlist & { address: string };
    /**
     * The key of one of the certificates above: the proxy's RaTlsContext key (a KeyObject), or a 64-byte
     * Ed25519 secret key (seed ‖ public, as @ton/crypto keeps it).
     */
    signerSecretKey: Buffer | KeyObject;
    nowMs?: number;
}

/** Builds and signs a report. Throws AttestationError when the inputs cannot make a valid one. */
export function buildAttestationReport(input: BuildReportInput): AttestationReport {
    if (input.nonce.length < 1 || input.nonce.length > MAX_NONCE_BYTES)
        throw new AttestationError('REPORT_NONCE', `nonce must be 1..${MAX_NONCE_BYTES} bytes`);
    const gateway = evidenceOf('proxy', input.proxyCertificate);
    const models: ModelEvidence[] = input.workers.map((w) => ({
        ...evidenceOf('worker', w.certificate),
        model_name: w.model,
        model_hash: hex(createHash('sha256').update(w.model).digest()),
    }));
    const key = input.signerSecretKey;
    if (Buffer.isBuffer(key) && key.length !== 64)
        throw new AttestationError('REPORT_SIGNER', 'the signer key must be a 64-byte Ed25519 secret key');
    const signer = hex(Buffer.isBuffer(key) ? key.subarray(32) : rawEd25519PublicKey(key));
    if (![gateway, ...models].some((e) => e.signing_public_key === signer)) {
        throw new AttestationError(
            'REPORT_SIGNER',
            "the report must be signed by the key of one of its certificates (the proxy's or a worker's)",
        );
    }
    const body: Omit<AttestationReport, 'signature'> = {
        version: REPORT_VERSION,
        request_nonce: hex(input.nonce),
        timestamp: Math.floor((input.nowMs ?? Date.now()) / 1000),
        root: {
            address: input.root.address,
            proxy_hashes: (input.root.proxyHashes ?? []).map(hex),
            worker_hashes: input.root.workerHashes.map(hex),
            model_hashes: input.root.modelHashes.map(hex),
        },
        gateway_attestation: gateway,
        model_attestations: models,
        signing_algo: 'ed25519',
        signing_public_key: signer,
    };
    const message = reportSigningMessage(body);
    return { ...body, signature: hex(Buffer.isBuffer(key) ? ed25519Sign(message, key) : sign(null, message, key)) };
}

export interface VerifyReportOptions extends AttestationOptions {
    /** The nonce the caller sent. */
    nonce: Buffer;
    /**
     * The root contract's allowlists as the caller read them on-chain. Without it the report's own
     * lists are used and the result says `rootTrusted: false`.
     */
    root?: RootAllowlist & { address: string };
    /** Maximum age of the report (default 300 s); 60 s of clock skew into the future is tolerated. */
    maxAgeSeconds?: number;
    nowMs?: number;
}

export interface VerifiedReport {
    ok: true;
    /** True when any node is attested only by a fake quote (the local network). */
    fake: boolean;
    rootTrusted: boolean;
    signer: 'proxy' | 'worker';
    proxy: { publicKey: string; imageHash: string; tee: TeeKind; tcbStatus?: string };
    workers: { model: string; publicKey: string; imageHash: string; tee: TeeKind; tcbStatus?: string }[];
    checks: string[];
}

const HEX = (n: number) => new RegExp(`^[0-9a-f]{${n}}$`);
const isHexList = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string' && HEX(64).test(x));

function evidenceShape(e: unknown, role: 'proxy' | 'worker'): e is ModelEvidence {
    if (typeof e !== 'object' || e === null) return false;
    const o = e as Record<string, unknown>;
    const s = (k: string) => (Object.hasOwn(o, k) ? o[k] : undefined);
    const base =
        s('role') === role &&
        (s('tee') === 'fake' || s('tee') === 'tdx') &&
        s('signing_algo') === 'ed25519' &&
        typeof s('signing_public_key') === 'string' &&
        HEX(64).test(s('signing_public_key') as string) &&
        typeof s('certificate') === 'string' &&
        typeof s('intel_quote') === 'string' &&
        /^([0-9a-f]{2})+$/.test(s('intel_quote') as string) &&
        typeof s('image_hash') === 'string' &&
        HEX(64).test(s('image_hash') as string);
    if (!base || role === 'proxy') return base;
    return typeof s('model_name') === 'string' && typeof s('model_hash') === 'string' && HEX(64).test(s('model_hash') as string);
}

function reportShape(r: unknown): r is AttestationReport {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
    const o = r as Record<string, unknown>;
    const s = (k: string) => (Object.hasOwn(o, k) ? o[k] : undefined);
    const root = s('root') as Record<string, unknown> | undefined;
    const models = s('model_attestations');
    return (
        s('version') === REPORT_VERSION &&
        typeof s('request_nonce') === 'string' &&
        typeof s('timestamp') === 'number' &&
        Number.isSafeInteger(s('timestamp')) &&
        typeof root === 'object' &&
        root !== null &&
        typeof root.address === 'string' &&
        isHexList(root.proxy_hashes) &&
        isHexList(root.worker_hashes) &&
        isHexList(root.model_hashes) &&
        evidenceShape(s('gateway_attestation'), 'proxy') &&
        Array.isArray(models) &&
        models.length <= 64 &&
        models.every((m) => evidenceShape(m, 'worker')) &&
        s('signing_algo') === 'ed25519' &&
        typeof s('signing_public_key') === 'string' &&
        HEX(64).test(s('signing_public_key') as string) &&
        typeof s('signature') === 'string' &&
        HEX(128).test(s('signature') as string)
    );
}

async function checkEvidence(e: NodeEvidence, nowMs: number, opts: AttestationOptions): Promise<AttestedKey | VerifyFailure> {
    const who = e.role === 'proxy' ? 'proxy' : `worker ${(e as ModelEvidence).model_name}`;
    const attested = await checkAttestedCertificate(Buffer.from(e.certificate, 'base64'), nowMs, who, opts);
    if (isFailure(attested)) return attested;
    if (hex(attested.publicKey) !== e.signing_public_key)
        return fail('EVIDENCE_MISMATCH', `${who}: signing_public_key is not the certificate's key`);
    if (hex(attested.quote) !== e.intel_quote) return fail('EVIDENCE_MISMATCH', `${who}: intel_quote is not the quote in the certificate`);
    if (hex(attested.imageHash) !== e.image_hash)
        return fail('EVIDENCE_MISMATCH', `${who}: image_hash is not the hash of the quoted measurements`);
    if (attested.tee !== e.tee) return fail('EVIDENCE_MISMATCH', `${who}: tee says ${e.tee}, the quote is ${attested.tee}`);
    return attested;
}

export async function verifyAttestationReport(report: unknown, opts: VerifyReportOptions): Promise<VerifiedReport | VerifyFailure> {
    const nowMs = opts.nowMs ?? Date.now();
    const checks: string[] = [];
    if (!reportShape(report)) return fail('MALFORMED', `not a ${REPORT_VERSION} attestation report`);
    if (report.request_nonce !== hex(opts.nonce))
        return fail('NONCE_MISMATCH', `report was made for nonce ${report.request_nonce}, not ours: a replay`);
    const age = nowMs / 1000 - report.timestamp;
    if (age > (opts.maxAgeSeconds ?? 300) || age < -60) return fail('STALE', `report was signed ${Math.round(age)} s ago`);
    checks.push('nonce and freshness');
    if (!ed25519Verify(reportSigningMessage(report), Buffer.from(report.signature, 'hex'), Buffer.from(report.signing_public_key, 'hex'))) {
        return fail('BAD_SIGNATURE', 'report signature does not verify: the report was altered');
    }
    checks.push('signature');
    const evidences: NodeEvidence[] = [report.gateway_attestation, ...report.model_attestations];
    const signer = evidences.find((e) => e.signing_public_key === report.signing_public_key);
    if (!signer) return fail('KEY_NOT_ATTESTED', 'the report is signed by a key that none of its certificates attests');
    const attested: AttestedKey[] = [];
    for (const e of evidences) {
        const a = await checkEvidence(e, nowMs, opts);
        if (isFailure(a)) return a;
        attested.push(a);
    }
    checks.push('certificates and quotes');
    if (opts.root && opts.root.address !== report.root.address) {
        return fail('ROOT_MISMATCH', `report names root ${report.root.address}, the trusted root is ${opts.root.address}`);
    }
    const root: RootAllowlist = opts.root ?? {
        proxyHashes: report.root.proxy_hashes.map((h) => Buffer.from(h, 'hex')),
        workerHashes: report.root.worker_hashes.map((h) => Buffer.from(h, 'hex')),
        modelHashes: report.root.model_hashes.map((h) => Buffer.from(h, 'hex')),
    };
    if (!listed(root.proxyHashes, attested[0].imageHash))
        return fail('IMAGE_HASH_NOT_ALLOWED', `proxy image hash ${hex(attested[0].imageHash)} is not among the root's proxy hashes`);
    for (const [i, m] of report.model_attestations.entries()) {
        if (!listed(root.workerHashes, attested[i + 1].imageHash)) {
            return fail(
                'IMAGE_HASH_NOT_ALLOWED',
                `worker ${m.model_name}: image hash ${m.image_hash} is not among the root's worker hashes`,
            );
        }
        const modelHash = createHash('sha256').update(m.model_name).digest();
        if (hex(modelHash) !== m.model_hash)
            return fail('EVIDENCE_MISMATCH', `worker ${m.model_name}: model_hash is not SHA-256 of model_name`);
        if (!listed(root.modelHashes, modelHash))
            return fail('MODEL_NOT_ALLOWED', `model '${m.model_name}' is not allowed by the root contract`);
    }
    checks.push(
        opts.root ? 'root allows images and models' : "report's own root lists allow images and models (not checked against the chain)",
    );
    const view = (a: AttestedKey) => ({ publicKey: hex(a.publicKey), imageHash: hex(a.imageHash), tee: a.tee, tcbStatus: a.tcbStatus });
    return {
        ok: true,
        fake: attested.some((a) => a.tee === 'fake'),
        rootTrusted: opts.root !== undefined,
        signer: signer.role,
        proxy: view(attested[0]),
        workers: report.model_attestations.map((m, i) => ({ model: m.model_name, ...view(attested[i + 1]) })),
        checks,
    };
}

/** The worker certificate a receipt must be checked against, from a verified report. */
export function workerCertificateFor(report: AttestationReport, workerKeyHex: string): Buffer | undefined {
    const m = report.model_attestations.find((e) => e.signing_public_key === workerKeyHex);
    return m ? Buffer.from(m.certificate, 'base64') : undefined;
}
