/**
 * The worker's validation of tools and structured output: the OpenAI fields pass through to the backend
 * byte-for-byte equal, a bad one is refused naming its param before any backend sees it.
 */
import { RequestValidationError, validateRequest } from '../../../node/worker/validate';
import { PET_SCHEMA, WEATHER_TOOLS } from '../inference/structured/fixtures';

const MODEL = 'cocoon/tiny-stories-1m@abc:def';
const chat = (body: object) => validateRequest('/v1/chat/completions', JSON.stringify({ model: MODEL, ...body }), MODEL);
const user = (content: string) => ({ role: 'user', content });

function refusal(fn: () => unknown): { message: string; param: string | null } {
    try {
        fn();
    } catch (e) {
        expect(e).toBeInstanceOf(RequestValidationError);
        return { message: (e as RequestValidationError).message, param: (e as RequestValidationError).param };
    }
    throw new Error('expected a refusal');
}

describe('worker request validation: tools and structured output', () => {
    it('accepts tools, every tool_choice form, parallel_tool_calls and each response_format, unchanged', () => {
        const choices = [
            'none',
            'auto',
            'required',
            { type: 'function', function: { name: 'get_time' } },
            { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'ping' } }] } },
        ];
        for (const tool_choice of choices) {
            const body = { messages: [user('weather?')], tools: WEATHER_TOOLS, tool_choice, parallel_tool_calls: false };
            expect(chat(body).body).toEqual({ model: MODEL, ...body });
        }
        const formats = [
            { type: 'text' },
            { type: 'json_object' },
            { type: 'json_schema', json_schema: { name: 'pet', schema: PET_SCHEMA, strict: true } },
        ];
        for (const response_format of formats) {
            const body = { messages: [user('a pet as JSON')], response_format, stream: true };
            expect(chat(body).body).toEqual({ model: MODEL, ...body, stream_options: { include_usage: true } });
        }
    });

    it('accepts a conversation with assistant tool_calls answered by role "tool" messages', () => {
        const messages = [
            user('weather in Paris and the time there?'),
            {
                role: 'assistant',
                content: null,
                tool_calls: [
                    { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' } },
                    { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{"zone":"CET"}' } },
                ],
            },
            { role: 'tool', tool_call_id: 'call_2', content: '12:00' },
            { role: 'tool', tool_call_id: 'call_1', content: '18 C' },
            user('thanks'),
        ];
        expect(chat({ messages, tools: WEATHER_TOOLS }).body.messages).toEqual(messages);
    });

    it.each<[string, object, string, RegExp]>([
        ['an empty tools array', { tools: [] }, 'tools', /^Invalid 'tools': empty array/],
        [
            'a tool name with a space',
            { tools: [{ type: 'function', function: { name: 'get weather' } }] },
            'tools[0].function.name',
            /does not match pattern/,
        ],
        [
            'a tool that is not a function',
            { tools: [{ type: 'custom', custom: { name: 'x' } }] },
            'tools[0].type',
            /custom tools are not supported/,
        ],
        [
            'an unknown key in a tool',
            { tools: [{ type: 'function', function: { name: 'f', parameter: {} } }] },
            'tools[0].function.parameter',
            /^Unknown parameter/,
        ],
        [
            'parameters that are not an object schema',
            { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] },
            'tools[0].function.parameters',
            /type: "object"/,
        ],
        [
            'a strict schema without additionalProperties: false',
            {
                tools: [
                    {
                        type: 'function',
                        function: {
                            name: 'f',
                            strict: true,
                            parameters: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
                        },
                    },
                ],
            },
            'tools[0].function.parameters',
            /additionalProperties/,
        ],
        [
            'two tools with the same name',
            {
                tools: [
                    { type: 'function', function: { name: 'f' } },
                    { type: 'function', function: { name: 'f' } },
                ],
            },
            'tools[1].function.name',
            /appears twice/,
        ],
        ['tool_choice without tools', { tool_choice: 'auto' }, 'tool_choice', /only allowed when 'tools' are specified/],
        [
            'tool_choice naming an undeclared function',
            { tools: WEATHER_TOOLS, tool_choice: { type: 'function', function: { name: 'nope' } } },
            'tool_choice.function.name',
            /'nope' is not among the 'tools' \(get_weather, get_time, ping\)/,
        ],
        [
            'a tool_choice string that does not exist',
            { tools: WEATHER_TOOLS, tool_choice: 'any' },
            'tool_choice',
            /Supported values are: 'none', 'auto', 'required'/,
        ],
        [
            'parallel_tool_calls that is not a boolean',
            { tools: WEATHER_TOOLS, parallel_tool_calls: 'yes' },
            'parallel_tool_calls',
            /expected a boolean/,
        ],
        [
            'parallel_tool_calls without tools',
            { parallel_tool_calls: true },
            'parallel_tool_calls',
            /only allowed when 'tools' are specified/,
        ],
        [
            'an unknown response_format type',
            { response_format: { type: 'xml' } },
            'response_format.type',
            /Supported values are: 'json_object', 'json_schema', and 'text'/,
        ],
        ['a response_format that is a string', { response_format: 'json' }, 'response_format', /expected an object, but got a string/],
        [
            'json_schema without a name',
            { response_format: { type: 'json_schema', json_schema: { schema: PET_SCHEMA } } },
            'response_format.json_schema.name',
            /Missing required parameter/,
        ],
        [
            'a strict json_schema without a schema',
            { response_format: { type: 'json_schema', json_schema: { name: 'p', strict: true } } },
            'response_format.json_schema.schema',
            /strict mode needs a schema/,
        ],
    ])('refuses %s, naming the param', (_what, fields, param, message) => {
        const r = refusal(() => chat({ messages: [user('json please')], ...fields }));
        expect(r.param).toBe(param);
        expect(r.message).toMatch(message);
    });

    it('refuses tool turns that do not match: an answer to no call, a call left unanswered, a call without arguments', () => {
        expect(refusal(() => chat({ messages: [user('x'), { role: 'tool', tool_call_id: 'call_9', content: '1' }] }))).toEqual({
            message:
                "Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' (no " +
                'open call has id "call_9").',
            param: 'messages[1].tool_call_id',
        });
        const call = { id: 'call_1', type: 'function', function: { name: 'ping', arguments: '{}' } };
        expect(refusal(() => chat({ messages: [user('x'), { role: 'assistant', tool_calls: [call] }, user('y')] })).param).toBe(
            'messages[2]',
        );
        const noArgs = { ...call, function: { name: 'ping' } };
        expect(refusal(() => chat({ messages: [user('x'), { role: 'assistant', tool_calls: [noArgs] }] })).param).toBe(
            'messages[1].tool_calls[0].function.arguments',
        );
    });

    it('json_object needs the word JSON in the messages, as OpenAI requires', () => {
        expect(refusal(() => chat({ messages: [user('a pet')], response_format: { type: 'json_object' } }))).toEqual({
            message: "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
            param: 'messages',
        });
    });

    it('keeps tools off /v1/completions (no backend takes them there)', () => {
        const r = refusal(() =>
            validateRequest('/v1/completions', JSON.stringify({ model: MODEL, prompt: 'x', tools: WEATHER_TOOLS }), MODEL),
        );
        expect(r).toEqual({ message: "unknown option 'tools' (not supported by COCOON workers)", param: 'tools' });
    });
});
