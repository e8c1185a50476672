/**
 * Proxy-signed envelopes (COCOON `sign_and_wrap_message`): the proxy signs the representation hash of
 * a payload cell `op query_id [new_tokens:uint64] expected_my_address`; the outer body is
 * `op query_id send_excesses_to signature:bits512 ^payload`. send_excesses_to is not signed, so anyone
 * holding the payload and signature can submit ("repack") it with their own excess address.
 */
import { beginCell, Cell, type Address } from '@ton/core';
import { ed25519Sign as sign, ed25519Verify as signVerify } from './ed25519';
import { CocoonProxy } from '../build/CocoonProxy/CocoonProxy_CocoonProxy';

/** Opcodes from the compiled catalogue (contracts/messages.tact); every contract's ABI carries all of them. */
const op = CocoonProxy.opcodes;

export const SIGNED_OP = {
    clientCharge: op.ChargePayload,
    clientGrantRefund: op.GrantRefundPayload,
    workerPayout: op.PayoutPayload,
    workerLastPayout: op.LastPayoutPayload,
    proxyClose: op.CloseRequestPayload,
    proxyCloseComplete: op.CloseCompleteRequestPayload,
} as const;

export type SignedOp = (typeof SIGNED_OP)[keyof typeof SIGNED_OP];

export interface SignedPayment {
    payload: Cell;
    signature: Buffer;
}

export function paymentPayload(op: SignedOp, queryId: bigint, newTokens: bigint | null, target: Address): Cell {
    const b = beginCell().storeUint(op, 32).storeUint(queryId, 64);
    if (newTokens !== null) b.storeUint(newTokens, 64);
    return b.storeAddress(target).endCell();
}

/** secretKey: 64-byte Ed25519 secret key (as @ton/crypto keeps it). */
export function signPayload(payload: Cell, secretKey: Buffer): SignedPayment {
    return { payload, signature: sign(payload.hash(), secretKey) };
}

export function wrapSigned(op: SignedOp, queryId: bigint, sendExcessesTo: Address, signed: SignedPayment): Cell {
    return beginCell()
        .storeUint(op, 32)
        .storeUint(queryId, 64)
        .storeAddress(sendExcessesTo)
        .storeBuffer(signed.signature)
        .storeRef(signed.payload)
        .endCell();
}

/** Signs and wraps in one step: the common case for a proxy. */
export function signedMessage(
    op: SignedOp,
    queryId: bigint,
    newTokens: bigint | null,
    target: Address,
    sendExcessesTo: Address,
    secretKey: Buffer,
): Cell {
    return wrapSigned(op, queryId, sendExcessesTo, signPayload(paymentPayload(op, queryId, newTokens, target), secretKey));
}

export interface OpenedSignedMessage extends SignedPayment {
    op: number;
    queryId: bigint;
    /** null for the proxy close messages, which carry no counter. */
    tokens: bigint | null;
    target: Address;
}

/**
 * Checks a proxy-signed message the way its target contract will (COCOON `check_signed_pay_message`):
 * expected op, inner op and query_id equal to the outer ones, target address, Ed25519 signature of the
 * payload hash by `proxyPublicKey`. Throws a RangeError naming the first failed check.
 */
export function openSignedMessage(body: Cell, expect: { op: SignedOp; target: Address; proxyPublicKey: Buffer }): OpenedSignedMessage {
    const s = body.beginParse();
    const op = s.loadUint(32);
    if (op !== expect.op) throw new RangeError(`signed message has op 0x${op.toString(16)}, expected 0x${expect.op.toString(16)}`);
    const queryId = s.loadUintBig(64);
    s.loadMaybeAddress();
    const signature = s.loadBuffer(64);
    const payload = s.loadRef();
    const p = payload.beginParse();
    if (p.loadUint(32) !== op || p.loadUintBig(64) !== queryId) throw new RangeError('signed payload op/query_id differ from the envelope');
    const hasTokens = op !== SIGNED_OP.proxyClose && op !== SIGNED_OP.proxyCloseComplete;
    const tokens = hasTokens ? p.loadUintBig(64) : null;
    const target = p.loadAddress();
    if (!target.equals(expect.target)) throw new RangeError(`signed message is for ${target.toString()}, not ${expect.target.toString()}`);
    if (!signVerify(payload.hash(), signature, expect.proxyPublicKey))
        throw new RangeError('signed message signature does not verify with the proxy key');
    return { op, queryId, tokens, target, payload, signature };
}

/** The same signed payload with another excess receiver (what clients and workers submit). */
export function repackSigned(m: OpenedSignedMessage, sendExcessesTo: Address): Cell {
    return wrapSigned(m.op as SignedOp, m.queryId, sendExcessesTo, m);
}

/** Off-chain carrier of a signed message (TL `proxy.signedPayment data`): the BOC of the outer body. */
export function signedMessageFromBoc(data: Buffer): Cell {
    return Cell.fromBoc(data)[0];
}

/**
 * The proxy's save-state note (COCOON §3.4): a 1-nanoTON message from the proxy's wallet to its proxy
 * contract, ignored by the contract (do_not_process) but recorded on-chain:
 * `do_not_process#9a1247c0 random:uint64 proxy_save_state#53109c0f seqno:int32 session_unique_hash:uint256`.
 */
export const SAVE_STATE_OP = op.ProxySaveState;
export const DO_NOT_PROCESS_OP = op.DoNotProcess;

export function saveStateNote(seqno: number, sessionHash: bigint, random: bigint): Cell {
    return beginCell()
        .storeUint(DO_NOT_PROCESS_OP, 32)
        .storeUint(random, 64)
        .storeUint(SAVE_STATE_OP, 32)
        .storeInt(seqno, 32)
        .storeUint(sessionHash, 256)
        .endCell();
}

export function parseSaveStateNote(body: Cell): { seqno: number; sessionHash: bigint } | null {
    const s = body.beginParse();
    if (s.remainingBits < 32 + 64 + 32 + 32 + 256 || s.loadUint(32) !== DO_NOT_PROCESS_OP) return null;
    s.skip(64);
    if (s.loadUint(32) !== SAVE_STATE_OP) return null;
    return { seqno: s.loadInt(32), sessionHash: s.loadUintBig(256) };
}
