/**
 * What the proxy keeps about one authorised client connection and one registered worker connection
 * (COCOON ProxyClientInfo / ProxyWorkerInfo): the relay's view of the peer (ClientLink / WorkerLink), the
 * account it bills or pays, and the messages the proxy pushes to it about money. Unlike the original, the
 * ledger lives in the account (one per owner, persisted) and these objects live as long as the connection.
 */
import type { Address } from '@ton/core';
import type { HardwareProfile } from '../common/hardware';
import type { RateCounterSet } from '../common/rate-set';
import type { client_QueryAnswerEx, proxy_runQueryEx, proxy_SignedPayment, RpcConnection, TlAny } from '../protocol';
import type { ClientAccount, WorkerAccount } from './ledgers';
import type { ClientLink, WorkerLink } from './relay';
import { DecayingAverage } from './routing';
import type { SignedPaymentsLedger } from './signed-payments';

/** Signs an account's signable amount with the proxy key (Account.signedPayment with the runner's key and wallet). */
export type PaymentSigner = (a: ClientAccount | WorkerAccount) => proxy_SignedPayment;

/** What a worker announces about its machine (Cocoon extension `cocoonx.announceWorkerHardware`). */
export type WorkerHardware = HardwareProfile;

/** How long a cancel waits for the worker's acknowledgement (its outcome changes nothing: the final piece ends the request). */
const CANCEL_ANSWER_MS = 10_000;

/** Sends unless the peer is gone: a late answer to a closed connection is dropped, not an error. */
function sendOpen(conn: RpcConnection, obj: TlAny): void {
    if (!conn.closed) conn.send(obj);
}

export class ProxyClientInfo implements ClientLink {
    readonly ledger: SignedPaymentsLedger;

    constructor(
        readonly id: string,
        readonly conn: RpcConnection,
        readonly clientAccount: ClientAccount,
        private readonly sign: PaymentSigner,
        private readonly stats: RateCounterSet,
        /** Negotiated in client.connectToProxy: decides the flags of the answers' final info. */
        readonly protoVersion: number,
    ) {
        this.ledger = clientAccount.ledger;
    }

    get owner(): Address {
        return this.clientAccount.owner;
    }

    get reserved(): bigint {
        return this.clientAccount.reserved;
    }

    set reserved(v: bigint) {
        this.clientAccount.reserved = v;
    }

    /** The contract's deposit as last read from the chain; all zero (nothing available) before the first read. */
    account(): { balance: bigint; stake: bigint; tokensCharged: bigint } {
        const c = this.clientAccount.chain;
        return c ? { balance: c.balance, stake: c.stake, tokensCharged: c.tokensUsed } : { balance: 0n, stake: 0n, tokensCharged: 0n };
    }

    send(piece: client_QueryAnswerEx): void {
        sendOpen(this.conn, piece);
        if ((piece.flags ?? 0) & 1) this.stats.add(piece._ === 'client.queryAnswerErrorEx' ? 'failed' : 'success');
    }

    /** After a request of this client ended: its new totals and the latest signed charge (proxy.clientRequestPayment). */
    requestPayment(requestId: Buffer, tokens: bigint): void {
        const a = this.clientAccount;
        a.dirty = true;
        sendOpen(this.conn, {
            _: 'proxy.clientRequestPayment',
            request_id: requestId,
            signed_payment: this.sign(a),
            db_tokens: a.ledger.tokensCommittedToDb,
            max_tokens: a.ledger.tokensMax,
            request_tokens: tokens,
        });
    }

    /** A chain commit made more tokens signable (proxy.signedPayment). */
    pushSignedPayment(): void {
        sendOpen(this.conn, this.sign(this.clientAccount));
    }
}

/** What the handshake learnt about a worker: the offer it made in worker.connectToProxy. */
export interface WorkerOffer {
    owner: Address;
    account: WorkerAccount;
    model: string;
    coefficient: bigint;
    /** This proxy's share of the worker's max_active_requests (split across its proxy_cnt proxies). */
    capacity: number;
    /** Negotiated in worker.connectToProxy: encrypted requests need PROTO.ENCRYPTION, and it decides proxy.runQueryEx's flags. */
    protoVersion: number;
}

export class ProxyWorkerInfo implements WorkerLink {
    /** Changes on worker.changeModel (inbound-worker.ts). */
    model: string;
    coefficient: bigint;
    enabled: boolean;
    running = 0;
    readonly maxRunning: number;
    averageQuerySeconds = 0;
    readonly average = new DecayingAverage();
    readonly ledger: SignedPaymentsLedger;
    readonly workerAccount: WorkerAccount;
    /** Owner address as the worker sent it (user-friendly form), shown in stats. */
    readonly owner: string;
    readonly imageHash: string;
    readonly protoVersion: number;
    readonly e2eKey?: Buffer;

    constructor(
        readonly id: string,
        readonly conn: RpcConnection,
        offer: WorkerOffer,
        enabled: boolean,
        public hardware: WorkerHardware | null,
        private readonly sign: PaymentSigner,
    ) {
        this.model = offer.model;
        this.coefficient = offer.coefficient;
        this.enabled = enabled;
        this.maxRunning = offer.capacity;
        this.workerAccount = offer.account;
        this.ledger = offer.account.ledger;
        this.owner = offer.owner.toString();
        this.imageHash = conn.peer.imageHash.toString('hex');
        this.protoVersion = offer.protoVersion;
        // Only an attested key (RA-TLS, or the router's preamble) can be a worker's encryption key.
        if (conn.peer.publicKey.length === 32) this.e2eKey = conn.peer.publicKey;
    }

    send(q: proxy_runQueryEx): void {
        sendOpen(this.conn, q);
    }

    signedPayment(): proxy_SignedPayment {
        return this.sign(this.workerAccount);
    }

    cancel(requestId: Buffer): void {
        if (this.conn.closed) return;
        // An original worker answers "unknown function": the request then runs to its end, as it did before.
        this.conn.query({ _: 'cocoonx.cancelQuery', request_id: requestId }, CANCEL_ANSWER_MS).catch(() => undefined);
    }

    /** After a request this worker served ended (proxy.workerRequestPayment). */
    requestPayment(requestId: Buffer, tokens: bigint, client: ClientAccount): void {
        const a = this.workerAccount;
        a.dirty = true;
        sendOpen(this.conn, {
            _: 'proxy.workerRequestPayment',
            request_id: requestId,
            signed_payment: this.sign(a),
            db_tokens: a.ledger.tokensCommittedToDb,
            max_tokens: a.ledger.tokensMax,
            request_tokens: tokens,
            request_client_owner: client.ownerFriendly,
        });
    }

    pushSignedPayment(): void {
        sendOpen(this.conn, this.sign(this.workerAccount));
    }
}
