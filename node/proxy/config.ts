/**
 * The proxy runner's configuration: what it connects to, where it keeps its state, its limits and
 * periods, each with the original's default. `cocoon proxy` fills it from flags, env and a config file.
 */
import { toNano, type Address } from '@ton/core';
import type { ChainClient, ChainWallet } from '../chain';
import type { RaTlsContext } from '../attestation';
import type { ProtoRange } from '../protocol';
import type { Logger } from '../common/log';

export interface ProxyThresholds {
    /** Charge a client on-chain once this much (nanoTON) is signable and uncharged (original: 1 TON). */
    charge: bigint;
    /** Pay a worker once its signable, unpaid share reaches this (original: 10 TON). */
    payout: bigint;
    /** Withdraw the contract's commission once it reaches this (original: 10 TON). */
    withdraw: bigint;
    /**
     * Also settle an amount below its threshold once it has waited this long (ms; 0 = by amount only, as
     * the original). Whichever comes first; the fee guard below still applies to a settlement by time.
     */
    settleAfterMs: number;
    /** What one settlement message costs the proxy's wallet in fees (nanoTON; an estimate, see docs/runners.md). */
    feeEstimate: bigint;
    /** Fee guard for a settlement by time: it is sent only when feeEstimate <= maxFeeShare x the amount (0 < share <= 1). */
    maxFeeShare: number;
}

export interface ProxyIntervals {
    dbCommitMs: number;
    chainCommitMs: number;
    pollMs: number;
    rootMs: number;
    monitorMs: number;
    settleMs: number;
}

export interface ProxyRunnerConfig {
    chain: ChainClient;
    /** The proxy's wallet: owner of the proxy contract and sender of its transactions. */
    wallet: ChainWallet;
    root: Address;
    /** The proxy's signing key (Ed25519; 64-byte secret key as @ton/crypto keeps it). */
    key: { publicKey: Buffer; secretKey: Buffer };
    /** The proxy's directory: its PGlite store (`db/`) and settle journal. Omit for an in-memory proxy (tests). */
    dataDir?: string;
    /** postgres://… keeps the store in PostgreSQL instead of PGlite (the journal stays in dataDir). */
    databaseUrl?: string;
    host?: string;
    workerPort?: number;
    clientPort?: number;
    /** RA-TLS for the worker port (policy fake/tdx) and the client port (policy any); omit for plaintext. */
    workerTls?: RaTlsContext;
    clientTls?: RaTlsContext;
    /** Proof-of-work difficulty demanded before TLS (default 20, as the original router; 0 = a challenge any nonce solves). */
    powDifficulty?: number;
    /** Check worker image and model hashes against the root (default: on unless the root is a test root). */
    checkWorkerHashes?: boolean;
    thresholds?: Partial<ProxyThresholds>;
    intervals?: Partial<ProxyIntervals>;
    /** Client-port connections not yet authorised, at most (default DEFAULT_MAX_UNAUTHENTICATED_CLIENTS); more are closed at once. */
    maxUnauthenticatedClients?: number;
    /** Long auths waiting for their on-chain registration, at most (default DEFAULT_MAX_LONG_AUTH_WAITS); more are refused with 429. */
    maxLongAuthWaits?: number;
    /** Largest timeout a request may run, seconds; longer ones are capped (default DEFAULT_MAX_QUERY_TIMEOUT_S). */
    maxQueryTimeoutSeconds?: number;
    /** fdatasync each settle-journal line before the client sees its request end (default true; false only to measure its cost). */
    journalFsync?: boolean;
    /** Stake kept in the proxy contract (default: the root's min_proxy_stake). */
    stake?: bigint;
    /** Protocol versions this proxy speaks (default OUR_RANGES.proxy; an older range makes an old-version proxy). */
    protoRange?: ProtoRange;
    logger?: Logger;
}

export const DEFAULT_PROXY_THRESHOLDS: ProxyThresholds = {
    charge: toNano('1'),
    payout: toNano('10'),
    withdraw: toNano('10'),
    settleAfterMs: 0,
    feeEstimate: toNano('0.01'),
    maxFeeShare: 0.1,
};
export const DEFAULT_PROXY_INTERVALS: ProxyIntervals = {
    dbCommitMs: 1000,
    chainCommitMs: 30_000,
    pollMs: 2000,
    rootMs: 30_000,
    monitorMs: 5000,
    settleMs: 10_000,
};

/**
 * A condition under which the proxy must stop signing: another copy of it is running (CLONE), its session
 * never reached the chain (SESSION), its contract cannot serve (CONTRACT), or its store is behind what
 * the chain shows it did (ROLLBACK: restored from an old backup).
 */
export class ProxyFatalError extends Error {
    constructor(
        readonly code: 'CLONE' | 'SESSION' | 'CONTRACT' | 'ROLLBACK',
        message: string,
    ) {
        super(message);
    }
}
