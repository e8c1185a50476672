/**
 * Proxy-signed envelopes (COCOON `sign_and_wrap_message`): the proxy signs the representation hash of
 * a payload cell `op query_id [new_tokens:uint64] expected_my_address`; the outer body is
 * `op query_id send_excesses_to signature:bits512 ^payload`. send_excesses_to is not signed, so anyone
 * holding the payload and signature can submit ("repack") it with their own excess address.
 */
import { beginCell, type Address, type Cell } from '@ton/core';
import { sign } from '@ton/crypto';

export const SIGNED_OP = {
    clientCharge: 0xbb63ff93,
    clientGrantRefund: 0xefd711e1,
    workerPayout: 0xa040ad28,
    workerLastPayout: 0xf5f26a36,
    proxyClose: 0x636a4391,
    proxyCloseComplete: 0xe511abc7,
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
    return beginCell().storeUint(op, 32).storeUint(queryId, 64).storeAddress(sendExcessesTo).storeBuffer(signed.signature).storeRef(signed.payload).endCell();
}

/** Signs and wraps in one step: the common case for a proxy. */
export function signedMessage(op: SignedOp, queryId: bigint, newTokens: bigint | null, target: Address, sendExcessesTo: Address, secretKey: Buffer): Cell {
    return wrapSigned(op, queryId, sendExcessesTo, signPayload(paymentPayload(op, queryId, newTokens, target), secretKey));
}
