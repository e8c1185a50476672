/**
 * Closing an outdated proxy contract after the root's params_version changed (COCOON OldProxyContract,
 * §2.9): one message per step, 1 TON each, signed by the proxy key:
 *   not_started -> close request -> clients (grant each old client its refund at its committed tokens)
 *   -> workers (last payout to each old worker) -> closing (wait until close_at, chain time)
 *   -> close complete -> closed.
 * The state is a plain record the proxy keeps in its store, so a restart resumes at the same step.
 */
import { Address, internal, toNano } from '@ton/core';
import type { ChainClient, ChainWallet } from '../chain';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import type { ClientAccount, WorkerAccount } from './ledgers';

export type OldContractStep = 'not_started' | 'clients' | 'workers' | 'closing' | 'closed';

export interface OldContractRecord {
    contract: string;
    paramsVersion: number;
    step: OldContractStep;
    /** Chain time after which close-complete is accepted (set when the close request is sent). */
    closeAt: number;
    delay: number;
    clients: { contract: string; tokens: bigint; done: boolean }[];
    workers: { contract: string; tokens: bigint; done: boolean }[];
}

const STEP_VALUE = toNano('1');

/**
 * The record that closes `contract`: every account the chain knows (a contract was read) with the tokens
 * the chain has confirmed, the only amounts the proxy may still sign for them.
 */
export function outdatedContractRecord(
    contract: Address,
    paramsVersion: number,
    delay: number,
    clients: readonly ClientAccount[],
    workers: readonly WorkerAccount[],
): OldContractRecord {
    const entry = (a: ClientAccount | WorkerAccount) => ({
        contract: a.contract.toRawString(),
        tokens: a.ledger.tokensCommittedToBlockchain,
        done: false,
    });
    return {
        contract: contract.toRawString(),
        paramsVersion,
        step: 'not_started',
        closeAt: 0,
        delay,
        clients: clients.filter((a) => a.chain).map(entry),
        workers: workers.filter((a) => a.chain).map(entry),
    };
}

/** Performs at most one step; returns true when the record changed (the caller persists it). */
export async function advanceOldContract(
    r: OldContractRecord,
    deps: { chain: ChainClient; wallet: ChainWallet; secretKey: Buffer },
): Promise<boolean> {
    const send = async (op: (typeof SIGNED_OP)[keyof typeof SIGNED_OP], target: string, tokens: bigint | null) => {
        const to = Address.parse(target);
        const body = signedMessage(op, 0n, tokens, to, deps.wallet.address, deps.secretKey);
        await deps.wallet.send([internal({ to, value: STEP_VALUE, bounce: true, body })]);
    };
    if (r.step === 'not_started') {
        await send(SIGNED_OP.proxyClose, r.contract, null);
        r.closeAt = (await deps.chain.head()).utime + r.delay + 1;
        r.step = 'clients';
        return true;
    }
    if (r.step === 'clients') {
        const next = r.clients.find((c) => !c.done);
        if (next) {
            await send(SIGNED_OP.clientGrantRefund, next.contract, next.tokens);
            next.done = true;
        } else r.step = 'workers';
        return true;
    }
    if (r.step === 'workers') {
        const next = r.workers.find((w) => !w.done);
        if (next) {
            await send(SIGNED_OP.workerLastPayout, next.contract, next.tokens);
            next.done = true;
        } else r.step = 'closing';
        return true;
    }
    if (r.step === 'closing') {
        if ((await deps.chain.head()).utime <= r.closeAt) return false;
        await send(SIGNED_OP.proxyCloseComplete, r.contract, null);
        r.step = 'closed';
        return true;
    }
    return false;
}
