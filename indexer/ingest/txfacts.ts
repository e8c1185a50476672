/** Message-independent facts of a transaction: outcome, exit codes, value, fees, peers, deploy. */
import type { Cell, Message, Transaction } from '@ton/core';
import type { ComputeSkipReason as ChainSkipReason, MessageLike, TxLike } from '../../node/chain/lean-boc';
import type { ComputeSkipReason, TxOutcome } from '../domain';

export type { MessageLike, TxLike };

function fromCoreMessage(m: Message): MessageLike {
    const i = m.info;
    const info: MessageLike['info'] =
        i.type === 'internal'
            ? {
                  type: 'internal',
                  src: i.src.toRawString(),
                  dest: i.dest.toRawString(),
                  value: i.value.coins,
                  bounce: i.bounce,
                  bounced: i.bounced,
                  ihrDisabled: i.ihrDisabled,
                  createdLt: i.createdLt,
              }
            : i.type === 'external-in'
              ? { type: 'external-in', dest: i.dest.toRawString() }
              : { type: 'external-out', src: i.src.toRawString() };
    return { info, body: m.body };
}

export function fromCoreTransaction(tx: Transaction): TxLike {
    const d = tx.description;
    const description: TxLike['description'] =
        d.type === 'generic' || d.type === 'tick-tock'
            ? {
                  type: d.type,
                  aborted: d.aborted,
                  storageFees: d.storagePhase?.storageFeesCollected,
                  computePhase:
                      d.computePhase.type === 'vm'
                          ? {
                                type: 'vm',
                                success: d.computePhase.success,
                                exitCode: d.computePhase.exitCode,
                                gasFees: d.computePhase.gasFees,
                                gasUsed: d.computePhase.gasUsed,
                            }
                          : { type: 'skipped', reason: d.computePhase.reason },
                  actionPhase: d.actionPhase
                      ? {
                            success: d.actionPhase.success,
                            resultCode: d.actionPhase.resultCode,
                            totalFwdFees: d.actionPhase.totalFwdFees ?? undefined,
                            totalActionFees: d.actionPhase.totalActionFees ?? undefined,
                        }
                      : undefined,
              }
            : { type: d.type, aborted: false, computePhase: { type: 'skipped' } };
    const out = [...tx.outMessages.values()].map(fromCoreMessage);
    return {
        lt: tx.lt,
        now: tx.now,
        prevTransactionLt: tx.prevTransactionLt,
        prevTransactionHash: tx.prevTransactionHash,
        oldStatus: tx.oldStatus,
        endStatus: tx.endStatus,
        inMessage: tx.inMessage ? fromCoreMessage(tx.inMessage) : null,
        outMessages: { values: () => out },
        totalFees: { coins: tx.totalFees.coins },
        description,
    };
}

export interface OutMessage {
    dest: string | null;
    value: bigint;
    /** Logical time of the message (links it to the transaction it causes). */
    createdLt: bigint | null;
    /** Built on first use (most out messages are only counted and summed). */
    readonly body: Cell;
    op: number | null;
    bounce: boolean;
}

export interface TxFacts {
    op: number | null;
    body: Cell | null;
    source: string | null;
    external: boolean;
    inValue: bigint;
    totalFees: bigint;
    success: boolean;
    outcome: TxOutcome;
    exitCode: number | null;
    actionResultCode: number | null;
    computeSkipped: ComputeSkipReason | null;
    storageFee: bigint | null;
    computeFee: bigint | null;
    gasUsed: bigint | null;
    actionFee: bigint | null;
    fwdFee: bigint | null;
    aborted: boolean;
    bounced: boolean;
    deployed: boolean;
    /** Logical time of the inbound internal message (the parent transaction's out message). */
    inCreatedLt: bigint | null;
    outMessages: OutMessage[];
    peers: string[];
}

/** First 32 bits of a body, or null when it has fewer. */
export function opOf(body: Cell | null | undefined): number | null {
    if (!body) return null;
    const s = body.beginParse();
    return s.remainingBits >= 32 ? s.preloadUint(32) : null;
}

const SKIP_REASONS = new Map<ChainSkipReason, ComputeSkipReason>([
    ['no-state', 'no_state'],
    ['bad-state', 'bad_state'],
    ['no-gas', 'no_gas'],
    ['suspended', 'suspended'],
]);

/**
 * ok, note or failed. A note is an internal message whose value buys no gas, so the chain records it
 * without running the contract (compute phase skipped, no_gas): the proxy's save-state notes and the 1-nanoTON
 * state notifications of client and worker contracts are sent that way on purpose (COCOON §3.4).
 */
export function outcomeOf(success: boolean, internal: boolean, skipped: ComputeSkipReason | null): TxOutcome {
    if (success) return 'ok';
    return internal && skipped === 'no_gas' ? 'note' : 'failed';
}

export function txFacts(tx: TxLike): TxFacts {
    const inMsg = tx.inMessage ?? null;
    const info = inMsg?.info;
    const d = tx.description;
    let exitCode: number | null = null;
    let computeOk = true;
    let actionResultCode: number | null = null;
    let actionOk = true;
    let aborted = false;
    let computeSkipped: ComputeSkipReason | null = null;
    let computeFee: bigint | null = null;
    let gasUsed: bigint | null = null;
    let actionFee: bigint | null = null;
    let fwdFee: bigint | null = null;
    if (d.type === 'generic' || d.type === 'tick-tock') {
        aborted = d.aborted;
        if (d.computePhase.type === 'vm') {
            exitCode = d.computePhase.exitCode;
            computeOk = d.computePhase.success;
            computeFee = d.computePhase.gasFees ?? null;
            gasUsed = d.computePhase.gasUsed ?? null;
        } else {
            computeOk = false;
            computeSkipped = (d.computePhase.reason && SKIP_REASONS.get(d.computePhase.reason)) || null;
            computeFee = 0n;
        }
        if (d.actionPhase) {
            actionResultCode = d.actionPhase.resultCode;
            actionOk = d.actionPhase.success;
            actionFee = d.actionPhase.totalActionFees ?? 0n;
            fwdFee = d.actionPhase.totalFwdFees ?? 0n;
        } else if (computeFee !== null) {
            actionFee = 0n;
            fwdFee = 0n;
        }
    }
    const outMessages: OutMessage[] = [];
    for (const m of tx.outMessages.values()) {
        const dest = m.info.type === 'internal' ? m.info.dest : null;
        outMessages.push({
            dest,
            value: m.info.type === 'internal' ? m.info.value : 0n,
            createdLt: m.info.type === 'internal' ? m.info.createdLt : null,
            get body() {
                return m.body;
            },
            op: m.op !== undefined ? m.op : opOf(m.body),
            bounce: m.info.type === 'internal' ? m.info.bounce : false,
        });
    }
    const source = info?.type === 'internal' ? info.src : null;
    const success = !aborted && computeOk && actionOk;
    const peers = new Set<string>();
    if (source) peers.add(source);
    for (const m of outMessages) if (m.dest) peers.add(m.dest);
    return {
        op: inMsg ? (inMsg.op !== undefined ? inMsg.op : opOf(inMsg.body)) : null,
        body: inMsg?.body ?? null,
        source,
        external: info?.type === 'external-in',
        inValue: info?.type === 'internal' ? info.value : 0n,
        totalFees: tx.totalFees.coins,
        success,
        outcome: outcomeOf(success, info?.type === 'internal', computeSkipped),
        exitCode,
        actionResultCode,
        computeSkipped,
        storageFee: d.storageFees ?? (d.type === 'generic' ? 0n : null),
        computeFee,
        gasUsed,
        actionFee,
        fwdFee,
        aborted,
        bounced: info?.type === 'internal' ? info.bounced : false,
        deployed: tx.oldStatus !== 'active' && tx.endStatus === 'active',
        inCreatedLt: info?.type === 'internal' ? info.createdLt : null,
        outMessages,
        peers: [...peers],
    };
}
