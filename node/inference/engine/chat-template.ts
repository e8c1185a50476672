/**
 * The chat template of cocoon/tiny-stories-1m (also stored as Jinja in the GGUF for llama.cpp):
 *
 *   <|system|>\n{system}<|end|>\n<|user|>\n{user}<|end|>\n<|assistant|>\n
 *
 * "developer" counts as "system" (OpenAI's newer name for it). When reasoning is requested the prompt
 * ends with "<think>\n", so the model writes its plan first and the engine counts those tokens as
 * reasoning tokens.
 *
 * Tool turns (the model was never trained on them; the grammar, not the prompt, makes its calls
 * well formed): an assistant message's `tool_calls` are written the way the model writes calls,
 * `[{"name":…,"arguments":…}]` (see structured/tool-calls.ts), and a `tool` message becomes a user turn
 * "Result of <function>: <content>". Tool definitions are not put in the prompt: the 256-token context
 * would not hold them, and the grammar carries them.
 */
import { invalidRequest } from '../errors';

export interface ChatMessage {
    role: string;
    content: unknown;
    name?: string;
    tool_calls?: unknown;
    tool_call_id?: unknown;
}

const ROLES: Record<string, string> = { system: 'system', developer: 'system', user: 'user', assistant: 'assistant' };

/** Message content as plain text: a string, or an array of {type:"text", text} parts. */
export function contentText(content: unknown, param: string): string {
    if (typeof content === 'string') return content;
    if (content === null || content === undefined) return '';
    if (Array.isArray(content)) {
        return content
            .map((part, i) => {
                const p = part as { type?: unknown; text?: unknown };
                if (p && p.type === 'text' && typeof p.text === 'string') return p.text;
                throw invalidRequest(
                    `${param}[${i}]: only text content parts are supported by this model (got ${JSON.stringify(p?.type)})`,
                    `${param}[${i}]`,
                );
            })
            .join('');
    }
    throw invalidRequest(`${param} must be a string or an array of text parts`, param);
}

interface ToolCallIn {
    id: string;
    function: { name: string; arguments: string };
}

/** A call as the model writes it; arguments that are not JSON stay a JSON string. */
function callText(c: ToolCallIn): string {
    let args: string;
    try {
        args = JSON.stringify(JSON.parse(c.function.arguments));
    } catch {
        args = JSON.stringify(c.function.arguments);
    }
    return `{"name":${JSON.stringify(c.function.name)},"arguments":${args}}`;
}

/** Tool turns must already be validated (structured/request.ts validateToolMessages). */
export function renderChat(messages: ChatMessage[], opts: { thinking: boolean }): string {
    let out = '';
    const callNames = new Map<string, string>();
    messages.forEach((m, i) => {
        if (m.role === 'tool') {
            const name = callNames.get(String(m.tool_call_id)) ?? 'a tool';
            out += `<|user|>\nResult of ${name}: ${contentText(m.content, `messages[${i}].content`)}<|end|>\n`;
            return;
        }
        const role = Object.hasOwn(ROLES, m.role) ? ROLES[m.role] : undefined;
        if (!role) {
            throw invalidRequest(
                `messages[${i}].role ${JSON.stringify(m.role)} is not supported (system, developer, user, assistant, tool)`,
                `messages[${i}].role`,
            );
        }
        let text = contentText(m.content, `messages[${i}].content`);
        if (role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length) {
            const calls = m.tool_calls as ToolCallIn[];
            for (const c of calls) callNames.set(c.id, c.function.name);
            text += `[${calls.map(callText).join(',')}]`;
        }
        out += `<|${role}|>\n${text}<|end|>\n`;
    });
    out += '<|assistant|>\n';
    if (opts.thinking) out += '<think>\n';
    return out;
}
