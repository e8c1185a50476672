/**
 * The proxy runner (COCOON ProxyRunner): owns one proxy contract per root params version, accepts workers
 * and clients over the wire protocol (RA-TLS in production), authenticates them against the chain, relays
 * queries, keeps the per-client and per-worker ledgers in the signed store, commits state seqnos on-chain
 * and signs only chain-committed amounts, and settles: charges clients, pays workers, withdraws commission.
 *
 * Startup: read root -> open store -> deploy/stake the proxy contract -> start a session (a fresh random
 * session hash, a new seqno committed to the store and noted on-chain; the session starts only once the
 * note is seen) -> listen. A note from the proxy's wallet with another session hash means a clone or a
 * rolled-back copy is running: the runner stops instead of signing anything further.
 */
import { createHash, randomBytes } from 'crypto';
import { Address, internal, toNano } from '@ton/core';
import type { ChainClient, ChainWallet } from '../chain';
import { readClientContract, readProxyContract, readRoot, readWorkerContract, CONTRACT_STATE, type RootState } from '../chain/cocoon';
import type { RaTlsContext } from '../attestation';
import { createLogger, listen, QueryError, type Logger, type RpcConnection, type RpcServer, type TlFunction, type TlObject, type client_runQueryEx, type proxy_params } from '../protocol';
import { cocoonProxyFor, storeExtProxyIncreaseStake, storeExtProxyPayoutRequest } from '../../wrappers/CocoonProxy';
import { cocoonClientFor } from '../../wrappers/CocoonClient';
import { cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { saveStateNote, signedMessage, SIGNED_OP } from '../../wrappers/signed';
import { beginCell } from '@ton/core';
import { RateCounterSet } from '../common/rate-set';
import type { HardwareProfile } from '../common/hardware';
import { accountFromRecord, ClientAccount, WorkerAccount } from './ledgers';
import { ERR, QueryRelay, type ClientLink, type WorkerLink } from './relay';
import { DecayingAverage } from './routing';
import { ProxyStore } from './store';
import { SettleJournal } from './journal';
import { advanceOldContract, type OldContractRecord } from './migration';
import { mkdirSync } from 'fs';
import { join } from 'path';
import { ContractWatcher, type RegisterSeen, type SaveStateSeen } from './watcher';

export interface ProxyThresholds {
    /** Charge a client on-chain once this much (nanoTON) is signable and uncharged (original: 1 TON). */
    charge: bigint;
    /** Pay a worker once its signable, unpaid share reaches this (original: 10 TON). */
    payout: bigint;
    /** Withdraw the contract's commission once it reaches this (original: 10 TON). */
    withdraw: bigint;
}

export interface ProxyIntervals {
    dbCommitMs: number;
    chainCommitMs: number;
    pollMs: number;
    rootMs: number;
    monitorMs: number;
    settleMs: number;
}

export interface ProxyRunnerConfig {
    chain: ChainClient;
    /** The proxy's wallet: owner of the proxy contract and sender of its transactions. */
    wallet: ChainWallet;
    root: Address;
    /** The proxy's signing key (Ed25519; 64-byte secret key as @ton/crypto keeps it). */
    key: { publicKey: Buffer; secretKey: Buffer };
    /** The proxy's directory: its PGlite store (`db/`) and settle journal. Omit for an in-memory proxy (tests). */
    dataDir?: string;
    /** postgres://… keeps the store in PostgreSQL instead of PGlite (the journal stays in dataDir). */
    databaseUrl?: string;
    host?: string;
    workerPort?: number;
    clientPort?: number;
    /** RA-TLS for the worker port (policy fake/tdx) and the client port (policy any); omit for plaintext. */
    workerTls?: RaTlsContext;
    clientTls?: RaTlsContext;
    /** Proof-of-work difficulty demanded before TLS (default 20, as the original router; 0 = a challenge any nonce solves). */
    powDifficulty?: number;
    /** Check worker image and model hashes against the root (default: on unless the root is a test root). */
    checkWorkerHashes?: boolean;
    thresholds?: Partial<ProxyThresholds>;
    intervals?: Partial<ProxyIntervals>;
    /** Stake kept in the proxy contract (default: the root's min_proxy_stake). */
    stake?: bigint;
    logger?: Logger;
}

/** What a worker announces about its machine (Cocoon extension `cocoonx.announceWorkerHardware`). */
export type WorkerHardware = HardwareProfile;

export const DEFAULT_PROXY_THRESHOLDS: ProxyThresholds = { charge: toNano('1'), payout: toNano('10'), withdraw: toNano('10') };
export const DEFAULT_PROXY_INTERVALS: ProxyIntervals = { dbCommitMs: 1000, chainCommitMs: 30_000, pollMs: 2000, rootMs: 30_000, monitorMs: 5000, settleMs: 10_000 };

const PROTO_MAX = 2;
const VALUE = { deploy: toNano('0.3'), signed: toNano('0.7'), withdraw: toNano('0.2'), note: 1n } as const;

export class ProxyFatalError extends Error {
    constructor(readonly code: 'CLONE' | 'SESSION' | 'CONTRACT', message: string) {
        super(message);
    }
}

interface ClientSession {
    phase: 'new' | 'connecting' | 'authorized';
    account?: ClientAccount;
    owner?: Address;
    contract?: Address;
    nonce?: bigint;
    link?: ClientLink;
}

export class ProxyRunner {
    readonly relay: QueryRelay;
    readonly log: Logger;
    root!: RootState;
    contract!: Address;
    private store!: ProxyStore;
    private watcher!: ContractWatcher;
    private readonly clients = new Map<string, ClientAccount>();
    private readonly workers = new Map<string, WorkerAccount>();
    private readonly workerLinks = new Map<string, WorkerLink & { account: WorkerAccount; conn: RpcConnection; owner: string; imageHash: string; hardware: WorkerHardware | null }>();
    private readonly clientConns = new Set<RpcConnection>();
    private readonly clientLinks = new Set<ClientLink & { conn: RpcConnection; holder: ClientAccount }>();
    private readonly registers = new Map<string, bigint>(); // `${contract}:${nonce}` -> lt
    private readonly registerWaiters = new Map<string, () => void>();
    private readonly timers: NodeJS.Timeout[] = [];
    private workerServer?: RpcServer;
    private clientServer?: RpcServer;
    private readonly sessionHash = BigInt('0x' + randomBytes(32).toString('hex'));
    private sessionStartLt = 0n;
    private notedSeqno = 0;
    private committedSeqno = 0;
    private sessionSeqno = 0;
    private committing: Promise<void> = Promise.resolve();
    private journal: SettleJournal | null = null;
    private readonly pendingRecords = new Map<string, unknown>();
    private readonly oldContracts: OldContractRecord[] = [];
    private migrating: Promise<void> | null = null;
    private journalSeq = 0;
    private closed = false;
    private disabled = false;
    private fatal: ProxyFatalError | null = null;
    readonly thresholds: ProxyThresholds;
    readonly intervals: ProxyIntervals;
    readonly stats = new RateCounterSet(['queries', 'success', 'failed', 'tokens']);
    private readonly fatalListeners: ((e: ProxyFatalError) => void)[] = [];
    private conn_ids = 0;

    private constructor(private readonly cfg: ProxyRunnerConfig) {
        this.log = cfg.logger ?? createLogger('proxy');
        this.thresholds = { ...DEFAULT_PROXY_THRESHOLDS, ...cfg.thresholds };
        this.intervals = { ...DEFAULT_PROXY_INTERVALS, ...cfg.intervals };
        this.relay = new QueryRelay({
            pricePerToken: 1n, // replaced once the root is read (see start)
            onSettled: (client, worker, tokens, requestId) => this.onSettled(client, worker, tokens, requestId),
        });
    }

    static async start(cfg: ProxyRunnerConfig): Promise<ProxyRunner> {
        const p = new ProxyRunner(cfg);
        try {
            await p.startup();
        } catch (e) {
            await p.close().catch(() => undefined);
            throw e;
        }
        return p;
    }

    get workerPort(): number { return this.workerServer?.port ?? 0; }
    get clientPort(): number { return this.clientServer?.port ?? 0; }
    get publicKey(): Buffer { return this.cfg.key.publicKey; }
    get owner(): Address { return this.cfg.wallet.address; }
    get fatalError(): ProxyFatalError | null { return this.fatal; }

    onFatal(fn: (e: ProxyFatalError) => void): void {
        this.fatalListeners.push(fn);
    }

    private async startup(): Promise<void> {
        this.root = await readRoot(this.cfg.chain, this.cfg.root);
        (this.relay as unknown as { opts: { pricePerToken: bigint } }).opts.pricePerToken = this.root.params.pricePerToken;
        this.contract = (await cocoonProxyFor(this.owner, this.pubkeyInt(), this.cfg.root, this.root.params)).address;
        const dir = this.cfg.dataDir;
        if (dir) mkdirSync(dir, { recursive: true });
        const { store, state } = await ProxyStore.open({ databaseUrl: this.cfg.databaseUrl, dataDir: dir && !this.cfg.databaseUrl ? join(dir, 'db') : undefined, key: this.cfg.key });
        this.store = store;
        for (const [key, value] of state.records) {
            const a = accountFromRecord(key, value);
            if (a instanceof ClientAccount) this.clients.set(a.owner.toRawString(), a);
            else if (a instanceof WorkerAccount) this.workers.set(a.owner.toRawString(), a);
            else if (key.startsWith('old:')) this.oldContracts.push(value as OldContractRecord);
            else if (key === 'chain') {
                const meta = value as { committedSeqno: number; journalSeq?: number };
                this.committedSeqno = meta.committedSeqno;
                this.journalSeq = meta.journalSeq ?? 0;
            }
        }
        if (dir) {
            const { journal, pending } = SettleJournal.open(join(dir, 'settle.journal'), this.cfg.key.secretKey, this.journalSeq);
            this.journal = journal;
            for (const e of pending) {
                const c = this.clientAccount(Address.parse(e.client.owner), Address.parse(e.client.contract));
                const w = this.workerAccount(Address.parse(e.worker.owner), Address.parse(e.worker.contract));
                c.ledger.add(e.tokens);
                w.ledger.add(e.tokens);
                c.dirty = w.dirty = true;
            }
            if (pending.length) this.log.info('replayed requests finished after the last store commit', { requests: pending.length });
        }
        await this.ensureContract();
        this.watcher = new ContractWatcher(this.cfg.chain, this.contract, {
            saveState: (n) => this.onSaveState(n),
            register: (r) => this.onRegister(r),
        });
        await this.watcher.init();
        await this.startSession();
        await this.listen();
        const every = (ms: number, fn: () => Promise<unknown>, what: string) => {
            let busy = false;
            const t = setInterval(() => {
                if (busy || this.closed) return;
                busy = true;
                fn().catch((e: Error) => this.log.warn(`${what} failed`, { error: e.message })).finally(() => (busy = false));
            }, ms);
            t.unref();
            this.timers.push(t);
        };
        every(this.intervals.dbCommitMs, () => this.commitDb(), 'database commit');
        every(this.intervals.chainCommitMs, () => this.noteOnChain(), 'save-state note');
        every(this.intervals.pollMs, () => this.watcher.poll(), 'contract watch');
        every(this.intervals.rootMs, () => this.refreshRoot(), 'root refresh');
        every(this.intervals.monitorMs, () => this.monitor(), 'account monitor');
        every(this.intervals.settleMs, () => this.settle(), 'settlement');
        every(this.intervals.pollMs, () => this.closeOldContracts(), 'closing outdated contracts');
        this.log.info('proxy ready', { contract: this.contract.toString(), workers: this.workerPort, clients: this.clientPort, session: this.sessionHash.toString(16).slice(0, 16) });
    }

    private pubkeyInt(): bigint {
        return BigInt('0x' + this.cfg.key.publicKey.toString('hex'));
    }

    /** Deploys the proxy contract for the current params and keeps its stake at the configured level. */
    private async ensureContract(): Promise<void> {
        const state = await readProxyContract(this.cfg.chain, this.contract);
        if (state && state.state !== CONTRACT_STATE.normal) {
            throw new ProxyFatalError('CONTRACT', `proxy contract ${this.contract.toString()} is ${state.state === CONTRACT_STATE.closing ? 'closing' : 'closed'}; a new params version (or a new proxy key) gives a new contract`);
        }
        const want = this.cfg.stake ?? this.root.params.minProxyStake;
        const have = state?.stake ?? 0n;
        if (state && have >= want) return;
        const grams = want > have ? want - have : 0n;
        const proxy = await cocoonProxyFor(this.owner, this.pubkeyInt(), this.cfg.root, this.root.params);
        const body = beginCell().store(storeExtProxyIncreaseStake({ $$type: 'ExtProxyIncreaseStake', queryId: 0n, grams, sendExcessesTo: this.owner })).endCell();
        this.log.info(state ? 'topping up the proxy stake' : 'deploying the proxy contract', { contract: this.contract.toString(), stake: grams });
        await this.cfg.wallet.send([internal({ to: this.contract, value: VALUE.deploy + grams, bounce: false, init: state ? undefined : proxy.init!, body })]);
        await this.cfg.chain.waitForTransaction(this.contract, () => true, { timeoutMs: 60_000 }).catch(() => undefined);
        const after = await readProxyContract(this.cfg.chain, this.contract);
        if (!after) throw new ProxyFatalError('CONTRACT', `proxy contract ${this.contract.toString()} did not deploy: check the wallet ${this.owner.toString()} has funds`);
    }

    /** A fresh session: a new seqno in the store, noted on-chain; the session starts once the note is seen. */
    private async startSession(): Promise<void> {
        this.sessionSeqno = this.store.seqno + 1;
        await this.commitDb(true);
        await this.noteOnChain();
        const deadline = Date.now() + 120_000;
        while (this.committedSeqno < this.sessionSeqno) {
            if (this.fatal) throw this.fatal;
            if (Date.now() > deadline) throw new ProxyFatalError('SESSION', 'the session start note did not appear on-chain within 120 s: check the chain endpoint and the wallet balance');
            await this.watcher.poll();
            if (this.committedSeqno < this.sessionSeqno) await new Promise((r) => setTimeout(r, 200));
        }
    }

    /** Writes every dirty account under a new seqno, atomically (COCOON all_to_db). */
    commitDb(force = false): Promise<void> {
        const run = this.committing.then(async () => {
            const dirty = new Map<string, unknown>();
            const seqno = this.store.seqno + 1;
            for (const a of [...this.clients.values(), ...this.workers.values()]) {
                const grew = a.ledger.committedToDb(seqno);
                if (grew || a.dirty || force) dirty.set(a.key, a.record());
            }
            for (const [k, v] of this.pendingRecords) dirty.set(k, v);
            this.pendingRecords.clear();
            if (!dirty.size && !force) return;
            const journalSeq = this.journal?.lastSeq ?? 0;
            dirty.set('chain', { committedSeqno: this.committedSeqno, journalSeq });
            for (const a of [...this.clients.values(), ...this.workers.values()]) a.dirty = false;
            await this.store.commit(seqno, dirty);
            this.journalSeq = journalSeq;
            this.journal?.compact(journalSeq);
        });
        this.committing = run.catch(() => undefined);
        return run;
    }

    /** Sends the save-state note for the latest stored seqno (1 nanoTON to the proxy contract). */
    async noteOnChain(): Promise<void> {
        const seqno = this.store.seqno;
        if (seqno <= this.notedSeqno) return;
        const body = saveStateNote(seqno, this.sessionHash, BigInt('0x' + randomBytes(8).toString('hex')));
        const tx = await this.cfg.wallet.send([internal({ to: this.contract, value: VALUE.note, bounce: false, body })]);
        if (this.sessionStartLt === 0n) this.sessionStartLt = tx.lt;
        this.notedSeqno = seqno;
    }

    private onSaveState(n: SaveStateSeen): void {
        if (!n.from.equals(this.owner)) return; // anyone can send 1 nanoTON with this body; only ours count
        if (n.sessionHash !== this.sessionHash) {
            if (this.sessionStartLt !== 0n && n.lt > this.sessionStartLt) {
                this.die(new ProxyFatalError('CLONE', `a save-state note of another session (seqno ${n.seqno}) appeared after this session started: another copy of this proxy (a clone or a restored backup) is running with the same wallet; stopping so no amount is signed twice`));
            }
            return;
        }
        if (n.seqno > this.store.seqno) {
            return this.die(new ProxyFatalError('CLONE', `save-state note for seqno ${n.seqno} but the store is at ${this.store.seqno}: stopping`));
        }
        if (n.seqno <= this.committedSeqno) return;
        this.committedSeqno = n.seqno;
        for (const a of [...this.clients.values(), ...this.workers.values()]) {
            if (a.ledger.committedToBlockchain(n.seqno)) {
                a.dirty = true;
                this.pushSignedPayment(a);
            }
        }
    }

    private onRegister(r: RegisterSeen): void {
        const k = `${r.clientContract.toRawString()}:${r.nonce}`;
        this.registers.set(k, r.lt);
        this.registerWaiters.get(k)?.();
    }

    private die(e: ProxyFatalError): void {
        if (this.fatal) return;
        this.fatal = e;
        this.log.error('fatal', { code: e.code, error: e.message });
        for (const c of this.clientConns) c.close();
        for (const w of this.workerLinks.values()) w.conn.close();
        for (const fn of this.fatalListeners) fn(e);
    }

    private async listen(): Promise<void> {
        const host = this.cfg.host ?? '127.0.0.1';
        // PoW guards the TLS handshake; plaintext listeners (behind a router, or tests) go without, like the peers expect.
        // Difficulty 0 still sends a (trivially solved) challenge: RA-TLS peers always wait for one first.
        const pow = (tls?: RaTlsContext) => (tls ? { difficulty: this.cfg.powDifficulty ?? 20 } : false as const);
        this.workerServer = await listen({
            host, port: this.cfg.workerPort ?? 0, tls: this.cfg.workerTls, pow: pow(this.cfg.workerTls), logger: this.log.child('workers'),
            onConnection: (conn) => this.acceptWorker(conn),
            onReject: (e, remote) => this.log.warn('worker connection rejected', { remote, error: e.message }),
        });
        this.clientServer = await listen({
            host, port: this.cfg.clientPort ?? 0, tls: this.cfg.clientTls, pow: pow(this.cfg.clientTls), logger: this.log.child('clients'),
            onConnection: (conn) => this.acceptClient(conn),
            onReject: (e, remote) => this.log.warn('client connection rejected', { remote, error: e.message }),
        });
    }

    private proxyParams(proto: number): proxy_params {
        return {
            _: 'proxy.params', flags: 3, proxy_public_key: this.cfg.key.publicKey, proxy_owner_address: this.owner.toString(),
            proxy_sc_address: this.contract.toString(), is_test: this.root.params.isTest, proto_version: proto,
        };
    }

    private negotiate(p: { flags?: number; is_test?: boolean; min_proto_version?: number; max_proto_version?: number }, who: string): number {
        if (!((p.flags ?? 0) & 1)) throw new QueryError(400, `${who} is too old: params without is_test`);
        if (p.is_test !== this.root.params.isTest) throw new QueryError(400, `test mode mismatch: the proxy's root is ${this.root.params.isTest ? '' : 'not '}a test root`);
        const min = (p.flags ?? 0) & 2 ? p.min_proto_version ?? 0 : 0;
        const max = (p.flags ?? 0) & 2 ? p.max_proto_version ?? 0 : 0;
        const proto = Math.min(max, PROTO_MAX);
        if (proto < Math.max(min, 1)) throw new QueryError(400, `no common protocol version: ${who} supports ${min}..${max}, the proxy 1..${PROTO_MAX}`);
        return proto;
    }

    private parseOwner(s: string, who: string): Address {
        try {
            return Address.parse(s);
        } catch {
            throw new QueryError(400, `${who} owner address '${s}' is not a TON address`);
        }
    }

    // ---------------------------------------------------------------------------------------------- clients

    private acceptClient(conn: RpcConnection): void {
        if (this.fatal || this.disabled) return conn.close();
        this.clientConns.add(conn);
        const s: ClientSession = { phase: 'new' };
        conn.handle((fn) => this.clientQuery(conn, s, fn));
        conn.on('packet', (obj) => {
            if (obj._ !== 'client.runQueryEx') return;
            if (s.phase !== 'authorized' || !s.link) {
                conn.send({ _: 'client.queryAnswerErrorEx', request_id: (obj as client_runQueryEx).request_id, error_code: 401, error: 'not authorized: run client.connectToProxy and authorize first', flags: 0 });
                return;
            }
            const q = obj as client_runQueryEx;
            if (q.min_config_version > this.root.version) {
                conn.send({ _: 'client.queryAnswerErrorEx', request_id: q.request_id, error_code: 400, error: `active config version is too low: the proxy knows root version ${this.root.version}, the client asks for ${q.min_config_version}`, flags: 0 });
                return;
            }
            if (s.account!.chain && s.account!.chain.state !== CONTRACT_STATE.normal) {
                conn.send({ _: 'client.queryAnswerErrorEx', request_id: q.request_id, error_code: 403, error: 'client is closing: its contract is no longer normal; top up and reopen it to send queries', flags: 0 });
                return;
            }
            this.stats.add('queries');
            this.relay.runQuery(s.link, q);
        });
        conn.on('close', () => {
            this.clientConns.delete(conn);
            if (s.account) s.account.connections--;
        });
    }

    private async clientQuery(conn: RpcConnection, s: ClientSession, fn: TlFunction): Promise<TlObject> {
        if (fn._ === 'client.connectToProxy') {
            if (s.phase !== 'new') throw new QueryError(400, 'client.connectToProxy was already sent on this connection');
            const proto = this.negotiate(fn.params, 'client');
            if (fn.min_config_version > this.root.version) await this.refreshRoot();
            if (fn.min_config_version > this.root.version) throw new QueryError(400, `active config version is too low: ${this.root.version} < ${fn.min_config_version}`);
            const owner = this.parseOwner(fn.params.client_owner_address, 'client');
            const contract = (await cocoonClientFor(owner, this.contract, this.pubkeyInt(), this.root.params)).address;
            const onchain = await readClientContract(this.cfg.chain, contract);
            if (onchain?.state === CONTRACT_STATE.closed) throw new QueryError(403, `client contract ${contract.toString()} is closed`);
            const nonce = BigInt('0x' + randomBytes(8).toString('hex')) & ((1n << 63n) - 1n);
            Object.assign(s, { phase: 'connecting', owner, contract, nonce });
            const account = this.clients.get(owner.toRawString());
            if (account && onchain) account.chain = onchain;
            return {
                _: 'client.connectedToProxy',
                params: this.proxyParams(proto),
                client_sc_address: contract.toString(),
                auth: onchain && onchain.secretHash !== 0n
                    ? { _: 'client.proxyConnectionAuthShort', secret_hash: Buffer.from(onchain.secretHash.toString(16).padStart(64, '0'), 'hex'), nonce }
                    : { _: 'client.proxyConnectionAuthLong', nonce },
                signed_payment: account ? account.signedPayment(this.cfg.key.secretKey, this.owner) : { _: 'proxy.signedPaymentEmpty' },
            };
        }
        if (fn._ === 'client.authorizeWithProxyShort' || fn._ === 'client.authorizeWithProxyLong') {
            if (s.phase !== 'connecting') return { _: 'client.authorizationWithProxyFailed', error_code: 400, error: 'send client.connectToProxy first (once per connection)' };
            if (fn._ === 'client.authorizeWithProxyShort') {
                const onchain = await readClientContract(this.cfg.chain, s.contract!);
                const hash = BigInt('0x' + createHash('sha256').update(fn.data).digest('hex'));
                if (!onchain || onchain.secretHash === 0n || hash !== onchain.secretHash) {
                    return { _: 'client.authorizationWithProxyFailed', error_code: 401, error: 'secret does not match the hash stored in the client contract: use long auth (on-chain nonce)' };
                }
            } else {
                const ok = await this.waitRegister(s.contract!, s.nonce!, 300_000, conn);
                if (!ok) return { _: 'client.authorizationWithProxyFailed', error_code: 408, error: `no owner_client_register with nonce ${s.nonce} from ${s.contract!.toString()} reached the proxy contract within 300 s` };
            }
            const account = this.clientAccount(s.owner!, s.contract!);
            account.chain = (await readClientContract(this.cfg.chain, s.contract!)) ?? account.chain;
            account.connections++;
            s.phase = 'authorized';
            s.account = account;
            const link = this.clientLink(conn, account);
            s.link = link;
            this.clientLinks.add(link);
            conn.once('close', () => this.clientLinks.delete(link));
            return {
                _: 'client.authorizationWithProxySuccess',
                signed_payment: account.signedPayment(this.cfg.key.secretKey, this.owner),
                tokens_committed_to_db: account.ledger.tokensCommittedToDb,
                max_tokens: account.ledger.tokensMax,
            };
        }
        if (fn._ === 'client.getWorkerTypesV2') return this.relay.workerTypes();
        if (fn._ === 'client.updatePaymentStatus') {
            if (s.phase !== 'authorized') throw new QueryError(401, 'not authorized');
            const a = s.account!;
            a.chain = (await readClientContract(this.cfg.chain, a.contract)) ?? a.chain;
            return { _: 'client.paymentStatus', signed_payment: a.signedPayment(this.cfg.key.secretKey, this.owner), db_tokens: a.ledger.tokensCommittedToDb, max_tokens: a.ledger.tokensMax };
        }
        throw new QueryError(400, `unsupported query ${fn._}`);
    }

    private waitRegister(contract: Address, nonce: bigint, timeoutMs: number, conn: RpcConnection): Promise<boolean> {
        const k = `${contract.toRawString()}:${nonce}`;
        if (this.registers.has(k)) return Promise.resolve(true);
        return new Promise((resolve) => {
            const done = (ok: boolean) => {
                clearTimeout(timer);
                this.registerWaiters.delete(k);
                resolve(ok);
            };
            const timer = setTimeout(() => done(false), timeoutMs);
            timer.unref();
            this.registerWaiters.set(k, () => done(true));
            conn.once('close', () => done(false));
            void this.watcher.poll().catch(() => undefined);
        });
    }

    private clientAccount(owner: Address, contract: Address): ClientAccount {
        let a = this.clients.get(owner.toRawString());
        if (!a || !a.contract.equals(contract)) {
            a = new ClientAccount(owner, contract);
            a.dirty = true;
            this.clients.set(owner.toRawString(), a);
        }
        return a;
    }

    private workerAccount(owner: Address, contract: Address): WorkerAccount {
        let a = this.workers.get(owner.toRawString());
        if (!a || !a.contract.equals(contract)) {
            a = new WorkerAccount(owner, contract);
            a.dirty = true;
            this.workers.set(owner.toRawString(), a);
        }
        return a;
    }

    private clientLink(conn: RpcConnection, a: ClientAccount): ClientLink & { conn: RpcConnection; holder: ClientAccount } {
        const id = `c${++this.conn_ids}`;
        return {
            id,
            send: (piece) => {
                if (!conn.closed) conn.send(piece);
                if ((piece.flags ?? 0) & 1) this.stats.add(piece._ === 'client.queryAnswerErrorEx' ? 'failed' : 'success');
            },
            ledger: a.ledger,
            account: () => (a.chain ? { balance: a.chain.balance, stake: a.chain.stake, tokensCharged: a.chain.tokensUsed } : { balance: 0n, stake: 0n, tokensCharged: 0n }),
            get reserved() { return a.reserved; },
            set reserved(v: bigint) { a.reserved = v; },
            conn,
            holder: a,
        } as ClientLink & { conn: RpcConnection; holder: ClientAccount };
    }

    // ---------------------------------------------------------------------------------------------- workers

    private acceptWorker(conn: RpcConnection): void {
        if (this.fatal || this.disabled) return conn.close();
        let pending: { owner: Address; account: WorkerAccount; model: string; coefficient: bigint; capacity: number } | null = null;
        let linkId: string | null = null;
        let hardware: WorkerHardware | null = null;
        conn.handle(async (fn) => {
            if (fn._ === 'worker.connectToProxy') {
                if (pending) throw new QueryError(400, 'worker.connectToProxy was already sent on this connection');
                const p = fn.params;
                const proto = this.negotiate(p, 'worker');
                if (!p.model) throw new QueryError(400, 'worker model is empty');
                if (!(p.coefficient >= 0 && p.coefficient < 1e9)) throw new QueryError(400, `coefficient ${p.coefficient} is out of range 0..999999999`);
                if (!((p.max_active_requests ?? 0) >= 1) || !((p.proxy_cnt ?? 0) >= 1)) throw new QueryError(400, 'max_active_requests and proxy_cnt must be at least 1');
                if (this.checkHashes()) {
                    const image = BigInt('0x' + conn.peer.imageHash.toString('hex'));
                    if (!this.root.registry.workerHashes.includes(image)) throw new QueryError(403, `worker image hash ${conn.peer.imageHash.toString('hex')} is not allowed by the root contract`);
                    const model = BigInt('0x' + createHash('sha256').update(p.model).digest('hex'));
                    if (!this.root.registry.modelHashes.includes(model)) throw new QueryError(403, `model '${p.model}' (sha256 ${model.toString(16).padStart(64, '0')}) is not allowed by the root contract`);
                }
                const owner = this.parseOwner(p.worker_owner_address, 'worker');
                const contract = (await cocoonWorkerFor(owner, this.contract, this.pubkeyInt(), this.root.params)).address;
                const account = this.workerAccount(owner, contract);
                pending = { owner, account, model: p.model, coefficient: BigInt(p.coefficient), capacity: Math.ceil(p.max_active_requests! / p.proxy_cnt!) };
                return { _: 'worker.connectedToProxy', params: this.proxyParams(proto), worker_sc_address: contract.toString() };
            }
            if (!pending) throw new QueryError(400, 'send worker.connectToProxy first');
            const a = pending.account;
            if (fn._ === 'worker.compareBalanceWithProxy') {
                const l = a.ledger;
                let error_code = 0;
                if (fn.tokens_committed_to_blockchain > l.tokensCommittedToBlockchain || fn.tokens_committed_to_db > l.tokensCommittedToDb) {
                    // The worker saw higher numbers from this proxy key than the store holds: this store was rolled
                    // back or another copy signed them. Refuse the worker rather than serve from a stale ledger.
                    this.log.error('worker reports higher committed tokens than the proxy store: rollback or clone suspected', { worker: pending.owner.toString(), worker_committed: fn.tokens_committed_to_blockchain, proxy_committed: l.tokensCommittedToBlockchain });
                    error_code = 2;
                    setTimeout(() => conn.close(), 100).unref();
                } else if (fn.max_tokens > l.tokensMax) {
                    error_code = 1;
                }
                return { _: 'worker.compareBalanceWithProxyResult', signed_payment: a.signedPayment(this.cfg.key.secretKey, this.owner), tokens_committed_to_db: l.tokensCommittedToDb, max_tokens: l.tokensMax, error_code };
            }
            if (fn._ === 'worker.extendedCompareBalanceWithProxy') return { _: 'worker.extendedCompareBalanceWithProxyResult', error_code: 0 };
            if (fn._ === 'worker.proxyHandshakeComplete') {
                if (linkId) throw new QueryError(400, 'handshake already complete');
                linkId = `w${++this.conn_ids}`;
                const link = {
                    id: linkId, model: pending.model, coefficient: pending.coefficient, enabled: !fn.is_disabled, running: 0, maxRunning: pending.capacity, averageQuerySeconds: 0,
                    send: (o: { _: 'proxy.runQueryEx' } & Record<string, unknown>) => { if (!conn.closed) conn.send(o as never); },
                    ledger: a.ledger,
                    signedPayment: () => a.signedPayment(this.cfg.key.secretKey, this.owner),
                    average: new DecayingAverage(),
                    account: a, conn, owner: pending.owner.toString(), imageHash: conn.peer.imageHash.toString('hex'), hardware,
                };
                a.connections++;
                this.workerLinks.set(linkId, link);
                this.relay.addWorker(link);
                this.log.info('worker connected', { worker: pending.owner.toString(), model: pending.model, coefficient: pending.coefficient, capacity: pending.capacity });
                return { _: 'worker.proxyHandshakeCompleted' };
            }
            if (fn._ === 'cocoonx.announceWorkerHardware') {
                const h = fn.hardware;
                const text = (v: string, what: string) => {
                    if (v.length > 200) throw new QueryError(400, `hardware.${what} is longer than 200 characters`);
                    return v;
                };
                hardware = { gpu: text(h.gpu, 'gpu'), vramMb: h.vram_mb, gpuCount: h.gpu_count, cpu: text(h.cpu, 'cpu'), cpuCores: h.cpu_cores, ramMb: h.ram_mb };
                const link = linkId ? this.workerLinks.get(linkId) : undefined;
                if (link) link.hardware = hardware;
                return { _: 'cocoonx.ok' };
            }
            if (fn._ === 'worker.updatePaymentStatus') {
                return { _: 'worker.paymentStatus', signed_payment: a.signedPayment(this.cfg.key.secretKey, this.owner), db_tokens: a.ledger.tokensCommittedToDb, max_tokens: a.ledger.tokensMax };
            }
            throw new QueryError(400, `unsupported query ${fn._}`);
        });
        conn.on('packet', (obj) => {
            if (!linkId) return;
            const link = this.workerLinks.get(linkId);
            if (!link) return;
            if (obj._ === 'proxy.queryAnswerEx' || obj._ === 'proxy.queryAnswerPartEx' || obj._ === 'proxy.queryAnswerErrorEx') this.relay.onWorkerAnswer(linkId, obj);
            else if (obj._ === 'worker.enabledDisabled') link.enabled = obj.disabled === 0;
            else if (obj._ === 'worker.newCoefficient') {
                if (obj.new_coefficient < 0) return conn.close();
                link.coefficient = BigInt(obj.new_coefficient);
            }
        });
        conn.on('close', () => {
            if (!linkId) return;
            const link = this.workerLinks.get(linkId);
            this.workerLinks.delete(linkId);
            if (link) link.account.connections--;
            this.relay.removeWorker(linkId);
        });
    }

    private checkHashes(): boolean {
        return this.cfg.checkWorkerHashes ?? !this.root.params.isTest;
    }

    // ---------------------------------------------------------------------------------------------- metering

    private onSettled(client: ClientLink, worker: WorkerLink, tokens: bigint, requestId: Buffer): void {
        const c = (client as ClientLink & { holder?: ClientAccount }).holder;
        const w = (worker as WorkerLink & { account?: WorkerAccount }).account;
        this.stats.add('tokens', tokens);
        if (c && w) {
            // Durable before the client sees the end of the request (the final piece is sent after this).
            this.journal?.append({ client: { owner: c.owner.toRawString(), contract: c.contract.toRawString() }, worker: { owner: w.owner.toRawString(), contract: w.contract.toRawString() }, tokens });
        }
        if (c) {
            c.dirty = true;
            const conn = (client as ClientLink & { conn?: RpcConnection }).conn;
            if (conn && !conn.closed) {
                conn.send({ _: 'proxy.clientRequestPayment', request_id: requestId, signed_payment: c.signedPayment(this.cfg.key.secretKey, this.owner), db_tokens: c.ledger.tokensCommittedToDb, max_tokens: c.ledger.tokensMax, request_tokens: tokens });
            }
        }
        if (w) {
            w.dirty = true;
            const link = worker as WorkerLink & { conn?: RpcConnection };
            if (link.conn && !link.conn.closed) {
                link.conn.send({ _: 'proxy.workerRequestPayment', request_id: requestId, signed_payment: w.signedPayment(this.cfg.key.secretKey, this.owner), db_tokens: w.ledger.tokensCommittedToDb, max_tokens: w.ledger.tokensMax, request_tokens: tokens, request_client_owner: c?.owner.toString() ?? '' });
            }
        }
    }

    /** After a chain commit made more tokens signable: tell the connected peer (proxy.signedPayment). */
    private pushSignedPayment(a: ClientAccount | WorkerAccount): void {
        const tl = a.signedPayment(this.cfg.key.secretKey, this.owner);
        if (a instanceof WorkerAccount) {
            for (const l of this.workerLinks.values()) if (l.account === a && !l.conn.closed) l.conn.send(tl);
        } else {
            for (const l of this.clientLinks) if (l.holder === a && !l.conn.closed) l.conn.send(tl);
        }
    }

    // ---------------------------------------------------------------------------------------------- chain

    async refreshRoot(): Promise<void> {
        const root = await readRoot(this.cfg.chain, this.cfg.root);
        if (root.params.paramsVersion > this.root.params.paramsVersion) {
            if (!this.migrating) this.migrating = this.migrate(root).finally(() => (this.migrating = null));
            return this.migrating;
        }
        this.root = root;
    }

    /**
     * The root's params changed: this contract is outdated (COCOON close_all). Connections are dropped
     * (peers reconnect to the new contract), everything metered is committed on-chain so it can be
     * signed, the old contract's accounts move to an old-contract record that closes it step by step,
     * and a new contract for the new params is deployed with a new session.
     */
    private async migrate(next: RootState): Promise<void> {
        const from = this.root.params.paramsVersion;
        this.log.warn('root params version changed: migrating to a new proxy contract', { from, to: next.params.paramsVersion });
        this.disabled = true;
        try {
            for (const c of [...this.clientConns]) c.close();
            for (const w of [...this.workerLinks.values()]) w.conn.close();
            await this.commitDb(true);
            await this.noteOnChain();
            const deadline = Date.now() + 120_000;
            while (this.committedSeqno < this.store.seqno) {
                if (Date.now() > deadline) throw new ProxyFatalError('SESSION', 'could not commit the ledgers on-chain before migrating');
                await this.watcher.poll();
                await new Promise((r) => setTimeout(r, 100));
            }
            const record: OldContractRecord = {
                contract: this.contract.toRawString(), paramsVersion: from, step: 'not_started', closeAt: 0, delay: this.root.params.proxyDelayBeforeClose,
                clients: this.clientAccounts().filter((a) => a.chain).map((a) => ({ contract: a.contract.toRawString(), tokens: a.ledger.tokensCommittedToBlockchain, done: false })),
                workers: this.workerAccounts().filter((a) => a.chain).map((a) => ({ contract: a.contract.toRawString(), tokens: a.ledger.tokensCommittedToBlockchain, done: false })),
            };
            this.oldContracts.push(record);
            this.pendingRecords.set(`old:${record.contract}`, record);
            this.clients.clear();
            this.workers.clear();
            this.root = next;
            (this.relay as unknown as { opts: { pricePerToken: bigint } }).opts.pricePerToken = next.params.pricePerToken;
            this.contract = (await cocoonProxyFor(this.owner, this.pubkeyInt(), this.cfg.root, next.params)).address;
            await this.commitDb(true);
            await this.ensureContract();
            this.watcher = new ContractWatcher(this.cfg.chain, this.contract, { saveState: (n) => this.onSaveState(n), register: (r) => this.onRegister(r) });
            await this.watcher.init();
            this.notedSeqno = 0;
            await this.startSession();
            this.log.info('migrated to the new proxy contract', { contract: this.contract.toString(), paramsVersion: next.params.paramsVersion });
        } finally {
            this.disabled = false;
        }
    }

    /** One step per outdated contract per tick (each step is one on-chain message). */
    private async closeOldContracts(): Promise<void> {
        for (const r of this.oldContracts) {
            if (r.step === 'closed') continue;
            if (await advanceOldContract(r, { chain: this.cfg.chain, wallet: this.cfg.wallet, secretKey: this.cfg.key.secretKey })) {
                this.pendingRecords.set(`old:${r.contract}`, r);
                this.log.info('outdated proxy contract step', { contract: Address.parse(r.contract).toString(), step: r.step });
            }
        }
    }

    get outdatedContracts(): readonly OldContractRecord[] {
        return this.oldContracts;
    }

    /** Refreshes the on-chain state of connected clients and of every worker (balances, charged, paid). */
    private async monitor(): Promise<void> {
        for (const a of this.clients.values()) if (a.connections > 0 || a.chain === null) a.chain = (await readClientContract(this.cfg.chain, a.contract)) ?? a.chain;
        for (const a of this.workers.values()) a.chain = (await readWorkerContract(this.cfg.chain, a.contract)) ?? a.chain;
    }

    /** The proxy's own settlement (COCOON §3.3): charge clients, pay workers, grant refunds to closing clients, withdraw commission. */
    async settle(): Promise<void> {
        const price = this.root.params.pricePerToken;
        const fee = this.root.params.workerFeePerToken;
        for (const a of this.clients.values()) {
            a.chain = (await readClientContract(this.cfg.chain, a.contract)) ?? a.chain;
            if (!a.chain) continue;
            const signable = a.ledger.tokensCommittedToBlockchain;
            if (a.chain.state === CONTRACT_STATE.closing && a.reserved === 0n && a.ledger.tokensMax === signable) {
                await this.grantRefund(a);
            } else if (a.chain.state === CONTRACT_STATE.normal && signable > a.chain.tokensUsed && (signable - a.chain.tokensUsed) * price >= this.thresholds.charge) {
                await this.chargeClient(a);
            }
        }
        for (const a of this.workers.values()) {
            const paid = a.chain?.tokens ?? 0n;
            const signable = a.ledger.tokensCommittedToBlockchain;
            if (a.chain && signable > paid && (signable - paid) * fee >= this.thresholds.payout) await this.payWorker(a);
        }
        const mine = await readProxyContract(this.cfg.chain, this.contract);
        if (mine && mine.balance > 0n && mine.balance >= this.thresholds.withdraw) await this.withdraw();
    }

    async chargeClient(a: ClientAccount): Promise<{ tokens: bigint }> {
        const tokens = a.ledger.tokensCommittedToBlockchain;
        if (a.chain && tokens <= a.chain.tokensUsed) return { tokens: 0n };
        const body = signedMessage(SIGNED_OP.clientCharge, 0n, tokens, a.contract, this.owner, this.cfg.key.secretKey);
        await this.cfg.wallet.send([internal({ to: a.contract, value: VALUE.signed, bounce: true, body })]);
        a.chain = (await readClientContract(this.cfg.chain, a.contract)) ?? a.chain;
        this.log.info('client charged', { client: a.owner.toString(), tokens });
        return { tokens };
    }

    async grantRefund(a: ClientAccount): Promise<void> {
        const tokens = a.ledger.tokensCommittedToBlockchain;
        const body = signedMessage(SIGNED_OP.clientGrantRefund, 0n, tokens, a.contract, this.owner, this.cfg.key.secretKey);
        await this.cfg.wallet.send([internal({ to: a.contract, value: VALUE.signed, bounce: true, body })]);
        a.chain = (await readClientContract(this.cfg.chain, a.contract)) ?? a.chain;
        this.log.info('refund granted to a closing client', { client: a.owner.toString(), tokens });
    }

    async payWorker(a: WorkerAccount): Promise<{ tokens: bigint }> {
        const tokens = a.ledger.tokensCommittedToBlockchain;
        if (a.chain && tokens <= a.chain.tokens) return { tokens: 0n };
        const body = signedMessage(SIGNED_OP.workerPayout, 0n, tokens, a.contract, this.owner, this.cfg.key.secretKey);
        await this.cfg.wallet.send([internal({ to: a.contract, value: VALUE.signed, bounce: true, body })]);
        a.chain = (await readWorkerContract(this.cfg.chain, a.contract)) ?? a.chain;
        this.log.info('worker paid', { worker: a.owner.toString(), tokens });
        return { tokens };
    }

    async withdraw(): Promise<{ amount: bigint }> {
        const before = await readProxyContract(this.cfg.chain, this.contract);
        if (!before || before.balance === 0n) return { amount: 0n };
        const body = beginCell().store(storeExtProxyPayoutRequest({ $$type: 'ExtProxyPayoutRequest', queryId: 0n, sendExcessesTo: this.owner })).endCell();
        await this.cfg.wallet.send([internal({ to: this.contract, value: VALUE.withdraw, bounce: true, body })]);
        this.log.info('commission withdrawn', { amount: before.balance });
        return { amount: before.balance };
    }

    // ---------------------------------------------------------------------------------------------- views

    clientAccounts(): ClientAccount[] { return [...this.clients.values()]; }
    workerAccounts(): WorkerAccount[] { return [...this.workers.values()]; }
    findClient(owner: string): ClientAccount | undefined {
        try { return this.clients.get(Address.parse(owner).toRawString()); } catch { return undefined; }
    }
    findWorker(owner: string): WorkerAccount | undefined {
        try { return this.workers.get(Address.parse(owner).toRawString()); } catch { return undefined; }
    }
    workerConnections() {
        return [...this.workerLinks.values()];
    }
    get seqnos() { return { db: this.store?.seqno ?? 0, noted: this.notedSeqno, committed: this.committedSeqno, session: this.sessionSeqno }; }
    get isDisabled(): boolean { return this.disabled; }

    /** Stops taking new connections (admin disable); running requests finish. */
    setDisabled(v: boolean): void {
        this.disabled = v;
        if (v) for (const w of this.workerLinks.values()) this.relay.removeWorker(w.id, 'proxy disabled');
    }

    /**
     * Graceful stop: no new connections or queries, running requests get `graceMs` to finish (then fail
     * cleanly at the client), the ledgers are flushed to the store and noted on-chain when possible.
     */
    async close(graceMs = 10_000): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        for (const t of this.timers) clearInterval(t);
        const deadline = Date.now() + graceMs;
        while (this.relay.runningCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        await this.clientServer?.close().catch(() => undefined);
        await this.workerServer?.close().catch(() => undefined);
        if (this.store) {
            if (!this.fatal) {
                await this.commitDb().catch((e: Error) => this.log.error('final database commit failed', { error: e.message }));
                await this.noteOnChain().catch(() => undefined);
            }
            await this.store.close().catch(() => undefined);
            this.journal?.close();
        }
    }
}
