/**
 * Unsigned big-endian integers as the contracts store keys and hashes (uint256 public keys, sha256 model
 * and secret hashes, session hashes, nonces), to and from bytes and hex: the one place that converts them,
 * for the wrappers, node/ and the indexer alike. Only Node's crypto, so every layer can import it.
 */
import { createHash } from 'crypto';

/** Big-endian bytes -> unsigned bigint (0n for no bytes). */
export function bufferToBigInt(bytes: Uint8Array): bigint {
    return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
}

/** A uint256 as 64 lowercase hex digits (no 0x), as the indexer, the stats pages and the CLI show hashes and keys. */
export function uint256Hex(v: bigint): string {
    return v.toString(16).padStart(64, '0');
}

/** A uint256 as its 32 big-endian bytes (a TL `int256`, a hash in a BOC). */
export function uint256Bytes(v: bigint): Buffer {
    return Buffer.from(uint256Hex(v), 'hex');
}

/** 64 hex digits, with or without 0x (either case) -> uint256; undefined for anything else. */
export function uint256FromHex(text: string): bigint | undefined {
    const hex = text.replace(/^0x/i, '');
    return /^[0-9a-fA-F]{64}$/.test(hex) ? BigInt('0x' + hex) : undefined;
}

/** sha256 of a text (UTF-8) or bytes as a uint256: how the contracts hold a client's secret and a model name. */
export function sha256BigInt(data: string | Uint8Array): bigint {
    return bufferToBigInt(createHash('sha256').update(data).digest());
}
