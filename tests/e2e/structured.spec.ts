/** @jest-environment node */
/**
 * Tools and structured output through the whole network (client API -> proxy -> worker -> embedded model,
 * RA-TLS, local chain) with the official openai SDK used unchanged: tool calls non-streamed and streamed,
 * chat.completions.parse with zodResponseFormat, 100 calls each, every answer checked by ajv against its
 * schema, every answer's receipt verified and equal to its usage, the proxy's ledger equal to the receipts.
 */
import { createHash } from 'crypto';
import Ajv, { type ValidateFunction } from 'ajv';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { adjustUsage, tokenPricing } from '../../node/common/tokens';
import { tokensToReceipt, type Receipt } from '../../node/common/receipt';
import { WEATHER_TOOLS } from '../node/inference/structured/fixtures';
import { startTestNetwork, type TestNetwork } from './helpers/network';

/**
 * 100 generations through three runners: a workload, not a wait (about 10 s a call when the 2 cores are
 * shared by a load of ~20, so the bound is generous).
 */
const HUNDRED_RUNS_MS = 2_400_000;
const RUNS = 100;
const MODEL = 'cocoon/tiny-stories-1m';
jest.setTimeout(180_000);

const ajv = new Ajv({ strict: false });
const TOOLS = WEATHER_TOOLS as OpenAI.ChatCompletionFunctionTool[];
/** A tool without `parameters` takes no arguments: `{}`. */
const argumentSchemas = new Map<string, ValidateFunction>(
    TOOLS.map((t) => [t.function.name, ajv.compile(t.function.parameters ?? { type: 'object', additionalProperties: false })]),
);
const WEATHER = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];

let net: TestNetwork;
let openai: OpenAI;
/** Sum of the billed totals of every receipt this spec received. */
let billed = 0n;

/** Chain, contracts, three runners and the model: about 6 minutes when the 2 cores are shared by a load of ~20. */
const START_MS = 900_000;

beforeAll(async () => {
    net = await startTestNetwork();
    openai = new OpenAI({ baseURL: net.apiUrl, apiKey: 'unused', maxRetries: 0 });
}, START_MS);
afterAll(async () => {
    await net?.close();
});

/** The receipt of the answer that just ended: new, verified by the client, and billing exactly `usage`. */
function receiptFor(usage: OpenAI.CompletionUsage | undefined | null, previous: Receipt | null): Receipt {
    const last = net.client!.receipts.at(-1)!;
    expect(last).toMatchObject({ status: 200, receiptValid: true, error: null });
    const receipt = last.receipt!;
    expect(receipt.requestId).not.toBe(previous?.requestId);
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + usage!.completion_tokens);
    const tokens = adjustUsage(
        {
            promptTokens: usage!.prompt_tokens,
            cachedTokens: usage!.prompt_tokens_details?.cached_tokens ?? 0,
            completionTokens: usage!.completion_tokens,
            reasoningTokens: usage!.completion_tokens_details?.reasoning_tokens ?? 0,
        },
        BigInt(receipt.coefficient),
        tokenPricing(net.params),
    );
    expect(receipt.tokens).toEqual(tokensToReceipt(tokens));
    expect(last.tokens).toBe(tokens.total);
    billed += tokens.total;
    return receipt;
}

function checkCall(name: string, args: string): void {
    const validate = argumentSchemas.get(name);
    expect(validate).toBeDefined();
    expect({ name, valid: validate!(JSON.parse(args)), errors: validate!.errors ?? null }).toEqual({ name, valid: true, errors: null });
}

describe('tools and structured output through client, proxy and worker', () => {
    it('a bad tool definition is refused by the client API in the OpenAI shape, naming the param, before anything is billed', async () => {
        const before = net.client!.receipts.length;
        const err = await openai.chat.completions
            .create({ model: MODEL, messages: WEATHER, tools: [{ type: 'function', function: { name: 'get weather' } }] })
            .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OpenAI.BadRequestError);
        const e = err as InstanceType<typeof OpenAI.BadRequestError>;
        expect([e.status, e.type, e.code, e.param]).toEqual([400, 'invalid_request_error', 'invalid_request', 'tools[0].function.name']);
        expect(e.message).toMatch(/string does not match pattern/);
        const choice = await openai.chat.completions
            .create({ model: MODEL, messages: WEATHER, tools: TOOLS, tool_choice: { type: 'function', function: { name: 'get_date' } } })
            .catch((x: unknown) => x);
        expect((choice as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('tool_choice.function.name');
        expect(net.client!.receipts.length).toBe(before);
    });

    it('raw SSE: delta.tool_calls reach the caller in the OpenAI shape, and the receipt covers exactly those bytes', async () => {
        const r = await fetch(`${net.apiUrl}/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
                model: MODEL,
                messages: WEATHER,
                tools: TOOLS,
                tool_choice: { type: 'function', function: { name: 'get_weather' } },
                stream: true,
                max_tokens: 64,
            }),
        });
        expect(r.status).toBe(200);
        const bytes = Buffer.from(await r.arrayBuffer());
        const events = bytes.toString('utf8').split('\n\n').filter(Boolean);
        expect(events.at(-1)).toBe('data: [DONE]');
        const chunks = events.slice(0, -1).map((ev) => JSON.parse(ev.slice('data: '.length)) as OpenAI.ChatCompletionChunk);
        expect(chunks[0].choices[0].delta.tool_calls).toEqual([
            { index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '' } },
        ]);
        const argChunks = chunks.slice(1, -2);
        expect(argChunks.length).toBeGreaterThan(1);
        for (const c of argChunks)
            expect(c.choices[0].delta).toEqual({ tool_calls: [{ index: 0, function: { arguments: expect.any(String) } }] });
        expect(chunks.at(-2)!.choices[0].finish_reason).toBe('tool_calls');
        expect(chunks.at(-1)!.choices).toEqual([]);
        checkCall('get_weather', argChunks.map((c) => c.choices[0].delta.tool_calls![0].function!.arguments).join(''));
        const receipt = receiptFor(chunks.at(-1)!.usage, null);
        expect([receipt.responseSha256, receipt.responseBytes]).toEqual([createHash('sha256').update(bytes).digest('hex'), bytes.length]);
    });

    it(
        `chat.completions.create with tools, ${RUNS} requests alternating non-streamed and streamed: ${RUNS} well-formed calls ` +
            `valid against their schemas`,
        async () => {
            let previous: Receipt | null = null;
            let calls = 0;
            for (let i = 0; i < RUNS; i++) {
                if (i % 2 === 0) {
                    const r = await openai.chat.completions.create({
                        model: MODEL,
                        messages: WEATHER,
                        tools: TOOLS,
                        tool_choice: 'required',
                        parallel_tool_calls: false,
                        max_tokens: 64,
                    });
                    expect(r.choices[0].finish_reason).toBe('tool_calls');
                    const made = r.choices[0].message.tool_calls!;
                    expect(made).toHaveLength(1);
                    for (const c of made) {
                        expect(c).toEqual({
                            id: expect.stringMatching(/^call_/),
                            type: 'function',
                            function: { name: expect.any(String), arguments: expect.any(String) },
                        });
                        if (c.type === 'function') checkCall(c.function.name, c.function.arguments);
                    }
                    calls += made.length;
                    previous = receiptFor(r.usage, previous);
                } else {
                    const stream = await openai.chat.completions.create({
                        model: MODEL,
                        messages: WEATHER,
                        tools: TOOLS,
                        tool_choice: 'required',
                        parallel_tool_calls: false,
                        max_tokens: 64,
                        stream: true,
                    });
                    const assembled = new Map<number, { id: string; name: string; args: string }>();
                    let finish: string | null = null;
                    let usage: OpenAI.CompletionUsage | null | undefined = null;
                    for await (const chunk of stream) {
                        usage = chunk.usage ?? usage;
                        for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
                            const call = assembled.get(d.index);
                            if (!call) assembled.set(d.index, { id: d.id!, name: d.function!.name!, args: d.function!.arguments ?? '' });
                            else call.args += d.function?.arguments ?? '';
                        }
                        finish = chunk.choices[0]?.finish_reason ?? finish;
                    }
                    expect(finish).toBe('tool_calls');
                    expect(assembled.size).toBe(1);
                    for (const c of assembled.values()) {
                        expect(c.id).toMatch(/^call_/);
                        checkCall(c.name, c.args);
                    }
                    calls += assembled.size;
                    previous = receiptFor(usage, previous);
                }
            }
            expect(calls).toBe(RUNS);
        },
        HUNDRED_RUNS_MS,
    );

    it(
        `chat.completions.parse with zodResponseFormat, ${RUNS} calls, ${RUNS} parsed and valid`,
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
            let previous: Receipt | null = null;
            let valid = 0;
            for (let i = 0; i < RUNS; i++) {
                const r = await openai.chat.completions.parse({
                    model: MODEL,
                    messages: [{ role: 'user', content: 'Describe a pet as json.' }],
                    response_format: format,
                    max_tokens: 96,
                });
                const m = r.choices[0].message;
                expect(r.choices[0].finish_reason).toBe('stop');
                expect(Pet.parse(m.parsed)).toEqual(m.parsed);
                if (validate(JSON.parse(m.content!))) valid++;
                previous = receiptFor(r.usage, previous);
            }
            expect(valid).toBe(RUNS);
        },
        HUNDRED_RUNS_MS,
    );

    it('the proxy metered exactly what the receipts bill', () => {
        const [clientAcc] = net.proxy.clientAccounts();
        const [workerAcc] = net.proxy.workerAccounts();
        expect(billed).toBeGreaterThan(0n);
        expect(clientAcc.ledger.tokensMax).toBe(billed);
        expect(workerAcc.ledger.tokensMax).toBe(billed);
    });
});
