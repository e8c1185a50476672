/**
 * Token usage as billing needs it, read from whatever an OpenAI-compatible server sends.
 *
 * Where servers put the numbers:
 * - prompt_tokens, completion_tokens, total_tokens: everyone (OpenAI, vLLM, SGLang, llama-server, Ollama /v1);
 * - cached prompt tokens: usage.prompt_tokens_details.cached_tokens (OpenAI; vLLM with
 *   --enable-prompt-tokens-details; SGLang with --enable-cache-report; llama-server), else 0;
 * - reasoning tokens: usage.completion_tokens_details.reasoning_tokens (OpenAI, vLLM) or a top-level
 *   usage.reasoning_tokens (some servers; the C++ COCOON worker reads it there too), else 0;
 * - Ollama's native NDJSON API: prompt_eval_count / eval_count on the final `done: true` line.
 * Missing or malformed counters are 0, never NaN; total is recomputed when absent.
 */
export interface TokenUsage {
    promptTokens: number;
    cachedTokens: number;
    completionTokens: number;
    reasoningTokens: number;
    totalTokens: number;
}

export interface OpenAiUsage {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details?: { cached_tokens?: number } | null;
    completion_tokens_details?: { reasoning_tokens?: number } | null;
}

function count(v: unknown): number | undefined {
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Usage from an OpenAI-style `usage` object; null when it holds no recognisable counter. */
export function normalizeUsage(raw: unknown): TokenUsage | null {
    const u = obj(raw);
    if (!u) return null;
    const prompt = count(u.prompt_tokens) ?? count(u.input_tokens);
    const completion = count(u.completion_tokens) ?? count(u.output_tokens);
    if (prompt === undefined && completion === undefined) return null;
    const pd = obj(u.prompt_tokens_details) ?? obj(u.input_tokens_details);
    const cd = obj(u.completion_tokens_details) ?? obj(u.output_tokens_details);
    const promptTokens = prompt ?? 0;
    const completionTokens = completion ?? 0;
    return {
        promptTokens,
        cachedTokens: Math.min(promptTokens, count(pd?.cached_tokens) ?? count(u.cached_tokens) ?? 0),
        completionTokens,
        reasoningTokens: Math.min(completionTokens, count(cd?.reasoning_tokens) ?? count(u.reasoning_tokens) ?? 0),
        totalTokens: count(u.total_tokens) ?? promptTokens + completionTokens,
    };
}

/** Usage carried by one parsed JSON message (a chunk, a full response, or an Ollama line). */
export function usageOfMessage(msg: unknown): TokenUsage | null {
    const m = obj(msg);
    if (!m) return null;
    if (m.usage !== undefined && m.usage !== null) return normalizeUsage(m.usage);
    if (m.done === true && (m.prompt_eval_count !== undefined || m.eval_count !== undefined)) {
        const promptTokens = count(m.prompt_eval_count) ?? 0;
        const completionTokens = count(m.eval_count) ?? 0;
        return { promptTokens, cachedTokens: 0, completionTokens, reasoningTokens: 0, totalTokens: promptTokens + completionTokens };
    }
    return null;
}

export function toOpenAiUsage(u: Omit<TokenUsage, 'totalTokens'>): Required<OpenAiUsage> {
    return {
        prompt_tokens: u.promptTokens,
        completion_tokens: u.completionTokens,
        total_tokens: u.promptTokens + u.completionTokens,
        prompt_tokens_details: { cached_tokens: u.cachedTokens },
        completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
    };
}
