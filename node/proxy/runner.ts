/**
 * The proxy runner (COCOON ProxyRunner): owns one proxy contract per root params version, accepts workers
 * and clients over the wire protocol (RA-TLS in production), relays queries, and keeps the money straight.
 * It composes the parts, each in its own module:
 *
 *   inbound-client.ts / inbound-worker.ts   one connection each: the handshake state machine (auth, checks)
 *   peers.ts                                 per-peer state of an authorised client / registered worker
 *   relay.ts (+ routing, reservation)        client.runQueryEx -> worker -> answer pieces, metering
 *   ledgers.ts, save-state.ts, journal.ts    accounts, store commits, on-chain notes, session, clone detection
 *   settlement.ts                            charge clients, pay workers, refunds, commission
 *   contract.ts, migration-driver.ts         the proxy contract, and moving to a new one on a params change
 *   registrations.ts, watcher.ts             what the proxy contract's transactions tell (notes, long-auth nonces)
 *
 * Startup: read root -> open store -> compare it with the chain (backup-check.ts) -> deploy/stake the proxy contract
 * -> start a session (a fresh random session hash, a new seqno committed to the store and noted on-chain; the
 * session starts only once the note is seen) -> listen. A note from the proxy's wallet with another session hash
 * means a clone or a rolled-back copy is running: the runner stops instead of signing anything further.
 */
import type { Address } from '@ton/core';
import { readClientContract, readRoot, type RootState } from '../chain/cocoon';
import type { RaTlsContext } from '../attestation';
import { QueryError, listen, type RpcConnection, type RpcServer } from '../protocol';
import { createLogger, type Logger } from '../common/log';
import { RateCounterSet } from '../common/rate-set';
import { RunnerTimers } from '../common/timers';
import {
    DEFAULT_PROXY_INTERVALS,
    DEFAULT_PROXY_THRESHOLDS,
    ProxyFatalError,
    type ProxyIntervals,
    type ProxyRunnerConfig,
    type ProxyThresholds,
} from './config';
import { checkStoreAgainstChain } from './backup-check';
import { ensureProxyContract, proxyContractAddress, type ProxyContractDeps } from './contract';
import type { ClientPort, WorkerPort } from './handshake';
import {
    admitClient,
    DEFAULT_MAX_LONG_AUTH_WAITS,
    DEFAULT_MAX_UNAUTHENTICATED_CLIENTS,
    ProxyInboundClientConnection,
} from './inbound-client';
import { ProxyInboundWorkerConnection } from './inbound-worker';
import { ProxyAccounts, WorkerAccount, type ClientAccount } from './ledgers';
import { MigrationDriver, type MigrationHost } from './migration-driver';
import type { OldContractRecord } from './migration';
import type { ProxyClientInfo, ProxyWorkerInfo } from './peers';
import { Registrations } from './registrations';
import { QueryRelay } from './relay';
import { reserveMultipliers } from './reservation';
import { restoreState, SaveState } from './save-state';
import { Settlement } from './settlement';
import { ContractWatcher } from './watcher';
import { UPTIME_SAMPLE_MS, WorkerUptime } from './uptime';

export {
    DEFAULT_PROXY_INTERVALS,
    DEFAULT_PROXY_THRESHOLDS,
    ProxyFatalError,
    type ProxyIntervals,
    type ProxyRunnerConfig,
    type ProxyThresholds,
} from './config';
export type { WorkerHardware } from './peers';

export class ProxyRunner {
    readonly relay: QueryRelay<ProxyClientInfo, ProxyWorkerInfo>;
    readonly log: Logger;
    root!: RootState;
    contract!: Address;
    readonly thresholds: ProxyThresholds;
    readonly intervals: ProxyIntervals;
    readonly stats = new RateCounterSet(['queries', 'success', 'failed', 'tokens']);
    readonly workerUptime = new WorkerUptime();
    private readonly accounts = new ProxyAccounts();
    private readonly timers: RunnerTimers;
    private readonly registrations = new Registrations(() => this.watcher.poll());
    private readonly settlement: Settlement;
    private readonly contractDeps: ProxyContractDeps;
    private saved!: SaveState;
    private migration!: MigrationDriver;
    private watcher!: ContractWatcher;
    private readonly clientConns = new Set<ProxyInboundClientConnection>();
    private readonly workerConns = new Set<ProxyInboundWorkerConnection>();
    private workerServer?: RpcServer;
    private clientServer?: RpcServer;
    private linkIds = 0;
    private closed = false;
    private disabled = false;
    private fatal: ProxyFatalError | null = null;
    private readonly fatalListeners: ((e: ProxyFatalError) => void)[] = [];

    private constructor(private readonly cfg: ProxyRunnerConfig) {
        this.log = cfg.logger ?? createLogger('proxy');
        this.thresholds = { ...DEFAULT_PROXY_THRESHOLDS, ...cfg.thresholds };
        this.intervals = { ...DEFAULT_PROXY_INTERVALS, ...cfg.intervals };
        this.timers = new RunnerTimers(this.log);
        this.relay = new QueryRelay<ProxyClientInfo, ProxyWorkerInfo>({
            pricePerToken: 1n, // the root's price once it is read (see startup)
            maxTimeoutSeconds: cfg.maxQueryTimeoutSeconds,
            onSettled: (client, worker, tokens, requestId) => this.onSettled(client, worker, tokens, requestId),
            onWorkerFault: (worker, f) => {
                const a = worker.workerAccount;
                a.faults++;
                a.overreportedTokens += f.reported - f.billed;
                this.log.warn('worker fault: reported more tokens than the request reserved; billed the reservation', {
                    worker: worker.owner,
                    request: f.requestId.toString('hex').slice(0, 16),
                    reported: f.reported,
                    billed: f.billed,
                });
            },
        });
        this.contractDeps = { chain: cfg.chain, wallet: cfg.wallet, rootAddress: cfg.root, publicKey: cfg.key.publicKey, log: this.log };
        this.settlement = new Settlement({
            chain: cfg.chain,
            wallet: cfg.wallet,
            secretKey: cfg.key.secretKey,
            accounts: this.accounts,
            thresholds: this.thresholds,
            log: this.log,
            root: () => this.root,
            contract: () => this.contract,
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

    get workerPort(): number {
        return this.workerServer?.port ?? 0;
    }
    get clientPort(): number {
        return this.clientServer?.port ?? 0;
    }
    get publicKey(): Buffer {
        return this.cfg.key.publicKey;
    }
    get owner(): Address {
        return this.cfg.wallet.address;
    }
    get fatalError(): ProxyFatalError | null {
        return this.fatal;
    }

    onFatal(fn: (e: ProxyFatalError) => void): void {
        this.fatalListeners.push(fn);
    }

    private async startup(): Promise<void> {
        const cfg = this.cfg;
        this.root = await readRoot(cfg.chain, cfg.root);
        this.relay.setPricePerToken(this.root.params.pricePerToken, reserveMultipliers(this.root.params));
        this.contract = await proxyContractAddress(this.contractDeps, this.root);
        const restored = await restoreState(cfg, this.accounts, this.log);
        this.saved = new SaveState(
            {
                accounts: this.accounts,
                wallet: cfg.wallet,
                contract: () => this.contract,
                onSignable: (a) => this.pushSignedPayment(a),
                onFatal: (e) => this.die(e),
            },
            restored,
        );
        this.migration = new MigrationDriver(this.migrationHost(), restored.outdated);
        // Before anything is signed or served: a store older than what the chain shows stops the proxy here.
        await checkStoreAgainstChain({
            chain: cfg.chain,
            contract: this.contract,
            wallet: this.owner,
            accounts: this.accounts,
            storeSeqno: this.saved.seqnos.db,
        });
        await ensureProxyContract(this.contractDeps, this.root, cfg.stake);
        await this.watchContract();
        await this.saved.startSession(
            () => this.watcher.poll(),
            () => this.fatal,
        );
        await this.listen();
        const every = (ms: number, fn: () => Promise<unknown>, what: string) => this.timers.every(ms, fn, what);
        every(this.intervals.dbCommitMs, () => this.saved.commitDb(), 'database commit');
        every(this.intervals.chainCommitMs, () => this.saved.noteOnChain(), 'save-state note');
        every(this.intervals.pollMs, () => this.watcher.poll(), 'contract watch');
        every(this.intervals.rootMs, () => this.refreshRoot(), 'root refresh');
        every(this.intervals.monitorMs, () => this.settlement.refreshAccounts(), 'account monitor');
        every(this.intervals.settleMs, () => this.settle(), 'settlement');
        every(this.intervals.pollMs, () => this.migration.closeOutdated(), 'closing outdated contracts');
        every(UPTIME_SAMPLE_MS, async () => this.workerUptime.observe(this.workerConnections()), 'worker uptime');
        this.log.info('proxy ready', {
            contract: this.contract.toString(),
            workers: this.workerPort,
            clients: this.clientPort,
            session: this.saved.sessionHash.toString(16).slice(0, 16),
        });
    }

    private async watchContract(): Promise<void> {
        this.watcher = new ContractWatcher(this.cfg.chain, this.contract, {
            saveState: (n) => this.saved.onSaveState(n),
            register: (r) => this.registrations.onRegister(r),
        });
        await this.watcher.init();
    }

    private async listen(): Promise<void> {
        const host = this.cfg.host ?? '127.0.0.1';
        // PoW guards the TLS handshake; plaintext listeners (behind a router, or tests) go without, like the peers expect.
        // Difficulty 0 still sends a (trivially solved) challenge: RA-TLS peers always wait for one first.
        const pow = (tls?: RaTlsContext) => (tls ? { difficulty: this.cfg.powDifficulty ?? 20 } : (false as const));
        const port = this.peerPort();
        this.workerServer = await listen({
            host,
            port: this.cfg.workerPort ?? 0,
            tls: this.cfg.workerTls,
            pow: pow(this.cfg.workerTls),
            logger: this.log.child('workers'),
            onConnection: (conn) => this.accept(conn, this.workerConns, () => new ProxyInboundWorkerConnection(conn, port)),
            onReject: (e, remote) => this.log.warn('worker connection rejected', { remote, error: e.message }),
        });
        this.clientServer = await listen({
            host,
            port: this.cfg.clientPort ?? 0,
            tls: this.cfg.clientTls,
            pow: pow(this.cfg.clientTls),
            logger: this.log.child('clients'),
            onConnection: (conn) => {
                if (!admitClient(this.clientConns, this.cfg.maxUnauthenticatedClients ?? DEFAULT_MAX_UNAUTHENTICATED_CLIENTS)) {
                    this.log.warn('client connection refused: too many unauthenticated connections', {
                        limit: this.cfg.maxUnauthenticatedClients ?? DEFAULT_MAX_UNAUTHENTICATED_CLIENTS,
                    });
                    return conn.close();
                }
                this.accept(conn, this.clientConns, () => new ProxyInboundClientConnection(conn, port));
            },
            onReject: (e, remote) => this.log.warn('client connection rejected', { remote, error: e.message }),
        });
    }

    /** A new peer connection: refused while stopped or disabled, else handed to its handshake and tracked until it closes. */
    private accept<T>(conn: RpcConnection, live: Set<T>, open: () => T): void {
        if (this.fatal || this.disabled) return conn.close();
        const c = open();
        live.add(c);
        conn.on('close', () => live.delete(c));
    }

    /** What the inbound connections see of the proxy. */
    private peerPort(): ClientPort & WorkerPort {
        const self = this;
        const { cfg } = this;
        return {
            log: this.log,
            accounts: this.accounts,
            relay: this.relay,
            stats: this.stats,
            owner: this.owner,
            publicKey: cfg.key.publicKey,
            get root() {
                return self.root;
            },
            get contract() {
                return self.contract;
            },
            get checkWorkerHashes() {
                return cfg.checkWorkerHashes ?? !self.root.params.isTest;
            },
            sign: (a) => a.signedPayment(cfg.key.secretKey, this.owner),
            nextLinkId: (kind) => `${kind}${++this.linkIds}`,
            refreshRoot: () => this.refreshRoot(),
            readClientContract: (contract) => readClientContract(cfg.chain, contract),
            waitRegister: (contract, nonce, timeoutMs, signal) => this.registrations.wait(contract, nonce, timeoutMs, signal),
            longAuthWaits: () => this.registrations.waiting,
            maxLongAuthWaits: cfg.maxLongAuthWaits ?? DEFAULT_MAX_LONG_AUTH_WAITS,
            protoRange: cfg.protoRange,
            attestation: { certificate: () => cfg.clientTls?.certificate ?? null, workers: () => this.workerConnections() },
        };
    }

    private migrationHost(): MigrationHost {
        const self = this;
        const { cfg } = this;
        return {
            log: this.log,
            accounts: this.accounts,
            chain: cfg.chain,
            wallet: cfg.wallet,
            secretKey: cfg.key.secretKey,
            get root() {
                return self.root;
            },
            get contract() {
                return self.contract;
            },
            pause: (paused) => (this.disabled = paused),
            dropConnections: () => this.dropConnections(),
            commitOnChain: () =>
                this.saved.commitOnChain(
                    () => this.watcher.poll(),
                    () => this.fatal,
                ),
            persist: (key, value) => this.saved.persist(key, value),
            switchTo: (next) => this.switchTo(next),
        };
    }

    /** Serves from the contract of `next`'s params (after a migration committed and moved the old ledgers). */
    private async switchTo(next: RootState): Promise<void> {
        this.root = next;
        this.relay.setPricePerToken(next.params.pricePerToken, reserveMultipliers(next.params));
        this.contract = await proxyContractAddress(this.contractDeps, next);
        await this.saved.commitDb(true);
        await ensureProxyContract(this.contractDeps, next, this.cfg.stake);
        await this.watchContract();
        await this.saved.startSession(
            () => this.watcher.poll(),
            () => this.fatal,
        );
    }

    /** A request ended and both ledgers grew: journal it, then tell both peers (the client's final piece follows). */
    private onSettled(client: ProxyClientInfo, worker: ProxyWorkerInfo, tokens: bigint, requestId: Buffer): void {
        this.stats.add('tokens', tokens);
        this.saved.journalFinished(client.clientAccount, worker.workerAccount, tokens);
        client.requestPayment(requestId, tokens);
        worker.requestPayment(requestId, tokens, client.clientAccount);
    }

    /** After a chain commit made more tokens signable: tell the connected peers of that account. */
    private pushSignedPayment(a: ClientAccount | WorkerAccount): void {
        if (a instanceof WorkerAccount) {
            for (const w of this.workerConns) if (w.info?.workerAccount === a) w.info.pushSignedPayment();
        } else {
            for (const c of this.clientConns) if (c.info?.clientAccount === a) c.info.pushSignedPayment();
        }
    }

    private dropConnections(): void {
        for (const c of [...this.clientConns]) c.close();
        for (const w of [...this.workerConns]) w.close();
    }

    private die(e: ProxyFatalError): void {
        if (this.fatal) return;
        this.fatal = e;
        this.log.error('fatal', { code: e.code, error: e.message });
        this.dropConnections();
        for (const fn of this.fatalListeners) fn(e);
    }

    /** Re-reads the root; a newer params version migrates to a new proxy contract (resolves once done). */
    async refreshRoot(): Promise<void> {
        const root = await readRoot(this.cfg.chain, this.cfg.root);
        const migrating = this.migration.onRoot(root);
        if (migrating) return migrating;
        this.root = root;
    }

    // ---------------------------------------------------------------------------------------------- settlement (settlement.ts)

    settle(): Promise<void> {
        return this.settlement.settle();
    }
    chargeClient(a: ClientAccount): Promise<{ tokens: bigint }> {
        return this.settlement.chargeClient(a);
    }
    grantRefund(a: ClientAccount): Promise<void> {
        return this.settlement.grantRefund(a);
    }
    payWorker(a: WorkerAccount): Promise<{ tokens: bigint }> {
        return this.settlement.payWorker(a);
    }
    withdraw(): Promise<{ amount: bigint }> {
        return this.settlement.withdraw();
    }

    // ---------------------------------------------------------------------------------------------- views

    clientAccounts(): ClientAccount[] {
        return this.accounts.clients();
    }
    workerAccounts(): WorkerAccount[] {
        return this.accounts.workers();
    }
    findClient(owner: string): ClientAccount | undefined {
        return this.accounts.findClient(owner);
    }
    findWorker(owner: string): WorkerAccount | undefined {
        return this.accounts.findWorker(owner);
    }
    /** Registered workers (handshake complete), in connection order. */
    /** Asks a connected worker (its link id, as stats show it) to switch to `model` (worker.changeModel). */
    async changeWorkerModel(workerId: string, model: string): Promise<{ worker: string; model: string }> {
        const conn = [...this.workerConns].find((w) => w.info?.id === workerId);
        if (!conn?.info)
            throw new QueryError(
                404,
                `no connected worker '${workerId}'; connected: ${
                    this.workerConnections()
                        .map((w) => w.id)
                        .join(', ') || 'none'
                }`,
            );
        await conn.changeModel(model);
        return { worker: conn.info.owner, model };
    }

    workerConnections(): ProxyWorkerInfo[] {
        return [...this.workerConns].flatMap((w) => (w.info ? [w.info] : []));
    }
    get outdatedContracts(): readonly OldContractRecord[] {
        return this.migration?.outdated ?? [];
    }
    get seqnos() {
        return this.saved?.seqnos ?? { db: 0, noted: 0, committed: 0, session: 0 };
    }
    get isDisabled(): boolean {
        return this.disabled;
    }

    /** Stops taking new connections (admin disable); running requests finish. */
    setDisabled(v: boolean): void {
        this.disabled = v;
        if (v) for (const w of this.workerConnections()) this.relay.removeWorker(w.id, 'proxy disabled');
    }

    /**
     * Graceful stop: no new connections or queries, running requests get `graceMs` to finish (then fail
     * cleanly at the client), the ledgers are flushed to the store and noted on-chain when possible.
     */
    async close(graceMs = 10_000): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        this.timers.stop();
        const deadline = Date.now() + graceMs;
        while (this.relay.runningCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        await this.clientServer?.close().catch(() => undefined);
        await this.workerServer?.close().catch(() => undefined);
        if (!this.saved) return;
        if (!this.fatal) {
            await this.saved.commitDb().catch((e: Error) => this.log.error('final database commit failed', { error: e.message }));
            await this.saved.noteOnChain().catch(() => undefined);
        }
        await this.saved.close();
    }
}
