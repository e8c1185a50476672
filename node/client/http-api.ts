/**
 * The client's OpenAI-compatible HTTP API (COCOON ClientRunner, default port 10000), behind api-guard.ts
 * (Host, Origin, API key, JSON bodies):
 * POST /v1/chat/completions and /v1/completions are wrapped into client.runQueryEx and streamed back
 * from the proxy's answer pieces; GET /v1/models lists live workers. COCOON's extra request fields
 * (max_coefficient, timeout, enable_debug, request_guid) are consumed here and never reach the worker.
 * The worker's signed receipt arrives after the body: a streamed answer gets it as the HTTP trailer
 * X-Cocoon-Receipt, a whole answer (held until its receipt is checked) as a header of the same name;
 * every answer names its request in X-Cocoon-Request-Id, and GET /v1/receipts/{id} serves the receipt
 * later (api-receipts.ts). GET /v1/attestation/report asks the proxy for the evidence behind the answers
 * (api-attestation.ts).
 */
import { createHash, randomBytes } from 'crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import {
    decodeAs,
    e2e,
    encode,
    PROTO,
    protoSupports,
    runQueryExFlags,
    timingHeaders,
    type client_QueryAnswerEx,
    type RpcConnection,
} from '../protocol';
import { AnswerTransformer, answerShape } from '../protocol/answer-transform';
import { E2eKeyError, type WorkerKeys } from './e2e-keys';
import { baseModelName } from '../common/models';
import { decodeReceipt, verifyReceipt, verifyReceiptAsync, type Receipt } from '../common/receipt';
import { apiGuard, checkApiExposure, type ApiAccessOptions } from './api-guard';
import { ApiRequestError, parseApiRequest } from './api-request';
import { REQUEST_ID, ReceiptStore, receiptHeaderValue, type ReceiptStoreOptions } from './api-receipts';
import { attestationReport } from './api-attestation';
import { sendError, type OpenAiErrorType } from './api-errors';

export interface ClientApiOptions {
    host?: string;
    port?: number;
    /** The current ready proxy connection, or null while (re)connecting. */
    proxy(): RpcConnection | null;
    /** Root config version the client knows (sent as min_config_version). */
    configVersion?(): number;
    /** The protocol version of the current proxy connection (default 2: flags as before versions were wired). */
    protoVersion?(): number;
    defaults?: { maxCoefficient?: number; timeoutSeconds?: number; maxTokens?: number };
    /** Largest `timeout` a request may ask for, seconds (default API_LIMITS.maxTimeoutSeconds). */
    maxTimeoutSeconds?: number;
    maxBodyBytes?: number;
    /** Host / Origin / API key checks (default: loopback names and own address only, no CORS, no key). */
    access?: ApiAccessOptions;
    /** How many receipts GET /v1/receipts/{id} keeps, and for how long (defaults: 10 000, 3600 s). */
    receipts?: ReceiptStoreOptions;
    /** Observes each finished request (stats, receipts). */
    onFinished?(r: FinishedRequest): void;
    /**
     * End-to-end encryption by the daemon (`--e2e on`): plaintext requests are encrypted to an attested
     * worker key from these, and the answers decrypted before the caller gets them. A request the caller
     * encrypted itself is passed on and answered encrypted whatever this says.
     */
    e2e?: WorkerKeys;
}

export interface FinishedRequest {
    requestGuid: string | null;
    status: number;
    tokens: bigint;
    receipt: Receipt | null;
    receiptValid: boolean;
    error: string | null;
}

export interface ClientApi {
    url: string;
    port: number;
    server: Server;
    close(): Promise<void>;
}

/**
 * Limits of the fields the client reads itself. The TL carries max_coefficient and max_tokens as int32
 * (a larger number cannot be sent); the original sets no ceiling on `timeout`, but a request that may
 * hold a worker slot and part of the deposit for days is never what a caller meant.
 */
export const API_LIMITS = { maxInt32: 2 ** 31 - 1, maxTimeoutSeconds: 3600, maxModelLength: 256, maxRequestGuidLength: 256 } as const;

/** Maps the proxy's error codes to HTTP statuses and OpenAI error types. */
function httpError(code: number): { status: number; type: OpenAiErrorType; code: string } {
    if (code === 402) return { status: 402, type: 'insufficient_quota', code: 'low_balance' };
    if (code === 409) return { status: 409, type: 'invalid_request_error', code: 'max_coefficient_too_low' };
    if (code === 503) return { status: 503, type: 'server_error', code: 'no_workers' };
    if (code === 504) return { status: 504, type: 'timeout', code: 'timeout' };
    if (code === 400) return { status: 400, type: 'invalid_request_error', code: 'invalid_request' };
    return { status: 502, type: 'server_error', code: 'upstream_error' };
}

const ENDPOINTS =
    'use POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /v1/receipts/{request id} ' +
    'or GET /v1/attestation/report?nonce=<hex>';

/** The error a finished request records when its caller went away before the end. */
export const CALLER_GONE = 'the caller went away before the end of the answer';

const HOP_BY_HOP = new Set([
    'connection',
    'keep-alive',
    'transfer-encoding',
    'content-length',
    'proxy-connection',
    'upgrade',
    'te',
    'trailer',
]);

/** Routes one proxy connection's answer pieces to the running requests by request id. */
class AnswerRouter {
    private static readonly byConn = new WeakMap<RpcConnection, AnswerRouter>();
    private readonly handlers = new Map<string, (p: client_QueryAnswerEx) => void>();

    static for(conn: RpcConnection): AnswerRouter {
        let r = AnswerRouter.byConn.get(conn);
        if (!r) {
            const router = new AnswerRouter();
            conn.on('packet', (obj) => {
                if (obj._ === 'client.queryAnswerEx' || obj._ === 'client.queryAnswerPartEx' || obj._ === 'client.queryAnswerErrorEx') {
                    router.handlers.get(obj.request_id.toString('hex'))?.(obj);
                }
            });
            conn.on('close', () => {
                for (const h of router.handlers.values())
                    h({
                        _: 'client.queryAnswerErrorEx',
                        request_id: Buffer.alloc(32),
                        error_code: 502,
                        error: 'connection to the proxy was lost',
                        flags: 1,
                    });
                router.handlers.clear();
            });
            AnswerRouter.byConn.set(conn, router);
            r = router;
        }
        return r;
    }

    on(id: Buffer, h: (p: client_QueryAnswerEx) => void): () => void {
        const key = id.toString('hex');
        this.handlers.set(key, h);
        return () => this.handlers.delete(key);
    }
}

/** The request body; past `limit` bytes it rejects (status 413) and discards the rest, so the error can still be sent. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const onData = (c: Buffer) => {
            size += c.length;
            if (size > limit) {
                req.off('data', onData);
                req.resume();
                reject(Object.assign(new Error(`request body exceeds ${limit} bytes`), { status: 413 }));
                return;
            }
            chunks.push(c);
        };
        req.on('data', onData);
        req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
        req.once('error', reject);
    });
}

/**
 * The models the proxy serves, as of its last worker list. A model it served once and lists no more is
 * "known but down" (503, worth a retry); a name never served while others are is a caller's mistake (404, not retried).
 */
class ServedModels {
    /** At most one worker-list query per second, however many unknown names arrive. */
    private static readonly REFRESH_MS = 1000;
    private static readonly MAX_REMEMBERED = 10_000;
    private current = new Set<string>();
    private readonly ever = new Set<string>();
    private fetchedAt = -Infinity;
    private pending: Promise<void> | null = null;

    update(names: readonly string[]): void {
        this.current = new Set(names);
        if (this.ever.size > ServedModels.MAX_REMEMBERED) this.ever.clear();
        for (const n of names) this.ever.add(n);
        this.fetchedAt = Date.now();
    }

    /** 'served', 'down' (served before, or nothing served now) or 'unknown'; asks again when the list may be stale. */
    async status(conn: RpcConnection, model: string): Promise<'served' | 'down' | 'unknown'> {
        const base = baseModelName(model);
        if (!this.current.has(base) && Date.now() - this.fetchedAt >= ServedModels.REFRESH_MS) {
            this.pending ??= workerTypes(conn)
                .then((t) => this.update(t.types.map((x) => x.name)))
                .finally(() => (this.pending = null));
            await this.pending;
        }
        if (this.current.has(base)) return 'served';
        // With no worker listed at all (a proxy that just started, workers reconnecting or all disabled for a
        // moment) nothing proves the name wrong: the proxy answers "no workers" (503, worth a retry) instead.
        return this.ever.has(base) || this.current.size === 0 ? 'down' : 'unknown';
    }

    list(): string[] {
        return [...this.current];
    }
}

function workerTypes(conn: RpcConnection) {
    return conn.query({ _: 'client.getWorkerTypesV2' }, 10_000);
}

/**
 * The API as a request handler, for mounting on another server (the client runner serves it on its stats
 * port, as the original does). Returns false for paths it does not serve.
 */
export function clientApiHandler(opts: ClientApiOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
    const defaults = { maxCoefficient: 4000, timeoutSeconds: 120, maxTokens: 1000, ...opts.defaults };
    const limits = { ...API_LIMITS, maxTimeoutSeconds: opts.maxTimeoutSeconds ?? API_LIMITS.maxTimeoutSeconds };
    const limit = opts.maxBodyBytes ?? 10 << 20;
    const guard = apiGuard(opts.access ?? {});
    const served = new ServedModels();
    const receipts = new ReceiptStore(opts.receipts);
    /** Requests waiting for their answer. */
    let inFlight = 0;

    async function inference(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
        let raw: Buffer;
        try {
            raw = await readBody(req, limit);
        } catch (e) {
            return sendError(res, (e as { status?: number }).status ?? 400, (e as Error).message, 'invalid_request_error');
        }
        let parsed;
        try {
            parsed = parseApiRequest(raw, defaults, limits, path);
        } catch (e) {
            if (e instanceof ApiRequestError) return sendError(res, 400, e.message, 'invalid_request_error', 'invalid_request', e.param);
            throw e;
        }
        const { model, maxCoefficient, maxTokens, timeoutSeconds, enableDebug, requestGuid, stream, encryptedBy } = parsed;
        let payload = parsed.payload;

        const conn = opts.proxy();
        if (!conn || conn.closed)
            return sendError(
                res,
                503,
                'the client is not connected to a proxy yet; retry in a few seconds (see /jsonstats)',
                'server_error',
                'proxy_not_ready',
            );
        // A worker-list failure is not the caller's fault: the proxy then answers the query itself.
        const known = await served.status(conn, model).catch(() => 'served' as const);
        if (known === 'unknown') {
            const list = served.list();
            return sendError(
                res,
                404,
                `model '${model}' is not served here; served models: ${list.length ? list.join(', ') : 'none right now'} ` +
                    `(see GET /v1/models)`,
                'invalid_request_error',
                'model_not_found',
                'model',
            );
        }
        const version = opts.protoVersion?.() ?? PROTO.TIMING;
        let encryption: { workerKey: Buffer; clientKey: Buffer } | null = null;
        if (encryptedBy || opts.e2e) {
            if (!protoSupports(version, PROTO.ENCRYPTION)) {
                return sendError(
                    res,
                    503,
                    `end-to-end encryption needs protocol version ${PROTO.ENCRYPTION}; the proxy speaks ${version}`,
                    'server_error',
                    'e2e_unavailable',
                );
            }
            if (!encryptedBy && opts.e2e) {
                let workerKey: Buffer;
                try {
                    workerKey = await opts.e2e.keyFor(conn, model);
                } catch (e) {
                    if (e instanceof E2eKeyError)
                        return sendError(res, 503, `${e.message}; the request was not sent`, 'server_error', 'e2e_unavailable');
                    throw e;
                }
                // A fresh key per request: answers of different requests cannot be linked or decrypted together.
                const clientKey = randomBytes(32);
                payload = Buffer.from(
                    JSON.stringify(
                        e2e.encryptJson(JSON.parse(payload.toString('utf8')) as e2e.JsonObject, clientKey, workerKey, 'client-to-worker'),
                    ),
                );
                encryption = { workerKey, clientKey };
            }
        }
        const publicKey = encryptedBy ?? encryption?.workerKey ?? Buffer.alloc(32);
        const requestId = randomBytes(32);
        const requestIdHex = requestId.toString('hex');
        const startedMs = Date.now();
        /** Upstream's X-Cocoon-Client-{Start,End}: request received, answer headers sent. */
        const clientTiming = () => Object.fromEntries(timingHeaders('Client', startedMs, Date.now()));
        const router = AnswerRouter.for(conn);
        // The receipt covers the body bytes: hashed as they pass. A stream is not kept; a whole answer
        // is held until its receipt is checked, so the receipt can go out as a header before the body.
        const hash = createHash('sha256');
        let bodyLength = 0;
        const held: Buffer[] | null = stream ? null : [];
        let head: { status: number; headers: Record<string, string> } | null = null;
        /** The caller went away before its answer ended: the rest is still hashed (for the receipt), not sent. */
        let callerGone = false;
        /** The final piece arrived. */
        let ended = false;
        // The receipt covers the bytes the worker sent (ciphertext when encrypted); the caller gets them decrypted.
        let decrypt: AnswerTransformer | null = null;
        let e2eError: string | null = null;
        const open = (f: () => Buffer): Buffer => {
            if (e2eError) return Buffer.alloc(0);
            try {
                return f();
            } catch (e) {
                e2eError = `the answer does not decrypt: ${(e as Error).message}`;
                return Buffer.alloc(0);
            }
        };
        const deliver = (out: Buffer) => {
            if (!out.length) return;
            if (held) held.push(out);
            else if (!callerGone) res.write(out);
        };
        const passOn = (b: Buffer) => {
            hash.update(b);
            bodyLength += b.length;
            deliver(decrypt ? open(() => decrypt!.push(b)) : b);
        };
        /** The worker's receipt for the bytes that passed, checked and kept for GET /v1/receipts/{id}; then `then(receipt, valid)`. */
        const keepReceipt = (worker_debug: string | undefined, then: (receipt: Receipt | null, valid: boolean) => void) => {
            const receipt = decodeReceipt(worker_debug);
            const done = (valid: boolean) => {
                if (receipt) receipts.put(requestIdHex, { ...receipt, verified: valid });
                then(receipt, valid);
            };
            if (!receipt) return done(false);
            const expect = { bodyDigest: { sha256: hash.digest('hex'), bytes: bodyLength } };
            // With other requests waiting, the signature check (~140 µs) runs on the threadpool.
            if (inFlight > 1) void verifyReceiptAsync(receipt, expect).then((c) => done(c.ok));
            else done(verifyReceipt(receipt, expect).ok);
        };
        const finished = new Promise<void>((resolve) => {
            const off = router.on(requestId, (piece) => {
                const done = ((piece.flags ?? 0) & 1) === 1;
                if (piece._ === 'client.queryAnswerErrorEx') {
                    off();
                    ended = true;
                    // The worker whose key we used may have left: take a fresh report next time.
                    if (encryption && piece.error_code === 503) opts.e2e?.forget(model);
                    const m = httpError(piece.error_code);
                    if (callerGone) {
                        // Nobody to tell; the partial answer's receipt stays retrievable by its request id.
                    } else if (!res.headersSent) sendError(res, m.status, piece.error, m.type, m.code);
                    else {
                        // Bytes already went out: tell a streaming caller in-band, then close.
                        res.write(`data: ${JSON.stringify({ error: { message: piece.error, type: m.type, code: m.code } })}\n\n`);
                        res.end();
                    }
                    // A stream cut short (cancelled, or broken mid-way) still carries the worker's receipt for what it billed.
                    keepReceipt(piece.final_info?.worker_debug, (receipt, valid) =>
                        opts.onFinished?.({
                            requestGuid,
                            status: m.status,
                            tokens: piece.final_info?.tokens_used.total_tokens_used ?? 0n,
                            receipt,
                            receiptValid: valid,
                            error: piece.error,
                        }),
                    );
                    return resolve();
                }
                if (piece._ === 'client.queryAnswerEx') {
                    const r = decodeAs('http.Response', piece.answer);
                    if (encryption) {
                        const { clientKey, workerKey } = encryption;
                        const contentType = r.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value;
                        decrypt = new AnswerTransformer(
                            answerShape(contentType),
                            (v) => e2e.decryptJson(v, 'worker-to-client', { privateKey: clientKey, expectedSender: workerKey }).value,
                        );
                    }
                    const headers: Record<string, string> = {};
                    for (const h of r.headers) if (!HOP_BY_HOP.has(h.name.toLowerCase())) headers[h.name] = h.value;
                    headers['X-Cocoon-Request-Id'] = requestIdHex;
                    if (held) head = { status: r.status_code, headers };
                    else if (!callerGone) {
                        Object.assign(headers, clientTiming());
                        headers['Trailer'] = 'X-Cocoon-Receipt';
                        res.writeHead(r.status_code, headers);
                    }
                    if (r.payload.length) passOn(r.payload);
                } else if (piece.answer.length) {
                    passOn(piece.answer);
                }
                if (done) {
                    off();
                    ended = true;
                    const tokens = piece.final_info?.tokens_used.total_tokens_used ?? 0n;
                    if (decrypt) deliver(open(() => decrypt!.end()));
                    keepReceipt(piece.final_info?.worker_debug, (receipt, valid) => {
                        const served = receipt && { ...receipt, verified: valid };
                        if (callerGone || res.destroyed) {
                            // Nobody to answer; the receipt is kept for GET /v1/receipts/{id}.
                        } else if (e2eError) {
                            if (!res.headersSent) sendError(res, 502, e2eError, 'server_error', 'e2e_failed');
                            else {
                                const error = { message: e2eError, type: 'server_error', code: 'e2e_failed' };
                                res.write(`data: ${JSON.stringify({ error })}\n\n`);
                                res.end();
                            }
                        } else if (held) {
                            const body = held.length === 1 ? held[0] : Buffer.concat(held);
                            const h = head ?? { status: 200, headers: { 'X-Cocoon-Request-Id': requestIdHex } };
                            res.writeHead(h.status, {
                                ...h.headers,
                                ...clientTiming(),
                                'Content-Length': String(body.length),
                                ...(served ? { 'X-Cocoon-Receipt': receiptHeaderValue(served) } : {}),
                            });
                            res.end(body);
                        } else {
                            if (served) res.addTrailers({ 'X-Cocoon-Receipt': receiptHeaderValue(served) });
                            res.end();
                        }
                        opts.onFinished?.({
                            requestGuid,
                            status: res.statusCode,
                            tokens,
                            receipt,
                            receiptValid: valid,
                            error: e2eError ?? (callerGone ? CALLER_GONE : null),
                        });
                        resolve();
                    });
                }
            });
            res.on('close', () => {
                if (!res.writableEnded && !ended) {
                    // The caller went away mid-answer: the proxy and the worker stop the generation, and the request
                    // is billed what was produced up to the stop. Its final piece is still awaited (stats, receipt).
                    // An original proxy answers "unknown function": the request then runs to its end, as before.
                    callerGone = true;
                    conn.query({ _: 'cocoonx.cancelQuery', request_id: requestId }, 10_000).catch(() => undefined);
                }
                resolve();
            });
        });
        inFlight++;
        try {
            conn.send({
                _: 'client.runQueryEx',
                model_name: model,
                query: encode({
                    _: 'http.request',
                    method: 'POST',
                    url: path,
                    http_version: 'HTTP/1.1',
                    headers: [
                        { _: 'http.header', name: 'Content-Type', value: 'application/json' },
                        { _: 'http.header', name: 'Content-Length', value: String(payload.length) },
                    ],
                    payload,
                }),
                max_coefficient: maxCoefficient,
                max_tokens: maxTokens,
                timeout: timeoutSeconds * 0.95,
                request_id: requestId,
                min_config_version: opts.configVersion?.() ?? 0,
                // As upstream: bit 0 always, bit 1 (public_key, all zero when not encrypted) from version 3 on.
                flags: runQueryExFlags(version),
                enable_debug: enableDebug,
                public_key: protoSupports(version, PROTO.ENCRYPTION) ? publicKey : undefined,
            });
            await finished;
        } finally {
            inFlight--;
        }
    }

    function receipt(res: ServerResponse, id: string): void {
        if (!REQUEST_ID.test(id))
            return sendError(
                res,
                400,
                `'${id.slice(0, 80)}' is not a request id: 64 lower-case hex digits, from the X-Cocoon-Request-Id header of an answer`,
                'invalid_request_error',
                'invalid_request',
                'id',
            );
        const r = receipts.get(id);
        if (!r)
            return sendError(
                res,
                404,
                `no receipt for request ${id}: receipts are kept for the last answers only (count and age limits), ` +
                    `and an answer whose worker sent none (an original C++ worker, an error) has none`,
                'not_found_error',
                'receipt_not_found',
                'id',
            );
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(r));
    }

    async function models(res: ServerResponse): Promise<void> {
        const conn = opts.proxy();
        if (!conn || conn.closed)
            return sendError(
                res,
                503,
                'the client is not connected to a proxy yet; retry in a few seconds',
                'server_error',
                'proxy_not_ready',
            );
        let types;
        try {
            types = await workerTypes(conn);
        } catch (e) {
            return sendError(res, 502, `the proxy did not list its models: ${(e as Error).message}`, 'server_error', 'upstream_error');
        }
        served.update(types.types.map((t) => t.name));
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
            JSON.stringify({
                object: 'list',
                data: types.types.map((t) => ({
                    id: t.name,
                    object: 'model',
                    created: 0,
                    owned_by: 'cocoon',
                    workers: t.workers.map((w) => ({
                        coefficient: w.coefficient,
                        running_requests: w.active_requests,
                        max_running_requests: w.max_active_requests,
                    })),
                })),
            }),
        );
    }

    const reject = (res: ServerResponse) => (status: number, message: string, code: string, headers?: Record<string, string>) =>
        sendError(
            res,
            status,
            message,
            status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : 'invalid_request_error',
            code,
            null,
            headers,
        );

    return (req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (!path.startsWith('/v1/')) return false;
        if (req.method === 'OPTIONS') {
            guard.preflight(req, res, reject(res));
            return true;
        }
        const inferencePath = req.method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/completions');
        if (guard.check(req, res, reject(res), inferencePath) === 'refused') {
            // The body of a refused request is not read: drain it so the answer reaches the caller.
            req.resume();
            return true;
        }
        let run: () => Promise<void>;
        if (inferencePath) run = () => inference(req, res, path);
        else if (req.method === 'GET' && path === '/v1/models') run = () => models(res);
        else if (req.method === 'GET' && path.startsWith('/v1/receipts/'))
            run = async () => receipt(res, path.slice('/v1/receipts/'.length));
        else if (req.method === 'GET' && path === '/v1/attestation/report') run = () => attestationReport(req, res, opts.proxy());
        else run = async () => sendError(res, 404, `unknown endpoint ${req.method} ${path}: ${ENDPOINTS}`, 'not_found_error');
        run().catch((e: Error) => sendError(res, 500, `client error: ${e.message}`, 'server_error'));
        return true;
    };
}

/** Serves the API alone. Refuses to listen beyond loopback without an API key. */
export async function startClientApi(opts: ClientApiOptions): Promise<ClientApi> {
    const host = opts.host ?? '127.0.0.1';
    checkApiExposure(host, opts.access?.apiKey);
    const handle = clientApiHandler({ ...opts, access: { listenHost: host, ...opts.access } });
    const server = createServer((req, res) => {
        if (!handle(req, res)) sendError(res, 404, `unknown endpoint ${req.method} ${req.url}: ${ENDPOINTS}`, 'not_found_error');
    });
    await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port ?? 10000, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        server,
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}
