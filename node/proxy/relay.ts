/**
 * The proxy's query relay (COCOON ProxyRunningRequest): a client's client.runQueryEx is routed to a
 * worker as proxy.runQueryEx, and the worker's answer pieces are relayed back as client.*Ex. Tokens are
 * reserved up front, metered from the worker's final_info and credited to both ledgers when the
 * request ends. A worker that fails before sending anything is replaced by another one.
 */
import { randomBytes } from 'crypto';
import {
    decodeAs,
    encode,
    type client_QueryAnswerEx,
    type client_queryFinalInfo,
    type client_runQueryEx,
    type client_workerTypesV2,
    type proxy_QueryAnswerEx,
    type proxy_queryFinalInfo,
    type proxy_runQueryEx,
    type proxy_SignedPayment,
    finalInfoFlags,
    protoSupports,
    PROTO,
    runQueryExFlags,
    timingHeaders,
} from '../protocol';
import { baseModelName } from '../common/models';
import { tokensAvailable, tokensToReserve, UNIT_MULTIPLIERS, type ClientAccount, type ReserveMultipliers } from './reservation';
import { chooseWorker, DecayingAverage, type WorkerCandidate } from './routing';
import { SignedPaymentsLedger } from './signed-payments';

/** The proxy's view of a connected worker. */
export interface WorkerLink extends WorkerCandidate {
    /** The protocol version negotiated with this worker. */
    readonly protoVersion: number;
    /**
     * The worker's attested RA-TLS key (undefined without attestation): a request encrypted to it can only
     * go to this worker, which decrypts with its own key; the proxy never holds a worker's private key.
     */
    readonly e2eKey?: Buffer;
    /** Sends the query to the worker (tcp.packet). */
    send(q: proxy_runQueryEx): void;
    ledger: SignedPaymentsLedger;
    signedPayment(): proxy_SignedPayment;
    readonly average: DecayingAverage;
    /**
     * Asks the worker to stop a request (cocoonx.cancelQuery with the proxy's request id). A worker that knows
     * it ends the request at once with what its backend reported; an original one runs it to its end.
     */
    cancel?(requestId: Buffer): void;
}

/** The proxy's view of an authorised client. */
export interface ClientLink {
    id: string;
    /** The protocol version negotiated with this client. */
    readonly protoVersion: number;
    send(piece: client_QueryAnswerEx): void;
    ledger: SignedPaymentsLedger;
    /** On-chain balance/stake/charged; null disables the deposit cap (test networks without a chain). */
    account(): Omit<ClientAccount, 'tokensUsed' | 'tokensReserved'> | null;
    reserved: bigint;
}

/** `C` and `W` are the runner's own link types: onSettled hands back exactly what was added. */
export interface RelayOptions<C extends ClientLink = ClientLink, W extends WorkerLink = WorkerLink> {
    /** nanoTON per token for the deposit cap; the root's price, changed through setPricePerToken. */
    pricePerToken: bigint;
    /** The root's multipliers for reservations and the billing cap (default 1.0x), changed through setPricePerToken. */
    multipliers?: ReserveMultipliers;
    /**
     * The longest a request may run, seconds (default DEFAULT_MAX_QUERY_TIMEOUT_S): a longer `timeout` is
     * capped. It bounds how long a worker that stopped answering can hold a slot and the client's reservation.
     */
    maxTimeoutSeconds?: number;
    /** A worker reported more tokens than the request reserved: only the reservation is billed. */
    onWorkerFault?(worker: W, fault: { requestId: Buffer; reported: bigint; billed: bigint }): void;
    /** Called when a request finished and both ledgers grew (the store persists it). */
    onSettled?(client: C, worker: W, tokens: bigint, clientRequestId: Buffer): void;
    now?: () => number;
}

/** Answer bytes on their way to the client: the first piece (the HTTP response) or a later one. */
type Carry = { _: 'client.queryAnswerEx' | 'client.queryAnswerPartEx'; answer: Buffer };

interface Running<C extends ClientLink, W extends WorkerLink> {
    client: C;
    clientRequestId: Buffer;
    /** The worker serving it now; undefined until the first dispatch. */
    worker?: W;
    reserved: bigint;
    relayed: boolean;
    tried: Set<string>;
    q: client_runQueryEx;
    /** The request's timeout after the cap, seconds. */
    timeout: number;
    timer: NodeJS.Timeout;
    proxyStart: number;
    /** The client cancelled it: it is not moved to another worker, and ends with what its worker reports. */
    cancelled: boolean;
}

/**
 * Default cap on a request's timeout, seconds: the client API's own cap (its --max-timeout default). The
 * original has none (its alarm fires at whatever the client sent, up to ~24 days).
 */
export const DEFAULT_MAX_QUERY_TIMEOUT_S = 3600;

export const ERR = { LOW_BALANCE: 402, NO_WORKERS: 503, PRICE: 409, TIMEOUT: 504, WORKER: 502 } as const;

/** client.runQueryEx's public_key when the request is encrypted (flags bit 1, not all zero). */
function encryptedTo(q: client_runQueryEx): Buffer | undefined {
    return ((q.flags ?? 0) & 2) !== 0 && q.public_key && !q.public_key.every((b) => b === 0) ? q.public_key : undefined;
}

export class QueryRelay<C extends ClientLink = ClientLink, W extends WorkerLink = WorkerLink> {
    private readonly workers = new Map<string, W>();
    private readonly running = new Map<string, Running<C, W>>(); // proxy request id (hex) -> request
    private pricePerToken: bigint;
    private multipliers: ReserveMultipliers;
    private readonly maxTimeoutSeconds: number;

    constructor(private readonly opts: RelayOptions<C, W>) {
        this.pricePerToken = opts.pricePerToken;
        this.multipliers = opts.multipliers ?? UNIT_MULTIPLIERS;
        const max = opts.maxTimeoutSeconds ?? DEFAULT_MAX_QUERY_TIMEOUT_S;
        // setTimeout overflows above 2^31-1 ms (it then fires at once): the cap must stay below.
        if (!(max > 0 && max * 1000 <= 2 ** 31 - 1))
            throw new RangeError(`maxTimeoutSeconds must be in (0, ${Math.floor((2 ** 31 - 1) / 1000)}], got ${max}`);
        this.maxTimeoutSeconds = max;
    }

    /** The root's price changed (a new params version): reservations from now on use it. */
    setPricePerToken(price: bigint, multipliers?: ReserveMultipliers): void {
        this.pricePerToken = price;
        if (multipliers) this.multipliers = multipliers;
    }

    private now(): number {
        return this.opts.now ? this.opts.now() : Date.now() / 1000;
    }

    addWorker(w: W): void {
        this.workers.set(w.id, w);
    }

    /** A worker went away: requests it had not started answering move to another worker. */
    removeWorker(id: string, reason = 'worker disconnected'): void {
        this.workers.delete(id);
        for (const [rid, r] of [...this.running]) {
            if (!r.worker || r.worker.id !== id) continue;
            this.running.delete(rid);
            r.worker.running--;
            if (!r.relayed && !r.cancelled) this.dispatch(r);
            else this.finishWithError(r, ERR.WORKER, `${reason} mid-answer`);
        }
    }

    workerTypes(): client_workerTypesV2 {
        const byModel = new Map<string, W[]>();
        for (const w of this.workers.values()) {
            if (!w.enabled) continue;
            const base = baseModelName(w.model);
            byModel.set(base, [...(byModel.get(base) ?? []), w]);
        }
        return {
            _: 'client.workerTypesV2',
            types: [...byModel].map(([name, ws]) => ({
                _: 'client.workerTypeV2' as const,
                name,
                workers: ws
                    .sort((a, b) => (a.coefficient < b.coefficient ? -1 : a.coefficient > b.coefficient ? 1 : 0))
                    .map((w) => ({
                        _: 'client.workerInstanceV2' as const,
                        flags: 0,
                        coefficient: Number(w.coefficient),
                        active_requests: w.running,
                        max_active_requests: w.maxRunning,
                    })),
            })),
        };
    }

    /** Handles client.runQueryEx from an authorised client. */
    runQuery(client: C, q: client_runQueryEx): void {
        const fail = (code: number, error: string) =>
            client.send({
                _: 'client.queryAnswerErrorEx',
                request_id: q.request_id,
                error_code: code,
                error,
                flags: 1,
                final_info: this.finalInfo(client, undefined, this.now(), this.now()),
            });
        if (q.max_coefficient < 0 || q.max_tokens < 0 || !(q.timeout > 0))
            return fail(400, 'max_coefficient, max_tokens and timeout must be positive');
        const reserve = tokensToReserve(BigInt(q.max_tokens), q.query.length, BigInt(q.max_coefficient), this.multipliers);
        const timeout = Math.min(q.timeout, this.maxTimeoutSeconds);
        const account = client.account();
        if (account) {
            const available = tokensAvailable(
                { ...account, tokensUsed: client.ledger.tokensMax, tokensReserved: client.reserved },
                this.pricePerToken,
            );
            if (available < reserve) {
                return fail(
                    ERR.LOW_BALANCE,
                    `client balance is too low: this request reserves ${reserve} tokens, ${available} are available; ` +
                        `top up the client contract or lower max_tokens`,
                );
            }
        }
        client.reserved += reserve;
        const r: Running<C, W> = {
            client,
            clientRequestId: q.request_id,
            reserved: reserve,
            relayed: false,
            tried: new Set(),
            q,
            timeout,
            // The watchdog: a worker that stopped answering gives the slot and the reservation back here.
            timer: setTimeout(() => this.timeout(r), Math.max(1, timeout * 1000)),
            proxyStart: this.now(),
            cancelled: false,
        };
        r.timer.unref?.();
        this.dispatch(r);
    }

    /** The workers that can serve `q`: all, or for an encrypted request the one holding its key at version 3+. */
    private candidates(q: client_runQueryEx): W[] {
        const all = [...this.workers.values()];
        const key = encryptedTo(q);
        return key ? all.filter((w) => protoSupports(w.protoVersion, PROTO.ENCRYPTION) && w.e2eKey?.equals(key)) : all;
    }

    private dispatch(r: Running<C, W>): void {
        const key = encryptedTo(r.q);
        const candidates = this.candidates(r.q);
        if (key && !candidates.some((w) => !r.tried.has(w.id))) {
            return this.finishWithError(
                r,
                ERR.NO_WORKERS,
                `no connected worker holds the end-to-end key ${key.toString('hex')} (it left, or it is not an attested worker ` +
                    `of this proxy): fetch a fresh attestation report and encrypt to a key listed there`,
            );
        }
        const choice = chooseWorker(candidates, r.q.model_name, BigInt(r.q.max_coefficient), r.tried);
        if (!('id' in choice)) {
            const code = choice.reason === 'coefficient_too_low' ? ERR.PRICE : ERR.NO_WORKERS;
            const msg =
                r.tried.size && choice.reason === 'unknown_model'
                    ? `no other worker for model '${baseModelName(r.q.model_name)}' after a worker failure`
                    : choice.message;
            return this.finishWithError(r, code, msg);
        }
        r.worker = choice;
        r.tried.add(choice.id);
        choice.running++;
        const proxyRequestId = randomBytes(32);
        this.running.set(proxyRequestId.toString('hex'), r);
        choice.send({
            _: 'proxy.runQueryEx',
            query: r.q.query,
            signed_payment: choice.signedPayment(),
            coefficient: choice.coefficient,
            timeout: r.timeout * 0.95,
            request_id: proxyRequestId,
            // As upstream: bit 0 always, bit 1 (private_key, all zero when not encrypted) from version 3 on.
            flags: runQueryExFlags(choice.protoVersion),
            enable_debug: r.q.enable_debug ?? false,
            private_key: protoSupports(choice.protoVersion, PROTO.ENCRYPTION) ? Buffer.alloc(32) : undefined,
        });
    }

    /** Handles one answer piece from a worker. Pieces for unknown requests are ignored (late or forged). */
    onWorkerAnswer(workerId: string, piece: proxy_QueryAnswerEx): void {
        const key = piece.request_id.toString('hex');
        const r = this.running.get(key);
        if (!r?.worker || r.worker.id !== workerId) return;
        const done = ((piece.flags ?? 0) & 1) === 1;
        if (piece._ === 'proxy.queryAnswerErrorEx') {
            this.running.delete(key);
            r.worker.running--;
            const billed = piece.final_info?.tokens_used.total_tokens_used ?? 0n;
            if (!r.relayed && !r.cancelled && billed === 0n && piece.error_code >= 500) return this.dispatch(r); // retry elsewhere
            return this.finish(r, piece.final_info, { code: piece.error_code, error: piece.error });
        }
        // The worker's last piece may carry bytes (COCOON's worker ends with its last chunk, a whole answer
        // is one piece): they go on in the client's final piece.
        let carry: Carry | undefined;
        if (piece._ === 'proxy.queryAnswerEx') {
            r.relayed = true;
            const response = decodeAs('http.Response', piece.answer);
            // Upstream's pair: when the request reached the proxy, and when the answer's headers leave it.
            for (const [name, value] of timingHeaders('Proxy', r.proxyStart * 1000, this.now() * 1000))
                response.headers.push({ _: 'http.header', name, value });
            carry = { _: 'client.queryAnswerEx', answer: encode(response) };
        } else if (piece.answer.length > 0) {
            r.relayed = true;
            carry = { _: 'client.queryAnswerPartEx', answer: piece.answer };
        }
        if (done) {
            this.running.delete(key);
            r.worker.running--;
            this.finish(r, piece.final_info, undefined, carry);
        } else if (carry) {
            r.client.send({ ...carry, request_id: r.clientRequestId, flags: 0 });
        }
    }

    /**
     * The client cancelled one of its requests (its HTTP caller went away): the worker is asked to stop it. The
     * request ends when the worker's final piece arrives, billed what the worker reports (never above the
     * reservation), so the slot and the reservation are released as soon as the worker has stopped. Unknown
     * or finished ids are ignored: the final piece is already on its way.
     */
    cancel(client: C, clientRequestId: Buffer): void {
        for (const [key, r] of this.running) {
            if (r.client !== client || !r.clientRequestId.equals(clientRequestId) || r.cancelled) continue;
            r.cancelled = true;
            r.worker?.cancel?.(Buffer.from(key, 'hex'));
        }
    }

    /** The client's connection closed: its callers are gone, so every request it still runs is cancelled. */
    cancelClient(client: C): void {
        for (const r of [...this.running.values()]) if (r.client === client) this.cancel(client, r.clientRequestId);
    }

    private timeout(r: Running<C, W>): void {
        for (const [k, x] of this.running) {
            if (x !== r || !r.worker) continue;
            this.running.delete(k);
            r.worker.running--;
        }
        const raise = "raise the request's `timeout` (seconds) if the model needs longer";
        this.finishWithError(r, ERR.TIMEOUT, `timeout in proxy: the worker did not finish within the request's ${r.timeout} s; ${raise}`);
    }

    private finishWithError(r: Running<C, W>, code: number, error: string): void {
        this.finish(r, undefined, { code, error });
    }

    private finish(r: Running<C, W>, worker: proxy_queryFinalInfo | undefined, err?: { code: number; error: string }, carry?: Carry): void {
        clearTimeout(r.timer);
        r.client.reserved -= r.reserved;
        const end = this.now();
        const tokens = this.billable(r, worker);
        // The payment onSettled sends the client and the final piece leave in one write (the connection
        // sends what one event's handling sends together).
        if (tokens > 0n && r.worker) {
            r.client.ledger.add(tokens);
            r.worker.ledger.add(tokens);
            r.worker.average.add(end - r.proxyStart, end);
            this.opts.onSettled?.(r.client, r.worker, tokens, r.clientRequestId);
        }
        const final = this.finalInfo(r.client, worker, r.proxyStart, end);
        // The client is told what it is billed, which a worker fault may make less than the worker reported.
        if (final.tokens_used.total_tokens_used !== tokens) final.tokens_used = { ...final.tokens_used, total_tokens_used: tokens };
        if (err)
            r.client.send({
                _: 'client.queryAnswerErrorEx',
                request_id: r.clientRequestId,
                error_code: err.code,
                error: err.error,
                flags: 1,
                final_info: final,
            });
        else
            r.client.send({
                _: carry?._ ?? 'client.queryAnswerPartEx',
                request_id: r.clientRequestId,
                answer: carry?.answer ?? Buffer.alloc(0),
                flags: 1,
                final_info: final,
            });
    }

    /**
     * What the request is billed: what the worker reported, never more than the request reserved (its
     * prompt estimate + max_tokens at the client's max coefficient and the root's multipliers). A report
     * above is a worker fault: the excess is not billed, the worker's stats count it.
     */
    private billable(r: Running<C, W>, worker: proxy_queryFinalInfo | undefined): bigint {
        const reported = worker?.tokens_used.total_tokens_used ?? 0n;
        if (reported <= r.reserved) return reported;
        if (r.worker) this.opts.onWorkerFault?.(r.worker, { requestId: r.clientRequestId, reported, billed: r.reserved });
        return r.reserved;
    }

    /** The final info at the client's version: timing only from version 2 (an older client's TL has no such fields). */
    private finalInfo(client: C, w: proxy_queryFinalInfo | undefined, start: number, end: number): client_queryFinalInfo {
        const zero = {
            _: 'tokensUsed' as const,
            prompt_tokens_used: 0n,
            cached_tokens_used: 0n,
            completion_tokens_used: 0n,
            reasoning_tokens_used: 0n,
            total_tokens_used: 0n,
        };
        const flags = finalInfoFlags(client.protoVersion, w?.worker_debug !== undefined);
        const timing = (flags & 2) !== 0;
        return {
            _: 'client.queryFinalInfo',
            flags,
            tokens_used: w?.tokens_used ?? zero,
            worker_debug: w?.worker_debug,
            proxy_debug: w?.worker_debug !== undefined ? '' : undefined,
            proxy_start_time: timing ? start : undefined,
            proxy_end_time: timing ? end : undefined,
            worker_start_time: timing ? (w?.worker_start_time ?? 0) : undefined,
            worker_end_time: timing ? (w?.worker_end_time ?? 0) : undefined,
        };
    }

    get runningCount(): number {
        return this.running.size;
    }
}
