/**
 * The client runner (COCOON ClientRunner), usable as a library: connects to a proxy from the root
 * registry, checks the proxy and contract addresses, deploys its client contract, authenticates (long
 * auth with an on-chain nonce the first time, then short auth with its secret), keeps its deposit topped
 * up and charges itself with proxy-signed amounts, and serves the OpenAI-compatible API through the proxy.
 * Withdraw and close (cooperative and forced) are methods and admin actions.
 */
import { randomInt } from 'crypto';
import { Address, beginCell, internal, toNano, type Cell } from '@ton/core';
import type { ChainClient, ChainWallet } from '../chain';
import { readClientContract, readRoot, CONTRACT_STATE, type ClientContractState, type RootState } from '../chain/cocoon';
import type { RaTlsContext } from '../attestation';
import { OUR_RANGES, acceptProtoVersion, chosenVersion, type ProtoRange, type RpcConnection, type proxy_SignedPayment } from '../protocol';
import { createLogger, type Logger } from '../common/log';
import {
    cocoonClientFor,
    storeExtClientTopUp,
    storeOwnerClientChangeSecretHash,
    storeOwnerClientChangeSecretHashAndTopUp,
    storeOwnerClientRegister,
    storeOwnerClientRequestRefund,
    storeOwnerClientWithdraw,
} from '../../wrappers/CocoonClient';
import { repackSigned, SIGNED_OP } from '../../wrappers/signed';
import { WorkerKeys } from './e2e-keys';
import { clientApiHandler, type ClientApiOptions, type FinishedRequest } from './http-api';
import { RateCounterSet } from '../common/rate-set';
import { RunnerTimers } from '../common/timers';
import { connectToProxy, proxyEndpointList } from '../common/proxy-endpoints';
import { checkProxyImage, verifyProxyContracts } from '../common/proxy-checks';
import { acceptSignedPayment, type HeldPayment } from '../common/signed-payment';
import { bufferToBigInt, sha256BigInt } from '../../wrappers/uint256';

export interface ClientRunnerConfig {
    chain: ChainClient;
    /** Owner wallet (the client contract's owner): pays deposits, receives refunds. */
    wallet: ChainWallet;
    root: Address;
    /** Short-auth secret; its sha256 is stored in the client contract. */
    secret: string;
    /** Amount put into the contract on deploy and on each automatic top-up (nanoTON). */
    deposit?: bigint;
    /** Top up automatically when the unspent deposit falls under half the stake (default true). */
    autoTopUp?: boolean;
    /** Explicit proxy endpoints ("host:port"); default: the root's registered proxies (client address). */
    proxies?: string[];
    tls?: RaTlsContext;
    checkProxyHashes?: boolean;
    intervals?: Partial<{ statusMs: number; reconnectMs: number; settleMs: number; rootMs: number }>;
    api?: Omit<ClientApiOptions, 'proxy' | 'configVersion' | 'onFinished' | 'protoVersion' | 'e2e'>;
    /**
     * Encrypt requests end to end to an attested worker key and decrypt the answers (default false: it
     * needs an RA-TLS proxy that reports its workers and workers of this project; docs/protocol.md).
     */
    e2e?: boolean;
    /** Protocol versions advertised to the proxy (default OUR_RANGES.client; an older range makes an old-version client). */
    protoRange?: ProtoRange;
    logger?: Logger;
}

/** The client's session with one proxy contract: the highest signed charge (HeldPayment) and the proxy's counters. */
export interface ProxySessionInfo extends HeldPayment {
    endpoint: string;
    proxySc: Address;
    clientSc: Address;
    proxyKey: Buffer;
    db: bigint;
    max: bigint;
    chain: ClientContractState | null;
}

const VALUE = { deploy: toNano('0.8'), op: toNano('0.7'), register: toNano('1'), charge: toNano('0.7') } as const;

export class ClientRunner {
    readonly log: Logger;
    private root!: RootState;
    private conn: RpcConnection | null = null;
    private session: ProxySessionInfo | null = null;
    /** The version the proxy chose for the current connection. */
    private protoVersion = 0;
    private readonly timers: RunnerTimers;
    private connecting: Promise<void> | null = null;
    private closed = false;
    private lastError: string | null = null;
    readonly stats = new RateCounterSet(['queries', 'success', 'failed', 'tokens']);
    readonly receipts: FinishedRequest[] = [];
    readonly handler: ReturnType<typeof clientApiHandler>;
    private readonly intervals: { statusMs: number; reconnectMs: number; settleMs: number; rootMs: number };

    private constructor(private readonly cfg: ClientRunnerConfig) {
        this.log = cfg.logger ?? createLogger('client');
        this.intervals = { statusMs: 15_000, reconnectMs: 2000, settleMs: 10_000, rootMs: 30_000, ...cfg.intervals };
        this.timers = new RunnerTimers(this.log);
        this.handler = clientApiHandler({
            ...cfg.api,
            proxy: () => this.conn,
            configVersion: () => this.root?.version ?? 0,
            protoVersion: () => this.protoVersion,
            e2e: cfg.e2e ? new WorkerKeys(() => this.root) : undefined,
            onFinished: (r) => {
                this.stats.add('queries');
                this.stats.add(r.error ? 'failed' : 'success');
                this.stats.add('tokens', r.tokens);
                this.receipts.push(r);
                if (this.receipts.length > 100) this.receipts.shift();
            },
        });
    }

    static async start(cfg: ClientRunnerConfig): Promise<ClientRunner> {
        if (!cfg.secret) throw new Error('the client needs a secret (short-auth secret string)');
        // Without its wallet every handshake would fail on the owner address, retried forever.
        if (!cfg.wallet) throw new Error('the client needs its owner wallet (none was given)');
        const c = new ClientRunner(cfg);
        c.root = await readRoot(cfg.chain, cfg.root);
        c.timers.every(c.intervals.reconnectMs, () => c.ensureConnected(), 'proxy connection');
        c.timers.every(c.intervals.statusMs, () => c.updatePaymentStatus(), 'payment status');
        c.timers.every(c.intervals.settleMs, () => c.settle(), 'settlement');
        c.timers.every(c.intervals.rootMs, () => c.refreshRoot(), 'root refresh');
        return c;
    }

    /**
     * Re-reads the root. A new params_version means a new proxy contract: the connection is dropped and
     * the next one deploys a client contract under the new params (the proxy refunds the old one).
     */
    async refreshRoot(): Promise<void> {
        const root = await readRoot(this.cfg.chain, this.cfg.root);
        const changed = this.root && root.params.paramsVersion !== this.root.params.paramsVersion;
        this.root = root;
        if (changed) {
            this.log.warn('root params version changed: reconnecting to the new proxy contract', {
                paramsVersion: root.params.paramsVersion,
            });
            this.conn?.close();
            this.conn = null;
        }
    }

    get owner(): Address {
        return this.cfg.wallet.address;
    }
    get ready(): boolean {
        return !!this.conn && !this.conn.closed;
    }
    get info(): ProxySessionInfo | null {
        return this.session;
    }
    get rootState(): RootState {
        return this.root;
    }

    /** Resolves once connected and authorised (connecting if needed). */
    async waitReady(timeoutMs = 120_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (!this.ready) {
            if (Date.now() > deadline)
                throw new Error(
                    `client did not connect to a proxy within ${timeoutMs} ms: ${this.lastError ?? 'no proxy registered in the root?'}`,
                );
            await this.ensureConnected().catch(() => undefined);
            if (!this.ready) await new Promise((r) => setTimeout(r, 200));
        }
    }

    ensureConnected(): Promise<void> {
        if (this.ready || this.closed) return Promise.resolve();
        if (!this.connecting) {
            this.connecting = this.connectOnce()
                .catch((e: Error) => {
                    this.lastError = e.message;
                    this.log.warn('cannot connect to a proxy', { error: e.message });
                })
                .finally(() => (this.connecting = null));
        }
        return this.connecting;
    }

    private async connectOnce(): Promise<void> {
        const list = proxyEndpointList('clients', this.cfg.proxies, this.root);
        if (!list.length) throw new Error('the root contract has no registered proxies and none were configured (--proxy)');
        const endpoint = list[randomInt(list.length)];
        const conn = await connectToProxy(endpoint, { tls: this.cfg.tls, logger: this.log.child('proxy-conn') });
        try {
            await this.handshake(endpoint, conn);
        } catch (e) {
            conn.close();
            throw e;
        }
        conn.on('close', () => {
            if (this.conn === conn) this.conn = null;
            this.log.warn('proxy connection closed', { proxy: endpoint });
        });
        conn.on('packet', (obj) => {
            if (!this.session) return;
            if (obj._ === 'proxy.clientRequestPayment') {
                this.acceptSigned(obj.signed_payment);
                if (obj.db_tokens > this.session.db) this.session.db = obj.db_tokens;
                if (obj.max_tokens > this.session.max) this.session.max = obj.max_tokens;
            } else if (obj._ === 'proxy.signedPayment') this.acceptSigned(obj);
        });
        this.conn = conn;
        this.lastError = null;
    }

    private get protoRange(): ProtoRange {
        return this.cfg.protoRange ?? OUR_RANGES.client;
    }

    private secretHash(): bigint {
        return sha256BigInt(this.cfg.secret);
    }

    private body(store: (b: ReturnType<typeof beginCell>) => void): Cell {
        const b = beginCell();
        store(b);
        return b.endCell();
    }

    private async handshake(endpoint: string, conn: RpcConnection): Promise<void> {
        const params = this.root.params;
        checkProxyImage(conn.peer.imageHash, this.root, this.cfg.checkProxyHashes ?? !params.isTest);
        const r = await conn.query({
            _: 'client.connectToProxy',
            params: {
                _: 'client.params',
                flags: 3,
                client_owner_address: this.owner.toString(),
                is_test: params.isTest,
                min_proto_version: this.protoRange.min,
                max_proto_version: this.protoRange.max,
            },
            min_config_version: this.root.version,
        });
        const protoVersion = acceptProtoVersion(this.protoRange, chosenVersion(r.params));
        const { proxy, child: client } = await verifyProxyContracts(
            r.params,
            r.client_sc_address,
            this.cfg.root,
            this.root,
            'client',
            (sc, key) => cocoonClientFor(this.owner, sc, key, params),
        );
        const { proxyKey, proxySc } = proxy;
        const prev = this.session?.proxySc.equals(proxySc) ? this.session : null;
        const s: ProxySessionInfo = prev ?? {
            endpoint,
            proxySc,
            clientSc: client.address,
            proxyKey,
            signed: 0n,
            db: 0n,
            max: 0n,
            message: null,
            verified: null,
            chain: null,
        };
        this.session = s;
        s.endpoint = endpoint;
        this.acceptSigned(r.signed_payment);

        s.chain = await readClientContract(this.cfg.chain, client.address);
        const deposit = this.cfg.deposit ?? params.minClientStake * 2n;
        const mySecret = this.secretHash();
        let auth;
        if (r.auth._ === 'client.proxyConnectionAuthShort' && bufferToBigInt(r.auth.secret_hash) === mySecret) {
            auth = await conn.query({ _: 'client.authorizeWithProxyShort', data: Buffer.from(this.cfg.secret) });
        } else {
            const nonce = r.auth.nonce;
            const msgs = [];
            if (!s.chain) {
                // First contact: deploy with the secret hash and the deposit in one message, then register the nonce.
                this.log.info('deploying the client contract', { contract: client.address.toString(), deposit });
                msgs.push(
                    internal({
                        to: client.address,
                        value: deposit + VALUE.deploy,
                        bounce: false,
                        init: client.init!,
                        body: this.body((b) =>
                            b.store(
                                storeOwnerClientChangeSecretHashAndTopUp({
                                    $$type: 'OwnerClientChangeSecretHashAndTopUp',
                                    queryId: 0n,
                                    topUpAmount: deposit,
                                    newSecretHash: mySecret,
                                    sendExcessesTo: this.owner,
                                }),
                            ),
                        ),
                    }),
                );
            }
            msgs.push(
                internal({
                    to: client.address,
                    value: VALUE.register,
                    bounce: true,
                    body: this.body((b) =>
                        b.store(
                            storeOwnerClientRegister({ $$type: 'OwnerClientRegister', queryId: 0n, nonce, sendExcessesTo: this.owner }),
                        ),
                    ),
                }),
            );
            await this.cfg.wallet.send(msgs);
            auth = await conn.query({ _: 'client.authorizeWithProxyLong' }, 300_000);
        }
        if (auth._ === 'client.authorizationWithProxyFailed')
            throw new Error(`proxy refused authorization: ${auth.error} (code ${auth.error_code})`);
        this.acceptSigned(auth.signed_payment);
        s.db = auth.tokens_committed_to_db > s.db ? auth.tokens_committed_to_db : s.db;
        s.max = auth.max_tokens > s.max ? auth.max_tokens : s.max;
        s.chain = await readClientContract(this.cfg.chain, client.address);
        if (s.chain && s.chain.secretHash !== mySecret) {
            await this.cfg.wallet.send([
                internal({
                    to: client.address,
                    value: VALUE.op,
                    bounce: true,
                    body: this.body((b) =>
                        b.store(
                            storeOwnerClientChangeSecretHash({
                                $$type: 'OwnerClientChangeSecretHash',
                                queryId: 0n,
                                newSecretHash: mySecret,
                                sendExcessesTo: this.owner,
                            }),
                        ),
                    ),
                }),
            ]);
        }
        this.protoVersion = protoVersion;
        this.log.info('authorized with proxy', {
            proxy: endpoint,
            proto_version: protoVersion,
            contract: client.address.toString(),
            auth: r.auth._ === 'client.proxyConnectionAuthShort' ? 'short' : 'long',
        });
    }

    private acceptSigned(p: proxy_SignedPayment): void {
        const s = this.session;
        if (!s) return;
        try {
            acceptSignedPayment(s, p, { op: SIGNED_OP.clientCharge, target: s.clientSc, proxyPublicKey: s.proxyKey });
        } catch (e) {
            this.log.error('invalid signed payment from the proxy: disconnecting', { error: (e as Error).message });
            this.conn?.close();
        }
    }

    private async updatePaymentStatus(): Promise<void> {
        if (!this.conn || !this.session) return;
        const st = await this.conn.query({ _: 'client.updatePaymentStatus' }, 10_000);
        this.acceptSigned(st.signed_payment);
        if (st.db_tokens > this.session.db) this.session.db = st.db_tokens;
        if (st.max_tokens > this.session.max) this.session.max = st.max_tokens;
    }

    private async refreshChain(): Promise<ClientContractState | null> {
        if (!this.session) return null;
        this.session.chain = (await readClientContract(this.cfg.chain, this.session.clientSc)) ?? this.session.chain;
        return this.session.chain;
    }

    /** COCOON §3.3 client rules: charge itself at half the stake used; top up when the deposit runs low. */
    async settle(): Promise<void> {
        const s = this.session;
        if (!s) return;
        const c = await this.refreshChain();
        if (!c || c.state !== CONTRACT_STATE.normal) return;
        const price = this.root.params.pricePerToken;
        const stakeTokens = c.stake / price;
        if (s.max > c.tokensUsed + stakeTokens / 2n && s.signed > c.tokensUsed) await this.charge();
        const spent = (s.max > c.tokensUsed ? s.max - c.tokensUsed : 0n) * price;
        if ((this.cfg.autoTopUp ?? true) && c.balance - spent < c.stake / 2n) await this.topUp();
    }

    /** Submits the latest proxy-signed charge (repacked with our wallet as excess receiver). */
    async charge(): Promise<{ tokens: bigint }> {
        const s = this.requireSession();
        await this.updatePaymentStatus().catch(() => undefined);
        const c = await this.refreshChain();
        if (!s.message || (c && s.signed <= c.tokensUsed)) return { tokens: 0n };
        await this.cfg.wallet.send([
            internal({ to: s.clientSc, value: VALUE.charge, bounce: true, body: repackSigned(s.message, this.owner) }),
        ]);
        await this.refreshChain();
        this.log.info('charged', { tokens: s.signed });
        return { tokens: s.signed };
    }

    async topUp(amount?: bigint): Promise<{ amount: bigint }> {
        const s = this.requireSession();
        const price = this.root.params.pricePerToken;
        const a = amount ?? this.cfg.deposit ?? this.root.params.minClientStake * 2n;
        const rounded = a - (a % price);
        if (rounded <= 0n) throw new RangeError(`top-up amount must be at least the price per token (${price} nanoTON)`);
        await this.cfg.wallet.send([
            internal({
                to: s.clientSc,
                value: rounded + VALUE.op,
                bounce: true,
                body: this.body((b) =>
                    b.store(
                        storeExtClientTopUp({ $$type: 'ExtClientTopUp', queryId: 0n, topUpAmount: rounded, sendExcessesTo: this.owner }),
                    ),
                ),
            }),
        ]);
        await this.refreshChain();
        this.log.info('topped up', { amount: rounded });
        return { amount: rounded };
    }

    /** Withdraws the deposit above the stake (charging first so the proxy is paid what is signed). */
    async withdraw(): Promise<{ withdrawn: bigint }> {
        const s = this.requireSession();
        await this.charge();
        const before = await this.refreshChain();
        if (!before || before.balance <= before.stake) return { withdrawn: 0n };
        await this.cfg.wallet.send([
            internal({
                to: s.clientSc,
                value: VALUE.op,
                bounce: true,
                body: this.body((b) =>
                    b.store(storeOwnerClientWithdraw({ $$type: 'OwnerClientWithdraw', queryId: 0n, sendExcessesTo: this.owner })),
                ),
            }),
        ]);
        await this.refreshChain();
        return { withdrawn: before.balance - before.stake };
    }

    /**
     * Closes the client contract. The first call starts closing ("close I"; the proxy then grants the
     * refund cooperatively once everything is committed); after client_delay_before_close a second call
     * forces the refund from the proxy's stake ("close II").
     */
    async requestClose(): Promise<{ state: number }> {
        const s = this.requireSession();
        await this.charge().catch(() => undefined);
        await this.cfg.wallet.send([
            internal({
                to: s.clientSc,
                value: VALUE.op,
                bounce: true,
                body: this.body((b) =>
                    b.store(storeOwnerClientRequestRefund({ $$type: 'OwnerClientRequestRefund', queryId: 0n, sendExcessesTo: this.owner })),
                ),
            }),
        ]);
        const c = await this.refreshChain();
        return { state: c?.state ?? -1 };
    }

    private requireSession(): ProxySessionInfo {
        if (!this.session) throw new Error('the client has not connected to a proxy yet (no client contract known)');
        return this.session;
    }

    snapshot() {
        const s = this.session;
        return {
            owner: this.owner.toString(),
            ready: this.ready,
            proto_version: this.ready ? this.protoVersion : null,
            e2e: this.cfg.e2e === true,
            last_error: this.lastError,
            root: {
                address: this.cfg.root.toString(),
                version: this.root?.version,
                params_version: this.root?.params.paramsVersion,
                price_per_token: this.root?.params.pricePerToken,
            },
            proxy: s && {
                endpoint: s.endpoint,
                proxy_sc_address: s.proxySc.toString(),
                sc_address: s.clientSc.toString(),
                proxy_public_key: s.proxyKey.toString('hex'),
                tokens_used_proxy_committed_to_blockchain: s.signed,
                tokens_used_proxy_db: s.db,
                tokens_used_proxy_max: s.max,
                state: s.chain?.state ?? null,
                balance: s.chain?.balance ?? null,
                stake: s.chain?.stake ?? null,
                tokens_charged: s.chain?.tokensUsed ?? null,
            },
        };
    }

    async close(graceMs = 10_000): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        this.timers.stop();
        if (this.connecting) {
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([this.connecting.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
            clearTimeout(timer);
        }
        this.conn?.close();
        this.conn = null;
    }
}
