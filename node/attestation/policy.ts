/**
 * Attestation policies decide whether a peer's certificate (its quote and public key) is acceptable.
 * - any:  no attestation needed (clients talking to the proxy's client port); refuses image allowlists;
 * - fake: quote must be the 64-byte reportdata (fake_tdx), measurements all zero;
 * - tdx:  quote verified by DCAP (offline: signatures + PCK chain; or online via a PCCS).
 * For fake and tdx: reportdata must equal SHA-512(peer public key), then the optional allowlists of
 * MRTD, RTMR sets (all four), image hashes and collateral root hashes apply.
 */
import { AttestationError } from './errors';
import { TdxMeasurements, imageHash, userClaimsHash, zeroMeasurements } from './measurements';
import { QuoteCache } from './tdx/cache';
import { INTEL_ROOT_KEY_ID } from './tdx/intel-root';
import { QuoteVerification, verifyQuoteOffline } from './tdx/verify-offline';
import { PccsOptions, PccsQuoteVerifier } from './tdx/verify-pccs';

export type PolicyKind = 'any' | 'fake' | 'tdx';

export interface PolicyAllowlists {
    allowedMrtd?: Buffer[];
    /** Each entry is a full set of four RTMRs. */
    allowedRtmr?: Buffer[][];
    allowedImageHashes?: Buffer[];
    allowedCollateralRootHashes?: Buffer[];
}

export interface AttestationResult {
    kind: 'none' | 'fake' | 'tdx';
    /** SHA-256 image hash; 32 zero bytes when nothing was attested (as the original reports). */
    imageHash: Buffer;
    measurements?: TdxMeasurements;
    collateralRootHash?: Buffer;
    tcbStatus?: string;
}

export interface AttestationPolicy {
    readonly kind: PolicyKind;
    validate(quote: Buffer | undefined, publicKey: Buffer, nowMs: number): Promise<AttestationResult>;
}

const hex = (b: Buffer) => b.toString('hex');
const listed = (list: Buffer[] | undefined, v: Buffer) => !list || list.length === 0 || list.some((x) => x.equals(v));

/** Binding + allowlist checks shared by the fake and tdx policies (exported for tools and tests). */
export function checkMeasurements(
    kind: 'fake' | 'tdx',
    m: TdxMeasurements,
    publicKey: Buffer,
    collateralRootHash: Buffer,
    allow: PolicyAllowlists,
): AttestationResult {
    if (!m.reportData.equals(userClaimsHash(publicKey))) {
        throw new AttestationError(
            'REPORTDATA_MISMATCH',
            'quote reportdata is not SHA-512 of the certificate key: the quote was made for another key',
        );
    }
    if (!listed(allow.allowedMrtd, m.mrTd))
        throw new AttestationError('MRTD_NOT_ALLOWED', `MRTD ${hex(m.mrTd)} is not in the policy allowlist`);
    if (
        allow.allowedRtmr &&
        allow.allowedRtmr.length > 0 &&
        !allow.allowedRtmr.some((set) => set.length === 4 && set.every((r, i) => r.equals(m.rtmr[i])))
    ) {
        throw new AttestationError('RTMR_NOT_ALLOWED', 'RTMR set is not in the policy allowlist');
    }
    const hash = imageHash(m);
    if (!listed(allow.allowedImageHashes, hash))
        throw new AttestationError('IMAGE_HASH_NOT_ALLOWED', `image hash ${hex(hash)} is not in the policy allowlist`);
    if (!listed(allow.allowedCollateralRootHashes, collateralRootHash)) {
        throw new AttestationError(
            'COLLATERAL_NOT_ALLOWED',
            `collateral root hash ${hex(collateralRootHash)} is not in the policy allowlist`,
        );
    }
    return { kind, imageHash: hash, measurements: m, collateralRootHash };
}

export function anyPolicy(allow: PolicyAllowlists = {}): AttestationPolicy {
    if (allow.allowedImageHashes && allow.allowedImageHashes.length > 0) {
        throw new AttestationError('POLICY_CONFIG', 'policy "any" cannot check image hashes: use "fake" or "tdx"');
    }
    return { kind: 'any', validate: async () => ({ kind: 'none', imageHash: Buffer.alloc(32) }) };
}

export function fakePolicy(allow: PolicyAllowlists = {}): AttestationPolicy {
    return {
        kind: 'fake',
        async validate(quote, publicKey) {
            if (!quote) throw new AttestationError('QUOTE_REQUIRED', 'policy "fake" requires a quote extension in the peer certificate');
            if (quote.length !== 64)
                throw new AttestationError('QUOTE_PARSE', `fake quote must be the 64-byte reportdata, got ${quote.length} bytes`);
            return checkMeasurements('fake', zeroMeasurements(Buffer.from(quote)), publicKey, Buffer.alloc(48), allow);
        },
    };
}

export type TdxVerifierConfig = { mode: 'offline' } | ({ mode: 'pccs' } & PccsOptions);

export function tdxPolicy(verifier: TdxVerifierConfig = { mode: 'offline' }, allow: PolicyAllowlists = {}): AttestationPolicy {
    const pccs = verifier.mode === 'pccs' ? new PccsQuoteVerifier(verifier) : undefined;
    // Offline verification costs three ECDSA checks plus the chain; peers reconnect with the same quote.
    const offlineCache = new QuoteCache<QuoteVerification>();
    const offline = (quote: Buffer, nowMs: number): QuoteVerification => {
        const key = QuoteCache.key(quote);
        const hit = offlineCache.get(key, nowMs);
        if (hit) return hit;
        const v = verifyQuoteOffline(quote, nowMs);
        offlineCache.set(key, v, nowMs);
        return v;
    };
    const effective: PolicyAllowlists = {
        ...allow,
        allowedCollateralRootHashes: allow.allowedCollateralRootHashes ?? [INTEL_ROOT_KEY_ID],
    };
    return {
        kind: 'tdx',
        async validate(quote, publicKey, nowMs) {
            if (!quote) throw new AttestationError('QUOTE_REQUIRED', 'policy "tdx" requires a TDX quote in the peer certificate');
            const v: QuoteVerification = pccs ? await pccs.verify(quote, nowMs) : offline(quote, nowMs);
            return {
                ...checkMeasurements('tdx', v.quote.measurements, publicKey, v.collateralRootHash, effective),
                tcbStatus: v.tcbStatus,
            };
        },
    };
}

/** Config form for runners (JSON files, env, flags): hashes as hex or base64 strings. */
export interface PolicyConfig {
    policy: PolicyKind;
    allowedMrtd?: string[];
    allowedRtmr?: string[][];
    allowedImageHashes?: string[];
    allowedCollateralRootHashes?: string[];
    /** tdx only: verify online against this PCCS; without it quotes are verified offline. */
    pccsUrl?: string;
    acceptedTcbStatuses?: string[];
}

export function decodeHash(s: string, size: number, what: string): Buffer {
    const t = s.trim();
    if (new RegExp(`^(0x)?[0-9a-fA-F]{${size * 2}}$`).test(t)) return Buffer.from(t.replace(/^0x/, ''), 'hex');
    const b = Buffer.from(t, 'base64');
    if (b.length === size && /^[A-Za-z0-9+/_-]+=*$/.test(t)) return b;
    throw new AttestationError('POLICY_CONFIG', `${what}: "${s}" is not a ${size}-byte value in hex or base64`);
}

export function createPolicy(config: PolicyConfig): AttestationPolicy {
    const allow: PolicyAllowlists = {
        allowedMrtd: config.allowedMrtd?.map((s) => decodeHash(s, 48, 'allowedMrtd')),
        allowedRtmr: config.allowedRtmr?.map((set) => {
            if (set.length !== 4) throw new AttestationError('POLICY_CONFIG', 'allowedRtmr entries must list all four RTMRs');
            return set.map((s) => decodeHash(s, 48, 'allowedRtmr'));
        }),
        allowedImageHashes: config.allowedImageHashes?.map((s) => decodeHash(s, 32, 'allowedImageHashes')),
        allowedCollateralRootHashes: config.allowedCollateralRootHashes?.map((s) => decodeHash(s, 48, 'allowedCollateralRootHashes')),
    };
    switch (config.policy) {
        case 'any':
            return anyPolicy(allow);
        case 'fake':
            return fakePolicy(allow);
        case 'tdx':
            return tdxPolicy(
                config.pccsUrl
                    ? { mode: 'pccs', pccsUrl: config.pccsUrl, acceptedTcbStatuses: config.acceptedTcbStatuses }
                    : { mode: 'offline' },
                allow,
            );
        default:
            throw new AttestationError('POLICY_CONFIG', `unknown policy "${String(config.policy)}": use any, fake or tdx`);
    }
}
