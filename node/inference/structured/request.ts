/**
 * Validation of the tool-calling and structured-output fields of a chat completion request, following
 * OpenAI's API reference: `tools`, `tool_choice`, `parallel_tool_calls`, `response_format`, and the
 * tool-related parts of `messages` (assistant `tool_calls`, `tool` answers). Every error names the
 * offending parameter (`param`) in the OpenAI error shape, so the worker can refuse a request before a
 * backend sees it. Pure: no runner, engine or network imports.
 *
 * Refused although OpenAI accepts them (stated in docs/inference.md): `custom` tools and a `custom`
 * tool_choice (free-form grammars no backend here implements), the deprecated `functions` /
 * `function_call` (send `tools` / `tool_choice`), and two tools with the same name (a named
 * tool_choice and the answer's `function.name` would be ambiguous).
 */
import { invalidRequest } from '../errors';
import { checkStrictSchema } from './strict-schema';

export interface FunctionTool {
    name: string;
    description: string | undefined;
    /** JSON Schema of the arguments; undefined means "no parameters" (arguments `{}`). */
    parameters: Record<string, unknown> | undefined;
    strict: boolean;
}

export type ResponseFormat =
    | { type: 'text' }
    | { type: 'json_object' }
    | { type: 'json_schema'; name: string; description: string | undefined; schema: Record<string, unknown> | undefined; strict: boolean };

export interface StructuredRequest {
    tools: FunctionTool[];
    /** Effective choice: "none" without tools, "auto" by default with tools; a name forces that function. */
    toolChoice: 'none' | 'auto' | 'required' | { name: string };
    /** tool_choice {type:"allowed_tools"}: the model may call only these (names), null = all. */
    allowedTools: string[] | null;
    parallelToolCalls: boolean;
    responseFormat: ResponseFormat;
}

export const MAX_TOOLS = 128;
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function field(o: Obj, k: string): unknown {
    return Object.hasOwn(o, k) ? o[k] : undefined;
}

const present = (v: unknown) => v !== undefined && v !== null;

/** OpenAI refuses keys it does not know inside these objects ("Unknown parameter: 'tools[0].foo'."). */
function onlyKeys(o: Obj, allowed: string[], param: string): void {
    for (const k of Object.keys(o))
        if (!allowed.includes(k)) throw invalidRequest(`Unknown parameter: '${param}.${k}'.`, `${param}.${k}`, 'UNKNOWN_PARAMETER');
}

function requireObject(v: unknown, param: string, what: string): Obj {
    if (v === undefined || v === null) throw invalidRequest(`Missing required parameter: '${param}'.`, param, 'MISSING_REQUIRED_PARAMETER');
    if (!isObject(v))
        throw invalidRequest(`Invalid type for '${param}': expected ${what}, but got ${describe(v)} instead.`, param, 'INVALID_TYPE');
    return v;
}

function describe(v: unknown): string {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'an array';
    return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function name(v: unknown, param: string): string {
    if (v === undefined || v === null) throw invalidRequest(`Missing required parameter: '${param}'.`, param, 'MISSING_REQUIRED_PARAMETER');
    if (typeof v !== 'string')
        throw invalidRequest(`Invalid type for '${param}': expected a string, but got ${describe(v)} instead.`, param, 'INVALID_TYPE');
    if (!NAME.test(v)) {
        throw invalidRequest(
            `Invalid '${param}': string does not match pattern. Expected a string of 1 to 64 characters a-z, A-Z, 0-9, ` +
                `underscores and dashes, got ${JSON.stringify(v)}.`,
            param,
            'INVALID_VALUE',
        );
    }
    return v;
}

function optionalString(o: Obj, k: string, param: string): string | undefined {
    const v = field(o, k);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string')
        throw invalidRequest(
            `Invalid type for '${param}.${k}': expected a string, but got ${describe(v)} instead.`,
            `${param}.${k}`,
            'INVALID_TYPE',
        );
    return v;
}

function optionalBool(o: Obj, k: string, param: string): boolean | undefined {
    const v = field(o, k);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean')
        throw invalidRequest(`Invalid type for '${param}': expected a boolean, but got ${describe(v)} instead.`, param, 'INVALID_TYPE');
    return v;
}

function parseTools(raw: unknown): FunctionTool[] {
    if (!Array.isArray(raw))
        throw invalidRequest(
            `Invalid type for 'tools': expected an array of tools, but got ${describe(raw)} instead.`,
            'tools',
            'INVALID_TYPE',
        );
    if (raw.length === 0)
        throw invalidRequest(
            "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            'tools',
            'EMPTY_ARRAY',
        );
    if (raw.length > MAX_TOOLS)
        throw invalidRequest(
            `Invalid 'tools': array too long. Expected an array with maximum length ${MAX_TOOLS}, ` +
                `but got an array with length ${raw.length} instead.`,
            'tools',
            'ARRAY_ABOVE_MAX_LENGTH',
        );
    const seen = new Set<string>();
    return raw.map((t, i) => {
        const p = `tools[${i}]`;
        const tool = requireObject(t, p, 'an object');
        const type = field(tool, 'type');
        if (type === 'custom')
            throw invalidRequest(
                `Invalid value for '${p}.type': custom tools are not supported here; ` +
                    `declare a function tool ({"type": "function", "function": {...}}).`,
                `${p}.type`,
                'INVALID_VALUE',
            );
        if (type !== 'function')
            throw invalidRequest(
                `Invalid value for '${p}.type': expected 'function', got ${JSON.stringify(type ?? null)}.`,
                `${p}.type`,
                'INVALID_VALUE',
            );
        onlyKeys(tool, ['type', 'function'], p);
        const fn = requireObject(field(tool, 'function'), `${p}.function`, 'an object');
        onlyKeys(fn, ['name', 'description', 'parameters', 'strict'], `${p}.function`);
        const fname = name(field(fn, 'name'), `${p}.function.name`);
        if (seen.has(fname))
            throw invalidRequest(
                `Invalid 'tools': the function name '${fname}' appears twice; names must be unique.`,
                `${p}.function.name`,
                'INVALID_VALUE',
            );
        seen.add(fname);
        const description = optionalString(fn, 'description', `${p}.function`);
        const strict = optionalBool(fn, 'strict', `${p}.function.strict`) ?? false;
        const params = field(fn, 'parameters');
        let parameters: Obj | undefined;
        if (present(params)) {
            parameters = requireObject(params, `${p}.function.parameters`, 'a JSON Schema object');
            if (parameters.type !== 'object') {
                throw invalidRequest(
                    `Invalid schema for function '${fname}': schema must be a JSON Schema of 'type: "object"', ` +
                        `got 'type: ${JSON.stringify(parameters.type ?? null)}'.`,
                    `${p}.function.parameters`,
                    'INVALID_FUNCTION_PARAMETERS',
                );
            }
            if (strict) checkStrictSchema(parameters, `function '${fname}'`, `${p}.function.parameters`);
        }
        return { name: fname, description, parameters, strict };
    });
}

function functionRef(raw: unknown, param: string, tools: FunctionTool[]): string {
    const o = requireObject(raw, param, 'an object');
    if (field(o, 'type') !== 'function')
        throw invalidRequest(`Invalid value for '${param}.type': expected 'function'.`, `${param}.type`, 'INVALID_VALUE');
    onlyKeys(o, ['type', 'function'], param);
    const fn = requireObject(field(o, 'function'), `${param}.function`, 'an object');
    onlyKeys(fn, ['name'], `${param}.function`);
    const n = name(field(fn, 'name'), `${param}.function.name`);
    if (!tools.some((t) => t.name === n)) {
        throw invalidRequest(
            `Invalid value for '${param}.function.name': function '${n}' is not among the 'tools' ` +
                `(${tools.map((t) => t.name).join(', ')}).`,
            `${param}.function.name`,
            'INVALID_VALUE',
        );
    }
    return n;
}

function parseToolChoice(raw: unknown, tools: FunctionTool[]): Pick<StructuredRequest, 'toolChoice' | 'allowedTools'> {
    if (!present(raw)) return { toolChoice: tools.length ? 'auto' : 'none', allowedTools: null };
    if (!tools.length)
        throw invalidRequest(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            'tool_choice',
            'INVALID_VALUE',
        );
    if (typeof raw === 'string') {
        if (raw === 'none' || raw === 'auto' || raw === 'required') return { toolChoice: raw, allowedTools: null };
        throw invalidRequest(
            `Invalid value for 'tool_choice': ${JSON.stringify(raw)}. Supported values are: 'none', 'auto', 'required', ` +
                `or an object naming a function.`,
            'tool_choice',
            'INVALID_VALUE',
        );
    }
    const o = requireObject(raw, 'tool_choice', 'a string or an object');
    const type = field(o, 'type');
    if (type === 'function') return { toolChoice: { name: functionRef(o, 'tool_choice', tools) }, allowedTools: null };
    if (type === 'allowed_tools') {
        onlyKeys(o, ['type', 'allowed_tools'], 'tool_choice');
        const at = requireObject(field(o, 'allowed_tools'), 'tool_choice.allowed_tools', 'an object');
        onlyKeys(at, ['mode', 'tools'], 'tool_choice.allowed_tools');
        const mode = field(at, 'mode');
        if (mode !== 'auto' && mode !== 'required') {
            throw invalidRequest(
                `Invalid value for 'tool_choice.allowed_tools.mode': ${JSON.stringify(mode ?? null)}. Supported values are: ` +
                    `'auto' and 'required'.`,
                'tool_choice.allowed_tools.mode',
                'INVALID_VALUE',
            );
        }
        const list = field(at, 'tools');
        if (!Array.isArray(list) || list.length === 0) {
            throw invalidRequest(
                "Invalid 'tool_choice.allowed_tools.tools': expected a non-empty array of " +
                    '{"type": "function", "function": {"name": ...}}.',
                'tool_choice.allowed_tools.tools',
                'INVALID_VALUE',
            );
        }
        const names = list.map((t, i) => functionRef(t, `tool_choice.allowed_tools.tools[${i}]`, tools));
        return { toolChoice: mode, allowedTools: [...new Set(names)] };
    }
    if (type === 'custom')
        throw invalidRequest(
            "Invalid value for 'tool_choice.type': custom tools are not supported here.",
            'tool_choice.type',
            'INVALID_VALUE',
        );
    throw invalidRequest(
        `Invalid value for 'tool_choice.type': ${JSON.stringify(type ?? null)}. Supported values are: 'function' and 'allowed_tools'.`,
        'tool_choice.type',
        'INVALID_VALUE',
    );
}

function parseResponseFormat(raw: unknown, messages: unknown): ResponseFormat {
    if (!present(raw)) return { type: 'text' };
    const o = requireObject(raw, 'response_format', 'an object');
    const type = field(o, 'type');
    if (type === 'text') {
        onlyKeys(o, ['type'], 'response_format');
        return { type };
    }
    if (type === 'json_object') {
        onlyKeys(o, ['type'], 'response_format');
        if (!mentionsJson(messages)) {
            throw invalidRequest(
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
                'messages',
                'INVALID_REQUEST',
            );
        }
        return { type };
    }
    if (type === 'json_schema') {
        onlyKeys(o, ['type', 'json_schema'], 'response_format');
        const js = requireObject(field(o, 'json_schema'), 'response_format.json_schema', 'an object');
        onlyKeys(js, ['name', 'description', 'schema', 'strict'], 'response_format.json_schema');
        const n = name(field(js, 'name'), 'response_format.json_schema.name');
        const description = optionalString(js, 'description', 'response_format.json_schema');
        const strict = optionalBool(js, 'strict', 'response_format.json_schema.strict') ?? false;
        const rawSchema = field(js, 'schema');
        const schema = present(rawSchema)
            ? requireObject(rawSchema, 'response_format.json_schema.schema', 'a JSON Schema object')
            : undefined;
        if (strict) {
            if (!schema)
                throw invalidRequest(
                    "Missing required parameter: 'response_format.json_schema.schema' (strict mode needs a schema).",
                    'response_format.json_schema.schema',
                    'MISSING_REQUIRED_PARAMETER',
                );
            checkStrictSchema(schema, `response_format '${n}'`, 'response_format.json_schema.schema');
        }
        return { type, name: n, description, schema, strict };
    }
    throw invalidRequest(
        `Invalid value for 'response_format.type': ${JSON.stringify(type ?? null)}. Supported values are: 'json_object', ` +
            `'json_schema', and 'text'.`,
        'response_format.type',
        'INVALID_VALUE',
    );
}

/** Text of a message's content (a string or text parts), for the json_object rule. */
function contentText(c: unknown): string {
    if (typeof c === 'string') return c;
    if (Array.isArray(c)) return c.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join(' ');
    return '';
}

function mentionsJson(messages: unknown): boolean {
    return Array.isArray(messages) && messages.some((m) => isObject(m) && /json/i.test(contentText(field(m, 'content'))));
}

/**
 * Tool turns in the conversation: an assistant message's `tool_calls` are well formed, every `tool`
 * message answers one of them by `tool_call_id`, and every call is answered before the next
 * non-tool message (OpenAI refuses both kinds of mismatch).
 */
export function validateToolMessages(messages: unknown): void {
    if (!Array.isArray(messages)) return;
    let open = new Map<string, number>();
    const unanswered = (at: number) => {
        if (open.size) {
            throw invalidRequest(
                `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. ` +
                    `The following tool_call_ids did not have response messages: ${[...open.keys()].join(', ')}`,
                `messages[${at}]`,
                'INVALID_REQUEST',
            );
        }
    };
    messages.forEach((m, i) => {
        if (!isObject(m)) return;
        const role = field(m, 'role');
        if (role === 'tool') {
            const id = field(m, 'tool_call_id');
            if (typeof id !== 'string')
                throw invalidRequest(
                    `Missing required parameter: 'messages[${i}].tool_call_id'.`,
                    `messages[${i}].tool_call_id`,
                    'MISSING_REQUIRED_PARAMETER',
                );
            if (!open.has(id)) {
                throw invalidRequest(
                    `Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' ` +
                        `(no open call has id ${JSON.stringify(id)}).`,
                    `messages[${i}].tool_call_id`,
                    'INVALID_REQUEST',
                );
            }
            open.delete(id);
            return;
        }
        unanswered(i);
        if (role !== 'assistant') return;
        const calls = field(m, 'tool_calls');
        if (!present(calls)) return;
        const p = `messages[${i}].tool_calls`;
        if (!Array.isArray(calls))
            throw invalidRequest(`Invalid type for '${p}': expected an array, but got ${describe(calls)} instead.`, p, 'INVALID_TYPE');
        open = new Map();
        calls.forEach((c, j) => {
            const cp = `${p}[${j}]`;
            const call = requireObject(c, cp, 'an object');
            const id = field(call, 'id');
            if (typeof id !== 'string' || id.length === 0)
                throw invalidRequest(`Missing required parameter: '${cp}.id'.`, `${cp}.id`, 'MISSING_REQUIRED_PARAMETER');
            if (field(call, 'type') !== 'function')
                throw invalidRequest(`Invalid value for '${cp}.type': expected 'function'.`, `${cp}.type`, 'INVALID_VALUE');
            const fn = requireObject(field(call, 'function'), `${cp}.function`, 'an object');
            if (typeof field(fn, 'name') !== 'string')
                throw invalidRequest(
                    `Missing required parameter: '${cp}.function.name'.`,
                    `${cp}.function.name`,
                    'MISSING_REQUIRED_PARAMETER',
                );
            if (typeof field(fn, 'arguments') !== 'string')
                throw invalidRequest(
                    `Missing required parameter: '${cp}.function.arguments' (a JSON string).`,
                    `${cp}.function.arguments`,
                    'MISSING_REQUIRED_PARAMETER',
                );
            open.set(id, j);
        });
    });
    // The conversation may end right after the tool answers, not with calls left open.
    unanswered(messages.length - 1);
}

/** The tool and structured-output fields of a chat completion body, validated. */
export function parseStructuredRequest(body: Obj): StructuredRequest {
    for (const legacy of ['functions', 'function_call']) {
        if (present(field(body, legacy))) {
            throw invalidRequest(
                `'${legacy}' is deprecated and not supported here: send 'tools' (and 'tool_choice') instead.`,
                legacy,
                'UNSUPPORTED_PARAMETER',
            );
        }
    }
    const rawTools = field(body, 'tools');
    const tools = present(rawTools) ? parseTools(rawTools) : [];
    const choice = parseToolChoice(field(body, 'tool_choice'), tools);
    const ptc = field(body, 'parallel_tool_calls');
    if (present(ptc)) {
        if (typeof ptc !== 'boolean')
            throw invalidRequest(
                `Invalid type for 'parallel_tool_calls': expected a boolean, but got ${describe(ptc)} instead.`,
                'parallel_tool_calls',
                'INVALID_TYPE',
            );
        if (!tools.length)
            throw invalidRequest(
                "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.",
                'parallel_tool_calls',
                'INVALID_VALUE',
            );
    }
    const messages = field(body, 'messages');
    validateToolMessages(messages);
    return {
        tools,
        ...choice,
        parallelToolCalls: ptc !== false,
        responseFormat: parseResponseFormat(field(body, 'response_format'), messages),
    };
}
