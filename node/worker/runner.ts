/**
 * The worker runner (COCOON WorkerRunner): connects out to proxies from the root registry (RA-TLS in
 * production), checks they are the proxies the root allows and that their contract addresses derive
 * from their keys, compares balances, serves queries through the inference backend, keeps the highest
 * proxy-signed payout per proxy contract and cashes it out through its worker contract.
 */
import type { HardwareProfile } from './hardware';
import { execFile } from 'child_process';
import { createHash, randomInt } from 'crypto';
import { promisify } from 'util';
import { Address, internal, toNano } from '@ton/core';
import type { ChainClient, ChainWallet } from '../chain';
import { readRoot, readWorkerContract, type RootState, type WorkerContractState } from '../chain/cocoon';
import type { RaTlsContext } from '../attestation';
import { createBackend, type Backend } from '../inference';
import {
    OUR_RANGES,
    QueryError,
    acceptProtoVersion,
    chosenVersion,
    type ProtoRange,
    type RpcConnection,
    type proxy_SignedPayment,
    type proxy_runQueryEx,
} from '../protocol';
import { createLogger, type Logger } from '../common/log';
import { cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { repackSigned, SIGNED_OP } from '../../wrappers/signed';
import { tokenPricing, type TokenPricing } from '../common/tokens';
import { RateCounterSet } from '../common/rate-set';
import { RunnerTimers } from '../common/timers';
import { connectToProxy, proxyEndpointList } from '../common/proxy-endpoints';
import { checkProxyImage, verifyProxyContracts } from '../common/proxy-checks';
import { acceptSignedPayment, type HeldPayment } from '../common/signed-payment';
import { CANCELLED_BY_CLIENT, runWorkerQuery } from './running-request';
import { UptimeMeter } from '../common/uptime';
import { DEFAULT_MAX_PAYOUT_FEE_PERMILLE, PAYOUT_FEE_ESTIMATE, payoutFeeAcceptable } from './earnings';
import { sha256BigInt } from '../../wrappers/uint256';

export interface WorkerRunnerConfig {
    chain: ChainClient;
    /** Owner wallet: owner of the worker contracts, receives payouts, pays for payout messages. */
    wallet: ChainWallet;
    root: Address;
    /** Full model name `Org/Name@commit:verity` (its sha256 must be in the root's model hashes). */
    model: string;
    /** OpenAI-compatible inference backend, e.g. http://127.0.0.1:8000/v1. */
    backendUrl: string;
    /** The worker's attested Ed25519 key: signs receipts (and is the RA-TLS key in production). */
    key: { publicKey: Buffer; secretKey: Buffer };
    coefficient?: number;
    maxActiveRequests?: number;
    proxyConnections?: number;
    /** Explicit proxy endpoints ("host:port"); default: the root's registered proxies. */
    proxies?: string[];
    tls?: RaTlsContext;
    /** Check proxy image hashes against the root (default: on unless the root is a test root). */
    checkProxyHashes?: boolean;
    /** Cash out once the worker's share of signed, unpaid tokens reaches this (nanoTON). */
    minPayout?: bigint;
    intervals?: Partial<{ reconnectMs: number; statusMs: number; monitorMs: number; payoutMs: number; rootMs: number }>;
    /** Hardware profile shown in stats. */
    hardware?: Partial<HardwareProfile>;
    /** Upstream's worker.params.machine_description_json (node/worker/registry.ts machineDescriptionJson). */
    machineDescriptionJson?: string;
    /** Largest payout fee, per-mille of the amount moved, the automatic payout accepts (default 50 = 5%). */
    maxPayoutFeePermille?: number;
    /** What one payout costs in fees (nanoTON; default PAYOUT_FEE_ESTIMATE). */
    payoutFee?: bigint;
    /**
     * Upstream's change_model_script: run with the new model name as its only argument when a proxy sends
     * worker.changeModel (it points the backend at the new model; exit 0 = done). Without it, model changes
     * are refused, as upstream does.
     */
    changeModelScript?: string;
    /** Protocol versions advertised to proxies (default OUR_RANGES.worker; an older range makes an old-version worker). */
    protoRange?: ProtoRange;
    logger?: Logger;
}

/** What the worker knows of one proxy contract, kept for the process lifetime (across reconnects). */
interface Known extends HeldPayment {
    db: bigint;
    max: bigint;
    proxyKey: Buffer;
    proxySc: Address;
    workerSc: Address;
    chain: WorkerContractState | null;
    paidOut: bigint;
}

interface ProxyLink {
    endpoint: string;
    conn: RpcConnection;
    known: Known;
    running: number;
    /** The version the proxy chose in worker.connectedToProxy. */
    protoVersion: number;
    /**
     * This link's running queries by the proxy's request id (hex): its disconnect aborts them and only them
     * (another proxy's stay), and its cocoonx.cancelQuery aborts one.
     */
    readonly controllers: Map<string, AbortController>;
}

const VALUE = { deploy: toNano('0.3'), payout: toNano('0.5') } as const;
/** Within the 60 s a proxy waits for worker.changedModel (upstream's timeout). */
const CHANGE_MODEL_TIMEOUT_MS = 55_000;
/** Failed health checks in a row before the worker calls its backend down and disables itself at every proxy. */
const BACKEND_DOWN_AFTER_FAILURES = 2;
const execFileAsync = promisify(execFile);

export class WorkerRunner {
    readonly log: Logger;
    readonly backend: Backend;
    private root!: RootState;
    private readonly links = new Map<string, ProxyLink>(); // endpoint -> link
    private readonly known = new Map<string, Known>(); // proxy contract (raw) -> counters, kept for the process lifetime
    private readonly timers: RunnerTimers;
    private readonly connecting = new Set<string>();
    private closed = false;
    /** The last connection or handshake failure (shown in stats). */
    lastError: string | null = null;
    private enabled = true;
    private backendUp = true;
    /** Consecutive failed health checks of the inference backend. */
    private backendFailures = 0;
    private coefficient: number;
    /** The model served now: cfg.model until a proxy asks for a change (worker.changeModel). */
    private model: string;
    private active = 0;
    readonly stats = new RateCounterSet(['queries', 'success', 'failed', 'tokens']);
    /** Connected-and-enabled time per proxy contract (raw address), as this worker sees it. */
    readonly uptime = new UptimeMeter();
    private readonly intervals: { reconnectMs: number; statusMs: number; monitorMs: number; payoutMs: number; rootMs: number };

    private constructor(private readonly cfg: WorkerRunnerConfig) {
        this.log = cfg.logger ?? createLogger('worker');
        this.backend = createBackend({ baseUrl: cfg.backendUrl, logger: this.log.child('backend') });
        this.coefficient = cfg.coefficient ?? 1000;
        this.model = cfg.model;
        this.intervals = { reconnectMs: 2000, statusMs: 15_000, monitorMs: 2000, payoutMs: 15_000, rootMs: 30_000, ...cfg.intervals };
        this.timers = new RunnerTimers(this.log);
    }

    static async start(cfg: WorkerRunnerConfig): Promise<WorkerRunner> {
        if (!/@/.test(cfg.model))
            throw new Error(`model '${cfg.model}' must be a full model name Org/Name@commit:verity_hash (what the root allows)`);
        const w = new WorkerRunner(cfg);
        if (cfg.tls && !cfg.tls.certificate.publicKey.equals(cfg.key.publicKey)) {
            w.log.warn(
                'the RA-TLS certificate does not carry the receipt key: verifiers will refuse every receipt ' +
                    '(KEY_NOT_ATTESTED); create the RaTlsContext with privateKey = this key',
            );
        }
        w.root = await readRoot(cfg.chain, cfg.root);
        w.timers.every(w.intervals.reconnectMs, () => w.maintain(), 'proxy connections');
        w.timers.every(w.intervals.statusMs, () => w.updatePaymentStatus(), 'payment status');
        w.timers.every(w.intervals.monitorMs, () => w.monitorBackend(), 'backend monitor');
        w.timers.every(w.intervals.payoutMs, () => w.payoutAll(), 'payout');
        w.timers.every(w.intervals.rootMs, () => w.refreshRoot(), 'root refresh');
        await w.maintain();
        return w;
    }

    /** A new params_version means new proxy and worker contracts: reconnect (the proxy pays the old ones out). */
    async refreshRoot(): Promise<void> {
        const root = await readRoot(this.cfg.chain, this.cfg.root);
        const changed = root.params.paramsVersion !== this.root.params.paramsVersion;
        this.root = root;
        if (changed) {
            this.log.warn('root params version changed: reconnecting to the new proxy contracts', {
                paramsVersion: root.params.paramsVersion,
            });
            for (const l of this.links.values()) l.conn.close();
        }
    }

    get owner(): Address {
        return this.cfg.wallet.address;
    }
    /** nanoTON a payout moves per signed token (the root's worker fee), for the payout action's fee check. */
    get workerFeePerToken(): bigint {
        return this.root.params.workerFeePerToken;
    }
    get connectedProxies(): number {
        return this.links.size;
    }
    /** Enabled and its backend up: what it told every proxy it is connected to. */
    get serving(): boolean {
        return this.isServing();
    }
    get payoutFee(): bigint {
        return this.cfg.payoutFee ?? PAYOUT_FEE_ESTIMATE;
    }
    get maxPayoutFeePermille(): number {
        return this.cfg.maxPayoutFeePermille ?? DEFAULT_MAX_PAYOUT_FEE_PERMILLE;
    }

    private get protoRange(): ProtoRange {
        return this.cfg.protoRange ?? OUR_RANGES.worker;
    }

    private pricing(): TokenPricing {
        return tokenPricing(this.root.params);
    }

    /** Keeps `proxyConnections` proxies connected, choosing randomly among the candidates. */
    async maintain(): Promise<void> {
        const want = this.cfg.proxyConnections ?? 1;
        const candidates = proxyEndpointList('workers', this.cfg.proxies, this.root).filter(
            (e) => !this.links.has(e) && !this.connecting.has(e),
        );
        while (this.links.size + this.connecting.size < want && candidates.length) {
            const e = candidates.splice(randomInt(candidates.length), 1)[0];
            this.connecting.add(e);
            await this.connectTo(e)
                .catch((err: Error) => {
                    this.lastError = `${e}: ${err.message}`;
                    this.log.warn('cannot connect to proxy', { proxy: e, error: err.message });
                })
                .finally(() => this.connecting.delete(e));
        }
    }

    private async connectTo(endpoint: string): Promise<void> {
        const conn = await connectToProxy(endpoint, { tls: this.cfg.tls, logger: this.log.child('proxy-conn') });
        try {
            const link = await this.handshake(endpoint, conn);
            this.links.set(endpoint, link);
            this.uptime.set(link.known.proxySc.toRawString(), this.isServing());
            conn.on('close', () => {
                this.links.delete(endpoint);
                this.uptime.set(link.known.proxySc.toRawString(), false);
                for (const c of link.controllers.values()) c.abort();
                this.log.warn('proxy disconnected', { proxy: endpoint });
            });
            this.log.info('connected to proxy', { proxy: endpoint, contract: link.known.proxySc.toString() });
        } catch (e) {
            conn.close();
            throw e;
        }
    }

    private async handshake(endpoint: string, conn: RpcConnection): Promise<ProxyLink> {
        const params = this.root.params;
        checkProxyImage(conn.peer.imageHash, this.root, this.cfg.checkProxyHashes ?? !params.isTest);
        const r = await conn.query({
            _: 'worker.connectToProxy',
            params: {
                _: 'worker.params',
                flags: this.cfg.machineDescriptionJson === undefined ? 3 : 7,
                machine_description_json: this.cfg.machineDescriptionJson,
                worker_owner_address: this.owner.toString(),
                model: this.model,
                coefficient: this.coefficient,
                is_test: params.isTest,
                proxy_cnt: this.cfg.proxyConnections ?? 1,
                max_active_requests: this.cfg.maxActiveRequests ?? 60,
                min_proto_version: this.protoRange.min,
                max_proto_version: this.protoRange.max,
            },
        });
        const protoVersion = acceptProtoVersion(this.protoRange, chosenVersion(r.params));
        const { proxy, child: worker } = await verifyProxyContracts(
            r.params,
            r.worker_sc_address,
            this.cfg.root,
            this.root,
            'worker',
            (sc, key) => cocoonWorkerFor(this.owner, sc, key, params),
        );
        const { proxyKey, proxySc } = proxy;
        let known = this.known.get(proxySc.toRawString());
        if (!known) {
            known = {
                signed: 0n,
                db: 0n,
                max: 0n,
                message: null,
                proxyKey,
                proxySc,
                workerSc: worker.address,
                chain: null,
                paidOut: 0n,
                verified: null,
            };
            this.known.set(proxySc.toRawString(), known);
        }
        known.chain = await readWorkerContract(this.cfg.chain, worker.address);
        if (!known.chain) {
            this.log.info('deploying the worker contract', { contract: worker.address.toString() });
            await this.cfg.wallet.send([internal({ to: worker.address, value: VALUE.deploy, bounce: false, init: worker.init! })]);
            known.chain = await readWorkerContract(this.cfg.chain, worker.address);
        }
        const cmp = await conn.query({
            _: 'worker.compareBalanceWithProxy',
            tokens_committed_to_blockchain: known.signed,
            tokens_committed_to_db: known.db,
            max_tokens: known.max,
        });
        this.acceptSigned(known, cmp.signed_payment);
        if (cmp.error_code === 2)
            throw new Error('proxy refused: it holds lower committed numbers than this worker saw (rollback or clone)');
        if (cmp.tokens_committed_to_db < known.db)
            throw new Error(`proxy's tokens_committed_to_db is too low (${cmp.tokens_committed_to_db} < ${known.db}): dropping it`);
        if (cmp.error_code === 1)
            await conn.query({ _: 'worker.extendedCompareBalanceWithProxy', tokens_committed_to_db: known.db, other: Buffer.alloc(0) });
        known.db = cmp.tokens_committed_to_db > known.db ? cmp.tokens_committed_to_db : known.db;
        known.max = cmp.max_tokens > known.max ? cmp.max_tokens : known.max;
        const link: ProxyLink = { endpoint, conn, known, running: 0, protoVersion, controllers: new Map() };
        conn.on('packet', (obj) => {
            if (obj._ === 'proxy.runQueryEx') this.serve(link, obj as proxy_runQueryEx);
            else if (obj._ === 'proxy.signedPayment' || obj._ === 'proxy.signedPaymentEmpty') this.acceptSigned(known!, obj, conn);
            else if (obj._ === 'proxy.workerRequestPayment') {
                this.acceptSigned(known!, obj.signed_payment, conn);
                if (obj.db_tokens < known!.db || obj.max_tokens < known!.max) {
                    this.log.error('proxy reported lower counters than before: dropping it', { proxy: endpoint });
                    return conn.close();
                }
                known!.db = obj.db_tokens;
                known!.max = obj.max_tokens;
            }
        });
        // One handler per connection (a second conn.handle would replace the first).
        conn.handle(async (fn) => {
            if (fn._ === 'worker.changeModel') return this.changeModel(fn.new_model, endpoint);
            if (fn._ === 'cocoonx.cancelQuery') {
                // A request that already ended is not an error: its final piece is on its way.
                link.controllers.get(fn.request_id.toString('hex'))?.abort(CANCELLED_BY_CLIENT);
                return { _: 'cocoonx.ok' };
            }
            throw new QueryError(400, `unsupported query ${fn._}`);
        });
        await conn.query({ _: 'worker.proxyHandshakeComplete', is_disabled: !this.isServing() });
        const h = this.cfg.hardware;
        if (h) {
            const int = (v: number | undefined) => Math.max(0, Math.min(2 ** 31 - 1, Math.round(v ?? 0)));
            // An original proxy does not know this extension and answers with an error: nothing is lost.
            conn.query({
                _: 'cocoonx.announceWorkerHardware',
                hardware: {
                    _: 'cocoonx.workerHardware',
                    gpu: h.gpu ?? '',
                    vram_mb: int(h.vramMb),
                    gpu_count: int(h.gpuCount),
                    cpu: h.cpu ?? '',
                    cpu_cores: int(h.cpuCores),
                    ram_mb: int(h.ramMb),
                },
            }).catch((e: Error) => this.log.debug('proxy did not take the hardware profile', { proxy: endpoint, error: e.message }));
        }
        return link;
    }

    /** Validates a proxy-signed payout for our contract and keeps the highest. A forged one drops the proxy. */
    private acceptSigned(k: Known, p: proxy_SignedPayment, conn?: RpcConnection): void {
        try {
            acceptSignedPayment(k, p, { op: SIGNED_OP.workerPayout, target: k.workerSc, proxyPublicKey: k.proxyKey });
        } catch (e) {
            this.log.error('invalid signed payment from proxy: dropping it', { proxy: k.proxySc.toString(), error: (e as Error).message });
            conn?.close();
            if (!conn) throw e;
        }
    }

    private serve(link: ProxyLink, q: proxy_runQueryEx): void {
        this.acceptSigned(link.known, q.signed_payment, link.conn);
        const send = (p: Parameters<RpcConnection['send']>[0]) => {
            if (!link.conn.closed) link.conn.send(p);
        };
        if (!this.isServing()) {
            return send({
                _: 'proxy.queryAnswerErrorEx',
                request_id: q.request_id,
                error_code: 503,
                error: 'worker is disabled',
                flags: 0,
            });
        }
        if (this.active >= (this.cfg.maxActiveRequests ?? 60)) {
            return send({
                _: 'proxy.queryAnswerErrorEx',
                request_id: q.request_id,
                error_code: 503,
                error: 'too many active queries',
                flags: 0,
            });
        }
        this.active++;
        link.running++;
        this.stats.add('queries');
        const ac = new AbortController();
        const key = q.request_id.toString('hex');
        link.controllers.set(key, ac);
        runWorkerQuery(q, {
            backend: this.backend,
            servedModel: this.model,
            pricing: this.pricing(),
            receiptKey: this.cfg.key,
            send,
            signal: ac.signal,
            busy: () => this.active > 1,
            protoVersion: link.protoVersion,
        })
            .then((o) => {
                this.stats.add(o.error ? 'failed' : 'success');
                this.stats.add('tokens', o.tokens.total);
            })
            .catch((e: Error) => {
                this.stats.add('failed');
                this.log.error('query failed', { error: e.message });
            })
            .finally(() => {
                this.active--;
                link.running--;
                if (link.controllers.get(key) === ac) link.controllers.delete(key);
            });
    }

    private isServing(): boolean {
        return this.enabled && this.backendUp;
    }

    private broadcastEnabled(): void {
        for (const l of this.links.values()) this.uptime.set(l.known.proxySc.toRawString(), this.isServing() && !l.conn.closed);
        for (const l of this.links.values())
            if (!l.conn.closed) l.conn.send({ _: 'worker.enabledDisabled', disabled: this.isServing() ? 0 : 1 });
    }

    private async monitorBackend(): Promise<void> {
        const h = await this.backend.health({ timeoutMs: 2000 });
        // One slow answer on a busy machine is not an outage: disabling on it sent callers 503s (and, with an
        // empty model list, 404s) while the backend was serving. Down takes two failed checks in a row; up takes one.
        this.backendFailures = h.ok ? 0 : this.backendFailures + 1;
        const up = h.ok || (this.backendUp && this.backendFailures < BACKEND_DOWN_AFTER_FAILURES);
        if (up !== this.backendUp) {
            this.backendUp = up;
            this.log.warn(h.ok ? 'inference backend is back' : 'inference backend is down: disabled at every proxy', {
                error: h.error?.message,
            });
            this.broadcastEnabled();
        }
    }

    private async updatePaymentStatus(): Promise<void> {
        for (const l of this.links.values()) {
            const s = await l.conn.query({ _: 'worker.updatePaymentStatus' }, 10_000);
            this.acceptSigned(l.known, s.signed_payment, l.conn);
        }
    }

    /** Cashes out every proxy contract whose signed, unpaid share is worth it (COCOON §3.3, in nanoTON). */
    async payoutAll(force = false, closing = false): Promise<{ proxy: string; tokens: bigint }[]> {
        const done: { proxy: string; tokens: bigint }[] = [];
        for (const k of this.known.values()) {
            k.chain = (await readWorkerContract(this.cfg.chain, k.workerSc)) ?? k.chain;
            const paid = k.chain?.tokens ?? 0n;
            if (!k.message || k.signed <= paid) continue;
            const worth = (k.signed - paid) * this.root.params.workerFeePerToken;
            // The fee guard: the automatic payout waits for the minimum and while the fee would eat too much of the
            // amount; on close (the last chance) it cashes out whatever is worth more than the fee.
            if (
                closing
                    ? worth <= this.payoutFee
                    : !force &&
                      (worth < (this.cfg.minPayout ?? toNano('0.2')) ||
                          !payoutFeeAcceptable(worth, this.payoutFee, this.maxPayoutFeePermille))
            )
                continue;
            await this.cfg.wallet.send([
                internal({ to: k.workerSc, value: VALUE.payout, bounce: true, body: repackSigned(k.message, this.owner) }),
            ]);
            k.chain = (await readWorkerContract(this.cfg.chain, k.workerSc)) ?? k.chain;
            k.paidOut = k.chain?.tokens ?? k.paidOut;
            this.log.info('payout requested', { proxy: k.proxySc.toString(), tokens: k.signed });
            done.push({ proxy: k.proxySc.toString(), tokens: k.signed });
        }
        return done;
    }

    /**
     * Switches the served model (worker.changeModel from a proxy; upstream WorkerRunner::change_model): the
     * root must allow the model and the change-model script must succeed. Requests running now finish on
     * the old model; the proxy that asked routes the new one at once, other proxies learn it when the worker
     * next connects to them.
     */
    async changeModel(model: string, from = 'local'): Promise<{ _: 'worker.changedModel' }> {
        const script = this.cfg.changeModelScript;
        if (!script) throw new QueryError(400, 'cannot change model: no change-model script configured (--change-model-script)');
        if (!/^[^@\s]+@\S+$/.test(model))
            throw new QueryError(400, `cannot change model: '${model}' is not a full model name Org/Name@commit:verity`);
        const hash = sha256BigInt(model);
        if (!this.root.registry.modelHashes.includes(hash))
            throw new QueryError(400, `cannot change model: the root contract does not allow '${model}'`);
        this.log.warn('changing model', { from: this.model, to: model, asked_by: from });
        try {
            await execFileAsync(script, [model], { timeout: CHANGE_MODEL_TIMEOUT_MS });
        } catch (e) {
            throw new QueryError(500, `cannot change model: the change-model script failed: ${(e as Error).message.split('\n')[0]}`);
        }
        this.model = model;
        return { _: 'worker.changedModel' };
    }

    setEnabled(v: boolean): void {
        this.enabled = v;
        this.broadcastEnabled();
    }

    setCoefficient(c: number): void {
        if (!Number.isInteger(c) || c < 0 || c >= 1e9)
            throw new RangeError(`coefficient must be an integer 0..999999999 (1000 = 1.0x), got ${c}`);
        this.coefficient = c;
        for (const l of this.links.values()) if (!l.conn.closed) l.conn.send({ _: 'worker.newCoefficient', new_coefficient: c });
    }

    snapshot() {
        return {
            owner: this.owner.toString(),
            model: this.model,
            coefficient: this.coefficient,
            enabled: this.enabled,
            backend_up: this.backendUp,
            active_requests: this.active,
            last_error: this.lastError,
            max_active_requests: this.cfg.maxActiveRequests ?? 60,
            hardware: this.cfg.hardware ?? {},
            model_hash: createHash('sha256').update(this.model).digest('hex'),
            proxies: [...this.known.values()].map((k) => ({
                proxy_sc_address: k.proxySc.toString(),
                proxy_sc_address_raw: k.proxySc.toRawString(),
                sc_address: k.workerSc.toString(),
                proxy_public_key: k.proxyKey.toString('hex'),
                earned_tokens_committed_to_blockchain: k.signed,
                earned_tokens_committed_to_proxy_db: k.db,
                earned_tokens_max_known: k.max,
                paid_out_tokens: k.chain?.tokens ?? 0n,
                connected: [...this.links.values()].some((l) => l.known === k),
            })),
            connections: [...this.links.values()].map((l) => ({ endpoint: l.endpoint, running: l.running, proto_version: l.protoVersion })),
        };
    }

    /** Graceful stop: refuse new queries, let running ones finish for `graceMs`, then disconnect. */
    async close(graceMs = 10_000): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        this.enabled = false;
        this.broadcastEnabled();
        this.timers.stop();
        const deadline = Date.now() + graceMs;
        while (this.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        for (const l of this.links.values()) for (const c of l.controllers.values()) c.abort();
        for (const l of this.links.values()) l.conn.close();
        this.backend.close();
    }
}
