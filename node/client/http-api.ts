/**
 * The client's OpenAI-compatible HTTP API (COCOON ClientRunner, default port 10000):
 * POST /v1/chat/completions and /v1/completions are wrapped into client.runQueryEx and streamed back
 * from the proxy's answer pieces; GET /v1/models lists live workers. COCOON's extra request fields
 * (max_coefficient, timeout, enable_debug, request_guid) are consumed here and never reach the worker.
 * The worker's signed receipt arrives after the body and is sent as the HTTP trailer X-Cocoon-Receipt.
 */
import { createHash, randomBytes } from 'crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { decodeAs, encode, type client_QueryAnswerEx, type RpcConnection } from '../protocol';
import { decodeReceipt, verifyReceipt, verifyReceiptAsync, type Receipt } from '../common/receipt';

export interface ClientApiOptions {
    host?: string;
    port?: number;
    /** The current ready proxy connection, or null while (re)connecting. */
    proxy(): RpcConnection | null;
    /** Root config version the client knows (sent as min_config_version). */
    configVersion?(): number;
    defaults?: { maxCoefficient?: number; timeoutSeconds?: number; maxTokens?: number };
    maxBodyBytes?: number;
    /** Observes each finished request (stats, receipts). */
    onFinished?(r: FinishedRequest): void;
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

type OpenAiErrorType = 'invalid_request_error' | 'insufficient_quota' | 'server_error' | 'not_found_error' | 'timeout';

function sendError(res: ServerResponse, status: number, message: string, type: OpenAiErrorType, code: string | null = null, param: string | null = null): void {
    if (res.headersSent) {
        if (!res.writableEnded) res.end();
        return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { message, type, param, code } }));
}

/** Maps the proxy's error codes to HTTP statuses and OpenAI error types. */
function httpError(code: number): { status: number; type: OpenAiErrorType; code: string } {
    if (code === 402) return { status: 402, type: 'insufficient_quota', code: 'low_balance' };
    if (code === 409) return { status: 409, type: 'invalid_request_error', code: 'max_coefficient_too_low' };
    if (code === 503) return { status: 503, type: 'server_error', code: 'no_workers' };
    if (code === 504) return { status: 504, type: 'timeout', code: 'timeout' };
    if (code === 400) return { status: 400, type: 'invalid_request_error', code: 'invalid_request' };
    return { status: 502, type: 'server_error', code: 'upstream_error' };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'proxy-connection', 'upgrade', 'te', 'trailer']);

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
                for (const h of router.handlers.values()) h({ _: 'client.queryAnswerErrorEx', request_id: Buffer.alloc(32), error_code: 502, error: 'connection to the proxy was lost', flags: 1 });
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

/** COCOON's request fields the client consumes; the worker would reject them as unknown options. */
const CLIENT_FIELDS = ['max_coefficient', 'timeout', 'enable_debug', 'request_guid'];

/**
 * The API as a request handler, for mounting on another server (the client runner serves it on its stats
 * port, as the original does). Returns false for paths it does not serve.
 */
export function clientApiHandler(opts: ClientApiOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
    const defaults = { maxCoefficient: 4000, timeoutSeconds: 120, maxTokens: 1000, ...opts.defaults };
    const limit = opts.maxBodyBytes ?? 10 << 20;
    /** Requests waiting for their answer. */
    let inFlight = 0;

    async function inference(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
        let raw: Buffer;
        try {
            raw = await readBody(req, limit);
        } catch (e) {
            return sendError(res, (e as { status?: number }).status ?? 400, (e as Error).message, 'invalid_request_error');
        }
        let body: Record<string, unknown>;
        try {
            const parsed: unknown = JSON.parse(raw.toString('utf8'));
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
            body = parsed as Record<string, unknown>;
        } catch {
            return sendError(res, 400, 'request body must be a JSON object (OpenAI chat/completions request)', 'invalid_request_error');
        }
        if (typeof body.model !== 'string' || !body.model) return sendError(res, 400, "'model' is required (see GET /v1/models)", 'invalid_request_error', null, 'model');
        const num = (key: string, dflt: number, min: number): number | string => {
            const v = body[key];
            if (v === undefined) return dflt;
            if (typeof v !== 'number' || !Number.isFinite(v) || v < min) return `'${key}' must be a number >= ${min}`;
            return v;
        };
        const maxCoefficient = num('max_coefficient', defaults.maxCoefficient, 0);
        const timeout = num('timeout', defaults.timeoutSeconds, 0.001);
        const maxTokensField = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
        const maxTokens = num(maxTokensField, defaults.maxTokens, 1);
        for (const [k, v] of [['max_coefficient', maxCoefficient], ['timeout', timeout], [maxTokensField, maxTokens]] as const) {
            if (typeof v === 'string') return sendError(res, 400, v, 'invalid_request_error', null, k);
        }
        if (body.enable_debug !== undefined && typeof body.enable_debug !== 'boolean') return sendError(res, 400, "'enable_debug' must be true or false", 'invalid_request_error', null, 'enable_debug');
        const requestGuid = typeof body.request_guid === 'string' ? body.request_guid : null;
        const enableDebug = body.enable_debug === true;
        // The caller's bytes go to the worker unchanged (its checks, duplicate keys included, see what was
        // sent) unless a COCOON field or a max_tokens shadowed by max_completion_tokens has to go.
        const strip = CLIENT_FIELDS.some((k) => k in body) || (body.max_completion_tokens !== undefined && 'max_tokens' in body);
        let payload = raw;
        if (strip) {
            const forward = { ...body };
            for (const k of CLIENT_FIELDS) delete forward[k];
            if (forward.max_completion_tokens !== undefined) delete forward.max_tokens;
            payload = Buffer.from(JSON.stringify(forward));
        }

        const conn = opts.proxy();
        if (!conn || conn.closed) return sendError(res, 503, 'the client is not connected to a proxy yet; retry in a few seconds (see /jsonstats)', 'server_error', 'proxy_not_ready');
        const requestId = randomBytes(32);
        const started = Date.now() / 1000;
        const router = AnswerRouter.for(conn);
        // The receipt covers the body bytes: hashed as they pass, not kept.
        const hash = createHash('sha256');
        let bodyLength = 0;
        const passOn = (b: Buffer) => {
            hash.update(b);
            bodyLength += b.length;
            res.write(b);
        };
        const finished = new Promise<void>((resolve) => {
            const off = router.on(requestId, (piece) => {
                const done = ((piece.flags ?? 0) & 1) === 1;
                if (piece._ === 'client.queryAnswerErrorEx') {
                    off();
                    const m = httpError(piece.error_code);
                    if (!res.headersSent) sendError(res, m.status, piece.error, m.type, m.code);
                    else {
                        // Bytes already went out: tell a streaming caller in-band, then close.
                        res.write(`data: ${JSON.stringify({ error: { message: piece.error, type: m.type, code: m.code } })}\n\n`);
                        res.end();
                    }
                    opts.onFinished?.({ requestGuid, status: m.status, tokens: piece.final_info?.tokens_used.total_tokens_used ?? 0n, receipt: null, receiptValid: false, error: piece.error });
                    return resolve();
                }
                if (piece._ === 'client.queryAnswerEx') {
                    const r = decodeAs('http.Response', piece.answer);
                    const headers: Record<string, string> = {};
                    for (const h of r.headers) if (!HOP_BY_HOP.has(h.name.toLowerCase())) headers[h.name] = h.value;
                    headers['X-Cocoon-Client-Start'] = started.toFixed(6);
                    headers['Trailer'] = 'X-Cocoon-Receipt';
                    res.writeHead(r.status_code, headers);
                    if (r.payload.length) passOn(r.payload);
                } else if (piece.answer.length) {
                    passOn(piece.answer);
                }
                if (done) {
                    off();
                    const receipt = decodeReceipt(piece.final_info?.worker_debug);
                    const tokens = piece.final_info?.tokens_used.total_tokens_used ?? 0n;
                    const end = (valid: boolean) => {
                        if (receipt && !res.destroyed) res.addTrailers({ 'X-Cocoon-Receipt': Buffer.from(JSON.stringify({ ...receipt, verified: valid })).toString('base64') });
                        res.end();
                        opts.onFinished?.({ requestGuid, status: res.statusCode, tokens, receipt, receiptValid: valid, error: null });
                        resolve();
                    };
                    if (!receipt) return end(false);
                    const expect = { bodyDigest: { sha256: hash.digest('hex'), bytes: bodyLength } };
                    // With other requests waiting, the signature check (~140 µs) runs on the threadpool.
                    if (inFlight > 1) void verifyReceiptAsync(receipt, expect).then((c) => end(c.ok));
                    else end(verifyReceipt(receipt, expect).ok);
                }
            });
            res.on('close', () => {
                if (!res.writableEnded) off();
                resolve();
            });
        });
        inFlight++;
        try {
            conn.send({
                _: 'client.runQueryEx',
                model_name: body.model,
                query: encode({ _: 'http.request', method: 'POST', url: path, http_version: 'HTTP/1.1', headers: [{ _: 'http.header', name: 'Content-Type', value: 'application/json' }, { _: 'http.header', name: 'Content-Length', value: String(payload.length) }], payload }),
                max_coefficient: Math.floor(maxCoefficient as number),
                max_tokens: Math.floor(maxTokens as number),
                timeout: (timeout as number) * 0.95,
                request_id: requestId,
                min_config_version: opts.configVersion?.() ?? 0,
                flags: enableDebug ? 1 : 0,
                enable_debug: enableDebug ? true : undefined,
            });
            await finished;
        } finally {
            inFlight--;
        }
    }

    async function models(res: ServerResponse): Promise<void> {
        const conn = opts.proxy();
        if (!conn || conn.closed) return sendError(res, 503, 'the client is not connected to a proxy yet; retry in a few seconds', 'server_error', 'proxy_not_ready');
        const types = await conn.query({ _: 'client.getWorkerTypesV2' }, 10_000);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({
            object: 'list',
            data: types.types.map((t) => ({
                id: t.name, object: 'model', created: 0, owned_by: 'cocoon',
                workers: t.workers.map((w) => ({ coefficient: w.coefficient, running_requests: w.active_requests, max_running_requests: w.max_active_requests })),
            })),
        }));
    }

    return (req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        let run: () => Promise<void>;
        if (req.method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/completions')) run = () => inference(req, res, path);
        else if (req.method === 'GET' && path === '/v1/models') run = () => models(res);
        else if (path.startsWith('/v1/')) run = async () => sendError(res, 404, `unknown endpoint ${req.method} ${path}: use POST /v1/chat/completions, POST /v1/completions or GET /v1/models`, 'not_found_error');
        else return false;
        res.setHeader('Access-Control-Allow-Origin', '*');
        run().catch((e: Error) => sendError(res, 500, `client error: ${e.message}`, 'server_error'));
        return true;
    };
}

export async function startClientApi(opts: ClientApiOptions): Promise<ClientApi> {
    const handle = clientApiHandler(opts);
    const server = createServer((req, res) => {
        if (req.method === 'OPTIONS') {
            res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': '*', 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS' });
            res.end('OK');
            return;
        }
        if (!handle(req, res)) sendError(res, 404, `unknown endpoint ${req.method} ${req.url}: use POST /v1/chat/completions, POST /v1/completions or GET /v1/models`, 'not_found_error');
    });
    await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port ?? 10000, opts.host ?? '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
        port,
        server,
        close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
    };
}
