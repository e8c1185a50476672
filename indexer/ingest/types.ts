/** Shapes passed between the ingest stages (fetch -> decode -> store). */
import type { LeanChainTx } from '../../node/chain/lean-v4';
import type { TxFacts } from './txfacts';
import type { AccountKind, EventType, GpuProfileInfo, RootConfig } from '../domain';

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

/** An outgoing message as stored with its transaction (destination, value, opcode and name, logical time). */
export interface OutMessageInfo {
    dest: string | null;
    value: bigint;
    op: number | null;
    name: string | null;
    createdLt: bigint | null;
}

/**
 * A decoded transaction: its message-independent facts (TxFacts, minus the cells, so it crosses threads)
 * plus what the catalogue made of it. `inCreatedLt` with `source` identifies the parent transaction.
 */
export type DecodedTx = Omit<TxFacts, 'body' | 'outMessages'> & {
    opName: string | null;
    outMsgs: number;
    /** Outgoing messages, for message chains. */
    outMessages: OutMessageInfo[];
    events: DecodedEvent[];
};

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
    | { kind: 'wallet'; owner: string | null }
    | {
          kind: 'registry';
          owner: string;
          root: string;
          /** wrappers/CocoonRegistry REGISTRY_STATUS_NAMES index. */
          status: number;
          deposit: bigint;
          registeredAt: number;
          updatedAt: number;
          /** The decoded profile (worker keys as hex), null before registration or when it does not parse. */
          profile: GpuProfile | null;
      };

/** A registry profile as stored and served (the API's shape). */
export type GpuProfile = GpuProfileInfo;

export interface RootChange {
    lt: bigint;
    hash: string;
    utime: number;
    change: string;
    config: RootConfig;
}
