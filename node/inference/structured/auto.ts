/**
 * How the embedded engine decides tool_choice "auto" (real backends decide with their own model).
 *
 * A 1M-parameter story model has never seen a tool call: left to its logits, the first token of an
 * answer is practically never the `[` that opens one, so "auto" would never call a tool. The decision
 * is therefore made before decoding, by a rule a test (and a developer) can predict:
 * - the last user message mentions a tool: its whole name, or a word of its name of 4 letters or more
 *   (`get_weather` → "weather", `searchFlights` → "search", "flights"), ignoring case and a plural "s";
 *   then the answer is a tool call, restricted to the tools mentioned, and the grammar makes it valid;
 * - otherwise the first sampled token decides (constraint.ts AutoToolConstraint): a token that can open
 *   a tool call starts one, any other starts the text answer. With the tiny model that is text; a larger
 *   GGUF loaded in the engine makes the choice itself.
 * Pure: no engine imports (the worker may reuse it).
 */
import type { FunctionTool } from './request';

const MIN_WORD = 4;

/** Lower-case words of a function name: snake_case, kebab-case and camelCase split. */
export function nameWords(name: string): string[] {
    return name
        .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter((w) => w.length >= MIN_WORD);
}

function text(content: unknown): string {
    if (typeof content === 'string') return content;
    if (!Array.isArray(content)) return '';
    return content
        .map((p) =>
            p !== null && typeof p === 'object' && Object.hasOwn(p, 'text') && typeof (p as { text: unknown }).text === 'string'
                ? (p as { text: string }).text
                : '',
        )
        .join(' ');
}

/** Names of the tools the last user message mentions, in the order of `tools`. */
export function mentionedTools(messages: unknown, tools: FunctionTool[]): string[] {
    if (!Array.isArray(messages)) return [];
    let last: unknown;
    for (const m of messages) {
        if (m !== null && typeof m === 'object' && Object.hasOwn(m, 'role') && (m as { role: unknown }).role === 'user')
            last = (m as { content?: unknown }).content;
    }
    const said = text(last).toLowerCase();
    const words = new Set(said.split(/[^a-z0-9_]+/).flatMap((w) => [w, w.endsWith('s') ? w.slice(0, -1) : w]));
    return tools.filter((t) => words.has(t.name.toLowerCase()) || nameWords(t.name).some((w) => words.has(w))).map((t) => t.name);
}
