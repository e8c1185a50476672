/**
 * The proxy's own settlement (COCOON §3.3, ProxyClientInfo/ProxyWorkerInfo::check): with amounts the chain
 * has confirmed (a ledger's `committed` stage), charge clients, pay workers, grant closing clients their
 * refund, and withdraw the contract's commission, each once the amount is worth a message (thresholds).
 * Every action is one proxy-signed message from the proxy's wallet; the contracts check the signature.
 *
 * Beyond the original: with `settleAfterMs` an amount below its threshold is also settled once it has waited
 * that long (whichever comes first), but only if the message's estimated fee is at most `maxFeeShare` of the
 * amount it moves, so settling by time never burns more in fees than a known share of the money.
 */
import { Address, beginCell, internal, toNano } from '@ton/core';
import type { ChainClient, ChainWallet } from '../chain';
import { readClientContract, readProxyContract, readWorkerContract, CONTRACT_STATE, type RootState } from '../chain/cocoon';
import type { Logger } from '../common/log';
import { storeExtProxyPayoutRequest } from '../../wrappers/CocoonProxy';
import { signedMessage, SIGNED_OP, type SignedOp } from '../../wrappers/signed';
import type { ProxyThresholds } from './config';
import type { ClientAccount, ProxyAccounts, WorkerAccount } from './ledgers';

/** What each message carries for gas; the contracts send the excess back to the proxy's wallet. */
const VALUE = { signed: toNano('0.7'), withdraw: toNano('0.2') } as const;

export interface SettlementDeps {
    chain: ChainClient;
    wallet: ChainWallet;
    secretKey: Buffer;
    accounts: ProxyAccounts;
    thresholds: ProxyThresholds;
    log: Logger;
    /** Getters: a migration changes both. */
    root(): RootState;
    contract(): Address;
    /** Clock for settlement by time (ms; default Date.now). */
    now?(): number;
}

/** Validates the thresholds a runner was given: a bad fee share or wait would silently disable the guard. */
export function checkThresholds(t: ProxyThresholds): void {
    if (!(t.maxFeeShare > 0 && t.maxFeeShare <= 1)) throw new RangeError(`max fee share must be in (0, 1], got ${t.maxFeeShare}`);
    if (!Number.isSafeInteger(t.settleAfterMs) || t.settleAfterMs < 0)
        throw new RangeError(`settle-after must be a whole number of ms >= 0, got ${t.settleAfterMs}`);
    for (const k of ['charge', 'payout', 'withdraw', 'feeEstimate'] as const)
        if (t[k] < 0n) throw new RangeError(`${k} threshold must be >= 0, got ${t[k]}`);
}

/** The fee guard: an estimated fee of `fee` is at most `share` of `amount` (fixed point, millionths). */
export function feeWithinShare(amount: bigint, fee: bigint, share: number): boolean {
    return BigInt(Math.round(share * 1_000_000)) * amount >= fee * 1_000_000n;
}

export class Settlement {
    /** When each pending amount (key: kind + contract) was first seen unsettled, for settlement by time. */
    private readonly waiting = new Map<string, number>();

    constructor(private readonly deps: SettlementDeps) {
        checkThresholds(deps.thresholds);
    }

    /**
     * Whether `amount` (nanoTON) waiting under `key` is due: it reached `threshold`, or it has waited
     * settleAfterMs and passes the fee guard.
     */
    private due(key: string, amount: bigint, threshold: bigint): boolean {
        const t = this.deps.thresholds;
        if (amount <= 0n) {
            this.waiting.delete(key);
            return false;
        }
        if (amount >= threshold) return true;
        if (t.settleAfterMs === 0) return false;
        const now = this.deps.now?.() ?? Date.now();
        const since = this.waiting.get(key);
        if (since === undefined) {
            this.waiting.set(key, now);
            return false;
        }
        return now - since >= t.settleAfterMs && feeWithinShare(amount, t.feeEstimate, t.maxFeeShare);
    }

    /** Refreshes the on-chain state of connected clients (and of those never read) and of every worker. */
    async refreshAccounts(): Promise<void> {
        const { chain, accounts } = this.deps;
        for (const a of accounts.clients())
            if (a.connections > 0 || a.chain === null) a.chain = (await readClientContract(chain, a.contract)) ?? a.chain;
        for (const a of accounts.workers()) a.chain = (await readWorkerContract(chain, a.contract)) ?? a.chain;
    }

    /** One settlement pass: charge or refund each client, pay each worker, withdraw the commission. */
    async settle(): Promise<void> {
        const { chain, accounts, thresholds } = this.deps;
        const { pricePerToken: price, workerFeePerToken: fee } = this.deps.root().params;
        for (const a of accounts.clients()) {
            a.chain = (await readClientContract(chain, a.contract)) ?? a.chain;
            if (!a.chain) continue;
            const signable = a.ledger.tokensCommittedToBlockchain;
            const key = `charge:${a.contract.toRawString()}`;
            if (a.chain.state === CONTRACT_STATE.closing && a.reserved === 0n && a.ledger.tokensMax === signable) {
                this.waiting.delete(key);
                await this.grantRefund(a);
            } else if (
                a.chain.state === CONTRACT_STATE.normal &&
                this.due(key, (signable - a.chain.tokensUsed) * price, thresholds.charge)
            ) {
                this.waiting.delete(key);
                await this.chargeClient(a);
            }
        }
        for (const a of accounts.workers()) {
            if (!a.chain) continue;
            const key = `payout:${a.contract.toRawString()}`;
            if (this.due(key, (a.ledger.tokensCommittedToBlockchain - a.chain.tokens) * fee, thresholds.payout)) {
                this.waiting.delete(key);
                await this.payWorker(a);
            }
        }
        const mine = await readProxyContract(chain, this.deps.contract());
        if (mine && this.due('withdraw', mine.balance, thresholds.withdraw)) {
            this.waiting.delete('withdraw');
            await this.withdraw();
        }
    }

    /** Charges the client's contract for every signable token it has not been charged for. */
    async chargeClient(a: ClientAccount): Promise<{ tokens: bigint }> {
        const tokens = a.ledger.tokensCommittedToBlockchain;
        if (a.chain && tokens <= a.chain.tokensUsed) return { tokens: 0n };
        await this.sendSigned(SIGNED_OP.clientCharge, tokens, a.contract);
        a.chain = (await readClientContract(this.deps.chain, a.contract)) ?? a.chain;
        this.deps.log.info('client charged', { client: a.owner.toString(), tokens });
        return { tokens };
    }

    /** A closing client with nothing in flight gets its deposit back minus what it used. */
    async grantRefund(a: ClientAccount): Promise<void> {
        const tokens = a.ledger.tokensCommittedToBlockchain;
        await this.sendSigned(SIGNED_OP.clientGrantRefund, tokens, a.contract);
        a.chain = (await readClientContract(this.deps.chain, a.contract)) ?? a.chain;
        this.deps.log.info('refund granted to a closing client', { client: a.owner.toString(), tokens });
    }

    /** Pays the worker's contract for every signable token it has not been paid for. */
    async payWorker(a: WorkerAccount): Promise<{ tokens: bigint }> {
        const tokens = a.ledger.tokensCommittedToBlockchain;
        if (a.chain && tokens <= a.chain.tokens) return { tokens: 0n };
        await this.sendSigned(SIGNED_OP.workerPayout, tokens, a.contract);
        a.chain = (await readWorkerContract(this.deps.chain, a.contract)) ?? a.chain;
        this.deps.log.info('worker paid', { worker: a.owner.toString(), tokens });
        return { tokens };
    }

    /** Sends the contract's withdrawable commission to the proxy's wallet. */
    async withdraw(): Promise<{ amount: bigint }> {
        const { chain, wallet } = this.deps;
        const contract = this.deps.contract();
        const before = await readProxyContract(chain, contract);
        if (!before || before.balance === 0n) return { amount: 0n };
        const body = beginCell()
            .store(storeExtProxyPayoutRequest({ $$type: 'ExtProxyPayoutRequest', queryId: 0n, sendExcessesTo: wallet.address }))
            .endCell();
        await wallet.send([internal({ to: contract, value: VALUE.withdraw, bounce: true, body })]);
        this.deps.log.info('commission withdrawn', { amount: before.balance });
        return { amount: before.balance };
    }

    private async sendSigned(op: SignedOp, tokens: bigint, to: Address): Promise<void> {
        const { wallet, secretKey } = this.deps;
        const body = signedMessage(op, 0n, tokens, to, wallet.address, secretKey);
        await wallet.send([internal({ to, value: VALUE.signed, bounce: true, body })]);
    }
}
