/**
 * The attestation preamble the original router (`--serialize-info`) writes on a plaintext stream before
 * the first packet frame: `[len:u32 LE][AttestedPeerInfo]`, td-serialised as
 *   AttestationData: has_value:int32(0|1) [variant:int32 (0 TDX, 1 SGX) fields] collateral_root_hash:48
 *     TDX: mr_td mr_config_id mr_owner mr_owner_config rtmr0..3 (48 B each) reportdata (64 B)
 *     SGX: mr_enclave (32 B) reportdata (64 B)
 *   UserClaims: public key as a TL string; source_ip:string source_port:int32
 *   destination_ip:string destination_port:int32
 * A runner behind the router reads it to learn who is on the other side.
 */
import type { Socket } from 'net';
import { PeerIdentity, TdxMeasurements, imageHash, isFakeTdx } from '../attestation';
import { ProtocolError } from './errors';
import { readExactly } from './pow';
import { TlReader, TlWriter } from './tl/runtime';

export const MAX_PEER_INFO_SIZE = 16536;

export type PeerAttestation =
    | { kind: 'none' }
    | { kind: 'tdx'; measurements: TdxMeasurements }
    | { kind: 'sgx'; mrEnclave: Buffer; reportData: Buffer };

export interface AttestedPeerInfo {
    attestation: PeerAttestation;
    collateralRootHash: Buffer;
    /** Raw Ed25519 key from the peer's certificate (empty when the router had none). */
    publicKey: Buffer;
    sourceIp: string;
    sourcePort: number;
    destinationIp: string;
    destinationPort: number;
}

export function encodePeerInfo(info: AttestedPeerInfo): Buffer {
    const w = new TlWriter(1024);
    w.raw(Buffer.alloc(4));
    const a = info.attestation;
    w.int32(a.kind === 'none' ? 0 : 1);
    if (a.kind === 'tdx') {
        const m = a.measurements;
        w.int32(0);
        for (const r of [m.mrTd, m.mrConfigId, m.mrOwner, m.mrOwnerConfig, ...m.rtmr]) w.fixed(r, 48, 'measurement');
        w.fixed(m.reportData, 64, 'reportdata');
    } else if (a.kind === 'sgx') {
        w.int32(1);
        w.fixed(a.mrEnclave, 32, 'mr_enclave');
        w.fixed(a.reportData, 64, 'reportdata');
    }
    w.fixed(info.collateralRootHash, 48, 'collateral_root_hash');
    w.bytes(info.publicKey, 'user_claims');
    w.string(info.sourceIp, 'source_ip');
    w.int32(info.sourcePort, 'source_port');
    w.string(info.destinationIp, 'destination_ip');
    w.int32(info.destinationPort, 'destination_port');
    const out = w.finish();
    out.writeUInt32LE(out.length - 4, 0);
    return out;
}

export function decodePeerInfo(body: Buffer): AttestedPeerInfo {
    const r = new TlReader(body);
    const has = r.int32('has_value');
    let attestation: PeerAttestation = { kind: 'none' };
    if (has !== 0 && has !== 1) throw new ProtocolError('PEER_INFO', `bad has_value ${has} in attestation preamble`);
    if (has === 1) {
        const variant = r.int32('variant');
        if (variant === 0) {
            const m = () => r.fixed(48, 'measurement');
            const mrTd = m();
            const mrConfigId = m();
            const mrOwner = m();
            const mrOwnerConfig = m();
            const rtmr: [Buffer, Buffer, Buffer, Buffer] = [m(), m(), m(), m()];
            attestation = {
                kind: 'tdx',
                measurements: { mrTd, mrConfigId, mrOwner, mrOwnerConfig, rtmr, reportData: r.fixed(64, 'reportdata') },
            };
        } else if (variant === 1) {
            attestation = { kind: 'sgx', mrEnclave: r.fixed(32, 'mr_enclave'), reportData: r.fixed(64, 'reportdata') };
        } else {
            throw new ProtocolError('PEER_INFO', `unknown attestation variant ${variant} in preamble`);
        }
    }
    const info: AttestedPeerInfo = {
        attestation,
        collateralRootHash: r.fixed(48, 'collateral_root_hash'),
        publicKey: r.bytes('user_claims'),
        sourceIp: r.string('source_ip'),
        sourcePort: r.int32('source_port'),
        destinationIp: r.string('destination_ip'),
        destinationPort: r.int32('destination_port'),
    };
    r.end('AttestedPeerInfo');
    return info;
}

/** What a runner behind the router learns about its peer (the router already verified the quote). */
export function identityFromPeerInfo(info: AttestedPeerInfo): PeerIdentity {
    const a = info.attestation;
    if (a.kind === 'tdx') {
        return {
            policy: 'router',
            attestation: isFakeTdx(a.measurements) ? 'fake' : 'tdx',
            imageHash: imageHash(a.measurements),
            publicKey: info.publicKey,
            measurements: a.measurements,
            collateralRootHash: info.collateralRootHash,
            remoteAddress: info.sourceIp,
            remotePort: info.sourcePort,
        };
    }
    return {
        policy: 'router',
        attestation: 'none',
        imageHash: Buffer.alloc(32),
        publicKey: info.publicKey,
        remoteAddress: info.sourceIp,
        remotePort: info.sourcePort,
    };
}

export async function readPeerInfo(socket: Socket, timeoutMs: number, maxSize = MAX_PEER_INFO_SIZE): Promise<AttestedPeerInfo> {
    const len = (await readExactly(socket, 4, timeoutMs, 'attestation preamble length')).readUInt32LE(0);
    if (len > maxSize) throw new ProtocolError('PEER_INFO', `attestation preamble of ${len} bytes exceeds ${maxSize}`);
    return decodePeerInfo(await readExactly(socket, len, timeoutMs, 'attestation preamble'));
}
