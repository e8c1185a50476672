/**
 * One inbound client connection (COCOON ProxyInboundClientConnection) and its handshake:
 *
 *   New ──client.connectToProxy──> Connecting ──checked──> Connected ──authorizeWithProxy{Short,Long}──> Authorizing
 *    ^                                 │ refused (400/403)      ^                                          │
 *    └─────────────────────────────────┘                        └──────────── refused (401/408) ───────────┤
 *                                                                                              accepted ──> Authorized
 *   any state ──connection closed──> Closed
 *
 * Connected sends the auth challenge: short auth (the secret whose sha256 the client contract stores) when
 * the contract has a secret hash, long auth (an owner_client_register carrying the nonce, seen on-chain)
 * otherwise. Only an Authorized connection runs queries (client.runQueryEx) and reads its payment status;
 * only then does it hold anything: one `connections` count on its account and its ProxyClientInfo, both
 * given back when it closes. A connection that closes while it is being authorised acquires nothing.
 */
import { randomBytes } from 'crypto';
import type { Address } from '@ton/core';
import { CONTRACT_STATE } from '../chain/cocoon';
import {
    QueryError,
    type client_authorizeWithProxyLong,
    type client_authorizeWithProxyShort,
    type client_AuthorizationWithProxy,
    type client_connectedToProxy,
    type client_connectToProxy,
    type client_runQueryEx,
    type RpcConnection,
    type TlFunction,
    type TlObject,
} from '../protocol';
import { cocoonClientFor } from '../../wrappers/CocoonClient';
import { negotiate, parseOwner, proxyParams, type ClientPort } from './handshake';
import { ProxyClientInfo } from './peers';
import { answerAttestationReport } from './attestation-report';
import { bufferToBigInt, sha256BigInt, uint256Bytes } from '../../wrappers/uint256';

export enum ClientState {
    /** Accepted; waiting for client.connectToProxy. */
    New = 'new',
    /** client.connectToProxy is being checked (config version, the client contract on-chain). */
    Connecting = 'connecting',
    /** The auth challenge was sent; waiting for client.authorizeWithProxyShort or Long. */
    Connected = 'connected',
    /** An authorisation is being checked (the secret, or the nonce on-chain: up to LONG_AUTH_TIMEOUT_MS). */
    Authorizing = 'authorizing',
    /** Runs queries. */
    Authorized = 'authorized',
    Closed = 'closed',
}

/** Who the client said it is in client.connectToProxy, and the nonce a long auth must register. */
interface ClientChallenge {
    owner: Address;
    contract: Address;
    nonce: bigint;
    /** The protocol version negotiated in client.connectToProxy. */
    proto: number;
}

type ClientHandshake =
    | { state: ClientState.New | ClientState.Connecting | ClientState.Closed }
    | { state: ClientState.Connected | ClientState.Authorizing; challenge: ClientChallenge }
    | { state: ClientState.Authorized; info: ProxyClientInfo };

/** How long a long auth waits for the owner_client_register to reach the proxy contract (COCOON: 300 s). */
export const LONG_AUTH_TIMEOUT_MS = 300_000;

/** Default caps on the client port (the original has none): connections not yet authorised, and long-auth waits among them. */
export const DEFAULT_MAX_UNAUTHENTICATED_CLIENTS = 256;
export const DEFAULT_MAX_LONG_AUTH_WAITS = 64;

/**
 * Whether the client port takes one more connection: at most `max` may be unauthenticated at once, so a
 * stranger opening connections and never authorising cannot exhaust the proxy (authorised ones are not counted).
 */
export function admitClient(live: Iterable<ProxyInboundClientConnection>, max: number): boolean {
    let pending = 0;
    for (const c of live) if (c.state !== ClientState.Authorized) pending++;
    return pending < max;
}

export class ProxyInboundClientConnection {
    private hs: ClientHandshake = { state: ClientState.New };
    /** Aborted when the connection closes: waits on its behalf (the long-auth nonce) end with it. */
    private readonly closing = new AbortController();

    constructor(
        readonly conn: RpcConnection,
        private readonly port: ClientPort,
    ) {
        conn.handle((fn) => this.onQuery(fn));
        conn.on('packet', (obj) => {
            if (obj._ === 'client.runQueryEx') this.onRunQuery(obj);
        });
        conn.on('close', () => this.onClose());
    }

    get state(): ClientState {
        return this.hs.state;
    }

    /** The authorised client; null before authorisation and after close. */
    get info(): ProxyClientInfo | null {
        return this.hs.state === ClientState.Authorized ? this.hs.info : null;
    }

    close(): void {
        this.conn.close();
    }

    private async onQuery(fn: TlFunction): Promise<TlObject> {
        switch (fn._) {
            case 'client.connectToProxy':
                return this.connectToProxy(fn);
            case 'client.authorizeWithProxyShort':
            case 'client.authorizeWithProxyLong':
                return this.authorize(fn);
            case 'client.getWorkerTypesV2':
                return this.port.relay.workerTypes();
            case 'client.updatePaymentStatus':
                return this.paymentStatus();
            case 'cocoonx.getAttestationReport':
                return answerAttestationReport(this.port.attestation, this.port.root, fn);
            case 'cocoonx.cancelQuery':
                if (this.hs.state !== ClientState.Authorized) throw new QueryError(401, 'not authorized');
                this.port.relay.cancel(this.hs.info, fn.request_id);
                return { _: 'cocoonx.ok' };
            default:
                throw new QueryError(400, `unsupported query ${fn._}`);
        }
    }

    private async connectToProxy(fn: client_connectToProxy): Promise<client_connectedToProxy> {
        if (this.hs.state !== ClientState.New) throw new QueryError(400, 'client.connectToProxy was already sent on this connection');
        this.hs = { state: ClientState.Connecting };
        try {
            const answer = await this.checkConnect(fn);
            if (this.state === ClientState.Connecting) this.hs = { state: ClientState.Connected, challenge: answer.challenge };
            return answer.tl;
        } catch (e) {
            // A refused connectToProxy may be corrected and sent again on the same connection.
            if (this.state === ClientState.Connecting) this.hs = { state: ClientState.New };
            throw e;
        }
    }

    private async checkConnect(fn: client_connectToProxy): Promise<{ challenge: ClientChallenge; tl: client_connectedToProxy }> {
        const port = this.port;
        const proto = negotiate(fn.params, port.root.params.isTest, 'client', port.protoRange);
        if (fn.min_config_version > port.root.version) await port.refreshRoot();
        if (fn.min_config_version > port.root.version)
            throw new QueryError(400, `active config version is too low: ${port.root.version} < ${fn.min_config_version}`);
        const owner = parseOwner(fn.params.client_owner_address, 'client');
        const contract = (await cocoonClientFor(owner, port.contract, bufferToBigInt(port.publicKey), port.root.params)).address;
        const onchain = await port.readClientContract(contract);
        if (onchain?.state === CONTRACT_STATE.closed) throw new QueryError(403, `client contract ${contract.toString()} is closed`);
        const nonce = bufferToBigInt(randomBytes(8)) & ((1n << 63n) - 1n);
        const account = port.accounts.findClient(owner.toString());
        if (account && onchain) account.chain = onchain;
        return {
            challenge: { owner, contract, nonce, proto },
            tl: {
                _: 'client.connectedToProxy',
                params: proxyParams(port, proto),
                client_sc_address: contract.toString(),
                auth:
                    onchain && onchain.secretHash !== 0n
                        ? {
                              _: 'client.proxyConnectionAuthShort',
                              secret_hash: uint256Bytes(onchain.secretHash),
                              nonce,
                          }
                        : { _: 'client.proxyConnectionAuthLong', nonce },
                signed_payment: account ? port.sign(account) : { _: 'proxy.signedPaymentEmpty' },
            },
        };
    }

    private async authorize(fn: client_authorizeWithProxyShort | client_authorizeWithProxyLong): Promise<client_AuthorizationWithProxy> {
        const hs = this.hs;
        if (hs.state === ClientState.Authorizing)
            return failed(400, 'an authorization is already running on this connection; wait for its answer');
        if (hs.state !== ClientState.Connected) return failed(400, 'send client.connectToProxy first (once per connection)');
        const challenge = hs.challenge;
        this.hs = { state: ClientState.Authorizing, challenge };
        let refusal: client_AuthorizationWithProxy | null = null;
        try {
            refusal =
                fn._ === 'client.authorizeWithProxyShort' ? await this.checkSecret(challenge, fn.data) : await this.checkNonce(challenge);
            if (refusal) return refusal;
            const port = this.port;
            const chain = await port.readClientContract(challenge.contract);
            // Nothing is acquired for a client that left while it was being authorised.
            if (this.state === ClientState.Closed) throw new QueryError(400, 'the connection closed during authorization');
            const account = port.accounts.client(challenge.owner, challenge.contract);
            account.chain = chain ?? account.chain;
            account.connections++;
            const info = new ProxyClientInfo(port.nextLinkId('c'), this.conn, account, port.sign, port.stats, challenge.proto);
            this.hs = { state: ClientState.Authorized, info };
            return {
                _: 'client.authorizationWithProxySuccess',
                signed_payment: port.sign(account),
                tokens_committed_to_db: account.ledger.tokensCommittedToDb,
                max_tokens: account.ledger.tokensMax,
            };
        } finally {
            // Refused or failed: the client may try again (short auth after a secret change, or long auth).
            if (this.state === ClientState.Authorizing) this.hs = { state: ClientState.Connected, challenge };
        }
    }

    /** Short auth: the secret's sha256 must be the hash the client contract stores now. */
    private async checkSecret(challenge: ClientChallenge, secret: Buffer): Promise<client_AuthorizationWithProxy | null> {
        const onchain = await this.port.readClientContract(challenge.contract);
        const hash = sha256BigInt(secret);
        if (!onchain || onchain.secretHash === 0n || hash !== onchain.secretHash) {
            return failed(401, 'secret does not match the hash stored in the client contract: use long auth (on-chain nonce)');
        }
        return null;
    }

    /** Long auth: the client's owner_client_register with our nonce must reach the proxy contract. */
    private async checkNonce(challenge: ClientChallenge): Promise<client_AuthorizationWithProxy | null> {
        const max = this.port.maxLongAuthWaits;
        if (this.port.longAuthWaits() >= max) {
            return failed(
                429,
                `too many clients are waiting for their on-chain registration (${max}); retry in a minute ` +
                    `(short auth with the contract's secret is not limited)`,
            );
        }
        const seen = await this.port.waitRegister(challenge.contract, challenge.nonce, LONG_AUTH_TIMEOUT_MS, this.closing.signal);
        if (seen) return null;
        return failed(
            408,
            `no owner_client_register with nonce ${challenge.nonce} from ${challenge.contract.toString()} reached the proxy ` +
                `contract within ${LONG_AUTH_TIMEOUT_MS / 1000} s`,
        );
    }

    private async paymentStatus(): Promise<TlObject> {
        if (this.hs.state !== ClientState.Authorized) throw new QueryError(401, 'not authorized');
        const a = this.hs.info.clientAccount;
        a.chain = (await this.port.readClientContract(a.contract)) ?? a.chain;
        return {
            _: 'client.paymentStatus',
            signed_payment: this.port.sign(a),
            db_tokens: a.ledger.tokensCommittedToDb,
            max_tokens: a.ledger.tokensMax,
        };
    }

    private onRunQuery(q: client_runQueryEx): void {
        const refuse = (code: number, error: string) =>
            this.conn.send({ _: 'client.queryAnswerErrorEx', request_id: q.request_id, error_code: code, error, flags: 0 });
        if (this.hs.state !== ClientState.Authorized) return refuse(401, 'not authorized: run client.connectToProxy and authorize first');
        const port = this.port;
        if (q.min_config_version > port.root.version) {
            return refuse(
                400,
                `active config version is too low: the proxy knows root version ${port.root.version}, ` +
                    `the client asks for ${q.min_config_version}`,
            );
        }
        const chain = this.hs.info.clientAccount.chain;
        if (chain && chain.state !== CONTRACT_STATE.normal)
            return refuse(403, 'client is closing: its contract is no longer normal; top up and reopen it to send queries');
        port.stats.add('queries');
        port.relay.runQuery(this.hs.info, q);
    }

    private onClose(): void {
        const hs = this.hs;
        this.hs = { state: ClientState.Closed };
        this.closing.abort();
        if (hs.state !== ClientState.Authorized) return;
        hs.info.clientAccount.connections--;
        this.port.relay.cancelClient(hs.info);
    }
}

function failed(code: number, error: string): client_AuthorizationWithProxy {
    return { _: 'client.authorizationWithProxyFailed', error_code: code, error };
}
