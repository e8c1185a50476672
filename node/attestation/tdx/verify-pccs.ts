/**
 * Online DCAP verification with @phala/dcap-qvl: collateral (PCK CRL, TCB info, QE identity, root CA CRL)
 * comes from a PCCS (Intel's Provisioning Certificate Caching Service, or any compatible server such as
 * a local `pccs` daemon); the library checks TCB level, QE identity, revocation and every signature.
 * The offline checks run first, so a forged quote never triggers a PCCS round trip.
 */
import { Quote, intel, verify as dcapVerify, type Collateral } from '@phala/dcap-qvl';
import type { getCollateralForFmspc as GetCollateralForFmspc } from '@phala/dcap-qvl';
import { AttestationError } from '../errors';
import { QuoteCache } from './cache';
import { parseQuote } from './quote';
import { QuoteVerification, splitPemChain, verifyQuoteOffline } from './verify-offline';

export interface PccsOptions {
    /** Base URL, e.g. https://localhost:8081 or https://api.trustedservices.intel.com (…/sgx/certification/v4 is optional). */
    pccsUrl: string;
    /** DCAP TCB statuses to accept; the original accepts only a fully up-to-date platform. */
    acceptedTcbStatuses?: string[];
    fetchTimeoutMs?: number;
    /** Verified quotes are cached by SHA-256 (the original caches 10000 attestations). */
    cacheEntries?: number;
    cacheTtlMs?: number;
}

export const DEFAULT_ACCEPTED_TCB_STATUSES = ['UpToDate'];

// dcap-qvl 0.3.9 declares getCollateralForFmspc in its typings but its index does not export it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getCollateralForFmspc } = require('@phala/dcap-qvl/src/collateral') as { getCollateralForFmspc: typeof GetCollateralForFmspc };

export interface CollateralParams {
    /** Family-Model-Stepping-Platform-CustomSKU from the PCK certificate, upper-case hex. */
    fmspc: string;
    /** Which PCK CA issued the leaf: selects the CRL the PCCS returns. */
    ca: 'platform' | 'processor';
}

/**
 * What to ask the PCCS for. The CA is read from the PCK leaf's issuer here because dcap-qvl 0.3.9's
 * own detection (getCollateral/intel.getCa) always answers "processor", which fetches the wrong CRL
 * for platform-CA quotes such as the fixture's.
 */
export function collateralParams(raw: Buffer): CollateralParams {
    let fmspc: string;
    try {
        fmspc = Buffer.from(intel.getFmspc(Quote.parse(raw)))
            .toString('hex')
            .toUpperCase();
    } catch (err) {
        throw new AttestationError('QUOTE_PARSE', `cannot read the FMSPC from the PCK certificate: ${(err as Error).message}`, err);
    }
    const chain = splitPemChain(parseQuote(raw).pckChainPem);
    const issuer = chain[0]?.issuer ?? '';
    return { fmspc, ca: /PCK Platform CA/.test(issuer) ? 'platform' : 'processor' };
}

export class PccsQuoteVerifier {
    private readonly cache: QuoteCache<QuoteVerification>;

    constructor(private readonly opts: PccsOptions) {
        this.cache = new QuoteCache(opts.cacheEntries ?? 10_000, opts.cacheTtlMs ?? 10 * 60_000);
        if (!/^https?:\/\//.test(opts.pccsUrl)) {
            throw new AttestationError('POLICY_CONFIG', `PCCS URL must start with http:// or https://, got "${opts.pccsUrl}"`);
        }
    }

    async verify(raw: Buffer, nowMs: number = Date.now()): Promise<QuoteVerification> {
        const key = QuoteCache.key(raw);
        const hit = this.cache.get(key, nowMs);
        if (hit) return hit;

        const offline = verifyQuoteOffline(raw, nowMs);
        const collateral = await this.fetchCollateral(collateralParams(raw));
        let report: ReturnType<typeof dcapVerify>;
        try {
            report = dcapVerify(raw, collateral, Math.floor(nowMs / 1000));
        } catch (err) {
            const cause = (err as { cause?: Error }).cause;
            throw new AttestationError(
                'QUOTE_VERIFICATION',
                `DCAP verification failed: ${(err as Error).message}${cause ? ` (${cause.message})` : ''}`,
                err,
            );
        }
        const accepted = this.opts.acceptedTcbStatuses ?? DEFAULT_ACCEPTED_TCB_STATUSES;
        if (!accepted.includes(report.status)) {
            throw new AttestationError(
                'TCB_STATUS',
                `platform TCB status ${report.status} is not accepted (allowed: ${accepted.join(', ')}; ` +
                    `advisories: ${report.advisory_ids.join(', ') || 'none'})`,
            );
        }
        const result: QuoteVerification = { ...offline, tcbStatus: report.status, advisoryIds: report.advisory_ids };
        this.cache.set(key, result, nowMs);
        return result;
    }

    private async fetchCollateral(p: CollateralParams): Promise<Collateral> {
        const timeoutMs = this.opts.fetchTimeoutMs ?? 15_000;
        let timer: NodeJS.Timeout | undefined;
        try {
            return await Promise.race([
                getCollateralForFmspc(this.opts.pccsUrl, p.fmspc, p.ca, false),
                new Promise<never>((_, reject) => {
                    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
                }),
            ]);
        } catch (err) {
            throw new AttestationError(
                'PCCS_UNAVAILABLE',
                `cannot fetch DCAP collateral from PCCS ${this.opts.pccsUrl}: ${(err as Error).message}. Check pccsUrl, ` +
                    `or use offline verification`,
                err,
            );
        } finally {
            clearTimeout(timer);
        }
    }
}
