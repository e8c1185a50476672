/**
 * Tools and structured output through the adapter to real backends: the request fields reach the
 * backend unchanged, and tool-call deltas and usage come back byte for byte, with the usage read off
 * them exactly. The SSE below is written the way each server sends it (vLLM/SGLang, llama.cpp's
 * llama-server, Ollama's /v1).
 */
import { createBackend } from '../../../node/inference/adapter/backend';
import { silentLogger } from '../../../node/common/log';
import { fakeServer, FakeServer, sse } from './fake-server';

const TOOLS = [
    {
        type: 'function',
        function: {
            name: 'get_weather',
            description: 'Weather in a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
            strict: true,
        },
    },
];
const FORMAT = {
    type: 'json_schema',
    json_schema: {
        name: 'answer',
        strict: true,
        schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false },
    },
};

async function drain(body: AsyncIterable<Uint8Array>): Promise<string> {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(Buffer.from(c));
    return Buffer.concat(parts).toString('utf8');
}

const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1765000000, model: 'm' };
const delta = (d: object, finish: string | null = null, extra: object = {}) => ({
    ...head,
    choices: [{ index: 0, delta: d, logprobs: null, finish_reason: finish }],
    ...extra,
});
const call = (index: number, id: string, name: string) => ({ index, id, type: 'function', function: { name, arguments: '' } });
const args = (index: number, text: string) => ({ tool_calls: [{ index, function: { arguments: text } }] });

/** Stream shapes of the backends the worker forwards to; every one carries two parallel calls. */
const STREAMS: [string, (object | string)[], { promptTokens: number; completionTokens: number; cachedTokens: number }][] = [
    [
        'vLLM / SGLang (usage in a separate choices:[] chunk)',
        [
            delta({ role: 'assistant', content: null, tool_calls: [call(0, 'chatcmpl-tool-a1', 'get_weather')] }, null, { usage: null }),
            delta(args(0, '{"city": "Pa'), null, { usage: null }),
            delta(args(0, 'ris"}'), null, { usage: null }),
            delta({ tool_calls: [call(1, 'chatcmpl-tool-b2', 'get_weather')] }, null, { usage: null }),
            delta(args(1, '{"city": "finish_reason usage \\"done\\""}'), null, { usage: null }),
            delta({}, 'tool_calls', { usage: null }),
            {
                ...head,
                choices: [],
                usage: { prompt_tokens: 120, completion_tokens: 31, total_tokens: 151, prompt_tokens_details: { cached_tokens: 64 } },
            },
            '[DONE]',
        ],
        { promptTokens: 120, completionTokens: 31, cachedTokens: 64 },
    ],
    [
        'llama.cpp llama-server (usage and timings on the finishing chunk)',
        [
            delta({ role: 'assistant', content: null }),
            delta({ tool_calls: [{ index: 0, id: 'Xy12ab', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }] }),
            delta(args(0, '"Paris"}')),
            delta({
                tool_calls: [{ index: 1, id: 'Zq34cd', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } }],
            }),
            delta({}, 'tool_calls', {
                usage: { completion_tokens: 22, prompt_tokens: 95, total_tokens: 117 },
                timings: { prompt_n: 95, predicted_n: 22 },
            }),
            '[DONE]',
        ],
        { promptTokens: 95, completionTokens: 22, cachedTokens: 0 },
    ],
    [
        'Ollama /v1 (whole calls in one chunk, usage on the last)',
        [
            delta({
                role: 'assistant',
                content: '',
                tool_calls: [
                    { id: 'call_k1', index: 0, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
                    { id: 'call_k2', index: 1, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
                ],
            }),
            delta({ role: 'assistant', content: '' }, 'tool_calls'),
            { ...head, choices: [], usage: { prompt_tokens: 80, completion_tokens: 40, total_tokens: 120 } },
            '[DONE]',
        ],
        { promptTokens: 80, completionTokens: 40, cachedTokens: 0 },
    ],
];

describe('adapter: tools and response_format pass through to real backends', () => {
    let srv: FakeServer | undefined;
    afterEach(async () => {
        await srv?.close();
        srv = undefined;
    });

    it.each(STREAMS)('%s: tool-call deltas forwarded byte for byte, usage and finish reason read exactly', async (_name, events, u) => {
        const expected = events.map((e) => `data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`).join('');
        srv = await fakeServer((_q, res) => sse(res, events));
        const b = createBackend({ baseUrl: srv.url, logger: silentLogger });
        const body = {
            model: 'm',
            messages: [{ role: 'user', content: 'Weather in Paris and Rome?' }],
            tools: TOOLS,
            tool_choice: 'auto',
            parallel_tool_calls: true,
            stream: true,
        };
        const r = await b.chatCompletions(body);
        expect(await drain(r.body)).toBe(expected);
        const report = await r.usage;
        expect(report.usage).toEqual({ ...u, reasoningTokens: 0, totalTokens: u.promptTokens + u.completionTokens });
        expect(report).toMatchObject({ sawDone: true, finishReasons: ['tool_calls'], error: null, invalid: 0 });
        // Only include_usage is added; tools, tool_choice and parallel_tool_calls reach the backend as sent.
        expect(JSON.parse(srv.requests[0].body)).toEqual({ ...body, stream_options: { include_usage: true } });
        b.close();
    });

    it('non-streamed tool calls and a json_schema request: body sent and received unchanged, usage exact', async () => {
        const answer = {
            id: 'chatcmpl-2',
            object: 'chat.completion',
            created: 1765000000,
            model: 'm',
            choices: [
                {
                    index: 0,
                    message: {
                        role: 'assistant',
                        content: null,
                        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
                    },
                    logprobs: null,
                    finish_reason: 'tool_calls',
                },
            ],
            usage: { prompt_tokens: 50, completion_tokens: 12, total_tokens: 62, completion_tokens_details: { reasoning_tokens: 0 } },
        };
        const raw = JSON.stringify(answer);
        srv = await fakeServer((_q, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(raw);
        });
        const b = createBackend({ baseUrl: srv.url, logger: silentLogger });
        const body = {
            model: 'm',
            messages: [{ role: 'user', content: 'x' }],
            tools: TOOLS,
            tool_choice: { type: 'function', function: { name: 'get_weather' } },
            response_format: FORMAT,
        };
        const r = await b.chatCompletions(body);
        expect(await r.text()).toBe(raw);
        expect((await r.usage).usage).toEqual({
            promptTokens: 50,
            cachedTokens: 0,
            completionTokens: 12,
            reasoningTokens: 0,
            totalTokens: 62,
        });
        expect(JSON.parse(srv.requests[0].body)).toEqual(body);
        b.close();
    });
});
