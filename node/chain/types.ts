/**
 * One chain interface for every service (runners, indexer, CLI), whatever the endpoint: the embedded
 * local chain, testnet or mainnet, over ton-api-v4 (TonClient4) or toncenter v2 (TonClient).
 */
import type { Address, Cell, Contract, ContractProvider, OpenedContract, StateInit, Transaction, TupleItem, TupleReader } from '@ton/core';

export interface TxId {
    lt: bigint;
    hash: Buffer;
}

export interface ChainTx {
    lt: bigint;
    hash: Buffer;
    utime: number;
    /** The transaction cell (BOC root). */
    cell: Cell;
    /** Parsed transaction. */
    tx: Transaction;
    /** Previous transaction of the same account (lt 0 when none). */
    prev: TxId;
}

export interface AccountState {
    state: 'active' | 'uninit' | 'frozen';
    balance: bigint;
    code: Cell | null;
    data: Cell | null;
    last: TxId | null;
}

/** What account() says without the code and data cells (nothing to fetch and hash). */
export type AccountSummary = Omit<AccountState, 'code' | 'data'>;

export interface Head {
    seqno: number;
    utime: number;
}

export interface BlockTx {
    /** Raw address "0:hex". */
    account: string;
    lt: bigint;
    hash: Buffer;
}

export interface ChainClient {
    readonly url: string;
    readonly kind: 'v4' | 'v2';
    head(): Promise<Head>;
    account(address: Address): Promise<AccountState>;
    /** Runs a get-method on the latest state; throws ChainError('GET_METHOD') on a non-zero exit code. */
    runGetMethod(address: Address, method: string, args?: TupleItem[]): Promise<TupleReader>;
    /** A ContractProvider for wrappers (getters, internal sends through a Sender, externals). */
    provider(address: Address, init?: StateInit | null): ContractProvider;
    open<T extends Contract>(contract: T): OpenedContract<T>;
    sendExternal(message: Cell): Promise<void>;
    /** State, balance and newest transaction: account() without the code and data cells, for pollers. */
    accountSummary(address: Address): Promise<AccountSummary>;
    /** Up to `limit` transactions, newest first, from `from` inclusive (default: the newest). */
    transactions(address: Address, opts: { from?: TxId; limit: number }): Promise<ChainTx[]>;
    /** Transactions in a masterchain block (all its shards). */
    blockTransactions(seqno: number): Promise<BlockTx[]>;
    /** Waits for the first transaction of `address` after `afterLt` matching `match`. */
    waitForTransaction(
        address: Address,
        match: (tx: ChainTx) => boolean,
        opts?: { afterLt?: bigint; timeoutMs?: number; pollMs?: number },
    ): Promise<ChainTx>;
}
