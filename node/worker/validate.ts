/**
 * Request validation at the worker (COCOON ValidateRequest): only whitelisted OpenAI fields reach the
 * backend, the model must be the one this worker serves, and streaming always reports usage (billing
 * depends on it). Errors name the offending field so the caller can fix the request.
 */
import { baseModelName } from '../common/models';

export class RequestValidationError extends Error {
    constructor(message: string, readonly param: string | null = null) {
        super(message);
    }
}

export type Endpoint = '/v1/chat/completions' | '/v1/completions';

type Check = (v: unknown, key: string) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const number = (min?: number, max?: number): Check => (v, key) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RequestValidationError(`'${key}' must be a number`, key);
    if (min !== undefined && v < min) throw new RequestValidationError(`'${key}' must be >= ${min}`, key);
    if (max !== undefined && v > max) throw new RequestValidationError(`'${key}' must be <= ${max}`, key);
};
const integer = (min: number): Check => (v, key) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RequestValidationError(`'${key}' must be an integer >= ${min}`, key);
};
const bool: Check = (v, key) => {
    if (typeof v !== 'boolean') throw new RequestValidationError(`'${key}' must be true or false`, key);
};
const string: Check = (v, key) => {
    if (typeof v !== 'string') throw new RequestValidationError(`'${key}' must be a string`, key);
};
const any: Check = () => undefined;
const stop: Check = (v, key) => {
    if (v === null || typeof v === 'string') return;
    if (Array.isArray(v) && v.length <= 4 && v.every((s) => typeof s === 'string')) return;
    throw new RequestValidationError(`'${key}' must be a string or an array of up to 4 strings`, key);
};
const streamOptions: Check = (v, key) => {
    if (!isObject(v)) throw new RequestValidationError(`'${key}' must be an object`, key);
    for (const [k, x] of Object.entries(v)) {
        if (k !== 'include_usage' && k !== 'include_obfuscation') throw new RequestValidationError(`unknown option '${key}.${k}'`, `${key}.${k}`);
        bool(x, `${key}.${k}`);
    }
};
const messages: Check = (v, key) => {
    if (!Array.isArray(v) || v.length === 0) throw new RequestValidationError(`'${key}' must be a non-empty array of messages`, key);
    v.forEach((m, i) => {
        if (!isObject(m) || typeof m.role !== 'string') throw new RequestValidationError(`'${key}[${i}]' must be an object with a 'role'`, `${key}[${i}]`);
    });
};
const chatTemplateKwargs: Check = (v, key) => {
    if (!isObject(v)) throw new RequestValidationError(`'${key}' must be an object`, key);
    for (const [k, x] of Object.entries(v)) {
        if (k !== 'enable_thinking') throw new RequestValidationError(`unknown option '${key}.${k}'`, `${key}.${k}`);
        bool(x, `${key}.${k}`);
    }
};
const prompt: Check = (v, key) => {
    if (typeof v === 'string') return;
    if (Array.isArray(v) && v.length > 0) return;
    throw new RequestValidationError(`'${key}' must be a string or a non-empty array`, key);
};

const CHAT: Record<string, Check> = {
    messages, model: string, frequency_penalty: number(-2, 2), max_completion_tokens: integer(1), max_tokens: integer(1),
    n: integer(1), parallel_tool_calls: bool, prediction: any, presence_penalty: number(-2, 2), reasoning_effort: string,
    response_format: any, stop, stream: bool, stream_options: streamOptions, temperature: number(0, 2), top_logprobs: integer(0),
    top_p: number(0, 1), verbosity: string, chat_template_kwargs: chatTemplateKwargs,
};
const COMPLETIONS: Record<string, Check> = {
    prompt, model: string, best_of: integer(1), echo: bool, frequency_penalty: number(-2, 2), max_tokens: integer(1), n: integer(1),
    presence_penalty: number(-2, 2), seed: integer(0), stop, stream: bool, stream_options: streamOptions,
    // The original requires `suffix` to be a bool (a quirk); a string suffix is what OpenAI documents.
    suffix: (v, key) => { if (typeof v !== 'string' && typeof v !== 'boolean') throw new RequestValidationError(`'${key}' must be a string`, key); },
    temperature: number(0, 2), top_p: number(0, 1), skip_special_tokens: bool,
};
const REQUIRED: Record<Endpoint, string[]> = { '/v1/chat/completions': ['messages', 'model'], '/v1/completions': ['prompt', 'model'] };

/** Strips anything before the first '/v1' (the original accepts e.g. `http://host/v1/...` targets). */
export function endpointOf(url: string): Endpoint {
    const at = url.indexOf('/v1/');
    const path = (at >= 0 ? url.slice(at) : url).split('?')[0];
    if (path === '/v1/chat/completions' || path === '/v1/completions') return path;
    throw new RequestValidationError(`unsupported path '${url}': workers serve /v1/chat/completions and /v1/completions`);
}


export interface ValidatedRequest {
    endpoint: Endpoint;
    body: Record<string, unknown>;
    stream: boolean;
    /** max_completion_tokens or max_tokens, when given. */
    maxTokens: number | null;
}

/** Parses and validates a request body; rejects duplicate keys, which JSON.parse would silently merge. */
export function validateRequest(url: string, raw: Buffer | string, servedModel: string): ValidatedRequest {
    const endpoint = endpointOf(url);
    const text = typeof raw === 'string' ? raw : raw.toString('utf8');
    let body: unknown;
    try {
        body = JSON.parse(text);
    } catch {
        throw new RequestValidationError('request body is not valid JSON');
    }
    if (!isObject(body)) throw new RequestValidationError('request body must be a JSON object');
    assertNoDuplicateTopLevelKeys(text);
    const allowed = endpoint === '/v1/chat/completions' ? CHAT : COMPLETIONS;
    for (const [k, v] of Object.entries(body)) {
        const check = allowed[k];
        if (!check) throw new RequestValidationError(`unknown option '${k}' (not supported by COCOON workers)`, k);
        check(v, k);
    }
    for (const k of REQUIRED[endpoint]) if (!(k in body)) throw new RequestValidationError(`'${k}' is required`, k);
    if (baseModelName(body.model as string) !== baseModelName(servedModel)) {
        throw new RequestValidationError(`model '${String(body.model)}' is not served by this worker (it serves '${baseModelName(servedModel)}')`, 'model');
    }
    const out: Record<string, unknown> = { ...body };
    // `stream_options` alone implies streaming; streaming always reports usage (billing reads it).
    const stream = out.stream === true || ('stream_options' in out && out.stream !== false);
    if (stream) {
        out.stream = true;
        out.stream_options = { ...((out.stream_options as Record<string, unknown> | undefined) ?? {}), include_usage: true };
    }
    const maxTokens = (out.max_completion_tokens ?? out.max_tokens ?? null) as number | null;
    return { endpoint, body: out, stream, maxTokens };
}

/**
 * Duplicate keys at the top level of a JSON object (a request-smuggling vector between parsers). Runs
 * on text JSON.parse has accepted. Strings are skipped with indexOf (prompts are most of the bytes);
 * only keys at depth 1 are decoded.
 */
function assertNoDuplicateTopLevelKeys(text: string): void {
    const seen = new Set<string>();
    let depth = 0;
    let i = 0;
    const n = text.length;
    while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 34) {
            const end = closingQuote(text, i);
            if (depth === 1) {
                let k = end + 1;
                while (k < n && isJsonSpace(text.charCodeAt(k))) k++;
                if (text.charCodeAt(k) === 58) {
                    const raw = text.slice(i + 1, end);
                    const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
                    if (seen.has(key)) throw new RequestValidationError(`duplicate key '${key}' in request body`, key);
                    seen.add(key);
                }
            }
            i = end + 1;
            continue;
        }
        if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) depth--;
        i++;
    }
}

/** Index of the quote that closes the string opened at `open` (one not preceded by an odd run of backslashes). */
function closingQuote(text: string, open: number): number {
    let from = open + 1;
    for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return text.length;
        let slashes = 0;
        for (let b = q - 1; b > open && text.charCodeAt(b) === 92; b--) slashes++;
        if (slashes % 2 === 0) return q;
        from = q + 1;
    }
}

function isJsonSpace(c: number): boolean {
    return c === 32 || c === 10 || c === 13 || c === 9;
}
