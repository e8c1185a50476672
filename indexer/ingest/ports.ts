/**
 * What the ingest engine needs from the outside world, kept narrow so the engine can be driven by the
 * real chain (node/chain + wrappers) or by the benchmark's synthetic source alike.
 */
import type { AccountKind, ExitCodeInfo, OpcodeInfo } from '../domain';
import type { AccountState, ChainTx, DecodedTx, KnownAccount } from './types';

export interface TxId {
    lt: bigint;
    /** lowercase hex */
    hash: string;
}

export interface Head {
    seqno: number;
    utime: number;
}

export interface IngestChain {
    head(): Promise<Head>;
    /** Last transaction of the account as of block `seqno` (null: none yet). */
    lastTx(address: string, seqno: number): Promise<TxId | null>;
    /** Up to `limit` transactions, newest first, starting at `from` inclusive. */
    transactions(address: string, from: TxId, limit: number): Promise<ChainTx[]>;
    /** Accounts with transactions in block `seqno`; null when the source cannot list blocks. */
    blockAccounts?(seqno: number): Promise<string[] | null>;
}

export interface Classification extends KnownAccount {
    discoveredVia: 'config' | 'code_hash' | 'message' | 'parent';
}

export interface StateReader {
    /** True when read() at an old seqno returns that block's state (archive nodes); false: always the latest. */
    historical?: boolean;
    /** Current state of a known account at block `seqno`, parsed for its kind. */
    read(account: KnownAccount, seqno: number): Promise<AccountState>;
    /**
     * Decides whether an unknown address is one of ours, from its code hash (child codes of every params
     * version, the cocoon wallet code) and, failing that, from its parsed data pointing at a known parent.
     */
    classify(address: string, seqno: number, ctx: ClassifyContext): Promise<Classification | null>;
}

export interface ClassifyContext {
    root: string;
    codeKinds: ReadonlyMap<string, { kind: AccountKind; paramsVersion: number }>;
    known: ReadonlyMap<string, KnownAccount>;
    /** Wallets are only followed when reached through a message (never adopted from a block scan). */
    viaMessage: boolean;
}

export interface Decoder {
    decode(tx: ChainTx, account: KnownAccount): DecodedTx;
}

/** Everything ingest reads the chain and the contracts through; the service starts the engine on these. */
export interface IngestPorts {
    chain: IngestChain;
    decoder: Decoder;
    states: StateReader;
    opcodes: OpcodeInfo[];
    exitCodes: ExitCodeInfo[];
    isRootConfigChange: (opName: string | null) => boolean;
}
