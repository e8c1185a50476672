/**
 * DCAP quote parsing (v4 and v5, TDX 1.0/1.5 bodies, ECDSA-P256 attestation keys). Only parsing: the
 * signatures and the certificate chain are checked in verify-offline.ts / verify-pccs.ts.
 *
 * Layout: header(48) | body (v4: TD report 584 B; v5: type u16 + size u32 + body) |
 *         sig_len u32 | ecdsa_sig(64) | attest_key(64) | cert_type u16 | cert_len u32 | cert_data
 * cert_type 6 = QE report certification data: qe_report(384) | qe_report_sig(64) |
 *         qe_auth_len u16 | qe_auth | inner cert_type u16 (5 = PEM chain) | len u32 | data
 */
import { AttestationError } from '../errors';
import { MEASUREMENT_SIZE, REPORT_DATA_SIZE, TdxMeasurements } from '../measurements';

export const TEE_TYPE_TDX = 0x81;
export const TEE_TYPE_SGX = 0x00;
export const QUOTE_HEADER_SIZE = 48;
export const TD_REPORT10_SIZE = 584;
export const TD_REPORT15_SIZE = 648;
export const QE_REPORT_SIZE = 384;
export const ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
/** The original refuses quote extensions above 32 KiB. */
export const MAX_QUOTE_SIZE = 32 * 1024;

export interface ParsedQuote {
    version: number;
    attestationKeyType: number;
    teeType: number;
    qeVendorId: Buffer;
    /** Header + body: the bytes the attestation key signs. */
    signedData: Buffer;
    body: Buffer;
    measurements: TdxMeasurements;
    /** Extra TD report fields worth showing in diagnostics. */
    mrSeam: Buffer;
    teeTcbSvn: Buffer;
    tdAttributes: Buffer;
    signature: Buffer;
    attestationKey: Buffer;
    qeReport: Buffer;
    qeReportSignature: Buffer;
    qeAuthData: Buffer;
    /** PEM text of the PCK chain (leaf first) carried in the quote. */
    pckChainPem: string;
}

class Cursor {
    pos = 0;
    constructor(private readonly buf: Buffer) {}
    take(n: number, what: string): Buffer {
        if (n < 0 || this.pos + n > this.buf.length) {
            throw new AttestationError(
                'QUOTE_PARSE',
                `quote truncated: ${what} needs ${n} bytes at offset ${this.pos} of ${this.buf.length}`,
            );
        }
        const out = this.buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        return out;
    }
    u16(what: string): number {
        return this.take(2, what).readUInt16LE(0);
    }
    u32(what: string): number {
        return this.take(4, what).readUInt32LE(0);
    }
}

function parseTdBody(body: Buffer): Pick<ParsedQuote, 'measurements' | 'mrSeam' | 'teeTcbSvn' | 'tdAttributes'> {
    const c = new Cursor(body);
    const teeTcbSvn = c.take(16, 'tee_tcb_svn');
    const mrSeam = c.take(48, 'mr_seam');
    c.take(48, 'mr_signer_seam');
    c.take(8, 'seam_attributes');
    const tdAttributes = c.take(8, 'td_attributes');
    c.take(8, 'xfam');
    const m = () => Buffer.from(c.take(MEASUREMENT_SIZE, 'measurement'));
    const mrTd = m();
    const mrConfigId = m();
    const mrOwner = m();
    const mrOwnerConfig = m();
    const rtmr: [Buffer, Buffer, Buffer, Buffer] = [m(), m(), m(), m()];
    const reportData = Buffer.from(c.take(REPORT_DATA_SIZE, 'report_data'));
    return {
        measurements: { mrTd, mrConfigId, mrOwner, mrOwnerConfig, rtmr, reportData },
        mrSeam: Buffer.from(mrSeam),
        teeTcbSvn: Buffer.from(teeTcbSvn),
        tdAttributes: Buffer.from(tdAttributes),
    };
}

export function parseQuote(raw: Buffer): ParsedQuote {
    if (raw.length > MAX_QUOTE_SIZE) {
        throw new AttestationError('QUOTE_TOO_LARGE', `quote of ${raw.length} bytes exceeds ${MAX_QUOTE_SIZE}`);
    }
    if (raw.length < QUOTE_HEADER_SIZE + TD_REPORT10_SIZE) {
        throw new AttestationError(
            'QUOTE_PARSE',
            `a ${raw.length}-byte blob is too short for a DCAP TDX quote (is the peer using fake attestation?)`,
        );
    }
    const c = new Cursor(raw);
    const version = c.u16('version');
    const attestationKeyType = c.u16('attestation_key_type');
    const teeType = c.u32('tee_type');
    c.take(4, 'reserved');
    const qeVendorId = Buffer.from(c.take(16, 'qe_vendor_id'));
    c.take(20, 'user_data');
    if (teeType !== TEE_TYPE_TDX) {
        throw new AttestationError(
            'QUOTE_NOT_TDX',
            `quote TEE type 0x${teeType.toString(16)} is not TDX (SGX quotes are not accepted for TLS)`,
        );
    }
    let body: Buffer;
    if (version === 4) {
        body = c.take(TD_REPORT10_SIZE, 'TD report');
    } else if (version === 5) {
        const bodyType = c.u16('body_type');
        const size = c.u32('body_size');
        if (!((bodyType === 2 && size === TD_REPORT10_SIZE) || (bodyType === 3 && size === TD_REPORT15_SIZE))) {
            throw new AttestationError('QUOTE_PARSE', `unsupported v5 quote body type ${bodyType} of ${size} bytes`);
        }
        body = c.take(size, 'TD report');
    } else {
        throw new AttestationError('QUOTE_PARSE', `unsupported quote version ${version} (TDX quotes are v4 or v5)`);
    }
    const signedData = raw.subarray(0, c.pos);
    const sigLen = c.u32('signature data length');
    const sig = new Cursor(c.take(sigLen, 'signature data'));
    const signature = Buffer.from(sig.take(64, 'ecdsa signature'));
    const attestationKey = Buffer.from(sig.take(64, 'attestation key'));
    const certType = sig.u16('certification data type');
    const certData = new Cursor(sig.take(sig.u32('certification data length'), 'certification data'));
    if (certType !== 6) {
        throw new AttestationError('QUOTE_PARSE', `certification data type ${certType} is not 6 (QE report certification data)`);
    }
    const qeReport = Buffer.from(certData.take(QE_REPORT_SIZE, 'QE report'));
    const qeReportSignature = Buffer.from(certData.take(64, 'QE report signature'));
    const qeAuthData = Buffer.from(certData.take(certData.u16('QE auth data length'), 'QE auth data'));
    const innerType = certData.u16('PCK certification data type');
    const inner = certData.take(certData.u32('PCK certification data length'), 'PCK certification data');
    if (innerType !== 5) {
        throw new AttestationError(
            'QUOTE_PARSE',
            `PCK certification data type ${innerType} is not 5 (PEM chain); encrypted-PPID quotes need a PCCS to fetch the PCK certificate`,
        );
    }
    return {
        version,
        attestationKeyType,
        teeType,
        qeVendorId,
        signedData: Buffer.from(signedData),
        body: Buffer.from(body),
        ...parseTdBody(body),
        signature,
        attestationKey,
        qeReport,
        qeReportSignature,
        qeAuthData,
        pckChainPem: inner.toString('latin1').replace(/\0+$/, ''),
    };
}
