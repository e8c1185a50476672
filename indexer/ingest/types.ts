/** Shapes passed between the ingest stages (fetch -> decode -> store). */
import type { LeanChainTx } from '../../node/chain/lean-v4';
import type { AccountKind, EventType, RootConfig } from '../api/types';

/** A contract the indexer follows, with what the decoder needs to price its events. */
export interface KnownAccount {
    address: string;
    kind: AccountKind;
    codeHash: string | null;
    paramsVersion: number | null;
    /** root for a proxy, proxy for a client or worker. */
    parent: string | null;
    owner: string | null;
    pricePerToken: bigint | null;
    workerFeePerToken: bigint | null;
}

/**
 * A transaction as fetched: its lean-parsed body plus where it sits on chain (account, lt, hex hash, utime,
 * block seqno or null), and optionally the BOC it came from. node/chain's lean v4 reader yields these.
 */
export type ChainTx = LeanChainTx;

/** Where a transaction sits, without its body (what is kept once it is decoded). */
export type TxMeta = Omit<ChainTx, 'tx'>;

export interface DecodedEvent {
    type: EventType;
    /** Defaults to the transaction's success (a deploy happens even when the deploying message fails). */
    success?: boolean;
    proxy?: string | null;
    client?: string | null;
    worker?: string | null;
    owner?: string | null;
    amount?: bigint | null;
    /**
     * Cumulative token counter carried by the message (charge, payout request). The store turns it into
     * the delta over the contract's previous counter, because only the store knows the history.
     */
    cumulativeTokens?: bigint;
    payload: Record<string, unknown>;
}

export interface DecodedTx {
    op: number | null;
    opName: string | null;
    source: string | null;
    external: boolean;
    inValue: bigint;
    totalFees: bigint;
    success: boolean;
    exitCode: number | null;
    actionResultCode: number | null;
    aborted: boolean;
    bounced: boolean;
    outMsgs: number;
    /** Logical time of the inbound internal message; with the source it identifies the parent transaction. */
    inCreatedLt?: bigint | null;
    /** Outgoing messages (destination, value, opcode and name, logical time), for message chains. */
    outMessages?: { dest: string | null; value: bigint; op: number | null; name: string | null; createdLt: bigint | null }[];
    /** The account went from not-active to active in this transaction. */
    deployed: boolean;
    events: DecodedEvent[];
    /** Addresses this transaction exchanged messages with (discovery follows them). */
    peers: string[];
}

/** Current on-chain state of an account, parsed for its kind. */
export interface AccountState {
    address: string;
    status: 'active' | 'uninit' | 'frozen' | 'nonexist';
    balance: bigint;
    codeHash: string | null;
    seqno: number;
    lastLt: bigint | null;
    kindState?: KindState;
}

export type KindState =
    | { kind: 'root'; config: RootConfig }
    | {
          kind: 'proxy';
          owner: string;
          publicKey: string;
          root: string;
          state: number;
          balance: bigint;
          stake: bigint;
          unlockTs: number;
          paramsVersion: number;
          pricePerToken: bigint;
          workerFeePerToken: bigint;
          minProxyStake: bigint;
          minClientStake: bigint;
      }
    | {
          kind: 'client';
          owner: string;
          proxy: string;
          proxyPublicKey: string;
          state: number;
          balance: bigint;
          stake: bigint;
          tokensUsed: bigint;
          unlockTs: number;
          secretHash: string;
          paramsVersion: number;
          pricePerToken: bigint;
      }
    | {
          kind: 'worker';
          owner: string;
          proxy: string;
          proxyPublicKey: string;
          state: number;
          tokens: bigint;
          paramsVersion: number;
          workerFeePerToken: bigint;
      }
    | { kind: 'wallet'; owner: string | null };

export interface RootChange {
    lt: bigint;
    hash: string;
    utime: number;
    change: string;
    config: RootConfig;
}
