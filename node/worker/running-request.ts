/**
 * One query at the worker (COCOON WorkerRunningRequest): validate the proxy's http.request, forward it
 * to the inference backend, stream the answer back as proxy.queryAnswerEx + proxy.queryAnswerPartEx,
 * the last piece carrying final_info with the adjusted token counts (and a signed receipt).
 * Billing reads the backend's own `usage` (SSE, NDJSON or JSON), never the worker's guess.
 */
import { createHash } from 'crypto';
import type { Backend } from '../inference';
import type { TokenUsage } from '../inference/usage';
import { BackendError } from '../inference/adapter/backend';
import { AnswerTransformer, answerShape } from '../protocol/answer-transform';
import {
    decodeFunction,
    e2e,
    encode,
    finalInfoFlags,
    OUR_RANGES,
    timingHeaders,
    type http_request,
    type http_header,
    type proxy_QueryAnswerEx,
    type proxy_queryFinalInfo,
    type proxy_runQueryEx,
} from '../protocol';
import { encodeReceipt, signReceipt, signReceiptAsync, tokensToReceipt } from '../common/receipt';
import { adjustUsage, type AdjustedTokens, type TokenPricing } from '../common/tokens';
import { RequestValidationError, validateRequest } from './validate';
import { answerPostprocessor } from './answer-postprocess';

export interface WorkerQueryContext {
    backend: Backend;
    /** Full model name this worker serves (`Org/Name@commit:verity`). */
    servedModel: string;
    pricing: TokenPricing;
    /**
     * The worker's attested Ed25519 key: signs receipts, and decrypts requests encrypted to it when the
     * proxy relays no key (this project's proxy never holds worker keys; see docs/protocol.md).
     */
    receiptKey: { publicKey: Buffer; secretKey: Buffer };
    /** Sends one answer piece to the proxy (tcp.packet). */
    send(piece: proxy_QueryAnswerEx): void;
    /** Aborted when the proxy goes away or cancels. */
    signal?: AbortSignal;
    /**
     * True when the event loop has other requests to serve: the receipt is then signed on libuv's
     * threadpool instead of inline (inline is faster when nothing else waits).
     */
    busy?(): boolean;
    /** The version negotiated with the proxy (default OUR_RANGES.worker.max): timing in final info from 2 on. */
    protoVersion?: number;
    now?: () => number;
}

export interface WorkerQueryOutcome {
    status: number;
    tokens: AdjustedTokens;
    responseBytes: number;
    error: string | null;
}

const ZERO: AdjustedTokens = { prompt: 0n, cached: 0n, completion: 0n, reasoning: 0n, total: 0n };
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

function tokensUsedTl(t: AdjustedTokens) {
    return {
        _: 'tokensUsed' as const,
        prompt_tokens_used: t.prompt,
        cached_tokens_used: t.cached,
        completion_tokens_used: t.completion,
        reasoning_tokens_used: t.reasoning,
        total_tokens_used: t.total,
    };
}

/** The abort reason of a query the proxy cancelled (cocoonx.cancelQuery): the HTTP caller went away. */
export const CANCELLED_BY_CLIENT = 'cancelled: the caller went away';
/** The final piece of a cancelled query carries this code (HTTP's "client closed request"). */
export const CANCELLED_CODE = 499;

/**
 * What a cancelled stream is billed when the backend had not reported usage yet (most report it only at the
 * end): one completion token per streamed message (these servers send one chunk per token, plus a role-only
 * first chunk) and nothing for the prompt, which always has tokens: less than the backend used, and never the
 * whole answer.
 */
function streamedEstimate(messages: number): TokenUsage {
    return { promptTokens: 0, cachedTokens: 0, completionTokens: messages, reasoningTokens: 0, totalTokens: messages };
}

/** setTimeout's range: a longer delay fires at once (Node clamps it to 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Serves one query. Whatever happens (a refused request, a backend failure, an exception of our own),
 * the proxy gets exactly one final piece, so its slot and the client's reservation are released at once
 * instead of at the request's timeout. Never rejects.
 */
export async function runWorkerQuery(q: proxy_runQueryEx, ctx: WorkerQueryContext): Promise<WorkerQueryOutcome> {
    let answered = false;
    const send = (piece: proxy_QueryAnswerEx) => {
        if (answered) return;
        if (((piece.flags ?? 0) & 1) === 1) answered = true;
        try {
            ctx.send(piece);
        } catch {
            // The link is gone: the proxy fails the request on its side.
        }
    };
    try {
        return await serveQuery(q, { ...ctx, send });
    } catch (e) {
        const error = `worker failed: ${e instanceof Error ? e.message : String(e)}`;
        send({ _: 'proxy.queryAnswerErrorEx', request_id: q.request_id, error_code: 500, error, flags: 1 });
        return { status: 500, tokens: ZERO, responseBytes: 0, error };
    }
}

async function serveQuery(q: proxy_runQueryEx, ctx: WorkerQueryContext): Promise<WorkerQueryOutcome> {
    const now = ctx.now ?? (() => Date.now() / 1000);
    const started = now();
    const finalInfo = (tokens: AdjustedTokens, debug?: string): proxy_queryFinalInfo => {
        const flags = finalInfoFlags(ctx.protoVersion ?? OUR_RANGES.worker.max, debug !== undefined);
        const timing = (flags & 2) !== 0;
        return {
            _: 'proxy.queryFinalInfo',
            flags,
            tokens_used: tokensUsedTl(tokens),
            worker_debug: debug,
            worker_start_time: timing ? started : undefined,
            worker_end_time: timing ? now() : undefined,
        };
    };
    const cancelled = () => ctx.signal?.aborted === true && ctx.signal.reason === CANCELLED_BY_CLIENT;
    const fail = (code: number, error: string, tokens: AdjustedTokens = ZERO): WorkerQueryOutcome => {
        ctx.send({
            _: 'proxy.queryAnswerErrorEx',
            request_id: q.request_id,
            error_code: code,
            error,
            flags: 1,
            final_info: finalInfo(tokens),
        });
        return { status: code, tokens, responseBytes: 0, error };
    };

    let request: http_request;
    try {
        const fn = decodeFunction(q.query);
        if (fn._ !== 'http.request') return fail(400, `query must be a TL http.request, got ${fn._}`);
        request = fn;
    } catch {
        return fail(400, 'query is not a TL http.request');
    }
    if (!(q.timeout > 0)) return fail(400, `timeout must be a positive number of seconds, got ${q.timeout}`);
    let encryptTo: { privateKey: Buffer; receiver: Buffer } | undefined;
    try {
        const opened = openEncrypted(request.payload, q.private_key, ctx.receiptKey.secretKey);
        if (opened) {
            request = { ...request, payload: opened.payload };
            encryptTo = opened.encryptTo;
        }
    } catch (e) {
        if (e instanceof e2e.E2eError) return fail(400, `end-to-end encrypted request refused: ${e.message} (${e.code})`);
        throw e;
    }
    let validated;
    try {
        validated = validateRequest(request.url, request.payload, ctx.servedModel);
    } catch (e) {
        if (e instanceof RequestValidationError) return fail(400, e.message);
        throw e;
    }

    const timeoutMs = Math.min(MAX_TIMER_MS, Math.max(1, Math.floor(q.timeout * 0.95 * 1000)));
    let res;
    try {
        res = await ctx.backend.post(validated.endpoint.replace(/^\/v1/, ''), validated.body, {
            signal: ctx.signal,
            timeoutMs,
            idleTimeoutMs: timeoutMs,
        });
    } catch (e) {
        if (cancelled()) return fail(CANCELLED_CODE, CANCELLED_BY_CLIENT);
        const msg = e instanceof Error ? e.message : String(e);
        return fail(502, `inference backend failed: ${msg}`);
    }

    // Cost fields and encryption go in before the bytes are hashed: the receipt covers what is sent.
    const shape = answerShape(Object.entries(res.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1]);
    // A plaintext answer's values change only where they carry usage: the rest keep their bytes unparsed.
    const rewrite = new AnswerTransformer(
        shape,
        answerPostprocessor({ coefficient: BigInt(q.coefficient), pricing: ctx.pricing, encryptTo }),
        { mention: encryptTo ? undefined : '"usage"' },
    );
    const hash = createHash('sha256');
    let bytes = 0;
    let first = true;
    const headers: http_header[] = Object.entries(res.headers)
        .filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()))
        .map(([name, value]) => ({ _: 'http.header' as const, name, value }));

    /** One answer piece; with `final`, the last one (a whole answer in one piece gets a Content-Length). */
    const sendPiece = (chunk: Buffer, final?: proxy_queryFinalInfo) => {
        const flags = final ? 1 : 0;
        if (first) {
            first = false;
            const framing: http_header = final
                ? { _: 'http.header', name: 'Content-Length', value: String(chunk.length) }
                : { _: 'http.header', name: 'Transfer-Encoding', value: 'chunked' };
            // Upstream's timing pair: when the query arrived, and when the answer's headers leave the worker.
            const timing = timingHeaders('Worker', started * 1000, now() * 1000).map(([name, value]) => ({
                _: 'http.header' as const,
                name,
                value,
            }));
            const response = encode({
                _: 'http.response',
                http_version: 'HTTP/1.1',
                status_code: res.status,
                reason: res.ok ? 'OK' : 'Error',
                headers: [...headers, ...timing, framing],
                payload: chunk,
            });
            ctx.send({ _: 'proxy.queryAnswerEx', request_id: q.request_id, answer: response, flags, final_info: final });
        } else {
            ctx.send({ _: 'proxy.queryAnswerPartEx', request_id: q.request_id, answer: chunk, flags, final_info: final });
        }
    };

    // Chunks that arrive in the same I/O turn leave as one answer piece, at the end of that turn. The
    // bytes are the same; a token-by-token backend still gets one piece per token.
    let pending: Buffer[] = [];
    let flushTimer: NodeJS.Immediate | null = null;
    const takePending = () => {
        const piece = pending.length === 1 ? pending[0] : Buffer.concat(pending);
        pending = [];
        return piece;
    };
    const flush = () => {
        if (flushTimer) clearImmediate(flushTimer);
        flushTimer = null;
        if (pending.length) sendPiece(takePending());
    };
    let streamError: string | null = null;
    try {
        for await (const chunk of res.body) {
            const b = rewrite.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
            if (!b.length) continue;
            hash.update(b);
            bytes += b.length;
            pending.push(b);
            flushTimer ??= setImmediate(flush);
        }
    } catch (e) {
        streamError = e instanceof Error ? e.message : String(e);
    }
    const tail = rewrite.end();
    if (tail.length) {
        hash.update(tail);
        bytes += tail.length;
        pending.push(tail);
    }
    // The last bytes wait for the usage report and leave in the final piece, as COCOON's worker sends
    // them: a whole answer is one proxy.queryAnswerEx, a stream ends with its last chunk.
    if (flushTimer) clearImmediate(flushTimer);
    flushTimer = null;
    let usage = null;
    try {
        usage = (await res.usage).usage;
    } catch (e) {
        const report = e instanceof BackendError ? e.report : undefined;
        usage = report?.usage ?? (report && cancelled() ? streamedEstimate(report.messages) : null);
        streamError ??= e instanceof Error ? e.message : String(e);
    }
    // Cancelled: billed what the backend reported up to the stop (the proxy passes the cancel on from the client).
    if (streamError && cancelled()) streamError = CANCELLED_BY_CLIENT;
    const tokens = usage ? adjustUsage(usage, q.coefficient, ctx.pricing) : ZERO;
    const status = res.status;
    const errorCode = streamError === CANCELLED_BY_CLIENT ? CANCELLED_CODE : 502;
    if (streamError && first && !pending.length)
        return fail(errorCode, errorCode === CANCELLED_CODE ? streamError : `inference backend failed: ${streamError}`, tokens);
    const unsigned = {
        requestId: q.request_id.toString('hex'),
        model: ctx.servedModel,
        coefficient: q.coefficient.toString(),
        tokens: tokensToReceipt(tokens),
        status,
        responseSha256: hash.digest('hex'),
        responseBytes: bytes,
        issuedAt: Math.floor(now()),
    };
    const receipt = ctx.busy?.() ? await signReceiptAsync(unsigned, ctx.receiptKey) : signReceipt(unsigned, ctx.receiptKey);
    const last = takePending();
    if (streamError) {
        // Bytes already reached the client: bill what the backend reported and end with an error.
        if (last.length) sendPiece(last);
        const error = errorCode === CANCELLED_CODE ? streamError : `stream interrupted: ${streamError}`;
        ctx.send({
            _: 'proxy.queryAnswerErrorEx',
            request_id: q.request_id,
            error_code: errorCode,
            error,
            flags: 1,
            final_info: finalInfo(tokens, encodeReceipt(receipt)),
        });
        return { status: errorCode, tokens, responseBytes: bytes, error };
    }
    sendPiece(last, finalInfo(tokens, encodeReceipt(receipt)));
    return { status, tokens, responseBytes: bytes, error: null };
}

/**
 * An encrypted request body, decrypted: with the key the proxy relayed in proxy.runQueryEx.private_key
 * (upstream's key-manager keys), or else with the worker's own attested key. Undefined for a plaintext
 * body with no key relayed. Throws E2eError for a body it cannot open, and for a plaintext body the
 * proxy said was encrypted (a downgrade).
 */
function openEncrypted(
    payload: Buffer,
    relayedKey: Buffer | undefined,
    ownKey: Buffer,
): { payload: Buffer; encryptTo: { privateKey: Buffer; receiver: Buffer } } | undefined {
    const relayed = e2e.isZeroKey(relayedKey) ? undefined : relayedKey;
    let body: unknown;
    try {
        body = JSON.parse(payload.toString('utf8'));
    } catch {
        body = undefined;
    }
    const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
    if (!isObject || !e2e.isEncrypted(body as e2e.JsonObject)) {
        if (relayed) throw new e2e.E2eError('E2E_NOT_ENCRYPTED', 'the proxy relayed a key, but the request is not encrypted');
        return undefined;
    }
    const privateKey = relayed ?? ownKey;
    const opened = e2e.decryptJson(body as e2e.JsonObject, 'client-to-worker', { privateKey });
    return { payload: Buffer.from(JSON.stringify(opened.value)), encryptTo: { privateKey, receiver: opened.senderPublicKey! } };
}
