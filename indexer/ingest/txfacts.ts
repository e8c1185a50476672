/** Message-independent facts of a transaction: outcome, exit codes, value, fees, peers, deploy. */
import type { Cell, Transaction } from '@ton/core';

export interface OutMessage {
    dest: string | null;
    value: bigint;
    body: Cell;
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
    exitCode: number | null;
    actionResultCode: number | null;
    aborted: boolean;
    bounced: boolean;
    deployed: boolean;
    outMessages: OutMessage[];
    peers: string[];
}

/** First 32 bits of a body, or null when it has fewer. */
export function opOf(body: Cell | null | undefined): number | null {
    if (!body) return null;
    const s = body.beginParse();
    return s.remainingBits >= 32 ? s.preloadUint(32) : null;
}

export function txFacts(tx: Transaction): TxFacts {
    const inMsg = tx.inMessage ?? null;
    const info = inMsg?.info;
    const d = tx.description;
    let exitCode: number | null = null;
    let computeOk = true;
    let actionResultCode: number | null = null;
    let actionOk = true;
    let aborted = false;
    if (d.type === 'generic' || d.type === 'tick-tock') {
        aborted = d.aborted;
        if (d.computePhase.type === 'vm') {
            exitCode = d.computePhase.exitCode;
            computeOk = d.computePhase.success;
        } else {
            computeOk = false;
        }
        if (d.actionPhase) {
            actionResultCode = d.actionPhase.resultCode;
            actionOk = d.actionPhase.success;
        }
    }
    const outMessages: OutMessage[] = [];
    for (const m of tx.outMessages.values()) {
        const dest = m.info.type === 'internal' ? m.info.dest.toRawString() : null;
        outMessages.push({
            dest,
            value: m.info.type === 'internal' ? m.info.value.coins : 0n,
            body: m.body,
            op: opOf(m.body),
            bounce: m.info.type === 'internal' ? m.info.bounce : false,
        });
    }
    const source = info?.type === 'internal' ? info.src.toRawString() : null;
    const peers = new Set<string>();
    if (source) peers.add(source);
    for (const m of outMessages) if (m.dest) peers.add(m.dest);
    return {
        op: opOf(inMsg?.body),
        body: inMsg?.body ?? null,
        source,
        external: info?.type === 'external-in',
        inValue: info?.type === 'internal' ? info.value.coins : 0n,
        totalFees: tx.totalFees.coins,
        success: !aborted && computeOk && actionOk,
        exitCode,
        actionResultCode,
        aborted,
        bounced: info?.type === 'internal' ? info.bounced : false,
        deployed: tx.oldStatus !== 'active' && tx.endStatus === 'active',
        outMessages,
        peers: [...peers],
    };
}
