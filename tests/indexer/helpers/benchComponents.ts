/**
 * Bodies, decoder and state reader for the synthetic benchmark network.
 *
 * Until the message catalogue (wrappers/messages.ts) is in the tree, the bodies carry flow tags 1..9 (not
 * COCOON opcodes) and a stand-in decoder maps each tag to the event it stands for, so the figures cover
 * BOC parsing, transaction facts, batching and storage but not the catalogue's body decoding.
 */
import { beginCell, type Address } from '@ton/core';
import type { Decoder, StateReader } from '../../../indexer/ingest/ports';
import type { AccountState, DecodedEvent, KnownAccount } from '../../../indexer/ingest/types';
import { txFacts } from '../../../indexer/ingest/txfacts';
import type { RootConfig } from '../../../indexer/api/types';
import type { BodyFactory, SyntheticChain } from './synthetic';
import { rootConfig } from './seed';

enum Flow {
    TopUp = 1,
    Charge,
    Notify,
    WorkerPayout,
    WorkerToProxy,
    ProxyPayout,
    SaveState,
    Payout,
    Excesses,
}

const tagged = (tag: Flow, q: bigint) => beginCell().storeUint(tag, 32).storeUint(q, 64);

const standInBodies: BodyFactory = {
    clientTopUp: (q, amount) => tagged(Flow.TopUp, q).storeCoins(amount).endCell(),
    clientCharge: (q, tokens, client: Address) => tagged(Flow.Charge, q).storeUint(tokens, 64).storeAddress(client).endCell(),
    clientToProxyNotify: (q, owner) => tagged(Flow.Notify, q).storeAddress(owner).endCell(),
    workerPayout: (q, tokens, worker) => tagged(Flow.WorkerPayout, q).storeUint(tokens, 64).storeAddress(worker).endCell(),
    workerToProxyPayout: (q, owner, tokens, w, p) => tagged(Flow.WorkerToProxy, q).storeAddress(owner).storeUint(tokens, 64).storeCoins(w).storeCoins(p).endCell(),
    proxyPayoutRequest: (q) => tagged(Flow.ProxyPayout, q).endCell(),
    saveState: (seqno) => tagged(Flow.SaveState, BigInt(seqno)).storeUint(seqno, 32).storeUint(0n, 256).endCell(),
    payout: (q) => tagged(Flow.Payout, q).endCell(),
    excesses: (q) => tagged(Flow.Excesses, q).endCell(),
};

const standInDecoder: Decoder = {
    decode(t, acc) {
        const f = txFacts(t.tx);
        const s = f.body?.beginParse();
        const events: DecodedEvent[] = [];
        if (f.deployed) events.push({ type: 'deploy', success: true, payload: { kind: acc.kind } });
        if (s && s.remainingBits >= 96) {
            const tag = s.loadUint(32) as Flow;
            const queryId = s.loadUintBig(64).toString();
            const paid = f.outMessages.reduce((a, o) => a + o.value, 0n);
            switch (tag) {
                case Flow.TopUp: {
                    const amount = s.loadCoins();
                    events.push({ type: 'deposit', client: acc.address, proxy: acc.parent, owner: f.source, amount, payload: { queryId, amount: amount.toString() } });
                    break;
                }
                case Flow.Charge: {
                    const tokens = s.loadUintBig(64);
                    events.push({ type: 'charge', client: acc.address, proxy: acc.parent, cumulativeTokens: tokens, payload: { queryId, newTokens: tokens.toString() } });
                    break;
                }
                case Flow.Notify:
                    events.push({ type: 'state_notification', proxy: acc.address, client: f.source, payload: { queryId } });
                    break;
                case Flow.WorkerPayout: {
                    const tokens = s.loadUintBig(64);
                    events.push({ type: 'payout_request', worker: acc.address, proxy: acc.parent, cumulativeTokens: tokens, payload: { queryId, newTokens: tokens.toString() } });
                    break;
                }
                case Flow.WorkerToProxy: {
                    const owner = s.loadAddress().toRawString();
                    s.loadUintBig(64);
                    const w = s.loadCoins();
                    const p = s.loadCoins();
                    events.push({ type: 'payout', proxy: acc.address, worker: f.source, owner, amount: w, payload: { queryId, workerPart: w.toString() } });
                    events.push({ type: 'commission', proxy: acc.address, worker: f.source, amount: p, payload: { queryId, proxyPart: p.toString() } });
                    break;
                }
                case Flow.ProxyPayout:
                    events.push({ type: 'commission_withdrawal', proxy: acc.address, owner: f.source, amount: paid, payload: { queryId } });
                    break;
                case Flow.SaveState:
                    events.push({ type: 'save_state', proxy: acc.address, payload: { seqno: s.loadUint(32) } });
                    break;
                default:
                    break;
            }
        }
        return { ...f, opName: f.op === null ? null : `flow_${f.op}`, outMsgs: f.outMessages.length, events };
    },
};

function standInStates(chain: SyntheticChain): StateReader {
    const cfg: RootConfig = { ...rootConfig(1, 20n), address: chain.root.raw };
    return {
        async read(acc: KnownAccount, seqno: number): Promise<AccountState> {
            const base = { address: acc.address, status: 'active' as const, balance: 5_000_000_000n, codeHash: acc.codeHash, seqno, lastLt: null };
            return acc.kind === 'root' ? { ...base, kindState: { kind: 'root', config: cfg } } : base;
        },
        async classify(address, _seqno, ctx) {
            const kind = chain.kindOf(address);
            if (!kind || kind === 'root') return null;
            return {
                address,
                kind,
                codeHash: null,
                paramsVersion: 1,
                parent: chain.parentOf(address),
                owner: null,
                pricePerToken: kind === 'client' ? 20n : null,
                workerFeePerToken: kind === 'worker' ? 10n : null,
                discoveredVia: ctx.viaMessage ? 'message' : 'code_hash',
            };
        },
    };
}

export function benchComponents(): { bodies: BodyFactory; decoder: Decoder; statesFor: (chain: SyntheticChain) => StateReader; label: string } {
    return { bodies: standInBodies, decoder: standInDecoder, statesFor: standInStates, label: 'stand-in (flow tags; message catalogue not yet in the tree)' };
}

