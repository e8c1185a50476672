/**
 * Builds real TON transactions (@ton/core cells, hashes, prev-tx links) for synthetic sources: the engine
 * tests and the benchmark feed the indexer the same structures a chain client returns.
 */
import {
    Address,
    beginCell,
    Cell,
    Dictionary,
    loadMessage,
    loadTransaction,
    storeMessage,
    storeTransaction,
    type Builder,
    type Message,
    type Slice,
    type Transaction,
} from '@ton/core';
import { bufferToBigInt } from '../../../wrappers/uint256';

export interface OutSpec {
    dest: Address;
    value: bigint;
    body: Cell;
    bounce?: boolean;
}

export interface TxSpec {
    account: Address;
    lt: bigint;
    now: number;
    prevLt: bigint;
    prevHash: bigint;
    /** Internal inbound message when `src` is set, external otherwise. */
    src?: Address;
    value?: bigint;
    body: Cell;
    bounced?: boolean;
    success?: boolean;
    exitCode?: number;
    out?: OutSpec[];
    fees?: bigint;
    deploy?: boolean;
    /** StateInit carried by the inbound message (a deploy). */
    init?: { code: Cell; data: Cell };
    /** The compute phase did not run, for this reason (the transaction is then unsuccessful). */
    skipped?: 'no-state' | 'bad-state' | 'no-gas';
    /** Storage fees collected (default 0). */
    storageFee?: bigint;
}

const messageValue = {
    serialize: (src: Message, builder: Builder) => {
        builder.storeRef(beginCell().store(storeMessage(src)));
    },
    parse: (slice: Slice): Message => loadMessage(slice.loadRef().beginParse()),
};

export function buildTransaction(s: TxSpec): Transaction {
    const success = s.success ?? true;
    const out = success ? (s.out ?? []) : [];
    const outMessages = Dictionary.empty(Dictionary.Keys.Uint(15), messageValue);
    out.forEach((o, i) =>
        outMessages.set(i, {
            info: {
                type: 'internal',
                ihrDisabled: true,
                bounce: o.bounce ?? true,
                bounced: false,
                src: s.account,
                dest: o.dest,
                value: { coins: o.value },
                ihrFee: 0n,
                forwardFee: 1000n,
                createdLt: s.lt + BigInt(i + 1),
                createdAt: s.now,
            },
            body: o.body,
        }),
    );
    const inMessage: Message = s.src
        ? {
              info: {
                  type: 'internal',
                  ihrDisabled: true,
                  bounce: true,
                  bounced: s.bounced ?? false,
                  src: s.src,
                  dest: s.account,
                  value: { coins: s.value ?? 0n },
                  ihrFee: 0n,
                  forwardFee: 1000n,
                  createdLt: s.lt - 1n,
                  createdAt: s.now,
              },
              init: s.init ?? null,
              body: s.body,
          }
        : { info: { type: 'external-in', dest: s.account, importFee: 0n }, init: s.init ?? null, body: s.body };
    const draft: Transaction = {
        address: bufferToBigInt(s.account.hash),
        lt: s.lt,
        prevTransactionHash: s.prevHash,
        prevTransactionLt: s.prevLt,
        now: s.now,
        outMessagesCount: out.length,
        oldStatus: s.deploy ? 'uninitialized' : 'active',
        endStatus: 'active',
        inMessage,
        outMessages,
        totalFees: { coins: s.fees ?? 2_000_000n },
        stateUpdate: { oldHash: Buffer.alloc(32), newHash: Buffer.alloc(32) },
        description: {
            type: 'generic',
            creditFirst: !s.src,
            storagePhase: { storageFeesCollected: s.storageFee ?? 0n, statusChange: 'unchanged' },
            creditPhase: s.src ? { credit: { coins: s.value ?? 0n } } : undefined,
            computePhase: s.skipped
                ? { type: 'skipped', reason: s.skipped }
                : {
                      type: 'vm',
                      success,
                      messageStateUsed: false,
                      accountActivated: !!s.deploy,
                      gasFees: 1_000_000n,
                      gasUsed: 5000n,
                      gasLimit: 100000n,
                      mode: 0,
                      exitCode: success ? 0 : (s.exitCode ?? 1000),
                      vmSteps: 100,
                      vmInitStateHash: 0n,
                      vmFinalStateHash: 0n,
                  },
            actionPhase: success
                ? {
                      success: true,
                      valid: true,
                      noFunds: false,
                      statusChange: 'unchanged',
                      totalActions: out.length,
                      specActions: 0,
                      skippedActions: 0,
                      messagesCreated: out.length,
                      actionListHash: 0n,
                      totalMessageSize: { cells: 1n, bits: 100n },
                      resultCode: 0,
                  }
                : undefined,
            aborted: !success,
            destroyed: false,
        },
        raw: Cell.EMPTY,
        hash: () => Buffer.alloc(32),
    };
    const cell = beginCell().store(storeTransaction(draft)).endCell();
    return loadTransaction(cell.beginParse());
}

export const hashHex = (tx: Transaction) => tx.hash().toString('hex');
