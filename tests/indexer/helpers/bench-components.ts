/**
 * Bodies, decoder and state reader for the synthetic benchmark network. Bodies are the real encodings
 * (the wrappers' generated store functions and signed envelopes, signed with a proxy key) and the decoder
 * is the indexer's CatalogueDecoder over the wrappers' catalogue, so the figures include real decoding.
 * Account states are synthetic (the generated network has no contract data): classification follows the
 * generator's own bookkeeping.
 */
import { Address, beginCell } from '@ton/core';
import { keyPairFromSeed, sign } from '@ton/crypto';
import {
    storeClientProxyRequest,
    storeClientProxyTopUp,
    storeClientStateData,
    storeExcesses,
    storeExtProxyPayoutRequest,
    storePayout,
    storeWorkerProxyPayoutRequest,
    storeWorkerProxyRequest,
} from '../../../wrappers/CocoonProxy';
import { storeExtClientTopUp } from '../../../wrappers/CocoonClient';
import { paymentPayload, saveStateNote, wrapSigned, SIGNED_OP, type SignedOp } from '../../../wrappers/signed';
import crypto from 'node:crypto';
import { CatalogueDecoder } from '../../../indexer/ingest/decoder';
import type { Decoder, StateReader } from '../../../indexer/ingest/ports';
import type { AccountState, KnownAccount } from '../../../indexer/ingest/types';
import { cocoonProtocol } from '../../../indexer/protocol';
import type { RootConfig } from '../../../indexer/api/types';
import type { BodyFactory, SyntheticChain } from './synthetic';
import { rootConfig } from './seed';
import { bufferToBigInt } from '../../../wrappers/uint256';

/** Excess addresses do not matter to the indexer; one fixed address keeps the bodies realistic in size. */
const ZERO = Address.parseRaw('0:' + '11'.repeat(32));
const SEED = Buffer.alloc(32, 9);
const SESSION_HASH = bufferToBigInt(Buffer.alloc(32, 0x5e));
const proxyKey = keyPairFromSeed(SEED);
// Node's native Ed25519 gives the same signatures as @ton/crypto (Ed25519 is deterministic) ~50x faster,
// which keeps generating 100,000 signed envelopes short.
const nativeKey = crypto.createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), SEED]),
    format: 'der',
    type: 'pkcs8',
});
function signed(op: SignedOp, queryId: bigint, tokens: bigint, target: Address): import('@ton/core').Cell {
    const payload = paymentPayload(op, queryId, tokens, target);
    return wrapSigned(op, queryId, ZERO, { payload, signature: crypto.sign(null, payload.hash(), nativeKey) });
}

const stateData = (tokensUsed: bigint) =>
    beginCell()
        .store(
            storeClientStateData({
                $$type: 'ClientStateData',
                state: 0n,
                balance: 5_000_000_000n,
                stake: 1_000_000_000n,
                tokensUsed,
                secretHash: 0n,
            }),
        )
        .endCell();

const realBodies: BodyFactory = {
    clientTopUp: (queryId, amount) =>
        beginCell()
            .store(storeExtClientTopUp({ $$type: 'ExtClientTopUp', queryId, topUpAmount: amount, sendExcessesTo: ZERO }))
            .endCell(),
    clientCharge: (queryId, tokens, client: Address) => signed(SIGNED_OP.clientCharge, queryId, tokens, client),
    clientToProxyNotify: (queryId, owner) =>
        beginCell()
            .store(
                storeClientProxyRequest({
                    $$type: 'ClientProxyRequest',
                    queryId,
                    ownerAddress: owner,
                    stateData: stateData(queryId),
                    payload: beginCell()
                        .store(storeClientProxyTopUp({ $$type: 'ClientProxyTopUp', topUpCoins: 1_000_000_000n, sendExcessesTo: owner }))
                        .endCell(),
                }),
            )
            .endCell(),
    workerPayout: (queryId, tokens, worker) => signed(SIGNED_OP.workerPayout, queryId, tokens, worker),
    workerToProxyPayout: (queryId, owner, tokens, workerPart, proxyPart) =>
        beginCell()
            .store(
                storeWorkerProxyRequest({
                    $$type: 'WorkerProxyRequest',
                    queryId,
                    ownerAddress: owner,
                    state: 0n,
                    tokens,
                    payload: beginCell()
                        .store(
                            storeWorkerProxyPayoutRequest({
                                $$type: 'WorkerProxyPayoutRequest',
                                workerPart,
                                proxyPart,
                                sendExcessesTo: owner,
                            }),
                        )
                        .endCell(),
                }),
            )
            .endCell(),
    proxyPayoutRequest: (queryId) =>
        beginCell()
            .store(storeExtProxyPayoutRequest({ $$type: 'ExtProxyPayoutRequest', queryId, sendExcessesTo: ZERO }))
            .endCell(),
    saveState: (seqno) => saveStateNote(seqno, SESSION_HASH, BigInt(seqno)),
    payout: (queryId) =>
        beginCell()
            .store(storePayout({ $$type: 'Payout', queryId }))
            .endCell(),
    excesses: (queryId) =>
        beginCell()
            .store(storeExcesses({ $$type: 'Excesses', queryId }))
            .endCell(),
};

function syntheticStates(chain: SyntheticChain): StateReader {
    const cfg: RootConfig = { ...rootConfig(1, 20n), address: chain.root.raw };
    return {
        async read(acc: KnownAccount, seqno: number): Promise<AccountState> {
            const base = {
                address: acc.address,
                status: 'active' as const,
                balance: 5_000_000_000n,
                codeHash: acc.codeHash,
                seqno,
                lastLt: null,
            };
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

export function benchComponents(): {
    bodies: BodyFactory;
    decoder: Decoder;
    statesFor: (chain: SyntheticChain) => StateReader;
    label: string;
} {
    return {
        bodies: realBodies,
        decoder: new CatalogueDecoder(cocoonProtocol().catalogue),
        statesFor: syntheticStates,
        label: 'catalogue (wrappers/ message loaders)',
    };
}

/** The signatures above verify with the proxy's public key (checked once, so the shortcut cannot drift). */
export function checkBenchSignature(): boolean {
    const payload = paymentPayload(SIGNED_OP.clientCharge, 1n, 2n, ZERO);
    return crypto.sign(null, payload.hash(), nativeKey).equals(sign(payload.hash(), proxyKey.secretKey));
}
