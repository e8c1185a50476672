/** @jest-environment node */
import * as http from 'http';
import { createHash, generateKeyPairSync } from 'crypto';
import { constants as qvlConstants } from '@phala/dcap-qvl';
import {
    AttestationError,
    INTEL_ROOT_KEY_ID,
    INTEL_SGX_ROOT_CA,
    PccsQuoteVerifier,
    buildCertificate,
    collateralParams,
    imageHash,
    parseQuote,
    tdxPolicy,
    verifyQuoteOffline,
    x509FromDer,
} from '../../../node/attestation';
import { QuoteCache } from '../../../node/attestation/tdx/cache';
import { attestationCode, tdxQuoteFixture } from '../helpers/attestation';

const QUOTE = tdxQuoteFixture();
const AT = Date.parse('2026-06-01T00:00:00Z');

const code = attestationCode;

function tampered(offset: number): Buffer {
    const q = Buffer.from(QUOTE);
    q[offset] ^= 0x01;
    return q;
}

// Offsets in a v4 quote: header 48 | TD report 584 | sig_len 4 | ecdsa sig 64 | attestation key 64 |
// cert type 2 | cert len 4 | QE report 384 | QE report sig 64 | auth len 2 | auth data ...
const BODY = 48;
const MR_TD = BODY + 16 + 48 + 48 + 8 + 8 + 8;
const ATT_KEY = 632 + 4 + 64;
const QE_REPORT = ATT_KEY + 64 + 2 + 4;
const QE_AUTH = QE_REPORT + 384 + 64 + 2;

describe('TDX v4 quote fixture', () => {
    it('parses header, measurements and report data at their spec offsets', () => {
        const q = parseQuote(QUOTE);
        expect(q.version).toBe(4);
        expect(q.teeType).toBe(0x81);
        expect(q.attestationKeyType).toBe(2);
        const m = q.measurements;
        expect(m.mrTd).toEqual(QUOTE.subarray(MR_TD, MR_TD + 48));
        expect(m.mrConfigId).toEqual(QUOTE.subarray(MR_TD + 48, MR_TD + 96));
        expect(m.rtmr[0]).toEqual(QUOTE.subarray(MR_TD + 4 * 48, MR_TD + 5 * 48));
        expect(m.rtmr[3]).toEqual(QUOTE.subarray(MR_TD + 7 * 48, MR_TD + 8 * 48));
        expect(m.reportData).toEqual(QUOTE.subarray(632 - 64, 632));
        expect(m.mrTd.toString('hex')).toBe(
            '7357a10d2e2724dffe68813e3cc4cfcde6814d749f2fb62e3953e54f6e0b50a219786afe2cd478f684b52c61837e1114',
        );
        expect(q.signedData).toEqual(QUOTE.subarray(0, 632));
        expect(q.pckChainPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
    });

    it('computes the image hash as SHA-256 of the 448-byte measurement blob with reportdata zeroed', () => {
        const blob = Buffer.concat([QUOTE.subarray(MR_TD, MR_TD + 8 * 48), Buffer.alloc(64)]);
        expect(blob.length).toBe(448);
        const expected = createHash('sha256').update(blob).digest();
        expect(imageHash(parseQuote(QUOTE).measurements)).toEqual(expected);
        expect(expected.toString('hex')).toBe('04b3afd931d28680af91a15b09d672c40ad6b141f7f9089a8d67d595220f7436');
    });

    it('parses the same report wrapped as a v5 quote and refuses SGX quotes', () => {
        const v5 = Buffer.concat([QUOTE.subarray(0, 48), Buffer.from([2, 0, 0x48, 0x02, 0, 0]), QUOTE.subarray(48)]);
        v5.writeUInt16LE(5, 0);
        expect(parseQuote(v5).measurements).toEqual(parseQuote(QUOTE).measurements);
        const sgx = Buffer.from(QUOTE);
        sgx.writeUInt32LE(0, 4);
        expect(code(() => parseQuote(sgx))).toBe('QUOTE_NOT_TDX');
        expect(code(() => parseQuote(QUOTE.subarray(0, 700)))).toBe('QUOTE_PARSE');
        expect(code(() => parseQuote(Buffer.alloc(64)))).toBe('QUOTE_PARSE');
    });

    it('verifies offline: quote signature, QE report signature and binding, PCK chain to the Intel root', () => {
        const v = verifyQuoteOffline(QUOTE, AT);
        expect(v.tcbStatus).toBe('offline');
        expect(v.collateralRootHash).toEqual(INTEL_ROOT_KEY_ID);
        expect(INTEL_ROOT_KEY_ID.toString('hex')).toBe(
            '46e403bd34f05a3f2817ab9badcaacc7ffc98e0f261008cd30dae936cace18d5dcf58eef31463613de1570d516200993',
        );
        expect(INTEL_SGX_ROOT_CA.raw).toEqual(Buffer.from(qvlConstants.TRUSTED_ROOT_CA_DER));
    });

    it('detects every kind of tampering offline', () => {
        expect(code(() => verifyQuoteOffline(tampered(MR_TD), AT))).toBe('QUOTE_SIGNATURE');
        expect(code(() => verifyQuoteOffline(tampered(10), AT))).toBe('QUOTE_SIGNATURE');
        expect(code(() => verifyQuoteOffline(tampered(632 + 4), AT))).toBe('QUOTE_SIGNATURE');
        expect(code(() => verifyQuoteOffline(tampered(QE_REPORT + 10), AT))).toBe('QE_REPORT_SIGNATURE');
        expect(code(() => verifyQuoteOffline(tampered(QE_AUTH + 1), AT))).toBe('QE_REPORT_BINDING');
        expect(code(() => verifyQuoteOffline(tampered(ATT_KEY + 3), AT))).toBe('QE_REPORT_BINDING');
    });

    it('checks the PCK chain validity window and trust anchor', () => {
        expect(code(() => verifyQuoteOffline(QUOTE, Date.parse('2034-01-01T00:00:00Z')))).toBe('PCK_CHAIN');
        expect(code(() => verifyQuoteOffline(QUOTE, Date.parse('2025-01-01T00:00:00Z')))).toBe('PCK_CHAIN');
        const { privateKey } = generateKeyPairSync('ed25519');
        const otherRoot = x509FromDer(buildCertificate({ privateKey, notBefore: new Date(0), notAfter: new Date(AT * 2) }).der);
        expect(code(() => verifyQuoteOffline(QUOTE, AT, otherRoot))).toBe('PCK_CHAIN');
    });

    it('tdx policy verifies the quote then demands the key binding', async () => {
        const key = Buffer.alloc(32, 1);
        await expect(tdxPolicy({ mode: 'offline' }).validate(QUOTE, key, AT)).rejects.toMatchObject({ code: 'REPORTDATA_MISMATCH' });
        await expect(tdxPolicy({ mode: 'offline' }).validate(tampered(MR_TD), key, AT)).rejects.toMatchObject({ code: 'QUOTE_SIGNATURE' });
        await expect(tdxPolicy({ mode: 'offline' }).validate(undefined, key, AT)).rejects.toMatchObject({ code: 'QUOTE_REQUIRED' });
    });
});

describe('online verification through a PCCS', () => {
    let pccs: http.Server;
    let requests: string[] = [];
    let mode: 'down' | 'bogus' = 'down';
    let base = '';
    const rootPem = encodeURIComponent(INTEL_SGX_ROOT_CA.toString());

    beforeAll(async () => {
        pccs = http.createServer((req, res) => {
            requests.push(req.url ?? '');
            if (mode === 'down') {
                res.writeHead(404).end();
                return;
            }
            const url = req.url ?? '';
            if (url.includes('/pckcrl')) res.writeHead(200, { 'SGX-PCK-CRL-Issuer-Chain': rootPem }).end(Buffer.from([0x30, 0x00]));
            else if (url.includes('/tcb')) {
                const tcbInfo = {
                    version: 3,
                    issueDate: '2020-01-01T00:00:00Z',
                    nextUpdate: '2099-01-01T00:00:00Z',
                    fmspc: '00',
                    pceId: '0000',
                    tcbType: 0,
                    tcbEvaluationDataNumber: 1,
                    tcbLevels: [],
                };
                res.writeHead(200, { 'TCB-Info-Issuer-Chain': rootPem }).end(JSON.stringify({ tcbInfo, signature: '00' }));
            } else if (url.includes('/qe/identity')) {
                res.writeHead(200, { 'SGX-Enclave-Identity-Issuer-Chain': rootPem }).end(
                    JSON.stringify({ enclaveIdentity: { id: 'TD_QE' }, signature: '00' }),
                );
            } else if (url.includes('/rootcacrl')) res.writeHead(200).end('3000');
            else res.writeHead(404).end();
        });
        await new Promise<void>((r) => pccs.listen(0, '127.0.0.1', r));
        base = `http://127.0.0.1:${(pccs.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((r) => pccs.close(() => r())));
    beforeEach(() => {
        requests = [];
    });

    it('reports an unreachable PCCS with the URL and a hint', async () => {
        mode = 'down';
        const err = (await new PccsQuoteVerifier({ pccsUrl: base }).verify(QUOTE, AT).catch((e: unknown) => e)) as AttestationError;
        expect(err.code).toBe('PCCS_UNAVAILABLE');
        expect(err.message).toContain(base);
        expect(requests).toEqual(['/sgx/certification/v4/pckcrl?ca=platform&encoding=der']);
        expect(err.message).toContain('404');
    });

    it('fetches collateral for the quote FMSPC from the configured PCCS and rejects bogus collateral', async () => {
        mode = 'bogus';
        const err = (await new PccsQuoteVerifier({ pccsUrl: `${base}/sgx/certification/v4/` })
            .verify(QUOTE, AT)
            .catch((e: unknown) => e)) as AttestationError;
        expect(err.code).toBe('QUOTE_VERIFICATION');
        expect(err.message).toMatch(/^DCAP verification failed: /);
        // The PCK leaf is issued by the Platform CA, so the platform CRL is requested.
        expect(collateralParams(QUOTE)).toEqual({ fmspc: '90C06F000000', ca: 'platform' });
        expect(requests[0]).toBe('/sgx/certification/v4/pckcrl?ca=platform&encoding=der');
        expect(requests[1]).toMatch(/^\/tdx\/certification\/v4\/tcb\?fmspc=[0-9A-F]{12}$/);
        expect(requests).toContain('/tdx/certification/v4/qe/identity?update=standard');
        expect(requests).toContain('/sgx/certification/v4/rootcacrl');
    });

    it('never contacts the PCCS for a quote that fails the offline checks', async () => {
        mode = 'bogus';
        await expect(new PccsQuoteVerifier({ pccsUrl: base }).verify(tampered(MR_TD), AT)).rejects.toMatchObject({
            code: 'QUOTE_SIGNATURE',
        });
        expect(requests).toEqual([]);
        expect(() => new PccsQuoteVerifier({ pccsUrl: 'ftp://x' })).toThrow(AttestationError);
    });
});

describe('verified-quote cache', () => {
    it('expires entries after the TTL and evicts the oldest beyond capacity', () => {
        const cache = new QuoteCache<number>(2, 1000);
        const a = QuoteCache.key(Buffer.from('a'));
        const b = QuoteCache.key(Buffer.from('b'));
        const c = QuoteCache.key(Buffer.from('c'));
        cache.set(a, 1, 0);
        cache.set(b, 2, 10);
        expect(cache.get(a, 999)).toBe(1);
        expect(cache.get(a, 1000)).toBeUndefined();
        cache.set(a, 1, 1000);
        cache.set(c, 3, 1001);
        expect(cache.size).toBe(2);
        expect(cache.get(b, 1002)).toBeUndefined();
        expect(cache.get(c, 1002)).toBe(3);
        // A clock that went backwards invalidates rather than trusting the entry.
        expect(cache.get(c, 500)).toBeUndefined();
    });
});
