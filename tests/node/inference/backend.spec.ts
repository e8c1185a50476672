import { createBackend } from '../../../node/inference/adapter/backend';
import { silentLogger } from '../../../node/common/log';
import { deadPort, fakeServer, FakeServer, sse } from './fake-server';

const chunk = (content: string, extra: object = {}) => ({
    id: 'c1',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
    ...extra,
});
const USAGE = {
    prompt_tokens: 12,
    completion_tokens: 2,
    total_tokens: 14,
    prompt_tokens_details: { cached_tokens: 8 },
    completion_tokens_details: { reasoning_tokens: 1 },
};

async function drain(body: AsyncIterable<Uint8Array>): Promise<string> {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(Buffer.from(c));
    return Buffer.concat(parts).toString('utf8');
}

describe('createBackend against fake OpenAI-compatible servers', () => {
    let srv: FakeServer | undefined;
    afterEach(async () => {
        await srv?.close();
        srv = undefined;
    });
    const backendFor = (s: FakeServer, extra: object = {}) => createBackend({ baseUrl: s.url, logger: silentLogger, ...extra });

    it('forces include_usage, passes the bytes through unchanged, and reads usage from a separate chunk', async () => {
        const events = [
            chunk('Hel', { usage: null }),
            chunk('lo', { usage: null }),
            { id: 'c1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null },
            { id: 'c1', choices: [], usage: USAGE },
            '[DONE]',
        ];
        const expected = events.map((e) => `data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`).join('');
        srv = await fakeServer((_q, res) => sse(res, events));
        const b = backendFor(srv, { apiKey: 'sk-test' });
        const r = await b.chatCompletions({
            model: 'm',
            messages: [{ role: 'user', content: 'hi' }],
            stream: true,
            stream_options: { foo: 1 },
        });
        expect(r.status).toBe(200);
        expect(r.streaming).toBe(true);
        expect(r.headers['content-type']).toBe('text/event-stream');
        expect(await drain(r.body)).toBe(expected);
        const report = await r.usage;
        expect(report.usage).toEqual({ promptTokens: 12, cachedTokens: 8, completionTokens: 2, reasoningTokens: 1, totalTokens: 14 });
        expect(report).toMatchObject({ sawDone: true, finishReasons: ['stop'], error: null });
        const sent = JSON.parse(srv.requests[0].body);
        expect(sent.stream_options).toEqual({ foo: 1, include_usage: true });
        expect(srv.requests[0].headers.authorization).toBe('Bearer sk-test');
        expect(srv.requests[0].headers['accept-encoding']).toBe('identity');
        expect(srv.requests[0].url).toBe('/v1/chat/completions');
        b.close();
    });

    it('non-streaming bodies are left alone; usage with missing details maps to zeros', async () => {
        srv = await fakeServer((_q, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(
                JSON.stringify({
                    id: 'x',
                    object: 'text_completion',
                    choices: [{ index: 0, text: 'hi', finish_reason: 'length' }],
                    usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
                }),
            );
        });
        const b = backendFor(srv);
        const r = await b.completions({ model: 'm', prompt: 'x' });
        expect(JSON.parse(srv.requests[0].body)).toEqual({ model: 'm', prompt: 'x' });
        expect(((await r.json()) as { choices: { text: string }[] }).choices[0].text).toBe('hi');
        expect((await r.usage).usage).toEqual({
            promptTokens: 4,
            cachedTokens: 0,
            completionTokens: 2,
            reasoningTokens: 0,
            totalTokens: 6,
        });
        b.close();
    });

    it('usage on the last text chunk (llama-server /v1/completions style)', async () => {
        srv = await fakeServer((_q, res) =>
            sse(res, [
                { choices: [{ index: 0, text: 'a', finish_reason: null }] },
                {
                    choices: [{ index: 0, text: 'b', finish_reason: 'stop' }],
                    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, prompt_tokens_details: { cached_tokens: 4 } },
                },
                '[DONE]',
            ]),
        );
        const b = backendFor(srv);
        const r = await b.completions({ prompt: 'x', stream: true });
        await drain(r.body);
        expect((await r.usage).usage).toMatchObject({ promptTokens: 5, cachedTokens: 4, completionTokens: 2 });
        b.close();
    });

    it('NDJSON streams (declared by content type)', async () => {
        srv = await fakeServer((_q, res) => {
            res.writeHead(200, { 'content-type': 'application/x-ndjson' });
            res.write(JSON.stringify(chunk('a')) + '\n');
            res.write(JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, reasoning_tokens: 1 } }) + '\n');
            res.end();
        });
        const b = backendFor(srv);
        const r = await b.chatCompletions({ messages: [], stream: true });
        expect(r.streaming).toBe(true);
        await drain(r.body);
        expect((await r.usage).usage).toEqual({
            promptTokens: 3,
            cachedTokens: 0,
            completionTokens: 1,
            reasoningTokens: 1,
            totalTokens: 4,
        });
        b.close();
    });

    it('an error event mid-stream rejects usage with BACKEND_STREAM_ERROR; the bytes still flow', async () => {
        srv = await fakeServer((_q, res) =>
            sse(res, [chunk('a'), { error: { message: 'CUDA out of memory', type: 'server_error', code: 500 } }, '[DONE]']),
        );
        const b = backendFor(srv);
        const r = await b.chatCompletions({ stream: true });
        expect(await drain(r.body)).toContain('CUDA out of memory');
        await expect(r.usage).rejects.toMatchObject({
            code: 'BACKEND_STREAM_ERROR',
            message: expect.stringContaining('CUDA out of memory'),
            report: expect.objectContaining({ messages: 2 }),
        });
        b.close();
    });

    it('a connection dropped mid-stream fails the body and usage with BACKEND_STREAM_ERROR', async () => {
        srv = await fakeServer((_q, res) => {
            sse(res, [chunk('a')], { end: false });
            // Dropped right after the first chunk (flushed first): mid-stream, whatever the machine's load.
            res.socket?.destroySoon();
        });
        const b = backendFor(srv);
        const r = await b.chatCompletions({ stream: true });
        await expect(drain(r.body)).rejects.toMatchObject({ code: 'BACKEND_STREAM_ERROR' });
        await expect(r.usage).rejects.toMatchObject({ code: 'BACKEND_STREAM_ERROR' });
        b.close();
    });

    it('a stream that ends without usage rejects usage with USAGE_MISSING', async () => {
        srv = await fakeServer((_q, res) => sse(res, [chunk('a'), '[DONE]']));
        const b = backendFor(srv);
        const r = await b.chatCompletions({ stream: true });
        await drain(r.body);
        await expect(r.usage).rejects.toMatchObject({ code: 'USAGE_MISSING', message: expect.stringContaining('usage') });
        b.close();
    });

    it('garbage with status 200 is BACKEND_BAD_RESPONSE', async () => {
        srv = await fakeServer((_q, res) => {
            res.writeHead(200, { 'content-type': 'text/html' });
            res.end('<html><body>Bad Gateway</body></html>');
        });
        const b = backendFor(srv);
        const r = await b.chatCompletions({});
        await expect(r.json()).rejects.toMatchObject({ code: 'BACKEND_BAD_RESPONSE' });
        await expect(r.usage).rejects.toMatchObject({ code: 'BACKEND_BAD_RESPONSE' });
        b.close();
    });

    it('HTTP errors pass through with status and body; usage resolves with the error info', async () => {
        const err = { error: { message: 'max_tokens is too large', type: 'invalid_request_error', param: 'max_tokens', code: null } };
        srv = await fakeServer((_q, res) => {
            res.writeHead(400, { 'content-type': 'application/json' });
            res.end(JSON.stringify(err));
        });
        const b = backendFor(srv);
        const r = await b.chatCompletions({ stream: true });
        expect(r.status).toBe(400);
        expect(r.ok).toBe(false);
        expect(await r.json()).toEqual(err);
        expect((await r.usage).error).toMatchObject({ message: 'max_tokens is too large' });
        b.close();
    });

    it('a backend that is down is BACKEND_UNAVAILABLE with an actionable message', async () => {
        const port = await deadPort();
        const b = createBackend({ baseUrl: `http://127.0.0.1:${port}`, logger: silentLogger });
        expect(b.baseUrl).toBe(`http://127.0.0.1:${port}/v1`);
        await expect(b.chatCompletions({})).rejects.toMatchObject({
            code: 'BACKEND_UNAVAILABLE',
            status: 503,
            message: expect.stringContaining('is the server running'),
        });
        const h = await b.health();
        expect(h).toMatchObject({ ok: false, models: [], error: { code: 'BACKEND_UNAVAILABLE' } });
        b.close();
    });

    it('no response headers in time is BACKEND_TIMEOUT; a stalled body is BACKEND_TIMEOUT too', async () => {
        srv = await fakeServer((q, res) => {
            if (q.url === '/v1/completions') return; // never answers
            sse(res, [chunk('a')], { end: false }); // then stalls
        });
        const b = backendFor(srv, { timeoutMs: 150, idleTimeoutMs: 150 });
        await expect(b.completions({})).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT' });
        const r = await b.chatCompletions({ stream: true });
        await expect(drain(r.body)).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT' });
        await expect(r.usage).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT' });
        b.close();
    });

    it('the caller going away closes the backend connection (which stops generation there)', async () => {
        let closed: () => void;
        const sawClose = new Promise<void>((r) => (closed = r));
        srv = await fakeServer((_q, res) => {
            res.on('close', () => closed());
            sse(res, [chunk('a')], { end: false });
            const t = setInterval(() => res.write(`data: ${JSON.stringify(chunk('b'))}\n\n`), 10);
            res.on('close', () => clearInterval(t));
        });
        const b = backendFor(srv);
        const ac = new AbortController();
        const r = await b.chatCompletions({ stream: true }, { signal: ac.signal });
        const it = r.body[Symbol.asyncIterator]();
        await it.next();
        ac.abort();
        await expect(it.next()).rejects.toMatchObject({ code: 'ABORTED' });
        await sawClose;
        await expect(r.usage).rejects.toMatchObject({ code: 'ABORTED' });
        // Breaking out of the loop early has the same effect.
        const r2 = await b.chatCompletions({ stream: true });
        for await (const _ of r2.body) break;
        await expect(r2.usage).rejects.toMatchObject({ code: 'ABORTED' });
        b.close();
    });

    it('backpressure: a consumer that stops reading stops the backend from writing', async () => {
        let written = 0;
        let blocked: () => void;
        const isBlocked = new Promise<void>((r) => (blocked = r));
        const block = Buffer.alloc(64 * 1024, 'x');
        srv = await fakeServer(async (_q, res) => {
            res.writeHead(200, { 'content-type': 'text/event-stream' });
            for (let i = 0; i < 1024 && !res.destroyed; i++) {
                const line = `data: ${JSON.stringify(chunk(block.toString()))}\n\n`;
                written += line.length;
                if (!res.write(line)) {
                    blocked();
                    await new Promise((r) => res.once('drain', r).once('close', r));
                }
            }
            res.end();
        });
        const b = backendFor(srv);
        const r = await b.chatCompletions({ stream: true });
        const it = r.body[Symbol.asyncIterator]();
        await it.next();
        await isBlocked;
        // The point: the server stays blocked while nobody reads; give it a window to (wrongly) push more.
        await new Promise((res) => setTimeout(res, 200));
        // 64 MiB were on offer; only socket buffers' worth may have left the server.
        expect(written).toBeLessThan(16 * 1024 * 1024);
        r.cancel();
        await expect(it.next()).rejects.toMatchObject({ code: 'ABORTED' });
        b.close();
    });

    it('listModels and health read /models', async () => {
        srv = await fakeServer((_q, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ object: 'list', data: [{ id: 'Qwen/Qwen3-0.6B', object: 'model' }, { nope: 1 }] }));
        });
        const b = backendFor(srv);
        expect((await b.listModels()).map((m) => m.id)).toEqual(['Qwen/Qwen3-0.6B']);
        expect(await b.health()).toMatchObject({ ok: true, models: ['Qwen/Qwen3-0.6B'] });
        b.close();
    });

    it('rejects unusable base URLs at creation', () => {
        expect(() => createBackend({ baseUrl: 'localhost:8000' })).toThrow(/http or https|not a valid URL/);
        expect(() => createBackend({ baseUrl: 'ftp://x/v1' })).toThrow(/http or https/);
    });
});
