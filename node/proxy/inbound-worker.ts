/**
 * One inbound worker connection (COCOON ProxyInboundWorkerConnection) and its handshake:
 *
 *   New ──worker.connectToProxy──> Connecting ──checked──> Connected ──worker.proxyHandshakeComplete──> Ready
 *    ^                                 │ refused (400/403)     (compareBalanceWithProxy, announceWorkerHardware,
 *    └─────────────────────────────────┘                        updatePaymentStatus may come in Connected or Ready)
 *   any state ──connection closed──> Closed
 *
 * Connecting checks the worker's params (protocol, model, coefficient, capacity), its image and model hashes
 * against the root, and derives its worker contract; Connected holds its offer and account. Only Ready
 * holds resources: a `connections` count on the account and a ProxyWorkerInfo registered with the relay,
 * both given back when the connection closes (the relay moves requests the worker had not started to
 * another worker). A worker reporting more committed tokens than the proxy's store (a rolled-back or
 * cloned proxy) is told so (error_code 2) and dropped.
 */
import {
    QueryError,
    type cocoonx_announceWorkerHardware,
    type RpcConnection,
    type TlAny,
    type TlFunction,
    type TlObject,
    type worker_compareBalanceWithProxy,
    type worker_connectedToProxy,
    type worker_connectToProxy,
    type worker_proxyHandshakeComplete,
} from '../protocol';
import { cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { negotiate, parseOwner, proxyParams, type WorkerPort } from './handshake';
import { ProxyWorkerInfo, type WorkerHardware, type WorkerOffer } from './peers';
import { bufferToBigInt, sha256BigInt, uint256Hex } from '../../wrappers/uint256';

export enum WorkerState {
    /** Accepted; waiting for worker.connectToProxy. */
    New = 'new',
    /** worker.connectToProxy is being checked (params, hashes, contract derivation). */
    Connecting = 'connecting',
    /** Params accepted; balances are compared, then the worker completes the handshake. */
    Connected = 'connected',
    /** Registered with the relay: serves queries. */
    Ready = 'ready',
    Closed = 'closed',
}

type WorkerHandshake =
    | { state: WorkerState.New | WorkerState.Connecting | WorkerState.Closed }
    | { state: WorkerState.Connected; offer: WorkerOffer; hardware: WorkerHardware | null }
    | { state: WorkerState.Ready; offer: WorkerOffer; info: ProxyWorkerInfo };

/** Longest hardware text field a worker may announce. */
const MAX_HARDWARE_TEXT = 200;
/** The compare answer goes out before a worker refused for rollback is disconnected. */
const ROLLBACK_CLOSE_DELAY_MS = 100;

export class ProxyInboundWorkerConnection {
    private hs: WorkerHandshake = { state: WorkerState.New };

    constructor(
        readonly conn: RpcConnection,
        private readonly port: WorkerPort,
    ) {
        conn.handle((fn) => this.onQuery(fn));
        conn.on('packet', (obj) => this.onPacket(obj));
        conn.on('close', () => this.onClose());
    }

    get state(): WorkerState {
        return this.hs.state;
    }

    /** The registered worker; null before the handshake completes and after close. */
    get info(): ProxyWorkerInfo | null {
        return this.hs.state === WorkerState.Ready ? this.hs.info : null;
    }

    close(): void {
        this.conn.close();
    }

    private async onQuery(fn: TlFunction): Promise<TlObject> {
        if (fn._ === 'worker.connectToProxy') return this.connectToProxy(fn);
        const hs = this.hs;
        if (hs.state !== WorkerState.Connected && hs.state !== WorkerState.Ready)
            throw new QueryError(400, 'send worker.connectToProxy first');
        const a = hs.offer.account;
        switch (fn._) {
            case 'worker.compareBalanceWithProxy':
                return this.compareBalance(hs.offer, fn);
            case 'worker.extendedCompareBalanceWithProxy':
                return { _: 'worker.extendedCompareBalanceWithProxyResult', error_code: 0 };
            case 'worker.proxyHandshakeComplete':
                return this.complete(fn);
            case 'cocoonx.announceWorkerHardware':
                return this.announceHardware(fn);
            case 'worker.updatePaymentStatus':
                return {
                    _: 'worker.paymentStatus',
                    signed_payment: this.port.sign(a),
                    db_tokens: a.ledger.tokensCommittedToDb,
                    max_tokens: a.ledger.tokensMax,
                };
            default:
                throw new QueryError(400, `unsupported query ${fn._}`);
        }
    }

    private async connectToProxy(fn: worker_connectToProxy): Promise<worker_connectedToProxy> {
        if (this.hs.state !== WorkerState.New) throw new QueryError(400, 'worker.connectToProxy was already sent on this connection');
        this.hs = { state: WorkerState.Connecting };
        try {
            const { offer, proto } = await this.checkOffer(fn);
            this.hs = { state: WorkerState.Connected, offer, hardware: null };
            return {
                _: 'worker.connectedToProxy',
                params: proxyParams(this.port, proto),
                worker_sc_address: offer.account.contract.toString(),
            };
        } finally {
            // A refused connectToProxy may be corrected and sent again on the same connection.
            if (this.state === WorkerState.Connecting) this.hs = { state: WorkerState.New };
        }
    }

    private async checkOffer(fn: worker_connectToProxy): Promise<{ offer: WorkerOffer; proto: number }> {
        const port = this.port;
        const p = fn.params;
        const proto = negotiate(p, port.root.params.isTest, 'worker', port.protoRange);
        if (!p.model) throw new QueryError(400, 'worker model is empty');
        if (!(p.coefficient >= 0 && p.coefficient < 1e9))
            throw new QueryError(400, `coefficient ${p.coefficient} is out of range 0..999999999`);
        const maxActive = p.max_active_requests ?? 0;
        const proxyCount = p.proxy_cnt ?? 0;
        if (!(maxActive >= 1) || !(proxyCount >= 1)) throw new QueryError(400, 'max_active_requests and proxy_cnt must be at least 1');
        if (port.checkWorkerHashes) this.checkHashes(p.model);
        const owner = parseOwner(p.worker_owner_address, 'worker');
        const contract = (await cocoonWorkerFor(owner, port.contract, bufferToBigInt(port.publicKey), port.root.params)).address;
        // Nothing is opened for a worker that left while its contract was derived.
        if (this.state === WorkerState.Closed) throw new QueryError(400, 'the connection closed during worker.connectToProxy');
        const account = port.accounts.worker(owner, contract);
        return {
            offer: {
                owner,
                account,
                model: p.model,
                coefficient: BigInt(p.coefficient),
                capacity: Math.ceil(maxActive / proxyCount),
                protoVersion: proto,
            },
            proto,
        };
    }

    /** The worker's image (from its attestation) and its model must be ones the root allows. */
    private checkHashes(model: string): void {
        const registry = this.port.root.registry;
        const imageHash = this.conn.peer.imageHash;
        const image = bufferToBigInt(imageHash);
        if (!registry.workerHashes.includes(image))
            throw new QueryError(403, `worker image hash ${imageHash.toString('hex')} is not allowed by the root contract`);
        this.checkModel(model);
    }

    private checkModel(model: string): void {
        const modelHash = sha256BigInt(model);
        if (!this.port.root.registry.modelHashes.includes(modelHash))
            throw new QueryError(403, `model '${model}' (sha256 ${uint256Hex(modelHash)}) is not allowed by the root contract`);
    }

    /**
     * worker.changeModel (upstream's proxy admin "change worker model"): the worker switches (it runs its
     * change-model script) and answers worker.changedModel; from then on this proxy routes the new model's
     * requests to it on the same connection, running requests finish on the old one. The root must allow
     * the model (checked here first, and again by the worker).
     */
    async changeModel(model: string, timeoutMs = 60_000): Promise<void> {
        const hs = this.hs;
        if (hs.state !== WorkerState.Ready) throw new QueryError(400, 'the worker has not completed its handshake');
        if (!/^[^@\s]+@\S+$/.test(model)) throw new QueryError(400, `model '${model}' must be a full model name Org/Name@commit:verity`);
        if (this.port.checkWorkerHashes) this.checkModel(model);
        const answer = await this.conn.query({ _: 'worker.changeModel', new_model: model }, timeoutMs);
        if (answer._ !== 'worker.changedModel') throw new QueryError(502, `the worker answered ${answer._} to worker.changeModel`);
        if (this.hs !== hs) return; // closed meanwhile: nothing to switch
        const from = hs.info.model;
        hs.offer.model = model;
        hs.info.model = model;
        this.port.log.warn('worker changed model', { worker: hs.offer.owner.toString(), from, to: model });
    }

    private compareBalance(offer: WorkerOffer, fn: worker_compareBalanceWithProxy): TlObject {
        const a = offer.account;
        const l = a.ledger;
        let error_code = 0;
        if (fn.tokens_committed_to_blockchain > l.tokensCommittedToBlockchain || fn.tokens_committed_to_db > l.tokensCommittedToDb) {
            // The worker saw higher numbers from this proxy key than the store holds: this store was rolled
            // back or another copy signed them. Refuse the worker rather than serve from a stale ledger.
            this.port.log.error('worker reports higher committed tokens than the proxy store: rollback or clone suspected', {
                worker: offer.owner.toString(),
                worker_committed: fn.tokens_committed_to_blockchain,
                proxy_committed: l.tokensCommittedToBlockchain,
            });
            error_code = 2;
            setTimeout(() => this.conn.close(), ROLLBACK_CLOSE_DELAY_MS).unref();
        } else if (fn.max_tokens > l.tokensMax) {
            error_code = 1;
        }
        return {
            _: 'worker.compareBalanceWithProxyResult',
            signed_payment: this.port.sign(a),
            tokens_committed_to_db: l.tokensCommittedToDb,
            max_tokens: l.tokensMax,
            error_code,
        };
    }

    private complete(fn: worker_proxyHandshakeComplete): TlObject {
        const hs = this.hs;
        if (hs.state !== WorkerState.Connected) throw new QueryError(400, 'handshake already complete');
        const port = this.port;
        const { offer } = hs;
        const info = new ProxyWorkerInfo(port.nextLinkId('w'), this.conn, offer, !fn.is_disabled, hs.hardware, port.sign);
        offer.account.connections++;
        this.hs = { state: WorkerState.Ready, offer, info };
        port.relay.addWorker(info);
        port.log.info('worker connected', {
            worker: offer.owner.toString(),
            model: offer.model,
            coefficient: offer.coefficient,
            capacity: offer.capacity,
        });
        return { _: 'worker.proxyHandshakeCompleted' };
    }

    private announceHardware(fn: cocoonx_announceWorkerHardware): TlObject {
        const h = fn.hardware;
        const text = (v: string, what: string) => {
            if (v.length > MAX_HARDWARE_TEXT) throw new QueryError(400, `hardware.${what} is longer than ${MAX_HARDWARE_TEXT} characters`);
            return v;
        };
        const hardware: WorkerHardware = {
            gpu: text(h.gpu, 'gpu'),
            vramMb: h.vram_mb,
            gpuCount: h.gpu_count,
            cpu: text(h.cpu, 'cpu'),
            cpuCores: h.cpu_cores,
            ramMb: h.ram_mb,
        };
        const hs = this.hs;
        if (hs.state === WorkerState.Connected) hs.hardware = hardware;
        else if (hs.state === WorkerState.Ready) hs.info.hardware = hardware;
        return { _: 'cocoonx.ok' };
    }

    /** One-way messages count only from a registered worker: its answers, its enable switch, its price. */
    private onPacket(obj: TlAny): void {
        if (this.hs.state !== WorkerState.Ready) return;
        const info = this.hs.info;
        if (obj._ === 'proxy.queryAnswerEx' || obj._ === 'proxy.queryAnswerPartEx' || obj._ === 'proxy.queryAnswerErrorEx')
            this.port.relay.onWorkerAnswer(info.id, obj);
        else if (obj._ === 'worker.enabledDisabled') info.enabled = obj.disabled === 0;
        else if (obj._ === 'worker.newCoefficient') {
            if (obj.new_coefficient < 0) return this.close();
            info.coefficient = BigInt(obj.new_coefficient);
        }
    }

    private onClose(): void {
        const hs = this.hs;
        this.hs = { state: WorkerState.Closed };
        if (hs.state !== WorkerState.Ready) return;
        hs.offer.account.connections--;
        this.port.relay.removeWorker(hs.info.id);
    }
}
