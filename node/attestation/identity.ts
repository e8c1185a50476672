import type { TdxMeasurements } from './measurements';
import type { PolicyKind } from './policy';

/**
 * Who is on the other side of a connection, as established by RA-TLS (or reported by the original
 * router's attestation preamble, policy 'router'). Runners compare `imageHash` with the root
 * contract's proxy/worker hashes.
 */
export interface PeerIdentity {
    policy: PolicyKind | 'router' | 'none';
    attestation: 'none' | 'fake' | 'tdx';
    /** SHA-256 image hash (32 zero bytes when the peer is not attested). */
    imageHash: Buffer;
    /** Raw 32-byte Ed25519 key of the peer's TLS certificate (empty on plain TCP without a preamble). */
    publicKey: Buffer;
    measurements?: TdxMeasurements;
    collateralRootHash?: Buffer;
    tcbStatus?: string;
    /** DER of the peer certificate (RA-TLS only). */
    certificate?: Buffer;
    certificateNotAfter?: Date;
    remoteAddress?: string;
    remotePort?: number;
}

export function unattestedIdentity(remoteAddress?: string, remotePort?: number): PeerIdentity {
    return { policy: 'none', attestation: 'none', imageHash: Buffer.alloc(32), publicKey: Buffer.alloc(0), remoteAddress, remotePort };
}
