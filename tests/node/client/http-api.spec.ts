import OpenAI from 'openai';
import { createBackend, startEmbeddedServer, type Backend } from '../../../node/inference';
import { connect, type RpcConnection } from '../../../node/protocol';
import { silentLogger } from '../../../node/common/log';
import { startClientApi, type ClientApi, type FinishedRequest } from '../../../node/client/http-api';
import { startRelayNetwork, type RelayNetwork } from '../helpers/relay-network';

jest.setTimeout(60_000);

const JSON_TYPE = { 'content-type': 'application/json' };

describe('client OpenAI-compatible API -> proxy -> worker -> embedded model', () => {
    let model: Awaited<ReturnType<typeof startEmbeddedServer>>;
    let backend: Backend;
    let net: RelayNetwork;
    let proxyConn: RpcConnection | null = null;
    let api: ClientApi;
    let worker: Awaited<ReturnType<RelayNetwork['startWorker']>>;
    const finished: FinishedRequest[] = [];

    beforeAll(async () => {
        model = await startEmbeddedServer({ port: 0 });
        backend = createBackend({ baseUrl: model.url });
        net = await startRelayNetwork();
        worker = await net.startWorker(backend, 1);
        api = await startClientApi({ port: 0, proxy: () => proxyConn, onFinished: (r) => finished.push(r) });
    });
    afterAll(async () => {
        proxyConn?.close();
        await api?.close();
        await net?.close();
        backend?.close();
        await model?.close();
    });

    const ai = () => new OpenAI({ baseURL: `${api.url}/v1`, apiKey: 'unused', maxRetries: 0 });

    it('answers 503 with an actionable message before a proxy connection exists', async () => {
        const r = await fetch(`${api.url}/v1/chat/completions`, {
            method: 'POST',
            headers: JSON_TYPE,
            body: JSON.stringify({ model: 'm', messages: [] }),
        });
        expect(r.status).toBe(503);
        expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/not connected to a proxy/);
        proxyConn = await connect({ host: '127.0.0.1', port: net.clientPort, pow: false, logger: silentLogger });
    });

    it('lists models with live worker counts and coefficients', async () => {
        const list = (await (await fetch(`${api.url}/v1/models`)).json()) as { data: { id: string; workers: { coefficient: number }[] }[] };
        expect(list.data).toEqual([
            expect.objectContaining({
                id: 'cocoon/tiny-stories-1m',
                object: 'model',
                workers: [{ coefficient: 1000, running_requests: 0, max_running_requests: 8 }],
            }),
        ]);
    });

    it('serves a chat completion through the openai SDK, with usage and a verified receipt trailer', async () => {
        const res = await ai().chat.completions.create({
            model: 'cocoon/tiny-stories-1m',
            messages: [{ role: 'user', content: 'Tell me a story about a cat named Tom.' }],
            max_tokens: 12,
            temperature: 0,
        });
        expect(res.choices[0].message.content?.length).toBeGreaterThan(0);
        expect(res.usage?.completion_tokens).toBeGreaterThan(0);
        const last = finished[finished.length - 1];
        expect(last).toMatchObject({ status: 200, receiptValid: true, error: null });
        expect(last.tokens).toBeGreaterThan(0n);
    });

    it('streams a chat completion with COCOON extra fields stripped before the worker', async () => {
        const stream = await ai().chat.completions.create({
            model: 'cocoon/tiny-stories-1m',
            messages: [{ role: 'user', content: 'Tell me a story about a cat named Tom.' }],
            max_tokens: 12,
            stream: true,
            temperature: 0,
            // COCOON fields: consumed by the client, never forwarded (the worker would reject them).
            ...({ max_coefficient: 2000, timeout: 30, request_guid: 'g-1' } as object),
        });
        let text = '';
        let usage = null;
        for await (const chunk of stream) {
            text += chunk.choices[0]?.delta?.content ?? '';
            if (chunk.usage) usage = chunk.usage;
        }
        expect(text.length).toBeGreaterThan(0);
        expect(usage).not.toBeNull();
        expect(finished[finished.length - 1]).toMatchObject({ requestGuid: 'g-1', receiptValid: true });
    });

    it('concurrent requests: receipts signed and checked off the event loop are verified too', async () => {
        const before = finished.length;
        const body = (i: number) => ({
            model: 'cocoon/tiny-stories-1m',
            messages: [{ role: 'user', content: `Tell me story number ${i}.` }],
            max_tokens: 8,
            stream: i % 2 === 0,
            request_guid: `c-${i}`,
        });
        const answers = await Promise.all(
            Array.from({ length: 6 }, async (_, i) => {
                const r = await fetch(`${api.url}/v1/chat/completions`, {
                    method: 'POST',
                    headers: JSON_TYPE,
                    body: JSON.stringify(body(i)),
                });
                return { status: r.status, text: await r.text() };
            }),
        );
        expect(answers.every((a) => a.status === 200 && a.text.length > 0)).toBe(true);
        const mine = finished.slice(before);
        expect(mine).toHaveLength(6);
        expect(mine.every((f) => f.receiptValid && f.receipt !== null)).toBe(true);
        expect(new Set(mine.map((f) => f.receipt!.requestId)).size).toBe(6);
    });

    it('turns bad input and network refusals into OpenAI-shaped errors', async () => {
        const post = async (body: unknown) => {
            const r = await fetch(`${api.url}/v1/chat/completions`, {
                method: 'POST',
                headers: JSON_TYPE,
                body: typeof body === 'string' ? body : JSON.stringify(body),
            });
            return {
                status: r.status,
                error: ((await r.json()) as { error: { message: string; type: string; code: string | null } }).error,
            };
        };
        expect(await post('{oops')).toMatchObject({ status: 400, error: { type: 'invalid_request_error' } });
        expect(await post({ messages: [] })).toMatchObject({
            status: 400,
            error: { message: expect.stringMatching(/'model' is required/) },
        });
        expect(await post({ model: 'x', messages: [], max_coefficient: -1 })).toMatchObject({
            status: 400,
            error: { message: expect.stringMatching(/max_coefficient/) },
        });
        // An unknown model is the caller's mistake: 404 (the SDK does not retry it), naming what is served.
        expect(await post({ model: 'nobody/else', messages: [{ role: 'user', content: 'x' }] })).toEqual({
            status: 404,
            error: {
                message: "model 'nobody/else' is not served here; served models: cocoon/tiny-stories-1m (see GET /v1/models)",
                type: 'invalid_request_error',
                param: 'model',
                code: 'model_not_found',
            },
        });
        const sdkErr = await ai()
            .chat.completions.create({ model: 'constructor', messages: [{ role: 'user', content: 'x' }] })
            .catch((e: unknown) => e);
        expect(sdkErr).toBeInstanceOf(OpenAI.NotFoundError);
        expect((sdkErr as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
        expect(
            await post({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }], max_coefficient: 10 }),
        ).toMatchObject({ status: 409, error: { code: 'max_coefficient_too_low', message: expect.stringMatching(/coefficient=1000/) } });
        expect(await post({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }], logit_bias: {} })).toMatchObject({
            status: 400,
            error: { message: expect.stringMatching(/unknown option 'logit_bias'/) },
        });
        // A bad tool definition is refused by the client itself: nothing is sent, nothing reserved.
        const sent = finished.length;
        expect(
            await post({
                model: 'cocoon/tiny-stories-1m',
                messages: [{ role: 'user', content: 'x' }],
                tools: [{ type: 'function', function: { name: 'get weather' } }],
            }),
        ).toEqual({
            status: 400,
            error: {
                message:
                    "Invalid 'tools[0].function.name': string does not match pattern. Expected a string of 1 to 64 " +
                    'characters a-z, A-Z, 0-9, underscores and dashes, got "get weather".',
                type: 'invalid_request_error',
                param: 'tools[0].function.name',
                code: 'invalid_request',
            },
        });
        expect(finished.length).toBe(sent);
        // Forwarded as sent: the worker sees (and refuses) a duplicate key that JSON.parse would have merged.
        const dup = await post(
            `{"model":"cocoon/tiny-stories-1m","messages":[{"role":"user","content":"x"}],"max_tokens":4,"max_tokens":9999}`,
        );
        expect(dup).toMatchObject({ status: 400, error: { message: expect.stringMatching(/duplicate key 'max_tokens'/) } });
        net.balance = 0n;
        expect(await post({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }] })).toMatchObject({
            status: 402,
            error: { code: 'low_balance', message: expect.stringMatching(/top up/) },
        });
        net.balance = null;
        const unknown = await fetch(`${api.url}/v1/embeddings`, { method: 'POST', headers: JSON_TYPE, body: '{}' });
        expect(unknown.status).toBe(404);
        const small = await startClientApi({ port: 0, proxy: () => proxyConn, maxBodyBytes: 1000 });
        try {
            const big = await fetch(`${small.url}/v1/chat/completions`, {
                method: 'POST',
                headers: JSON_TYPE,
                body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }),
            });
            expect(big.status).toBe(413);
            expect(((await big.json()) as { error: { message: string } }).error.message).toMatch(/exceeds 1000 bytes/);
        } finally {
            await small.close();
        }
    });
    it('answers out-of-range numbers, wrong types, deep nesting and bad bytes with 400 naming the field, never 500', async () => {
        const send = async (body: string | Uint8Array) => {
            const r = await fetch(`${api.url}/v1/chat/completions`, {
                method: 'POST',
                headers: JSON_TYPE,
                body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]),
            });
            return {
                status: r.status,
                error: ((await r.json()) as { error: { message: string; type: string; param: string | null; code: string | null } }).error,
            };
        };
        const ok = { model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }] };
        const cases: [Record<string, unknown>, string, RegExp][] = [
            [{ max_tokens: 1e12 }, 'max_tokens', /'max_tokens' must be an integer from 1 to 2147483647, got 1000000000000/],
            [{ max_completion_tokens: 2 ** 31 }, 'max_completion_tokens', /from 1 to 2147483647/],
            [{ max_tokens: '5' }, 'max_tokens', /must be an integer .* got string/],
            [{ max_tokens: 0 }, 'max_tokens', /from 1 to/],
            [{ max_tokens: 2.5 }, 'max_tokens', /an integer/],
            [{ max_coefficient: 1e12 }, 'max_coefficient', /'max_coefficient' must be an integer from 0 to 2147483647/],
            [{ timeout: 3e6 }, 'timeout', /'timeout' must be a number of seconds above 0 and at most 3600/],
            [{ timeout: 0 }, 'timeout', /above 0/],
            [{ timeout: 'soon' }, 'timeout', /'timeout'/],
            [{ enable_debug: 'yes' }, 'enable_debug', /'enable_debug' must be true or false/],
            [{ request_guid: 5 }, 'request_guid', /'request_guid' must be a string/],
            [{ model: 5 }, 'model', /'model' is required/],
            [{ model: 'x'.repeat(300) }, 'model', /longer than 256/],
        ];
        for (const [patch, param, message] of cases) {
            const r = await send(JSON.stringify({ ...ok, ...patch }));
            expect({ status: r.status, param: r.error.param, type: r.error.type }).toEqual({
                status: 400,
                param,
                type: 'invalid_request_error',
            });
            expect(r.error.message).toMatch(message);
        }
        const deep = await send(`{"model":"cocoon/tiny-stories-1m","messages":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
        expect(deep).toMatchObject({
            status: 400,
            error: { param: 'messages', message: "request body is nested deeper than 64 levels (in 'messages')" },
        });
        // A deep body that also carries a COCOON field (re-serialised before the worker) is refused the same way.
        const deepStripped = await send(
            `{"model":"cocoon/tiny-stories-1m","timeout":5,"messages":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
        );
        expect(deepStripped.status).toBe(400);
        const bytes = await send(
            Buffer.concat([
                Buffer.from('{"model":"cocoon/tiny-stories-1m","messages":[{"role":"user","content":"'),
                Buffer.from([0xff, 0xfe]),
                Buffer.from('"}]}'),
            ]),
        );
        expect(bytes).toMatchObject({ status: 400, error: { message: 'request body is not valid UTF-8' } });
        // Prototype names as keys reach no lookup: the worker refuses them as unknown options, at once.
        for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']) {
            const r = await send(`{"model":"cocoon/tiny-stories-1m","messages":[{"role":"user","content":"x"}],"${key}":{}}`);
            expect(r).toMatchObject({ status: 400, error: { message: `unknown option '${key}' (not supported by COCOON workers)` } });
        }
    });

    it('keeps 503 no_workers for a model that was served and has no worker now (worth a retry)', async () => {
        const closed = new Promise((resolve) => worker.conn.once('close', resolve));
        worker.conn.close();
        await closed;
        // The proxy drops the worker when it sees the link close: wait until its list says so.
        for (let listed = 1; listed > 0; )
            listed = ((await (await fetch(`${api.url}/v1/models`)).json()) as { data: unknown[] }).data.length;
        const r = await fetch(`${api.url}/v1/chat/completions`, {
            method: 'POST',
            headers: JSON_TYPE,
            body: JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }] }),
        });
        expect(r.status).toBe(503);
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe('no_workers');
    });
});
