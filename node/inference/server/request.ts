/**
 * Validation of OpenAI request bodies for the embedded server. Errors name the offending parameter
 * (`param`) in the OpenAI error shape. Supported: the fields the tiny model can honour, tools and
 * response_format included (constrained decoding, node/inference/structured); fields it cannot
 * (n > 1, logprobs, images) are refused instead of silently ignored, so a client learns early.
 * Unknown extra fields are ignored, as vLLM and llama-server do.
 */
import { invalidRequest } from '../errors';
import { ChatMessage, renderChat } from '../engine/chat-template';
import { SamplingParams } from '../engine/sampler';
import { Tokenizer } from '../engine/tokenizer';
import { mentionedTools } from '../structured/auto';
import { parseStructuredRequest, StructuredRequest } from '../structured/request';

export interface ParsedRequest {
    model: string | undefined;
    prompt: number[];
    maxTokens: number | undefined;
    sampling: Partial<SamplingParams>;
    logitBias: Map<number, number> | undefined;
    stop: string[];
    stream: boolean;
    includeUsage: boolean;
    thinking: boolean;
    /** Chat only: tools, tool_choice, response_format (null for /v1/completions). */
    structured: StructuredRequest | null;
    /** Tools the last user message mentions: how tool_choice "auto" decides here (structured/auto.ts). */
    mentionedTools: string[];
}

type Body = Record<string, unknown>;

function num(b: Body, key: string, min: number, max: number, integer = false): number | undefined {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
        throw invalidRequest(`${key} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`, key);
    }
    return v;
}

function bool(b: Body, key: string): boolean | undefined {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw invalidRequest(`${key} must be a boolean`, key);
    return v;
}

function common(b: Body, tok: Tokenizer): Omit<ParsedRequest, 'prompt' | 'thinking' | 'structured' | 'mentionedTools'> {
    if (b.model !== undefined && typeof b.model !== 'string') throw invalidRequest('model must be a string', 'model');
    const n = num(b, 'n', 1, 128, true);
    if (n !== undefined && n !== 1) throw invalidRequest('n must be 1: this server generates one choice per request', 'n');
    const maxTokens = num(b, 'max_completion_tokens', 1, 1 << 30, true) ?? num(b, 'max_tokens', 1, 1 << 30, true);
    const seed = num(b, 'seed', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
    const sampling: Partial<SamplingParams> = {};
    const temperature = num(b, 'temperature', 0, 2);
    if (temperature !== undefined) sampling.temperature = temperature;
    const topP = num(b, 'top_p', 0, 1);
    if (topP !== undefined) sampling.topP = topP === 0 ? 1e-9 : topP;
    const topK = num(b, 'top_k', -1, 1 << 20, true);
    if (topK !== undefined) sampling.topK = Math.max(0, topK);
    const pp = num(b, 'presence_penalty', -2, 2);
    if (pp !== undefined) sampling.presencePenalty = pp;
    const fp = num(b, 'frequency_penalty', -2, 2);
    if (fp !== undefined) sampling.frequencyPenalty = fp;
    if (seed !== undefined) sampling.seed = seed;
    let stop: string[] = [];
    if (typeof b.stop === 'string') stop = [b.stop];
    else if (Array.isArray(b.stop)) stop = b.stop as string[];
    else if (b.stop !== undefined && b.stop !== null) throw invalidRequest('stop must be a string or an array of strings', 'stop');
    if (stop.length > 4 || stop.some((s) => typeof s !== 'string' || s.length === 0)) {
        throw invalidRequest('stop must hold at most 4 non-empty strings', 'stop');
    }
    let logitBias: Map<number, number> | undefined;
    if (b.logit_bias !== undefined && b.logit_bias !== null) {
        if (typeof b.logit_bias !== 'object' || Array.isArray(b.logit_bias))
            throw invalidRequest('logit_bias must be an object of token id -> bias', 'logit_bias');
        logitBias = new Map();
        for (const [k, v] of Object.entries(b.logit_bias as Body)) {
            const id = Number(k);
            if (!Number.isInteger(id) || id < 0 || id >= tok.vocabSize || typeof v !== 'number' || v < -100 || v > 100) {
                throw invalidRequest(
                    `logit_bias: ${JSON.stringify(k)} must be a token id below ${tok.vocabSize} with a bias in [-100, 100]`,
                    'logit_bias',
                );
            }
            logitBias.set(id, v);
        }
    }
    const stream = bool(b, 'stream') ?? false;
    let includeUsage = false;
    if (b.stream_options !== undefined && b.stream_options !== null) {
        if (!stream) throw invalidRequest('stream_options is only allowed when stream is true', 'stream_options');
        const so = b.stream_options as Body;
        if (typeof so !== 'object') throw invalidRequest('stream_options must be an object', 'stream_options');
        includeUsage = so.include_usage === true;
    }
    if (
        b.logprobs === true ||
        (typeof b.logprobs === 'number' && b.logprobs > 0) ||
        (b.top_logprobs !== undefined && b.top_logprobs !== null && b.top_logprobs !== 0)
    ) {
        throw invalidRequest('logprobs are not supported by this server', 'logprobs');
    }
    return { model: b.model as string | undefined, maxTokens, sampling, logitBias, stop, stream, includeUsage };
}

function asBody(raw: unknown): Body {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalidRequest('the request body must be a JSON object');
    return raw as Body;
}

export function parseChatRequest(raw: unknown, tok: Tokenizer): ParsedRequest {
    const b = asBody(raw);
    const c = common(b, tok);
    if (!Array.isArray(b.messages) || b.messages.length === 0) throw invalidRequest('messages must be a non-empty array', 'messages');
    const messages = b.messages as ChatMessage[];
    messages.forEach((m, i) => {
        if (m === null || typeof m !== 'object' || typeof m.role !== 'string')
            throw invalidRequest(`messages[${i}] must be an object with a role`, `messages[${i}]`);
    });
    const structured = parseStructuredRequest(b);
    const constrained = structured.responseFormat.type !== 'text' || structured.toolChoice !== 'none';
    if (constrained && c.stop.length) {
        throw invalidRequest(
            'stop cannot be combined with tools or a JSON response_format on this server: a stop string would cut the JSON short',
            'stop',
        );
    }
    const effort = b.reasoning_effort;
    if (effort !== undefined && effort !== null && typeof effort !== 'string')
        throw invalidRequest('reasoning_effort must be a string', 'reasoning_effort');
    const kwargs = (b.chat_template_kwargs ?? {}) as Body;
    const thinkingAvailable = tok.idOf('<think>') !== undefined;
    // Constrained answers start with the JSON itself: the tiny model's plan would only eat the budget.
    const thinking =
        thinkingAvailable &&
        !constrained &&
        (kwargs.enable_thinking === true || (typeof effort === 'string' && !['none', 'minimal'].includes(effort)));
    const prompt = tok.encode(renderChat(messages, { thinking }));
    return {
        ...c,
        prompt,
        thinking,
        structured,
        mentionedTools: structured.toolChoice === 'auto' ? mentionedTools(messages, structured.tools) : [],
    };
}

export function parseCompletionRequest(raw: unknown, tok: Tokenizer): ParsedRequest {
    const b = asBody(raw);
    const c = common(b, tok);
    if (b.echo === true) throw invalidRequest('echo is not supported by this server', 'echo');
    for (const key of ['tools', 'tool_choice', 'parallel_tool_calls', 'functions', 'function_call', 'response_format']) {
        const v = Object.hasOwn(b, key) ? b[key] : undefined;
        if (v !== undefined && v !== null)
            throw invalidRequest(`${key} is a chat completions parameter: send it to /v1/chat/completions`, key);
    }
    if (b.suffix !== undefined && b.suffix !== null) throw invalidRequest('suffix is not supported by this model', 'suffix');
    const bestOf = num(b, 'best_of', 1, 20, true);
    if (bestOf !== undefined && bestOf !== 1) throw invalidRequest('best_of must be 1', 'best_of');
    let p = b.prompt;
    if (Array.isArray(p) && p.length === 1 && (typeof p[0] === 'string' || Array.isArray(p[0]))) p = p[0];
    let prompt: number[];
    if (typeof p === 'string') {
        prompt = tok.encode(p);
    } else if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'number')) {
        prompt = p as number[];
        if (prompt.some((id) => !Number.isInteger(id) || id < 0 || id >= tok.vocabSize)) {
            throw invalidRequest(`prompt token ids must be integers below ${tok.vocabSize}`, 'prompt');
        }
    } else {
        throw invalidRequest(
            'prompt must be a string, an array with one string, or an array of token ids (one prompt per request)',
            'prompt',
        );
    }
    return { ...c, prompt, thinking: false, structured: null, mentionedTools: [] };
}
