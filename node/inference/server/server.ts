/**
 * OpenAI-compatible HTTP server over the embedded engine: GET /v1/models, GET /v1/models/{id},
 * POST /v1/chat/completions, POST /v1/completions (streaming and not), GET /health.
 *
 * The wire format is the one vLLM and llama-server speak (docs/inference.md), so the worker's
 * forwarding and billing code cannot tell the embedded model from a GPU server. Streaming is SSE,
 * one `data: {chunk}\n\n` per token, `data: [DONE]` last; with stream_options.include_usage a final
 * `choices: []` chunk carries the usage and earlier chunks carry `"usage": null`, as OpenAI does.
 * A client that disconnects cancels its generation; a slow reader pauses it (socket backpressure).
 *
 * `response_format` (json_object, json_schema) and `tools` are honoured by constrained decoding
 * (node/inference/structured): the answer is schema-valid JSON, or tool calls in OpenAI's shape
 * (`message.tool_calls`, streamed as `delta.tool_calls` with the arguments in pieces), finish reason
 * "tool_calls".
 */
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createLogger, Logger } from '../../common/log';
import { Engine, EngineOptions, GenerateEvent } from '../engine/engine';
import { InferenceError, invalidRequest } from '../errors';
import { toOpenAiUsage } from '../usage';
import { constraintFor, minimumTokens, OutputPlan, OutputPlanner, PlannedConstraint } from '../structured/plan';
import { ToolCallEvent, ToolCallReader } from '../structured/tool-calls';
import { parseChatRequest, parseCompletionRequest, ParsedRequest } from './request';

/**
 * The model committed with the project (see docs/inference.md for its provenance). It stays beside the
 * sources, so the compiled CLI (dist/node/...) finds it by walking up to the checkout.
 */
export const DEFAULT_MODEL_PATH = committedModel('tiny-stories-1m.gguf');

function committedModel(file: string): string {
    for (let dir = __dirname, i = 0; i < 6; i++, dir = dirname(dir)) {
        const candidate = join(dir, 'node', 'inference', 'models', file);
        if (existsSync(candidate)) return candidate;
    }
    return join(__dirname, '..', 'models', file);
}

export interface EmbeddedServerOptions extends EngineOptions {
    /** GGUF file (default: the committed cocoon/tiny-stories-1m). Ignored when `engine` is given. */
    modelPath?: string;
    engine?: Engine;
    /** Model id served and accepted in requests (default: the GGUF's general.name). */
    modelId?: string;
    port?: number;
    host?: string;
    /** When set, requests need `Authorization: Bearer <apiKey>`. */
    apiKey?: string;
    /** Request body limit in bytes (default 1 MiB). */
    maxBodyBytes?: number;
    logger?: Logger;
}

export interface EmbeddedServer {
    /** Base URL including /v1, e.g. http://127.0.0.1:43123/v1 (what OpenAI clients call baseURL). */
    url: string;
    port: number;
    host: string;
    modelId: string;
    engine: Engine;
    server: Server;
    close(): Promise<void>;
}

type Kind = 'chat' | 'completion';

export async function startEmbeddedServer(opts: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
    const engine = opts.engine ?? Engine.load(opts.modelPath ?? DEFAULT_MODEL_PATH, opts);
    const modelId = opts.modelId ?? engine.modelName;
    const host = opts.host ?? '127.0.0.1';
    const log = opts.logger ?? createLogger('inference.server');
    const created = Math.floor(Date.now() / 1000);
    const maxBody = opts.maxBodyBytes ?? 1 << 20;
    const fingerprint = `fp_${engine.modelSha256.slice(0, 10)}`;
    const sockets = new Set<import('node:net').Socket>();
    const planner = new OutputPlanner(engine.tokenizer);

    const server = createServer((req, res) => {
        handle(req, res).catch((e) => {
            if (e instanceof InferenceError && e.code === 'ABORTED') return log.info('cancelled by client', { url: req.url });
            if (e instanceof InferenceError && e.status < 500)
                log.info('request refused', { url: req.url, code: e.code, status: e.status });
            else log.error('request failed', { err: e });
            if (!res.headersSent) sendError(res, e instanceof InferenceError ? e : new InferenceError('INTERNAL', (e as Error).message));
            else res.destroy();
        });
    });
    server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
    });

    async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
        if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
            return sendJson(res, 200, { status: 'ok' });
        }
        if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
            return sendError(
                res,
                new InferenceError(
                    'INVALID_API_KEY',
                    'missing or wrong API key (send Authorization: Bearer <key>)',
                    401,
                    'authentication_error',
                ),
            );
        }
        const modelInfo = { id: modelId, object: 'model', created, owned_by: 'cocoon' };
        if (path === '/v1/models' && req.method === 'GET') return sendJson(res, 200, { object: 'list', data: [modelInfo] });
        if (path.startsWith('/v1/models/') && req.method === 'GET') {
            const id = decodeURIComponent(path.slice('/v1/models/'.length));
            if (id === modelId) return sendJson(res, 200, modelInfo);
            return sendError(res, modelNotFound(id));
        }
        const kind: Kind | undefined = path === '/v1/chat/completions' ? 'chat' : path === '/v1/completions' ? 'completion' : undefined;
        if (!kind) return sendError(res, new InferenceError('NOT_FOUND', `no route ${req.method} ${path}`, 404, 'invalid_request_error'));
        if (req.method !== 'POST')
            return sendError(res, new InferenceError('METHOD_NOT_ALLOWED', `${path} accepts POST only`, 405, 'invalid_request_error'));
        const body = await readJson(req, maxBody);
        const parsed = kind === 'chat' ? parseChatRequest(body, engine.tokenizer) : parseCompletionRequest(body, engine.tokenizer);
        if (parsed.model !== undefined && parsed.model !== modelId) return sendError(res, modelNotFound(parsed.model));
        const plan = parsed.structured ? planner.plan(parsed.structured, parsed.mentionedTools) : { kind: 'text' as const };
        checkBudget(plan, parsed);
        await generate(kind, parsed, constraintFor(plan), res);
    }

    /** A constrained answer must be able to close: refuse up front when its shortest form cannot fit. */
    function checkBudget(plan: OutputPlan, p: ParsedRequest): void {
        const need = minimumTokens(plan);
        const room = engine.contextLength - 1 - p.prompt.length;
        const budget = Math.min(p.maxTokens ?? Infinity, room);
        if (need <= budget || room <= 0) return;
        const what = plan.kind === 'tools' ? 'a tool call' : 'the JSON answer';
        throw invalidRequest(
            `${p.maxTokens !== undefined && p.maxTokens < room ? `max_tokens ${p.maxTokens}` : `the ${room} tokens left in the context`} ` +
                `cannot hold ${what}: its shortest valid form takes up to ${need} tokens on this model`,
            p.maxTokens !== undefined && p.maxTokens < room ? 'max_tokens' : 'messages',
        );
    }

    async function generate(kind: Kind, p: ParsedRequest, planned: PlannedConstraint, res: ServerResponse): Promise<void> {
        const started = Date.now();
        const id = (kind === 'chat' ? 'chatcmpl-' : 'cmpl-') + randomBytes(12).toString('hex');
        const object = kind === 'chat' ? (p.stream ? 'chat.completion.chunk' : 'chat.completion') : 'text_completion';
        const head = { id, object, created: Math.floor(started / 1000), model: modelId, system_fingerprint: fingerprint };
        const abort = new AbortController();
        let complete = false;
        res.on('close', () => {
            if (!complete) abort.abort();
        });
        const events = engine.generate({
            prompt: p.prompt,
            maxTokens: p.maxTokens,
            sampling: p.sampling,
            logitBias: p.logitBias,
            stop: p.stop,
            splitReasoning: kind === 'chat',
            startsInReasoning: p.thinking,
            signal: abort.signal,
            constraint: planned.constraint,
        });
        let done: Extract<GenerateEvent, { type: 'done' }> | undefined;
        if (!p.stream) {
            let text = '';
            let reasoning = '';
            for await (const ev of events) {
                if (ev.type === 'done') done = ev;
                else if (ev.channel === 'reasoning') reasoning += ev.text;
                else text += ev.text;
            }
            complete = true;
            if (!done) return;
            const usage = toOpenAiUsage(done.usage);
            let choice: object;
            if (kind === 'completion') choice = { index: 0, text, logprobs: null, finish_reason: done.finishReason };
            else if (planned.branch() === 'tool') {
                const reader = new ToolCallReader();
                reader.push(text);
                const tool_calls = reader.calls.map((c) => ({
                    id: callId(),
                    type: 'function',
                    function: { name: c.name, arguments: c.arguments },
                }));
                choice = {
                    index: 0,
                    message: { role: 'assistant', content: null, refusal: null, tool_calls },
                    logprobs: null,
                    finish_reason: toolFinish(done.finishReason),
                };
            } else {
                choice = {
                    index: 0,
                    message: { role: 'assistant', content: text, refusal: null, ...(reasoning ? { reasoning_content: reasoning } : {}) },
                    logprobs: null,
                    finish_reason: done.finishReason,
                };
            }
            sendJson(res, 200, { ...head, choices: [choice], usage });
        } else {
            res.writeHead(200, {
                'content-type': 'text/event-stream; charset=utf-8',
                'cache-control': 'no-cache',
                connection: 'keep-alive',
            });
            const extra = p.includeUsage ? { usage: null } : {};
            const send = async (chunk: object | string) => {
                const line = `data: ${typeof chunk === 'string' ? chunk : JSON.stringify(chunk)}\n\n`;
                if (!res.write(line))
                    await new Promise<void>((resolve) => {
                        const go = () => {
                            res.off('drain', go);
                            res.off('close', go);
                            resolve();
                        };
                        res.on('drain', go);
                        res.on('close', go);
                    });
            };
            const choice = (fields: object, finish: string | null) =>
                kind === 'chat'
                    ? { index: 0, delta: fields, logprobs: null, finish_reason: finish }
                    : { index: 0, text: (fields as { content?: string }).content ?? '', logprobs: null, finish_reason: finish };
            // The first chunk carries the role; with tools it waits for the first token, which decides
            // between text and a tool call (tool_choice "auto").
            let roleSent = false;
            const role = async (tool: boolean) => {
                if (roleSent || kind !== 'chat') return;
                roleSent = true;
                await send({ ...head, choices: [choice({ role: 'assistant', content: tool ? null : '' }, null)], ...extra });
            };
            const reader = new ToolCallReader();
            const ids: string[] = [];
            const toolDelta = (e: ToolCallEvent, first: boolean) => {
                const call =
                    e.type === 'start'
                        ? { index: e.index, id: (ids[e.index] = callId()), type: 'function', function: { name: e.name, arguments: '' } }
                        : { index: e.index, function: { arguments: e.text } };
                return first ? { role: 'assistant', content: null, tool_calls: [call] } : { tool_calls: [call] };
            };
            try {
                if (!planned.constraint) await role(false);
                for await (const ev of events) {
                    if (res.destroyed) break;
                    const tool = kind === 'chat' && planned.branch() === 'tool';
                    if (ev.type === 'done') {
                        done = ev;
                        await role(tool);
                        const finish = tool ? toolFinish(ev.finishReason) : ev.finishReason;
                        await send({ ...head, choices: [choice(kind === 'chat' ? {} : { content: '' }, finish)], ...extra });
                        if (p.includeUsage) await send({ ...head, choices: [], usage: toOpenAiUsage(ev.usage) });
                    } else if (tool) {
                        for (const e of reader.push(ev.text)) {
                            const first = !roleSent;
                            roleSent = true;
                            await send({ ...head, choices: [choice(toolDelta(e, first), null)], ...extra });
                        }
                    } else {
                        await role(false);
                        const delta = ev.channel === 'reasoning' ? { reasoning_content: ev.text } : { content: ev.text };
                        await send({ ...head, choices: [choice(delta, null)], ...extra });
                    }
                }
                complete = true;
                if (!res.destroyed) {
                    await send('[DONE]');
                    res.end();
                }
            } catch (e) {
                complete = true;
                const err = e instanceof InferenceError ? e : new InferenceError('INTERNAL', (e as Error).message);
                if (err.code !== 'ABORTED' && !res.destroyed) {
                    // Headers are gone: report in-band, the way vLLM does, then close the stream.
                    res.write(`data: ${JSON.stringify(err.toJSON())}\n\n`);
                    res.write('data: [DONE]\n\n');
                    res.end();
                }
                if (err.code !== 'ABORTED') throw err;
            }
        }
        if (done) {
            log.info('completion', {
                id,
                kind,
                stream: p.stream,
                finish: done.finishReason,
                ms: Date.now() - started,
                prompt: done.usage.promptTokens,
                cached: done.usage.cachedTokens,
                completion: done.usage.completionTokens,
                reasoning: done.usage.reasoningTokens,
            });
        } else {
            log.info('cancelled', { id, kind, ms: Date.now() - started });
        }
    }

    await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port ?? 0, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    log.info('listening', { url: `http://${urlHost}:${port}/v1`, model: modelId, simd: engine.model.simd });
    return {
        url: `http://${urlHost}:${port}/v1`,
        port,
        host,
        modelId,
        engine,
        server,
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                for (const s of sockets) s.destroy();
            }),
    };
}

function callId(): string {
    return `call_${randomBytes(12).toString('hex')}`;
}

/** A tool-call answer that closed is "tool_calls"; one cut by max_tokens stays "length". */
function toolFinish(reason: string): string {
    return reason === 'stop' ? 'tool_calls' : reason;
}

function modelNotFound(id: string): InferenceError {
    return new InferenceError(
        'MODEL_NOT_FOUND',
        `the model ${JSON.stringify(id)} does not exist on this server`,
        404,
        'invalid_request_error',
        'model',
    );
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
    const data = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
    res.end(data);
}

function sendError(res: ServerResponse, err: InferenceError): void {
    sendJson(res, err.status >= 400 && err.status < 600 ? err.status : 500, err.toJSON());
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
        size += (c as Buffer).length;
        if (size > limit) throw new InferenceError('BODY_TOO_LARGE', `request body exceeds ${limit} bytes`, 413, 'invalid_request_error');
        chunks.push(c as Buffer);
    }
    try {
        return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
        throw invalidRequest('the request body is not valid JSON');
    }
}
