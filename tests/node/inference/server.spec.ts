import OpenAI from 'openai';
import { Engine } from '../../../node/inference/engine/engine';
import { DEFAULT_MODEL_PATH, EmbeddedServer, startEmbeddedServer } from '../../../node/inference/server/server';
import { silentLogger } from '../../../node/common/log';
import { waitFor } from '../../helpers/wait';

const MODEL = 'cocoon/tiny-stories-1m';
const story = [{ role: 'user' as const, content: 'Tell me a story about a cat named Tom.' }];

async function sseLines(url: string, body: object): Promise<string[]> {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const text = await r.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    return text.split('\n\n').filter(Boolean);
}

describe('embedded OpenAI-compatible server', () => {
    let srv: EmbeddedServer;
    let client: OpenAI;
    beforeAll(async () => {
        srv = await startEmbeddedServer({ engine: Engine.load(DEFAULT_MODEL_PATH, { slots: 2, maxQueue: 4 }), logger: silentLogger });
        client = new OpenAI({ baseURL: srv.url, apiKey: 'unused', maxRetries: 0 });
    });
    afterAll(() => srv.close());

    it('lists its model', async () => {
        const list = await client.models.list();
        expect(list.data.map((m) => m.id)).toEqual([MODEL]);
        expect((await client.models.retrieve(MODEL)).owned_by).toBe('cocoon');
        await expect(client.models.retrieve('gpt-4o')).rejects.toMatchObject({ status: 404 });
    });

    it('non-streaming chat completion has the OpenAI shape and exact usage', async () => {
        const r = await client.chat.completions.create({ model: MODEL, messages: story, max_tokens: 12, temperature: 0 });
        expect(r.id).toMatch(/^chatcmpl-[0-9a-f]{24}$/);
        expect(r.object).toBe('chat.completion');
        expect(r.created).toBeGreaterThan(1.7e9);
        expect(r.model).toBe(MODEL);
        expect(r.system_fingerprint).toBe(`fp_${srv.engine.modelSha256.slice(0, 10)}`);
        expect(r.choices).toHaveLength(1);
        expect(r.choices[0]).toMatchObject({ index: 0, logprobs: null, finish_reason: 'length', message: { role: 'assistant' } });
        const prompt = srv.engine.tokenizer.encode('<|user|>\nTell me a story about a cat named Tom.<|end|>\n<|assistant|>\n').length;
        expect(r.usage).toEqual({
            prompt_tokens: prompt,
            completion_tokens: 12,
            total_tokens: prompt + 12,
            prompt_tokens_details: { cached_tokens: expect.any(Number) },
            completion_tokens_details: { reasoning_tokens: 0 },
        });
        // The same request again reuses every prompt token but the last, and (greedy) says the same.
        const again = await client.chat.completions.create({ model: MODEL, messages: story, max_tokens: 12, temperature: 0 });
        expect(again.usage?.prompt_tokens_details?.cached_tokens).toBe(prompt - 1);
        expect(again.choices[0].message.content).toBe(r.choices[0].message.content);
    });

    it('streams SSE chunks: role first, content deltas, finish, a usage-only chunk, [DONE]', async () => {
        const lines = await sseLines(`${srv.url}/chat/completions`, {
            messages: story,
            max_tokens: 5,
            temperature: 0,
            stream: true,
            stream_options: { include_usage: true },
        });
        expect(lines.every((l) => l.startsWith('data: '))).toBe(true);
        const chunks = lines.slice(0, -1).map((l) => JSON.parse(l.slice(6)));
        expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
        for (const c of chunks) {
            expect(c).toMatchObject({
                id: chunks[0].id,
                object: 'chat.completion.chunk',
                model: MODEL,
                created: chunks[0].created,
                system_fingerprint: expect.stringMatching(/^fp_/),
            });
        }
        const body = chunks.slice(0, -1);
        expect(body.every((c) => c.usage === null)).toBe(true);
        expect(body.at(-1).choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'length' });
        const last = chunks.at(-1);
        expect(last.choices).toEqual([]);
        expect(last.usage).toMatchObject({
            completion_tokens: 5,
            prompt_tokens_details: { cached_tokens: expect.any(Number) },
            completion_tokens_details: { reasoning_tokens: 0 },
        });
        const text = body.map((c) => c.choices[0].delta.content ?? '').join('');
        expect(text.length).toBeGreaterThan(0);
        // Without include_usage there is no usage chunk and no usage key.
        const plain = (await sseLines(`${srv.url}/chat/completions`, { messages: story, max_tokens: 3, stream: true }))
            .slice(0, -1)
            .map((l) => JSON.parse(l.slice(6)));
        expect(plain.every((c) => !('usage' in c) && c.choices.length === 1)).toBe(true);
    });

    it('the openai client streams with usage', async () => {
        const stream = await client.chat.completions.create({
            model: MODEL,
            messages: story,
            max_tokens: 8,
            seed: 3,
            stream: true,
            stream_options: { include_usage: true },
        });
        let content = '';
        let usage: OpenAI.CompletionUsage | null | undefined;
        for await (const c of stream) {
            const delta = c.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
            content += (delta?.content ?? '') + (delta?.reasoning_content ?? '');
            if (c.usage) usage = c.usage;
        }
        expect(usage?.completion_tokens).toBe(8);
        expect(content.length).toBeGreaterThan(0);
    });

    it('/v1/completions, streaming and not, with a stop string', async () => {
        const r = await client.completions.create({
            model: MODEL,
            prompt: 'Once upon a time',
            max_tokens: 40,
            temperature: 0,
            stop: ['.'],
        });
        expect(r.object).toBe('text_completion');
        expect(r.id).toMatch(/^cmpl-/);
        expect(r.choices[0].finish_reason).toBe('stop');
        expect(r.choices[0].text).not.toContain('.');
        const lines = await sseLines(`${srv.url}/completions`, {
            prompt: 'Once upon a time',
            max_tokens: 40,
            temperature: 0,
            stop: ['.'],
            stream: true,
            stream_options: { include_usage: true },
        });
        const chunks = lines.slice(0, -1).map((l) => JSON.parse(l.slice(6)));
        expect(
            chunks
                .slice(0, -1)
                .map((c) => c.choices[0].text)
                .join(''),
        ).toBe(r.choices[0].text);
        expect(chunks.at(-2).choices[0].finish_reason).toBe('stop');
        expect(chunks.at(-1)).toMatchObject({
            object: 'text_completion',
            choices: [],
            usage: { completion_tokens: r.usage?.completion_tokens },
        });
    });

    it('answers invalid requests in the OpenAI error shape', async () => {
        const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
            const r = await fetch(`${srv.url}${path}`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', ...headers },
                body: typeof body === 'string' ? body : JSON.stringify(body),
            });
            return {
                status: r.status,
                body: (await r.json()) as { error: { message: string; type: string; param: string | null; code: string } },
            };
        };
        const cases: [unknown, number, string | null, string][] = [
            [{ messages: story, temperature: 3 }, 400, 'temperature', 'invalid_request'],
            [{ messages: [] }, 400, 'messages', 'invalid_request'],
            [{ messages: story, n: 2 }, 400, 'n', 'invalid_request'],
            [{ messages: story, tool_choice: 'auto' }, 400, 'tool_choice', 'invalid_value'],
            [{ messages: [{ role: 'tool', content: 'x' }] }, 400, 'messages[0].tool_call_id', 'missing_required_parameter'],
            [{ messages: [{ role: 'function', content: 'x' }] }, 400, 'messages[0].role', 'invalid_request'],
            [{ messages: story, model: 'gpt-4o' }, 404, 'model', 'model_not_found'],
            [{ messages: [{ role: 'user', content: 'word '.repeat(400) }] }, 400, 'messages', 'context_length_exceeded'],
            ['{"messages": [', 400, null, 'invalid_request'],
        ];
        for (const [body, status, param, code] of cases) {
            const r = await post('/chat/completions', body);
            expect({ status: r.status, param: r.body.error.param, code: r.body.error.code }).toEqual({ status, param, code });
            expect(r.body.error.message.length).toBeGreaterThan(5);
            expect(r.body.error.type).toBe(status === 404 ? 'invalid_request_error' : 'invalid_request_error');
        }
        const notFound = await fetch(`${srv.url}/embeddings`, { method: 'POST' });
        expect(notFound.status).toBe(404);
        expect(((await notFound.json()) as { error: { code: string } }).error.code).toBe('not_found');
        expect((await fetch(`${srv.url}/chat/completions`)).status).toBe(405);
    });

    it('reasoning: the plan goes to reasoning_content and counts as reasoning tokens', async () => {
        const r = await fetch(`${srv.url}/chat/completions`, {
            method: 'POST',
            body: JSON.stringify({ messages: story, max_tokens: 60, temperature: 0, reasoning_effort: 'low' }),
        });
        const j = (await r.json()) as {
            choices: { message: { content: string; reasoning_content?: string } }[];
            usage: { completion_tokens: number; completion_tokens_details: { reasoning_tokens: number } };
        };
        expect(j.choices[0].message.reasoning_content?.length).toBeGreaterThan(0);
        expect(j.choices[0].message.reasoning_content).not.toContain('<think>');
        expect(j.usage.completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
        expect(j.usage.completion_tokens_details.reasoning_tokens).toBeLessThanOrEqual(j.usage.completion_tokens);
    });

    it('thinking off: the model never opens <think> on its own, so the answer is content, not reasoning', async () => {
        for (let seed = 1; seed <= 24; seed++) {
            const r = await fetch(`${srv.url}/chat/completions`, {
                method: 'POST',
                body: JSON.stringify({ messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 48, seed }),
            });
            const j = (await r.json()) as {
                choices: { message: { content: string; reasoning_content?: string } }[];
                usage: { completion_tokens_details: { reasoning_tokens: number } };
            };
            expect({
                seed,
                reasoning: j.usage.completion_tokens_details.reasoning_tokens,
                hasReasoning: 'reasoning_content' in j.choices[0].message,
            }).toEqual({
                seed,
                reasoning: 0,
                hasReasoning: false,
            });
            expect(j.choices[0].message.content.trim().length).toBeGreaterThan(0);
        }
    });

    it('a client that disconnects cancels its generation', async () => {
        const before = srv.engine.stats().completionTokens;
        const ac = new AbortController();
        const r = await fetch(`${srv.url}/completions`, {
            method: 'POST',
            signal: ac.signal,
            body: JSON.stringify({ prompt: 'Once', max_tokens: 200, stream: true, logit_bias: { 2: -100, 6: -100 } }),
        });
        const reader = r.body!.getReader();
        await reader.read();
        ac.abort();
        await waitFor(() => srv.engine.stats().active === 0, 'the generation to stop');
        expect(srv.engine.stats().completionTokens - before).toBeLessThan(200);
    });

    it('concurrent requests are served fairly (interleaved), beyond the slots they queue', async () => {
        const times: Record<string, number[]> = { a: [], b: [], c: [] };
        const t0 = Date.now();
        const run = async (name: string) => {
            const s = await client.completions.create({
                model: MODEL,
                prompt: 'Once upon a time',
                max_tokens: 30,
                stream: true,
                logit_bias: { 2: -100, 6: -100 },
            });
            for await (const _ of s) times[name].push(Date.now() - t0);
        };
        await Promise.all([run('a'), run('b'), run('c')]);
        // a and b hold the two slots and overlap; c waits for a free slot, then runs to the end.
        const [a, b, c] = [times.a, times.b, times.c];
        expect(a[1]).toBeLessThan(b.at(-1)!);
        expect(b[1]).toBeLessThan(a.at(-1)!);
        expect(c[0]).toBeGreaterThan(Math.max(a[0], b[0]));
        expect(c.length).toBe(a.length);
    });

    it('requires the API key when configured', async () => {
        const s = await startEmbeddedServer({ engine: srv.engine, apiKey: 'k1', logger: silentLogger });
        try {
            const denied = await fetch(`${s.url}/models`);
            expect(denied.status).toBe(401);
            expect(((await denied.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
            expect((await fetch(`${s.url}/models`, { headers: { authorization: 'Bearer k1' } })).status).toBe(200);
            expect((await fetch(`${s.url.replace('/v1', '')}/health`)).status).toBe(200);
        } finally {
            await s.close();
        }
    });
});
