import { InferenceError } from '../../../../node/inference/errors';
import { parseStructuredRequest, StructuredRequest } from '../../../../node/inference/structured/request';
import { STRICT_LIMITS } from '../../../../node/inference/structured/strict-schema';

const msgs = [{ role: 'user', content: 'Answer in JSON.' }];
const weather = {
    type: 'function',
    function: {
        name: 'get_weather',
        description: 'Weather in a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
};
const time = { type: 'function', function: { name: 'get_time' } };
const strictObj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
    ...extra,
});
const rf = (schema: unknown, strict = true) => ({ type: 'json_schema', json_schema: { name: 'answer', schema, strict } });

function refuse(body: Record<string, unknown>): { param: string | null; code: string; message: string; status: number; type: string } {
    try {
        parseStructuredRequest({ messages: msgs, ...body });
    } catch (e) {
        if (!(e instanceof InferenceError)) throw e;
        const j = e.toJSON().error;
        return { param: j.param, code: j.code, message: j.message, status: e.status, type: j.type };
    }
    throw new Error(`accepted: ${JSON.stringify(body)}`);
}

function accept(body: Record<string, unknown>): StructuredRequest {
    return parseStructuredRequest({ messages: msgs, ...body });
}

describe('structured request validation: what is accepted', () => {
    it('defaults: no tools, tool_choice none, parallel calls on, text', () => {
        expect(accept({})).toEqual({
            tools: [],
            toolChoice: 'none',
            allowedTools: null,
            parallelToolCalls: true,
            responseFormat: { type: 'text' },
        });
        expect(accept({ tools: null, tool_choice: null, response_format: null, parallel_tool_calls: null }).toolChoice).toBe('none');
    });

    it('function tools, with and without parameters; tool_choice defaults to auto', () => {
        const r = accept({ tools: [weather, time] });
        expect(r.tools).toEqual([
            { name: 'get_weather', description: 'Weather in a city', parameters: weather.function.parameters, strict: false },
            { name: 'get_time', description: undefined, parameters: undefined, strict: false },
        ]);
        expect(r.toolChoice).toBe('auto');
    });

    it('every tool_choice form, and parallel_tool_calls', () => {
        const tools = [weather, time];
        expect(accept({ tools, tool_choice: 'none' }).toolChoice).toBe('none');
        expect(accept({ tools, tool_choice: 'auto' }).toolChoice).toBe('auto');
        expect(accept({ tools, tool_choice: 'required' }).toolChoice).toBe('required');
        expect(accept({ tools, tool_choice: { type: 'function', function: { name: 'get_time' } } }).toolChoice).toEqual({
            name: 'get_time',
        });
        const allowed = accept({
            tools,
            tool_choice: {
                type: 'allowed_tools',
                allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'get_weather' } }] },
            },
        });
        expect([allowed.toolChoice, allowed.allowedTools]).toEqual(['required', ['get_weather']]);
        expect(accept({ tools, parallel_tool_calls: false }).parallelToolCalls).toBe(false);
    });

    it('response formats: text, json_object (the messages say JSON), json_schema strict and not', () => {
        expect(accept({ response_format: { type: 'text' } }).responseFormat).toEqual({ type: 'text' });
        expect(accept({ response_format: { type: 'json_object' } }).responseFormat).toEqual({ type: 'json_object' });
        expect(
            parseStructuredRequest({
                messages: [{ role: 'user', content: [{ type: 'text', text: 'give me json' }] }],
                response_format: { type: 'json_object' },
            }).responseFormat.type,
        ).toBe('json_object');
        // Non-strict: any schema object, or none at all.
        expect(accept({ response_format: rf({ type: 'string', minLength: 3 }, false) }).responseFormat).toEqual({
            type: 'json_schema',
            name: 'answer',
            description: undefined,
            schema: { type: 'string', minLength: 3 },
            strict: false,
        });
        expect(accept({ response_format: { type: 'json_schema', json_schema: { name: 'x' } } }).responseFormat).toMatchObject({
            schema: undefined,
            strict: false,
        });
        // Strict: what the openai SDK's zodResponseFormat sends ($schema, definitions, $ref, anyOf with null, type lists, const).
        const zodLike = {
            type: 'object',
            properties: {
                steps: { type: 'array', items: { $ref: '#/definitions/step' } },
                n: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
                u: { type: ['string', 'number'] },
                lit: { type: 'string', const: 'x' },
                kind: { type: 'string', enum: ['a', 'b'], description: 'which' },
                when: { type: 'string', format: 'date-time', pattern: '^[0-9]' },
                score: { type: 'number', minimum: 0, maximum: 1, multipleOf: 0.5 },
            },
            required: ['steps', 'n', 'u', 'lit', 'kind', 'when', 'score'],
            additionalProperties: false,
            definitions: { step: strictObj({ explanation: { type: 'string' } }) },
            $schema: 'http://json-schema.org/draft-07/schema#',
        };
        expect(accept({ response_format: rf(zodLike) }).responseFormat).toMatchObject({ strict: true, schema: zodLike });
        // Strict function tools follow the same rules.
        expect(
            accept({
                tools: [{ type: 'function', function: { name: 'f', strict: true, parameters: strictObj({ a: { type: 'string' } }) } }],
            }).tools[0].strict,
        ).toBe(true);
    });

    it('tool turns: assistant tool_calls answered by tool messages', () => {
        const messages = [
            { role: 'user', content: 'weather?' },
            {
                role: 'assistant',
                content: null,
                tool_calls: [
                    { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
                    { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
                ],
            },
            { role: 'tool', tool_call_id: 'call_2', content: 'noon' },
            { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
            { role: 'user', content: 'thanks' },
        ];
        expect(parseStructuredRequest({ messages, tools: [weather, time] }).tools).toHaveLength(2);
    });
});

describe('structured request validation: what is refused, and which param is named', () => {
    const cases: [string, Record<string, unknown>, string, string][] = [
        ['tools not an array', { tools: { type: 'function' } }, 'tools', 'invalid_type'],
        ['tools empty', { tools: [] }, 'tools', 'empty_array'],
        [
            'more than 128 tools',
            { tools: Array.from({ length: 129 }, (_, i) => ({ type: 'function', function: { name: `f${i}` } })) },
            'tools',
            'array_above_max_length',
        ],
        ['a tool that is not an object', { tools: ['f'] }, 'tools[0]', 'invalid_type'],
        ['a custom tool', { tools: [{ type: 'custom', custom: { name: 'g' } }] }, 'tools[0].type', 'invalid_value'],
        ['a tool without type', { tools: [{ function: { name: 'f' } }] }, 'tools[0].type', 'invalid_value'],
        ['an unknown key in a tool', { tools: [{ ...time, extra: 1 }] }, 'tools[0].extra', 'unknown_parameter'],
        ['a tool without function', { tools: [{ type: 'function' }] }, 'tools[0].function', 'missing_required_parameter'],
        [
            'an unknown key in a function',
            { tools: [{ type: 'function', function: { name: 'f', params: {} } }] },
            'tools[0].function.params',
            'unknown_parameter',
        ],
        [
            'a function without name',
            { tools: [{ type: 'function', function: {} }] },
            'tools[0].function.name',
            'missing_required_parameter',
        ],
        ['a name that is not a string', { tools: [{ type: 'function', function: { name: 7 } }] }, 'tools[0].function.name', 'invalid_type'],
        [
            'a name with a space',
            { tools: [{ type: 'function', function: { name: 'get weather' } }] },
            'tools[0].function.name',
            'invalid_value',
        ],
        [
            'a 65-character name',
            { tools: [{ type: 'function', function: { name: 'x'.repeat(65) } }] },
            'tools[0].function.name',
            'invalid_value',
        ],
        ['two tools with one name', { tools: [time, time] }, 'tools[1].function.name', 'invalid_value'],
        [
            'a description that is not a string',
            { tools: [{ type: 'function', function: { name: 'f', description: 1 } }] },
            'tools[0].function.description',
            'invalid_type',
        ],
        [
            'strict that is not a boolean',
            { tools: [{ type: 'function', function: { name: 'f', strict: 'yes' } }] },
            'tools[0].function.strict',
            'invalid_type',
        ],
        [
            'parameters that are not an object',
            { tools: [{ type: 'function', function: { name: 'f', parameters: [] } }] },
            'tools[0].function.parameters',
            'invalid_type',
        ],
        [
            'parameters whose root is not an object',
            { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] },
            'tools[0].function.parameters',
            'invalid_function_parameters',
        ],
        [
            'strict parameters without additionalProperties false',
            {
                tools: [
                    {
                        type: 'function',
                        function: { name: 'f', strict: true, parameters: { type: 'object', properties: {}, required: [] } },
                    },
                ],
            },
            'tools[0].function.parameters',
            'invalid_json_schema',
        ],
        ['tool_choice without tools', { tool_choice: 'none' }, 'tool_choice', 'invalid_value'],
        ['an unknown tool_choice string', { tools: [time], tool_choice: 'any' }, 'tool_choice', 'invalid_value'],
        ['tool_choice that is a number', { tools: [time], tool_choice: 3 }, 'tool_choice', 'invalid_type'],
        [
            'a named tool_choice not in tools',
            { tools: [time], tool_choice: { type: 'function', function: { name: 'get_weather' } } },
            'tool_choice.function.name',
            'invalid_value',
        ],
        [
            'a named tool_choice without name',
            { tools: [time], tool_choice: { type: 'function', function: {} } },
            'tool_choice.function.name',
            'missing_required_parameter',
        ],
        [
            'a named tool_choice without function',
            { tools: [time], tool_choice: { type: 'function' } },
            'tool_choice.function',
            'missing_required_parameter',
        ],
        ['a tool_choice of an unknown type', { tools: [time], tool_choice: { type: 'tool' } }, 'tool_choice.type', 'invalid_value'],
        [
            'a custom tool_choice',
            { tools: [time], tool_choice: { type: 'custom', custom: { name: 'g' } } },
            'tool_choice.type',
            'invalid_value',
        ],
        [
            'allowed_tools with mode none',
            { tools: [time], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'none', tools: [time] } } },
            'tool_choice.allowed_tools.mode',
            'invalid_value',
        ],
        [
            'allowed_tools with no tools',
            { tools: [time], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } } },
            'tool_choice.allowed_tools.tools',
            'invalid_value',
        ],
        [
            'allowed_tools naming an unknown tool',
            {
                tools: [time],
                tool_choice: {
                    type: 'allowed_tools',
                    allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'nope' } }] },
                },
            },
            'tool_choice.allowed_tools.tools[0].function.name',
            'invalid_value',
        ],
        ['parallel_tool_calls that is not a boolean', { tools: [time], parallel_tool_calls: 'no' }, 'parallel_tool_calls', 'invalid_type'],
        ['parallel_tool_calls without tools', { parallel_tool_calls: false }, 'parallel_tool_calls', 'invalid_value'],
        ['the deprecated functions', { functions: [{ name: 'f' }] }, 'functions', 'unsupported_parameter'],
        ['the deprecated function_call', { function_call: 'auto' }, 'function_call', 'unsupported_parameter'],
        ['response_format that is a string', { response_format: 'json' }, 'response_format', 'invalid_type'],
        ['an unknown response_format type', { response_format: { type: 'xml' } }, 'response_format.type', 'invalid_value'],
        ['a text format with extra keys', { response_format: { type: 'text', schema: {} } }, 'response_format.schema', 'unknown_parameter'],
        [
            'json_schema without json_schema',
            { response_format: { type: 'json_schema' } },
            'response_format.json_schema',
            'missing_required_parameter',
        ],
        [
            'json_schema without name',
            { response_format: { type: 'json_schema', json_schema: { schema: {} } } },
            'response_format.json_schema.name',
            'missing_required_parameter',
        ],
        [
            'json_schema with a bad name',
            { response_format: { type: 'json_schema', json_schema: { name: 'my answer' } } },
            'response_format.json_schema.name',
            'invalid_value',
        ],
        [
            'json_schema with an unknown key',
            { response_format: { type: 'json_schema', json_schema: { name: 'a', strict: true, schema: strictObj({}), extra: 1 } } },
            'response_format.json_schema.extra',
            'unknown_parameter',
        ],
        [
            'json_schema strict that is not a boolean',
            { response_format: { type: 'json_schema', json_schema: { name: 'a', strict: 1 } } },
            'response_format.json_schema.strict',
            'invalid_type',
        ],
        [
            'a schema that is not an object',
            { response_format: { type: 'json_schema', json_schema: { name: 'a', schema: 'string' } } },
            'response_format.json_schema.schema',
            'invalid_type',
        ],
        [
            'strict without a schema',
            { response_format: { type: 'json_schema', json_schema: { name: 'a', strict: true } } },
            'response_format.json_schema.schema',
            'missing_required_parameter',
        ],
    ];
    it.each(cases)('%s', (_what, body, param, code) => {
        const r = refuse(body);
        expect({ param: r.param, code: r.code, status: r.status, type: r.type }).toEqual({
            param,
            code,
            status: 400,
            type: 'invalid_request_error',
        });
        // Schema errors name the function, as OpenAI's do ("Invalid schema for function 'f': …"); the rest name the field.
        expect(r.message).toContain(
            code.includes('schema') || code.includes('parameters')
                ? "function 'f'"
                : param
                      .split('.')
                      .at(-1)!
                      .replace(/\[\d+\]$/, ''),
        );
    });

    it('json_object needs the word "json" in the messages', () => {
        const e = (() => {
            try {
                parseStructuredRequest({ messages: [{ role: 'user', content: 'hello' }], response_format: { type: 'json_object' } });
            } catch (err) {
                return (err as InferenceError).toJSON().error;
            }
        })();
        expect(e).toEqual({
            param: 'messages',
            code: 'invalid_request',
            type: 'invalid_request_error',
            message: "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        });
    });
});

describe("strict schemas: OpenAI's rules", () => {
    const strictCases: [string, unknown, string][] = [
        [
            'a root that is not an object',
            { type: 'array', items: { type: 'string' } },
            `In context=(), schema must be a JSON Schema of 'type: "object"', got 'type: "array"'.`,
        ],
        [
            'a root anyOf',
            { type: 'object', anyOf: [strictObj({})], properties: {}, required: [], additionalProperties: false },
            "with 'anyOf'",
        ],
        [
            'a keyword outside the subset (default)',
            strictObj({ a: { type: 'string', default: 'x' } }),
            "In context=('properties', 'a'), 'default' is not permitted.",
        ],
        ['minLength', strictObj({ a: { type: 'string', minLength: 1 } }), "'minLength' is not permitted."],
        ['allOf', strictObj({ a: { allOf: [{ type: 'string' }] } }), "'allOf' is not permitted."],
        [
            'additionalProperties missing',
            { type: 'object', properties: {}, required: [] },
            "In context=(), 'additionalProperties' is required to be supplied and to be false.",
        ],
        [
            'additionalProperties true in a nested object',
            strictObj({ a: { type: 'object', properties: {}, required: [], additionalProperties: true } }),
            "In context=('properties', 'a'), 'additionalProperties' is required",
        ],
        [
            'a property not required',
            { type: 'object', properties: { a: { type: 'string' } }, required: [], additionalProperties: false },
            "Missing 'a'.",
        ],
        [
            'an extra required key',
            { type: 'object', properties: {}, required: ['b'], additionalProperties: false },
            "Extra required key 'b' supplied.",
        ],
        ['a schema without type', strictObj({ a: { description: 'x' } }), "In context=('properties', 'a'), schema must have a 'type' key."],
        ['an unknown type', strictObj({ a: { type: 'date' } }), 'type "date" is not supported'],
        ['an empty enum', strictObj({ a: { type: 'string', enum: [] } }), "'enum' must be a non-empty array."],
        ['an unsupported format', strictObj({ a: { type: 'string', format: 'uri' } }), 'format "uri" is not supported'],
        ['an invalid pattern', strictObj({ a: { type: 'string', pattern: '(' } }), '\'pattern\' "(" is not a valid regular expression.'],
        ['a minimum that is not a number', strictObj({ a: { type: 'number', minimum: '1' } }), "'minimum' must be a number."],
        [
            'a negative minItems',
            strictObj({ a: { type: 'array', items: { type: 'string' }, minItems: -1 } }),
            "'minItems' must be a non-negative integer.",
        ],
        [
            'an array without items',
            strictObj({ a: { type: 'array' } }),
            "In context=('properties', 'a'), 'items' must be given for an array.",
        ],
        ['a $ref to nothing', strictObj({ a: { $ref: '#/$defs/missing' } }), `'$ref' "#/$defs/missing" does not resolve`],
        ['a remote $ref', strictObj({ a: { $ref: 'https://example.com/s.json' } }), 'does not resolve'],
        ['an empty anyOf', strictObj({ a: { anyOf: [] } }), "'anyOf' must be a non-empty array of schemas."],
        ['$defs that are not an object', strictObj({}, { $defs: [] }), "'$defs' must be an object of schemas."],
        [
            'a bad schema inside $defs',
            strictObj({}, { $defs: { d: { type: 'object', properties: {} } } }),
            "In context=('$defs', 'd'), 'additionalProperties' is required",
        ],
    ];
    it.each(strictCases)('refuses %s', (_what, schema, message) => {
        const r = refuse({ response_format: rf(schema) });
        expect(r.param).toBe('response_format.json_schema.schema');
        expect(r.code).toBe('invalid_json_schema');
        expect(r.message.startsWith("Invalid schema for response_format 'answer': ")).toBe(true);
        expect(r.message).toContain(message);
    });

    it('limits: nesting depth, property count, enum values, characters, big enums', () => {
        let deep: Record<string, unknown> = strictObj({ v: { type: 'string' } });
        for (let i = 0; i < STRICT_LIMITS.nesting - 1; i++) deep = strictObj({ d: deep });
        expect(accept({ response_format: rf(deep) }).responseFormat.type).toBe('json_schema');
        expect(refuse({ response_format: rf(strictObj({ d: deep })) }).message).toContain(
            `nested at most ${STRICT_LIMITS.nesting} levels deep`,
        );

        const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: 'string' }]));
        expect(refuse({ response_format: rf(strictObj(many(STRICT_LIMITS.properties + 1))) }).message).toContain(
            `${STRICT_LIMITS.properties + 1} object properties`,
        );
        const enums = strictObj({
            a: { type: 'integer', enum: Array.from({ length: 600 }, (_, i) => i) },
            b: { type: 'integer', enum: Array.from({ length: 401 }, (_, i) => i) },
        });
        expect(refuse({ response_format: rf(enums) }).message).toContain('1001 enum values');
        expect(
            refuse({ response_format: rf(strictObj({ ['k'.repeat(STRICT_LIMITS.stringChars + 1)]: { type: 'string' } })) }).message,
        ).toContain(`at most ${STRICT_LIMITS.stringChars} are allowed`);
        const big = strictObj({ a: { type: 'string', enum: Array.from({ length: 251 }, (_, i) => `${i}`.padStart(60, 'x')) } });
        expect(refuse({ response_format: rf(big) }).message).toContain('more than 250 values');
        const bigButShort = strictObj({ a: { type: 'string', enum: Array.from({ length: 251 }, (_, i) => `v${i}`) } });
        expect(accept({ response_format: rf(bigButShort) }).responseFormat.type).toBe('json_schema');
    });

    it('names a strict function in its message', () => {
        const r = refuse({
            tools: [
                {
                    type: 'function',
                    function: {
                        name: 'f',
                        strict: true,
                        parameters: { type: 'object', properties: { a: { type: 'string' } }, required: [], additionalProperties: false },
                    },
                },
            ],
        });
        expect(r.message).toBe(
            "Invalid schema for function 'f': In context=(), 'required' is required to be supplied and to be an array " +
                "including every key in properties. Missing 'a'.",
        );
    });
});

describe('tool turns in messages', () => {
    const call = (id: string) => ({ id, type: 'function', function: { name: 'get_time', arguments: '{}' } });
    const cases: [string, unknown[], string, string][] = [
        ['a tool message without tool_call_id', [{ role: 'tool', content: 'x' }], 'messages[0].tool_call_id', 'missing_required_parameter'],
        [
            'a tool message answering no call',
            [
                { role: 'user', content: 'hi' },
                { role: 'tool', tool_call_id: 'call_9', content: 'x' },
            ],
            'messages[1].tool_call_id',
            'invalid_request',
        ],
        ['tool_calls that are not an array', [{ role: 'assistant', tool_calls: {} }], 'messages[0].tool_calls', 'invalid_type'],
        [
            'a call without id',
            [{ role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }],
            'messages[0].tool_calls[0].id',
            'missing_required_parameter',
        ],
        [
            'a call of another type',
            [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'custom', function: { name: 'f', arguments: '{}' } }] }],
            'messages[0].tool_calls[0].type',
            'invalid_value',
        ],
        [
            'a call without function name',
            [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { arguments: '{}' } }] }],
            'messages[0].tool_calls[0].function.name',
            'missing_required_parameter',
        ],
        [
            'arguments that are not a string',
            [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }] }],
            'messages[0].tool_calls[0].function.arguments',
            'missing_required_parameter',
        ],
        [
            'a call left unanswered before the next user turn',
            [
                { role: 'assistant', tool_calls: [call('c1'), call('c2')] },
                { role: 'tool', tool_call_id: 'c1', content: 'x' },
                { role: 'user', content: 'and?' },
            ],
            'messages[2]',
            'invalid_request',
        ],
        [
            'a conversation ending with unanswered calls',
            [
                { role: 'user', content: 'hi' },
                { role: 'assistant', tool_calls: [call('c1')] },
            ],
            'messages[1]',
            'invalid_request',
        ],
        [
            'a call answered twice',
            [
                { role: 'assistant', tool_calls: [call('c1')] },
                { role: 'tool', tool_call_id: 'c1', content: 'x' },
                { role: 'tool', tool_call_id: 'c1', content: 'y' },
            ],
            'messages[2].tool_call_id',
            'invalid_request',
        ],
    ];
    it.each(cases)('refuses %s', (_what, messages, param, code) => {
        const r = refuse({ messages });
        expect({ param: r.param, code: r.code }).toEqual({ param, code });
    });

    it('the message lists the calls left without an answer', () => {
        expect(
            refuse({
                messages: [
                    { role: 'assistant', tool_calls: [call('call_a'), call('call_b')] },
                    { role: 'tool', tool_call_id: 'call_a', content: '1' },
                ],
            }).message,
        ).toBe(
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. " +
                'The following tool_call_ids did not have response messages: call_b',
        );
    });
});
