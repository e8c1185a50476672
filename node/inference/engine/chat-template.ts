/**
 * The chat template of cocoon/tiny-stories-1m (also stored as Jinja in the GGUF for llama.cpp):
 *
 *   <|system|>\n{system}<|end|>\n<|user|>\n{user}<|end|>\n<|assistant|>\n
 *
 * "developer" counts as "system" (OpenAI's newer name for it). When reasoning is requested the prompt
 * ends with "<think>\n", so the model writes its plan first and the engine counts those tokens as
 * reasoning tokens.
 */
import { invalidRequest } from '../errors';

export interface ChatMessage {
    role: string;
    content: unknown;
    name?: string;
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
                throw invalidRequest(`${param}[${i}]: only text content parts are supported by this model (got ${JSON.stringify(p?.type)})`, `${param}[${i}]`);
            })
            .join('');
    }
    throw invalidRequest(`${param} must be a string or an array of text parts`, param);
}

export function renderChat(messages: ChatMessage[], opts: { thinking: boolean }): string {
    let out = '';
    messages.forEach((m, i) => {
        const role = ROLES[m.role];
        if (!role) {
            throw invalidRequest(`messages[${i}].role ${JSON.stringify(m.role)} is not supported (system, developer, user, assistant)`, `messages[${i}].role`);
        }
        out += `<|${role}|>\n${contentText(m.content, `messages[${i}].content`)}<|end|>\n`;
    });
    out += '<|assistant|>\n';
    if (opts.thinking) out += '<think>\n';
    return out;
}
