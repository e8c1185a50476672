/**
 * What the two inbound handshakes share: the port through which a connection reaches the rest of the proxy
 * (the runner in production, a fake in the unit tests), protocol version negotiation and the proxy's
 * params (COCOON *InboundConnection::check_params / proxy.params).
 */
import { Address } from '@ton/core';
import type { ClientContractState, RootState } from '../chain/cocoon';
import type { RateCounterSet } from '../common/rate-set';
import {
    OUR_RANGES,
    ProtocolError,
    QueryError,
    advertisedRange,
    negotiateProtoVersion,
    type ProtoRange,
    type proxy_params,
} from '../protocol';
import { type Logger } from '../common/log';
import type { ProxyAccounts } from './ledgers';
import type { PaymentSigner, ProxyClientInfo, ProxyWorkerInfo } from './peers';
import type { QueryRelay } from './relay';
import type { AttestationSource } from './attestation-report';
import {} from '../../wrappers/uint256';

/** What both inbound connections need from the proxy. Getters: root and contract change on a migration. */
export interface ProxyPort {
    readonly log: Logger;
    readonly root: RootState;
    /** The proxy contract for the current params. */
    readonly contract: Address;
    readonly owner: Address;
    readonly publicKey: Buffer;
    readonly accounts: ProxyAccounts;
    readonly relay: QueryRelay<ProxyClientInfo, ProxyWorkerInfo>;
    readonly stats: RateCounterSet;
    readonly sign: PaymentSigner;
    /** The protocol versions this proxy speaks (default OUR_RANGES.proxy; older ranges build an old-version proxy for tests). */
    readonly protoRange?: ProtoRange;
    /** A link id unique in this process: `c<n>` for clients, `w<n>` for workers. */
    nextLinkId(kind: 'c' | 'w'): string;
}

export interface ClientPort extends ProxyPort {
    /** Re-reads the root (a client asked for a newer config version than the proxy knows). */
    refreshRoot(): Promise<void>;
    readClientContract(contract: Address): Promise<ClientContractState | null>;
    /**
     * Resolves true once an owner_client_register with `nonce` from `contract` reached the proxy contract,
     * false after `timeoutMs` or when `signal` aborts (the connection closed).
     */
    waitRegister(contract: Address, nonce: bigint, timeoutMs: number, signal: AbortSignal): Promise<boolean>;
    /** Long auths waiting for their registration now, and how many may (each holds a connection up to 300 s). */
    longAuthWaits(): number;
    readonly maxLongAuthWaits: number;
    /** What `cocoonx.getAttestationReport` is built from (attestation-report.ts); absent: no reports. */
    readonly attestation?: AttestationSource;
}

export interface WorkerPort extends ProxyPort {
    /** Check the worker's image and model hashes against the root (off for test roots and plaintext tests). */
    readonly checkWorkerHashes: boolean;
}

interface PeerParams {
    flags?: number;
    is_test?: boolean;
    min_proto_version?: number;
    max_proto_version?: number;
}

/** The protocol version both sides speak (the highest), or a 400 saying why there is none. */
export function negotiate(p: PeerParams, isTest: boolean, who: 'client' | 'worker', local: ProtoRange = OUR_RANGES.proxy): number {
    if (!((p.flags ?? 0) & 1)) throw new QueryError(400, `${who} is too old: params without is_test`);
    if (p.is_test !== isTest) throw new QueryError(400, `test mode mismatch: the proxy's root is ${isTest ? '' : 'not '}a test root`);
    try {
        return negotiateProtoVersion(local, advertisedRange(p), who);
    } catch (e) {
        if (e instanceof ProtocolError) throw new QueryError(400, e.message);
        throw e;
    }
}

export function proxyParams(port: ProxyPort, proto: number): proxy_params {
    return {
        _: 'proxy.params',
        flags: 3,
        proxy_public_key: port.publicKey,
        proxy_owner_address: port.owner.toString(),
        proxy_sc_address: port.contract.toString(),
        is_test: port.root.params.isTest,
        proto_version: proto,
    };
}

export function parseOwner(s: string, who: 'client' | 'worker'): Address {
    try {
        return Address.parse(s);
    } catch {
        throw new QueryError(400, `${who} owner address '${s}' is not a TON address`);
    }
}
