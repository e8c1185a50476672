/**
 * TDX measurements as COCOON identifies an image: MRTD (firmware), MRCONFIGID, MROWNER, MROWNERCONFIG,
 * RTMR0-3 (48 bytes each) and the 64-byte REPORTDATA. The image hash is SHA-256 of the 448-byte
 * serialisation `mr_td || mr_config_id || mr_owner || mr_owner_config || rtmr0..3 || 64 zero bytes`
 * (reportdata zeroed, so the hash names the image, not the key it attests).
 */
import { createHash } from 'crypto';
import { AttestationError } from './errors';

export interface TdxMeasurements {
    mrTd: Buffer;
    mrConfigId: Buffer;
    mrOwner: Buffer;
    mrOwnerConfig: Buffer;
    rtmr: [Buffer, Buffer, Buffer, Buffer];
    reportData: Buffer;
}

export const MEASUREMENT_SIZE = 48;
export const REPORT_DATA_SIZE = 64;
export const MEASUREMENT_BLOB_SIZE = 8 * MEASUREMENT_SIZE + REPORT_DATA_SIZE;

export function zeroMeasurements(reportData: Buffer = Buffer.alloc(REPORT_DATA_SIZE)): TdxMeasurements {
    const z = () => Buffer.alloc(MEASUREMENT_SIZE);
    return { mrTd: z(), mrConfigId: z(), mrOwner: z(), mrOwnerConfig: z(), rtmr: [z(), z(), z(), z()], reportData };
}

/** The 448-byte td-serialisation (same byte order as the C++ TdxAttestationData::store). */
export function serializeMeasurements(m: TdxMeasurements): Buffer {
    const parts = [m.mrTd, m.mrConfigId, m.mrOwner, m.mrOwnerConfig, ...m.rtmr];
    for (const p of parts) {
        if (p.length !== MEASUREMENT_SIZE)
            throw new AttestationError('QUOTE_PARSE', `measurement register must be 48 bytes, got ${p.length}`);
    }
    if (m.reportData.length !== REPORT_DATA_SIZE) {
        throw new AttestationError('QUOTE_PARSE', `reportdata must be 64 bytes, got ${m.reportData.length}`);
    }
    return Buffer.concat([...parts, m.reportData]);
}

export function parseMeasurements(blob: Buffer): TdxMeasurements {
    if (blob.length !== MEASUREMENT_BLOB_SIZE) {
        throw new AttestationError('QUOTE_PARSE', `measurement blob must be ${MEASUREMENT_BLOB_SIZE} bytes, got ${blob.length}`);
    }
    const at = (i: number) => Buffer.from(blob.subarray(i * MEASUREMENT_SIZE, (i + 1) * MEASUREMENT_SIZE));
    return {
        mrTd: at(0),
        mrConfigId: at(1),
        mrOwner: at(2),
        mrOwnerConfig: at(3),
        rtmr: [at(4), at(5), at(6), at(7)],
        reportData: Buffer.from(blob.subarray(8 * MEASUREMENT_SIZE)),
    };
}

export function imageHash(m: TdxMeasurements): Buffer {
    const blob = serializeMeasurements({ ...m, reportData: Buffer.alloc(REPORT_DATA_SIZE) });
    return createHash('sha256').update(blob).digest();
}

/** The original labels attestations whose RTMR0 is zero as "fake TDX". */
export function isFakeTdx(m: TdxMeasurements): boolean {
    return m.rtmr[0].every((b) => b === 0);
}

/** reportdata binding: SHA-512 of the user claims, which are the raw 32-byte Ed25519 public key. */
export function userClaimsHash(publicKey: Buffer): Buffer {
    return createHash('sha512').update(publicKey).digest();
}
