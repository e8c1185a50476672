/**
 * The proxy-signed payments a worker (payouts) or a client (charges) receives: each is checked the way its
 * target contract will check it on-chain before it counts, and only the highest amount is kept, ready to be
 * repacked and sent. A payment that does not verify means a forged or misconfigured proxy.
 */
import type { Address } from '@ton/core';
import type { proxy_SignedPayment } from '../protocol';
import { openSignedMessage, signedMessageFromBoc, type OpenedSignedMessage, type SignedOp } from '../../wrappers/signed';

/** The highest verified payment held for one contract. */
export interface HeldPayment {
    /** Tokens of the highest payment that verified. */
    signed: bigint;
    /** That payment, to be repacked with the sender's wallet as excess receiver. */
    message: OpenedSignedMessage | null;
    /** BOC of the last payment that verified: the proxy resends it with every message until its next commit. */
    verified: Buffer | null;
}

export interface ExpectedPayment {
    op: SignedOp;
    /** Our contract: the only target a payment for us may name. */
    target: Address;
    proxyPublicKey: Buffer;
}

/**
 * Verifies `p` and keeps it in `held` when it is higher than what is held; an empty payment or the one
 * verified last is a no-op. Throws (RangeError naming the failed check, or a BOC error) when it does not verify.
 */
export function acceptSignedPayment(held: HeldPayment, p: proxy_SignedPayment, expect: ExpectedPayment): void {
    if (p._ !== 'proxy.signedPayment') return;
    if (held.verified?.equals(p.data)) return;
    const m = openSignedMessage(signedMessageFromBoc(p.data), expect);
    held.verified = p.data;
    if (m.tokens !== null && m.tokens > held.signed) {
        held.signed = m.tokens;
        held.message = m;
    }
}
