/**
 * Tools and structured output through the embedded server's HTTP API: raw SSE/JSON shapes, and the
 * official openai SDK's helpers (zodResponseFormat + parse, zodFunction + stream) used unchanged.
 */
import Ajv from 'ajv';
import OpenAI from 'openai';
import { zodFunction, zodResponseFormat } from 'openai/helpers/zod';
import type { ParsedFunctionToolCall } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { Engine } from '../../../../node/inference/engine/engine';
import { DEFAULT_MODEL_PATH, EmbeddedServer, startEmbeddedServer } from '../../../../node/inference/server/server';
import { silentLogger } from '../../../../node/common/log';
import { PET_SCHEMA, WEATHER_TOOLS } from './fixtures';

/** 100 sequential generations: ~50 s on an idle core, several minutes when the 2 cores are shared (a workload, not a wait). */
const HUNDRED_RUNS_MS = 600_000;
const ajv = new Ajv({ strict: false });
const ask = (content: string) => [{ role: 'user' as const, content }];
const WEATHER = ask('What is the weather in Paris?');

async function post(url: string, body: object): Promise<{ status: number; json: unknown; text: string }> {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await r.text();
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    return { status: r.status, json, text };
}

/** The JSON chunks of an SSE answer (the trailing [DONE] checked and dropped). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- chunks are checked field by field below
function chunks(text: string): Record<string, any>[] {
    const events = text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    return events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
}

describe('embedded server: tools and response_format', () => {
    let srv: EmbeddedServer;
    let client: OpenAI;
    let url: string;
    beforeAll(async () => {
        srv = await startEmbeddedServer({ engine: Engine.load(DEFAULT_MODEL_PATH, { slots: 2 }), logger: silentLogger });
        client = new OpenAI({ baseURL: srv.url, apiKey: 'unused', maxRetries: 0 });
        url = `${srv.url}/chat/completions`;
    });
    afterAll(() => srv.close());

    it('non-streamed tool call: message.tool_calls in the OpenAI shape, finish_reason "tool_calls", exact usage', async () => {
        const r = await client.chat.completions.create({
            model: srv.modelId,
            messages: WEATHER,
            tools: WEATHER_TOOLS as OpenAI.ChatCompletionTool[],
            tool_choice: 'required',
            parallel_tool_calls: false,
            seed: 7,
            max_tokens: 64,
        });
        const choice = r.choices[0];
        expect(choice.finish_reason).toBe('tool_calls');
        expect(choice.message).toMatchObject({ role: 'assistant', content: null, refusal: null });
        const calls = choice.message.tool_calls!;
        expect(calls).toHaveLength(1);
        const call = calls[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
        expect(call).toEqual({
            id: expect.stringMatching(/^call_[0-9a-f]{24}$/),
            type: 'function',
            function: { name: expect.any(String), arguments: expect.any(String) },
        });
        const tool = WEATHER_TOOLS.find((t) => t.function.name === call.function.name)!;
        expect(
            ajv.validate(tool.function.parameters ?? { type: 'object', additionalProperties: false }, JSON.parse(call.function.arguments)),
        ).toBe(true);
        const prompt = srv.engine.tokenizer.encode('<|user|>\nWhat is the weather in Paris?<|end|>\n<|assistant|>\n').length;
        expect(r.usage!.prompt_tokens).toBe(prompt);
        expect(r.usage!.total_tokens).toBe(prompt + r.usage!.completion_tokens);
        // The model wrote `[{"name":…,"arguments":…}]`: every one of those tokens is billed, none more.
        const written = `[{"name":${JSON.stringify(call.function.name)},"arguments":${call.function.arguments}}]`;
        expect(r.usage!.completion_tokens).toBeGreaterThanOrEqual(srv.engine.tokenizer.encode(written).length - 1);
        expect(r.usage!.completion_tokens).toBeLessThanOrEqual(new TextEncoder().encode(written).length);
    });

    const streamedToolCallTitle =
        'streamed tool call: delta.tool_calls with index, id, type, name first, then the arguments in pieces; ' +
        'same call and usage as non-streamed';
    it(streamedToolCallTitle, async () => {
        const body = {
            messages: WEATHER,
            tools: WEATHER_TOOLS,
            tool_choice: { type: 'function', function: { name: 'get_weather' } },
            seed: 3,
            max_tokens: 64,
        };
        const whole = (await post(url, body)).json as {
            choices: { message: { tool_calls: { function: { name: string; arguments: string } }[] } }[];
            usage: unknown;
        };
        const sse = await post(url, { ...body, stream: true, stream_options: { include_usage: true } });
        expect(sse.status).toBe(200);
        const cs = chunks(sse.text);
        const first = cs[0].choices[0];
        expect(first).toEqual({
            index: 0,
            logprobs: null,
            finish_reason: null,
            delta: {
                role: 'assistant',
                content: null,
                tool_calls: [
                    { index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '' } },
                ],
            },
        });
        const argChunks = cs.slice(1, -2);
        expect(argChunks.length).toBeGreaterThan(1); // arguments arrive in pieces, as they are generated
        for (const c of argChunks) {
            expect(c.usage).toBeNull();
            expect(c.choices[0]).toEqual({
                index: 0,
                logprobs: null,
                finish_reason: null,
                delta: { tool_calls: [{ index: 0, function: { arguments: expect.any(String) } }] },
            });
        }
        const args = argChunks.map((c) => c.choices[0].delta.tool_calls[0].function.arguments).join('');
        expect(cs.at(-2)!.choices[0]).toEqual({ index: 0, logprobs: null, finish_reason: 'tool_calls', delta: {} });
        expect(cs.at(-1)!.choices).toEqual([]);
        expect(cs.at(-1)!.usage).toEqual(whole.usage);
        expect([whole.choices[0].message.tool_calls[0].function.name, args]).toEqual([
            'get_weather',
            whole.choices[0].message.tool_calls[0].function.arguments,
        ]);
        expect(ajv.validate(WEATHER_TOOLS[0].function.parameters!, JSON.parse(args))).toBe(true);
    });

    it('tool_choice "auto": a message naming no tool gets text (finish "length"/"stop"), tool_choice "none" never calls', async () => {
        const text = await client.chat.completions.create({
            model: srv.modelId,
            messages: ask('Tell me a story about a cat.'),
            tools: WEATHER_TOOLS as OpenAI.ChatCompletionTool[],
            seed: 1,
            max_tokens: 16,
        });
        expect(text.choices[0].message.tool_calls).toBeUndefined();
        expect(typeof text.choices[0].message.content).toBe('string');
        expect(['length', 'stop']).toContain(text.choices[0].finish_reason);
        const none = await client.chat.completions.create({
            model: srv.modelId,
            messages: WEATHER,
            tools: WEATHER_TOOLS as OpenAI.ChatCompletionTool[],
            tool_choice: 'none',
            seed: 1,
            max_tokens: 16,
        });
        expect(none.choices[0].message.tool_calls).toBeUndefined();
    });

    it(
        'openai SDK: chat.completions.parse with zodResponseFormat, 100 calls, 100 parsed and valid',
        async () => {
            const Pet = z.object({
                name: z.string(),
                age: z.number().int(),
                mood: z.enum(['happy', 'sad', 'sleepy']),
                owner: z.object({ name: z.string(), height: z.number() }).nullable(),
                tags: z.array(z.string()),
            });
            const format = zodResponseFormat(Pet, 'pet');
            const validate = ajv.compile(format.json_schema.schema!);
            for (let seed = 0; seed < 100; seed++) {
                const r = await client.chat.completions.parse({
                    model: srv.modelId,
                    messages: ask('Describe a pet as json.'),
                    response_format: format,
                    seed,
                    max_tokens: 96,
                });
                const m = r.choices[0].message;
                expect(r.choices[0].finish_reason).toBe('stop');
                expect(Pet.parse(m.parsed)).toEqual(m.parsed);
                expect(validate(JSON.parse(m.content!))).toBe(true);
            }
        },
        HUNDRED_RUNS_MS,
    );

    it(
        'openai SDK: tools from zodFunction, 100 calls with tool_choice "required", 100 parsed arguments; ' +
            'the streaming helper assembles the same call',
        async () => {
            const getWeather = zodFunction({ name: 'get_weather', parameters: z.object({ city: z.string(), unit: z.enum(['c', 'f']) }) });
            const getTime = zodFunction({ name: 'get_time', parameters: z.object({ zone: z.string() }) });
            for (let seed = 0; seed < 100; seed++) {
                const r = await client.chat.completions.parse({
                    model: srv.modelId,
                    messages: WEATHER,
                    tools: [getWeather, getTime],
                    tool_choice: 'required',
                    seed,
                    max_tokens: 96,
                });
                expect(r.choices[0].finish_reason).toBe('tool_calls');
                const calls = r.choices[0].message.tool_calls as ParsedFunctionToolCall[];
                expect(calls.length).toBeGreaterThanOrEqual(1);
                for (const c of calls) {
                    expect(['get_weather', 'get_time']).toContain(c.function.name);
                    expect(c.function.parsed_arguments).toEqual(JSON.parse(c.function.arguments));
                }
            }
            const stream = client.chat.completions.stream({
                model: srv.modelId,
                messages: WEATHER,
                tools: [getWeather, getTime],
                tool_choice: 'required',
                seed: 5,
                max_tokens: 96,
                stream_options: { include_usage: true },
            });
            const streamed = await stream.finalChatCompletion();
            const plain = await client.chat.completions.parse({
                model: srv.modelId,
                messages: WEATHER,
                tools: [getWeather, getTime],
                tool_choice: 'required',
                seed: 5,
                max_tokens: 96,
            });
            const shape = (c: OpenAI.ChatCompletionMessageToolCall) => ('function' in c ? [c.function.name, c.function.arguments] : []);
            expect(streamed.choices[0].message.tool_calls!.map(shape)).toEqual(plain.choices[0].message.tool_calls!.map(shape));
            expect(streamed.choices[0].finish_reason).toBe('tool_calls');
            expect(streamed.usage).toEqual(plain.usage);
        },
        HUNDRED_RUNS_MS,
    );

    it('json_object and a non-strict json_schema; a streamed JSON answer concatenates to the same document', async () => {
        const obj = await client.chat.completions.create({
            model: srv.modelId,
            messages: ask('A story in json.'),
            response_format: { type: 'json_object' },
            seed: 2,
            max_tokens: 48,
        });
        const v = JSON.parse(obj.choices[0].message.content!) as unknown;
        expect(v !== null && typeof v === 'object' && !Array.isArray(v)).toBe(true);
        const body = {
            messages: ask('json'),
            response_format: { type: 'json_schema', json_schema: { name: 'pet', schema: PET_SCHEMA } },
            seed: 4,
            max_tokens: 96,
        };
        const whole = (await post(url, body)).json as { choices: { message: { content: string } }[] };
        const cs = chunks((await post(url, { ...body, stream: true })).text);
        expect(cs[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
        const text = cs.map((c) => c.choices[0]?.delta?.content ?? '').join('');
        expect(text).toBe(whole.choices[0].message.content);
        expect(ajv.validate(PET_SCHEMA, JSON.parse(text))).toBe(true);
    });

    it('a conversation with a tool turn (assistant tool_calls, tool result) is rendered as the model writes calls', async () => {
        const r = await client.chat.completions.create({
            model: srv.modelId,
            messages: [
                ...WEATHER,
                {
                    role: 'assistant',
                    content: null,
                    tool_calls: [
                        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' } },
                    ],
                },
                { role: 'tool', tool_call_id: 'call_1', content: '21 degrees' },
            ],
            tools: WEATHER_TOOLS as OpenAI.ChatCompletionTool[],
            tool_choice: 'none',
            max_tokens: 8,
            seed: 1,
        });
        expect(typeof r.choices[0].message.content).toBe('string');
        const rendered =
            '<|user|>\nWhat is the weather in Paris?<|end|>\n' +
            '<|assistant|>\n[{"name":"get_weather","arguments":{"city":"Paris","unit":"c"}}]<|end|>\n' +
            '<|user|>\nResult of get_weather: 21 degrees<|end|>\n<|assistant|>\n';
        expect(r.usage!.prompt_tokens).toBe(srv.engine.tokenizer.encode(rendered).length);
    });

    const defs: Record<string, unknown> = { L0: { type: 'string' } };
    for (let k = 1; k <= 20; k++) {
        const level = { type: 'object', properties: { a: { $ref: `#/$defs/L${k - 1}` } }, required: ['a'], additionalProperties: false };
        defs[`L${k}`] = { anyOf: [level, level] };
    }
    const refusals: [string, object, number, string | null, string][] = [
        [
            'an invalid tool',
            { messages: WEATHER, tools: [{ type: 'function', function: { name: 'bad name' } }] },
            400,
            'tools[0].function.name',
            'invalid_value',
        ],
        [
            'a schema keyword constrained decoding cannot enforce',
            {
                messages: ask('json'),
                response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'string', pattern: '^a' } } },
            },
            400,
            'response_format.json_schema.schema',
            'unsupported_schema',
        ],
        [
            'a tool schema it cannot enforce',
            {
                messages: WEATHER,
                tools: [
                    {
                        type: 'function',
                        function: { name: 'f', parameters: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } } } },
                    },
                ],
            },
            400,
            'tools[0].function.parameters',
            'unsupported_schema',
        ],
        [
            'stop with a JSON answer',
            { messages: ask('json'), response_format: { type: 'json_object' }, stop: ['}'] },
            400,
            'stop',
            'invalid_request',
        ],
        [
            'max_tokens too small for the shortest valid answer',
            {
                messages: ask('json'),
                response_format: { type: 'json_schema', json_schema: { name: 'pet', strict: true, schema: PET_SCHEMA } },
                max_tokens: 10,
            },
            400,
            'max_tokens',
            'invalid_request',
        ],
        [
            'a schema too ambiguous to decode (20 nested look-alike anyOf levels)',
            {
                messages: ask('json'),
                response_format: { type: 'json_schema', json_schema: { name: 'deep', schema: { $defs: defs, $ref: '#/$defs/L20' } } },
                max_tokens: 200,
            },
            400,
            null,
            'unsupported_schema',
        ],
        [
            'response_format on /v1/completions',
            { prompt: 'x', response_format: { type: 'json_object' } },
            400,
            'response_format',
            'invalid_request',
        ],
    ];
    it.each(refusals)('refuses %s with the OpenAI error shape naming the param', async (_what, body, status, param, code) => {
        const target = 'prompt' in body ? `${srv.url}/completions` : url;
        const r = await post(target, body);
        expect(r.status).toBe(status);
        expect(r.json).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param, code } });
    });
});
