/**
 * Reads a client API request body: strict UTF-8 JSON object (nesting limit, no duplicate top-level key),
 * `model`, and the fields the client consumes itself (COCOON's max_coefficient, timeout, enable_debug,
 * request_guid, plus max_tokens for the reservation), each range-checked so a bad value is a 400 naming
 * its field, never a 500 or a number the TL cannot carry. Keys are read as own properties only.
 */
import { checkJsonText, decodeUtf8, JsonTextError } from '../common/json-text';
import { toolFieldsProblem } from '../common/tool-fields';
import { e2e } from '../protocol';

export class ApiRequestError extends Error {
    constructor(
        message: string,
        readonly param: string | null = null,
    ) {
        super(message);
    }
}

export interface ApiRequestLimits {
    maxInt32: number;
    maxTimeoutSeconds: number;
    maxModelLength: number;
    maxRequestGuidLength: number;
}

export interface ApiRequestDefaults {
    maxCoefficient: number;
    timeoutSeconds: number;
    maxTokens: number;
}

export interface ApiRequest {
    model: string;
    maxCoefficient: number;
    maxTokens: number;
    timeoutSeconds: number;
    enableDebug: boolean;
    requestGuid: string | null;
    /** `stream: true`: the answer is relayed as it comes (receipt as a trailer); otherwise it is held whole (receipt as a header). */
    stream: boolean;
    /** What goes to the worker: the caller's bytes, or a re-serialisation without the client's fields. */
    payload: Buffer;
    /** The caller encrypted the body itself (upstream's "v1"): the worker key it wrote to (`receiver_public_key`). */
    encryptedBy: Buffer | null;
}

/** COCOON's request fields the client consumes; the worker would reject them as unknown options. */
const CLIENT_FIELDS = ['max_coefficient', 'timeout', 'enable_debug', 'request_guid'] as const;

const own = (o: Record<string, unknown>, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);

function integer(body: Record<string, unknown>, key: string, dflt: number, min: number, max: number): number {
    const v = own(body, key);
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
        throw new ApiRequestError(
            `'${key}' must be an integer from ${min} to ${max}` +
                `${typeof v === 'number' ? `, got ${v}` : `, got ${v === null ? 'null' : typeof v}`}`,
            key,
        );
    return v;
}

/** `path` decides whether the chat-only tool and structured-output rules apply (the worker applies them too). */
export function parseApiRequest(
    raw: Buffer,
    defaults: ApiRequestDefaults,
    limits: ApiRequestLimits,
    path = '/v1/chat/completions',
): ApiRequest {
    let body: Record<string, unknown>;
    try {
        const text = decodeUtf8(raw);
        let parsed: unknown;
        try {
            parsed = JSON.parse(text);
        } catch {
            throw new ApiRequestError('request body must be a JSON object (OpenAI chat/completions request); it is not valid JSON');
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
            throw new ApiRequestError('request body must be a JSON object (OpenAI chat/completions request)');
        checkJsonText(text, { uniqueTopLevelKeys: true });
        body = parsed as Record<string, unknown>;
    } catch (e) {
        if (e instanceof JsonTextError) throw new ApiRequestError(e.message, e.param);
        throw e;
    }
    const model = own(body, 'model');
    if (typeof model !== 'string' || !model) throw new ApiRequestError("'model' is required: a model name (see GET /v1/models)", 'model');
    if (model.length > limits.maxModelLength)
        throw new ApiRequestError(`'model' is longer than ${limits.maxModelLength} characters`, 'model');

    const maxCoefficient = integer(body, 'max_coefficient', defaults.maxCoefficient, 0, limits.maxInt32);
    const timeout = own(body, 'timeout');
    if (
        timeout !== undefined &&
        (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > limits.maxTimeoutSeconds)
    ) {
        throw new ApiRequestError(`'timeout' must be a number of seconds above 0 and at most ${limits.maxTimeoutSeconds}`, 'timeout');
    }
    const hasCompletionTokens = own(body, 'max_completion_tokens') !== undefined;
    const maxTokensField = hasCompletionTokens ? 'max_completion_tokens' : 'max_tokens';
    const maxTokens = integer(body, maxTokensField, defaults.maxTokens, 1, limits.maxInt32);
    const enableDebug = own(body, 'enable_debug');
    if (enableDebug !== undefined && typeof enableDebug !== 'boolean')
        throw new ApiRequestError("'enable_debug' must be true or false", 'enable_debug');
    const guid = own(body, 'request_guid');
    if (guid !== undefined && (typeof guid !== 'string' || guid.length > limits.maxRequestGuidLength))
        throw new ApiRequestError(`'request_guid' must be a string of at most ${limits.maxRequestGuidLength} characters`, 'request_guid');

    let encryptedBy: Buffer | null = null;
    if (Object.hasOwn(body, 'is_encrypted')) {
        try {
            encryptedBy = e2e.receiverKeyOf(body as e2e.JsonObject) ?? null;
        } catch (e) {
            if (e instanceof e2e.E2eError) throw new ApiRequestError(`encrypted request: ${e.message}`, 'receiver_public_key');
            throw e;
        }
        if (!encryptedBy)
            throw new ApiRequestError(
                "encrypted request: 'receiver_public_key' (the worker key it is encrypted to) is required",
                'receiver_public_key',
            );
    }

    // Refused here, before the request is reserved or sent, with the worker's exact message and param.
    const tools = path === '/v1/chat/completions' ? toolFieldsProblem(body) : null;
    if (tools) throw new ApiRequestError(tools.message, tools.param);

    // The caller's bytes go to the worker unchanged (its checks see what was sent) unless a COCOON field
    // or a max_tokens shadowed by max_completion_tokens has to go.
    const strip = CLIENT_FIELDS.some((k) => Object.hasOwn(body, k)) || (hasCompletionTokens && Object.hasOwn(body, 'max_tokens'));
    let payload = raw;
    if (strip) {
        const forward = { ...body };
        for (const k of CLIENT_FIELDS) delete forward[k];
        if (hasCompletionTokens) delete forward.max_tokens;
        payload = Buffer.from(JSON.stringify(forward));
    }
    return {
        model,
        maxCoefficient,
        maxTokens,
        timeoutSeconds: (timeout as number | undefined) ?? defaults.timeoutSeconds,
        enableDebug: enableDebug === true,
        requestGuid: (guid as string | undefined) ?? null,
        stream: own(body, 'stream') === true,
        payload,
        encryptedBy,
    };
}
