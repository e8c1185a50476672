/**
 * Request validation at the worker (COCOON ValidateRequest): only whitelisted OpenAI fields reach the
 * backend, the model must be the one this worker serves, and streaming always reports usage (billing
 * depends on it). Errors name the offending field so the caller can fix the request. Every number has a
 * range, and no key from the request is looked up in a plain object.
 */
import { baseModelName } from '../common/models';
import { checkJsonText, decodeUtf8, JsonTextError } from '../common/json-text';
import { toolFieldsProblem } from '../common/tool-fields';

export class RequestValidationError extends Error {
    constructor(
        message: string,
        readonly param: string | null = null,
    ) {
        super(message);
    }
}

export type Endpoint = '/v1/chat/completions' | '/v1/completions';

type Check = (v: unknown, key: string) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The original's TL carries max_tokens as an int32; no backend takes more. */
const MAX_INT32 = 2 ** 31 - 1;

const number =
    (min?: number, max?: number): Check =>
    (v, key) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new RequestValidationError(`'${key}' must be a number`, key);
        if (min !== undefined && v < min) throw new RequestValidationError(`'${key}' must be >= ${min}`, key);
        if (max !== undefined && v > max) throw new RequestValidationError(`'${key}' must be <= ${max}`, key);
    };
const integer =
    (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
    (v, key) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
            throw new RequestValidationError(`'${key}' must be an integer from ${min} to ${max}`, key);
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
/** An object whose keys are all in `allowed`, each a boolean. */
const flags =
    (allowed: readonly string[]): Check =>
    (v, key) => {
        if (!isObject(v)) throw new RequestValidationError(`'${key}' must be an object`, key);
        for (const [k, x] of Object.entries(v)) {
            if (!allowed.includes(k)) throw new RequestValidationError(`unknown option '${key}.${k}'`, `${key}.${k}`);
            bool(x, `${key}.${k}`);
        }
    };
const messages: Check = (v, key) => {
    if (!Array.isArray(v) || v.length === 0) throw new RequestValidationError(`'${key}' must be a non-empty array of messages`, key);
    v.forEach((m, i) => {
        if (!isObject(m) || typeof m.role !== 'string')
            throw new RequestValidationError(`'${key}[${i}]' must be an object with a 'role'`, `${key}[${i}]`);
    });
};
const prompt: Check = (v, key) => {
    if (typeof v === 'string') return;
    if (Array.isArray(v) && v.length > 0) return;
    throw new RequestValidationError(`'${key}' must be a string or a non-empty array`, key);
};
const maxTokens = integer(1, MAX_INT32);
const streamOptions = flags(['include_usage', 'include_obfuscation']);

// Maps, not object literals: a key from the request must never find Object.prototype's members.
const CHAT = new Map<string, Check>(
    Object.entries({
        messages,
        model: string,
        frequency_penalty: number(-2, 2),
        max_completion_tokens: maxTokens,
        max_tokens: maxTokens,
        // Tool and structured-output fields are checked together (they depend on each other) after this loop.
        n: integer(1, 128),
        parallel_tool_calls: any,
        tools: any,
        tool_choice: any,
        prediction: any,
        presence_penalty: number(-2, 2),
        reasoning_effort: string,
        response_format: any,
        stop,
        stream: bool,
        stream_options: streamOptions,
        temperature: number(0, 2),
        top_logprobs: integer(0, 20),
        top_p: number(0, 1),
        verbosity: string,
        chat_template_kwargs: flags(['enable_thinking']),
    }),
);
const COMPLETIONS = new Map<string, Check>(
    Object.entries({
        prompt,
        model: string,
        best_of: integer(1, 128),
        echo: bool,
        frequency_penalty: number(-2, 2),
        max_tokens: maxTokens,
        n: integer(1, 128),
        presence_penalty: number(-2, 2),
        seed: integer(Number.MIN_SAFE_INTEGER),
        stop,
        stream: bool,
        stream_options: streamOptions,
        // The original requires `suffix` to be a bool (a quirk); a string suffix is what OpenAI documents.
        suffix: (v, key) => {
            if (typeof v !== 'string' && typeof v !== 'boolean') throw new RequestValidationError(`'${key}' must be a string`, key);
        },
        temperature: number(0, 2),
        top_p: number(0, 1),
        skip_special_tokens: bool,
    }),
);
const REQUIRED = new Map<Endpoint, string[]>([
    ['/v1/chat/completions', ['messages', 'model']],
    ['/v1/completions', ['prompt', 'model']],
]);

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

/**
 * Parses and validates a request body. Refuses what JSON.parse would accept silently: bytes that are not
 * UTF-8, nesting past DEFAULT_MAX_JSON_DEPTH, duplicate keys (JSON.parse keeps the last one).
 */
export function validateRequest(url: string, raw: Buffer | string, servedModel: string): ValidatedRequest {
    const endpoint = endpointOf(url);
    let body: unknown;
    try {
        const text = decodeUtf8(raw);
        try {
            body = JSON.parse(text);
        } catch {
            throw new RequestValidationError('request body is not valid JSON');
        }
        if (!isObject(body)) throw new RequestValidationError('request body must be a JSON object');
        checkJsonText(text, { uniqueTopLevelKeys: true });
    } catch (e) {
        if (e instanceof JsonTextError) throw new RequestValidationError(e.message, e.param);
        throw e;
    }
    const allowed = endpoint === '/v1/chat/completions' ? CHAT : COMPLETIONS;
    for (const [k, v] of Object.entries(body)) {
        const check = allowed.get(k);
        if (!check) throw new RequestValidationError(`unknown option '${k}' (not supported by COCOON workers)`, k);
        check(v, k);
    }
    for (const k of REQUIRED.get(endpoint)!) if (!Object.hasOwn(body, k)) throw new RequestValidationError(`'${k}' is required`, k);
    if (baseModelName(body.model as string) !== baseModelName(servedModel)) {
        throw new RequestValidationError(
            `model '${String(body.model)}' is not served by this worker (it serves '${baseModelName(servedModel)}')`,
            'model',
        );
    }
    const tools = endpoint === '/v1/chat/completions' ? toolFieldsProblem(body) : null;
    if (tools) throw new RequestValidationError(tools.message, tools.param);
    const out: Record<string, unknown> = { ...body };
    // `stream_options` alone implies streaming; streaming always reports usage (billing reads it).
    const stream = out.stream === true || (Object.hasOwn(out, 'stream_options') && out.stream !== false);
    if (stream) {
        out.stream = true;
        out.stream_options = { ...((out.stream_options as Record<string, unknown> | undefined) ?? {}), include_usage: true };
    }
    const maxTokens = (out.max_completion_tokens ?? out.max_tokens ?? null) as number | null;
    return { endpoint, body: out, stream, maxTokens };
}
