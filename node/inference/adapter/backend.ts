/**
 * Adapter for any OpenAI-compatible inference server (vLLM, SGLang, llama.cpp's llama-server, Ollama's
 * /v1, the embedded engine). Built for a proxying worker: the response body is handed over as the raw
 * bytes the backend sent (to forward unchanged) while a UsageCounter reads the billing counters off
 * the same bytes. Backpressure is natural: bytes are pulled from the socket only as fast as the caller
 * consumes them, so a slow client slows the backend instead of filling memory.
 *
 * Request changes, and only these: `stream_options.include_usage = true` is forced on streaming
 * requests (without it servers send no usage at all), and `Accept-Encoding: identity` is sent so the
 * forwarded bytes are never compressed behind the worker's back.
 */
import { createLogger, Logger } from '../../common/log';
import { InferenceError } from '../errors';
import { formatFromContentType } from './event-stream';
import { Http1Client, type Exchange, type ExchangeHandlers } from './http1';
import { ResponseBody } from './response-body';
import { UsageCounter, UsageReport } from './usage-counter';

export interface BackendOptions {
    /** e.g. http://127.0.0.1:8000/v1 (vLLM/SGLang), http://127.0.0.1:11434/v1 (Ollama). A bare origin gets /v1. */
    baseUrl: string;
    apiKey?: string;
    /** Milliseconds until response headers arrive (default 30 s; a cold vLLM may need more). */
    timeoutMs?: number;
    /** Longest silence between two body chunks before the call fails (default 120 s). */
    idleTimeoutMs?: number;
    /** Add stream_options.include_usage to streaming requests (default true). */
    forceIncludeUsage?: boolean;
    /** Extra headers on every request. */
    headers?: Record<string, string>;
    /** CA certificate(s) (PEM) to trust for an https backend with a private or self-signed certificate. */
    ca?: string | Buffer;
    logger?: Logger;
}

export interface CallOptions {
    /** Abort when the caller goes away: the backend connection is closed, which stops generation. */
    signal?: AbortSignal;
    timeoutMs?: number;
    idleTimeoutMs?: number;
    headers?: Record<string, string>;
}

export interface BackendResponse {
    status: number;
    ok: boolean;
    /** Response headers (lower-case names), hop-by-hop ones removed. */
    headers: Record<string, string>;
    /** True for SSE/NDJSON bodies. */
    streaming: boolean;
    /** The raw body bytes, unchanged. Iterate once. */
    body: AsyncIterable<Uint8Array>;
    /**
     * Settles when the body has been consumed: resolves with the usage report for a complete response;
     * rejects with BACKEND_STREAM_ERROR (connection lost, or an error event in a 2xx stream),
     * BACKEND_TIMEOUT, ABORTED, BACKEND_BAD_RESPONSE (a 2xx body that is not JSON/SSE/NDJSON) or
     * USAGE_MISSING (a 2xx completion without usage). Rejections carry the partial report.
     */
    usage: Promise<UsageReport>;
    /** Drain the body into a string (for non-streaming use). */
    text(): Promise<string>;
    json(): Promise<unknown>;
    cancel(): void;
}

export interface ModelInfo {
    id: string;
    object?: string;
    owned_by?: string;
    created?: number;
}

export interface HealthReport {
    ok: boolean;
    latencyMs: number;
    models: string[];
    error?: { code: string; message: string };
}

export interface Backend {
    readonly baseUrl: string;
    chatCompletions(body: Record<string, unknown>, opts?: CallOptions): Promise<BackendResponse>;
    completions(body: Record<string, unknown>, opts?: CallOptions): Promise<BackendResponse>;
    /** Any POST endpoint under the base URL, with the same pass-through semantics. */
    post(path: string, body: Record<string, unknown>, opts?: CallOptions): Promise<BackendResponse>;
    listModels(opts?: CallOptions): Promise<ModelInfo[]>;
    /** GET /models with a short timeout; never throws. */
    health(opts?: CallOptions): Promise<HealthReport>;
    close(): void;
}

/** An InferenceError that also carries what was learned from the body before things went wrong. */
export class BackendError extends InferenceError {
    constructor(
        code: string,
        message: string,
        status: number,
        readonly report?: UsageReport,
        cause?: unknown,
    ) {
        super(code, message, status, 'server_error', null, cause);
        this.name = 'BackendError';
    }
}

const HOP_BY_HOP = new Set([
    'connection',
    'keep-alive',
    'transfer-encoding',
    'proxy-connection',
    'upgrade',
    'te',
    'trailer',
    'content-length',
]);
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE']);

export function normalizeBaseUrl(baseUrl: string): URL {
    let u: URL;
    try {
        u = new URL(baseUrl);
    } catch {
        throw new InferenceError(
            'INVALID_CONFIG',
            `inference backend URL ${JSON.stringify(baseUrl)} is not a valid URL (e.g. http://127.0.0.1:8000/v1)`,
        );
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
        throw new InferenceError('INVALID_CONFIG', `inference backend URL must be http or https, got ${u.protocol}`);
    }
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/v1';
    u.pathname = u.pathname.replace(/\/+$/, '');
    return u;
}

/** The body to send: streaming requests always ask for usage. */
export function withUsageRequested(body: Record<string, unknown>): Record<string, unknown> {
    if (body.stream !== true) return body;
    const so = body.stream_options && typeof body.stream_options === 'object' ? (body.stream_options as Record<string, unknown>) : {};
    return { ...body, stream_options: { ...so, include_usage: true } };
}

export function createBackend(opts: BackendOptions): Backend {
    const base = normalizeBaseUrl(opts.baseUrl);
    const http = new Http1Client(base, { tls: opts.ca ? { ca: opts.ca } : undefined });
    const log = opts.logger ?? createLogger('inference.backend');
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const idleTimeoutMs = opts.idleTimeoutMs ?? 120_000;
    const baseUrl = base.toString().replace(/\/+$/, '');
    const query = base.search;

    function call(
        method: 'GET' | 'POST',
        path: string,
        body: Record<string, unknown> | undefined,
        co: CallOptions = {},
    ): Promise<BackendResponse> {
        const payload =
            body === undefined
                ? undefined
                : Buffer.from(JSON.stringify(opts.forceIncludeUsage === false ? body : withUsageRequested(body)));
        const headers: Record<string, string> = {
            accept: 'application/json, text/event-stream, application/x-ndjson',
            'accept-encoding': 'identity',
            ...opts.headers,
            ...co.headers,
        };
        if (payload) {
            headers['content-type'] = 'application/json';
            headers['content-length'] = String(payload.length);
        }
        if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
        const headerTimeout = co.timeoutMs ?? timeoutMs;
        const idle = co.idleTimeoutMs ?? idleTimeoutMs;

        return new Promise<BackendResponse>((resolve, reject) => {
            if (co.signal?.aborted) return reject(new BackendError('ABORTED', 'the call was cancelled before it started', 499));
            let settled = false;
            let failure: BackendError | undefined;
            let body: ResponseBody | undefined;
            let exchange: Exchange | undefined;
            const fail = (err: BackendError) => {
                if (!failure) failure = err;
                co.signal?.removeEventListener('abort', onAbort);
                if (!settled) {
                    settled = true;
                    clearTimeout(timer);
                    reject(err);
                }
                exchange?.destroy();
                body?.fail(failure);
            };
            const timer = setTimeout(
                () => fail(new BackendError('BACKEND_TIMEOUT', `no response from ${baseUrl}${path} within ${headerTimeout} ms`, 504)),
                headerTimeout,
            );
            const onAbort = () => fail(new BackendError('ABORTED', 'the call was cancelled by the caller', 499));
            co.signal?.addEventListener('abort', onAbort, { once: true });
            const handlers: ExchangeHandlers = {
                response(h) {
                    settled = true;
                    clearTimeout(timer);
                    const contentType = h.headers['content-type'] ?? '';
                    const format = formatFromContentType(contentType);
                    const status = h.status;
                    const ok = status >= 200 && status < 300;
                    const outHeaders: Record<string, string> = {};
                    for (const [k, v] of Object.entries(h.headers)) if (!HOP_BY_HOP.has(k)) outHeaders[k] = v;
                    const counter = new UsageCounter({ format });
                    let resolveUsage!: (r: UsageReport) => void;
                    let rejectUsage!: (e: unknown) => void;
                    const usage = new Promise<UsageReport>((a, b) => {
                        resolveUsage = a;
                        rejectUsage = b;
                    });
                    // Nobody has to await usage; an unobserved rejection must not crash the process.
                    usage.catch(() => undefined);
                    const finish = (): void => {
                        co.signal?.removeEventListener('abort', onAbort);
                        const report = counter.end();
                        if (failure)
                            return rejectUsage(new BackendError(failure.code, failure.message, failure.status, report, failure.cause));
                        if (!ok) return resolveUsage(report);
                        if (report.error) {
                            return rejectUsage(
                                new BackendError('BACKEND_STREAM_ERROR', `backend reported an error: ${report.error.message}`, 502, report),
                            );
                        }
                        if (report.messages === 0) {
                            return rejectUsage(
                                new BackendError(
                                    'BACKEND_BAD_RESPONSE',
                                    `backend ${baseUrl}${path} answered ${status} with a body that is not JSON, ` +
                                        `SSE or NDJSON (content-type ${contentType || 'none'})`,
                                    502,
                                    report,
                                ),
                            );
                        }
                        if (!report.usage && path.endsWith('completions')) {
                            return rejectUsage(
                                new BackendError(
                                    'USAGE_MISSING',
                                    `backend ${baseUrl}${path} sent no usage; enable usage reporting on the server`,
                                    502,
                                    report,
                                ),
                            );
                        }
                        resolveUsage(report);
                    };
                    body = new ResponseBody({
                        exchange: exchange!,
                        counter,
                        idleMs: idle,
                        onIdle: () => fail(new BackendError('BACKEND_TIMEOUT', `backend ${baseUrl} sent nothing for ${idle} ms`, 504)),
                        onStop: () => fail(new BackendError('ABORTED', 'the consumer stopped reading the response', 499)),
                        finish,
                    });
                    const text = async () => {
                        const parts: Buffer[] = [];
                        for await (const c of body!) parts.push(Buffer.from(c));
                        return Buffer.concat(parts).toString('utf8');
                    };
                    resolve({
                        status,
                        ok,
                        headers: outHeaders,
                        streaming: format === 'sse' || format === 'ndjson',
                        body: body!,
                        usage,
                        text,
                        json: async () => {
                            const t = await text();
                            try {
                                return JSON.parse(t);
                            } catch {
                                throw new BackendError(
                                    'BACKEND_BAD_RESPONSE',
                                    `backend ${baseUrl}${path} answered ${status} with non-JSON: ${t.slice(0, 200)}`,
                                    502,
                                );
                            }
                        },
                        cancel: () => fail(new BackendError('ABORTED', 'the call was cancelled', 499)),
                    });
                },
                data(chunk) {
                    body?.push(chunk);
                },
                end() {
                    body?.end();
                },
                error(e, responded) {
                    if (failure) return;
                    if (e.code === 'HTTP_PARSE') {
                        fail(new BackendError('BACKEND_BAD_RESPONSE', `backend ${baseUrl}${path} sent ${e.message}`, 502, undefined, e));
                    } else if (!responded && UNAVAILABLE.has(e.code)) {
                        fail(
                            new BackendError(
                                'BACKEND_UNAVAILABLE',
                                `inference backend ${baseUrl} is not reachable (${e.code}): is the server running?`,
                                503,
                                undefined,
                                e,
                            ),
                        );
                    } else if (responded) {
                        fail(
                            new BackendError(
                                'BACKEND_STREAM_ERROR',
                                `backend ${baseUrl} closed the connection mid-response: ${e.message}`,
                                502,
                                undefined,
                                e,
                            ),
                        );
                    } else {
                        fail(new BackendError('BACKEND_STREAM_ERROR', `connection to ${baseUrl} failed: ${e.message}`, 502, undefined, e));
                    }
                },
            };
            try {
                exchange = http.request({ method, path: base.pathname + path + query, headers, body: payload }, handlers);
            } catch (e) {
                fail(
                    new BackendError(
                        'INVALID_REQUEST',
                        `cannot send the request to ${baseUrl}${path}: ${(e as Error).message}`,
                        400,
                        undefined,
                        e,
                    ),
                );
            }
        });
    }

    const backend: Backend = {
        baseUrl,
        chatCompletions: (body, co) => call('POST', '/chat/completions', body, co),
        completions: (body, co) => call('POST', '/completions', body, co),
        post: (path, body, co) => call('POST', path.startsWith('/') ? path : '/' + path, body, co),
        async listModels(co) {
            const r = await call('GET', '/models', undefined, co);
            const data = (await r.json()) as { data?: unknown };
            if (!r.ok) {
                throw new BackendError(
                    'BACKEND_HTTP_ERROR',
                    `GET ${baseUrl}/models answered ${r.status}: ${JSON.stringify(data).slice(0, 200)}`,
                    502,
                );
            }
            if (!data || !Array.isArray(data.data)) {
                throw new BackendError('BACKEND_BAD_RESPONSE', `GET ${baseUrl}/models did not return {"data": [...]}`, 502);
            }
            return (data.data as ModelInfo[]).filter((m) => m && typeof m.id === 'string');
        },
        async health(co) {
            const t0 = Date.now();
            try {
                const models = await backend.listModels({ timeoutMs: 5_000, idleTimeoutMs: 5_000, ...co });
                return { ok: true, latencyMs: Date.now() - t0, models: models.map((m) => m.id) };
            } catch (e) {
                const err = e instanceof InferenceError ? e : new InferenceError('BACKEND_UNAVAILABLE', (e as Error).message);
                log.warn('backend health check failed', { baseUrl, code: err.code, msg: err.message });
                return { ok: false, latencyMs: Date.now() - t0, models: [], error: { code: err.code, message: err.message } };
            }
        },
        close: () => http.close(),
    };
    return backend;
}
