/**
 * How the embedded model writes tool calls, and how they are read back as it writes them.
 *
 * The model's output for a tool call is one compact JSON array, constrained by a grammar built from
 * the tools' parameter schemas:
 *
 *   [{"name":"get_weather","arguments":{"city":"Paris"}},{"name":"…","arguments":{…}}]
 *
 * `name` is one of the allowed functions and `arguments` follows that function's `parameters`; the
 * array holds one call, or up to `maxParallel` when parallel_tool_calls is on. `ToolCallReader` turns
 * that text, piece by piece as it is generated, into OpenAI's tool-call deltas: a call's name as soon as
 * it is complete, then its arguments text in the pieces it was generated in (the `arguments` string of
 * the answer is exactly those bytes).
 */
import { compileSchema, NodeFactory, SchemaNode } from './schema';
import type { FunctionTool } from './request';

/** Default cap on calls in one answer with parallel_tool_calls. */
export const MAX_PARALLEL_CALLS = 8;

/** The grammar root for calls to `tools` (already restricted to the allowed ones). */
export function toolCallsNode(
    factory: NodeFactory,
    tools: FunctionTool[],
    allToolIndex: (name: string) => number,
    maxCalls: number,
): SchemaNode {
    const calls = tools.map((t) => {
        const i = allToolIndex(t.name);
        const args = t.parameters ? compileSchema(t.parameters, factory, `tools[${i}].function.parameters`) : factory.object([]);
        return factory.object([
            { key: 'name', node: factory.literal([t.name]), required: true },
            { key: 'arguments', node: args, required: true },
        ]);
    });
    return factory.array(factory.union(calls), 1, maxCalls);
}

export type ToolCallEvent = { type: 'start'; index: number; name: string } | { type: 'arguments'; index: number; text: string };

const HEAD = '{"name":';
const ARGS = ',"arguments":';

/**
 * Reads the tool-call array as it streams in. It relies on the grammar's exact layout (compact JSON,
 * `name` before `arguments`), so it needs no JSON parser: it counts braces outside strings.
 */
export class ToolCallReader {
    private stage: 'array' | 'head' | 'name' | 'args-key' | 'args' | 'call-end' | 'between' | 'done' = 'array';
    private buf = '';
    private index = -1;
    private depth = 0;
    private inString = false;
    private escaped = false;
    readonly calls: { name: string; arguments: string }[] = [];

    push(text: string): ToolCallEvent[] {
        const out: ToolCallEvent[] = [];
        let args = '';
        const flushArgs = () => {
            if (args) out.push({ type: 'arguments', index: this.index, text: args });
            args = '';
        };
        for (const ch of text) {
            switch (this.stage) {
                case 'array':
                    if (ch === '[') this.stage = 'head';
                    break;
                case 'head':
                    this.buf += ch;
                    if (this.buf === HEAD) {
                        this.buf = '';
                        this.stage = 'name';
                    }
                    break;
                case 'name':
                    this.buf += ch;
                    if (this.buf.length > 1 && ch === '"') {
                        const name = JSON.parse(this.buf) as string;
                        this.index++;
                        this.calls.push({ name, arguments: '' });
                        out.push({ type: 'start', index: this.index, name });
                        this.buf = '';
                        this.stage = 'args-key';
                    }
                    break;
                case 'args-key':
                    this.buf += ch;
                    if (this.buf === ARGS) {
                        this.buf = '';
                        this.stage = 'args';
                    }
                    break;
                case 'args':
                    args += ch;
                    this.calls[this.index].arguments += ch;
                    if (this.inString) {
                        if (this.escaped) this.escaped = false;
                        else if (ch === '\\') this.escaped = true;
                        else if (ch === '"') this.inString = false;
                    } else if (ch === '"') this.inString = true;
                    else if (ch === '{' || ch === '[') this.depth++;
                    else if (ch === '}' || ch === ']') {
                        this.depth--;
                        if (this.depth === 0) {
                            flushArgs();
                            this.stage = 'call-end';
                        }
                    }
                    break;
                case 'call-end':
                    if (ch === '}') this.stage = 'between';
                    break;
                case 'between':
                    if (ch === ',') this.stage = 'head';
                    else if (ch === ']') this.stage = 'done';
                    break;
                case 'done':
                    break;
            }
        }
        flushArgs();
        return out;
    }

    /** The array closed: every call is whole. */
    get complete(): boolean {
        return this.stage === 'done';
    }
}
