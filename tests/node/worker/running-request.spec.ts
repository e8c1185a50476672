import { randomBytes } from 'crypto';
import { keyPairFromSeed } from '@ton/crypto';
import { createBackend, startEmbeddedServer, type Backend } from '../../../node/inference';
import { decodeAs, encode, type proxy_QueryAnswerEx, type proxy_runQueryEx } from '../../../node/protocol';
import { decodeReceipt, verifyReceipt } from '../../../node/common/receipt';
import { adjustUsage, type TokenPricing } from '../../../node/common/tokens';
import { CANCELLED_BY_CLIENT, CANCELLED_CODE, runWorkerQuery } from '../../../node/worker/running-request';
import { fakeServer } from '../inference/fake-server';

jest.setTimeout(60_000);

const MODEL = 'cocoon/tiny-stories-1m@local:0';
const pricing: TokenPricing = {
    pricePerToken: 20n,
    promptMultiplier: 10000n,
    cachedMultiplier: 1000n,
    completionMultiplier: 40000n,
    reasoningMultiplier: 20000n,
};
const key = keyPairFromSeed(Buffer.alloc(32, 9));

function query(body: unknown, url = '/v1/chat/completions'): proxy_runQueryEx {
    const payload = Buffer.from(JSON.stringify(body));
    return {
        _: 'proxy.runQueryEx',
        query: encode({
            _: 'http.request',
            method: 'POST',
            url,
            http_version: 'HTTP/1.1',
            headers: [{ _: 'http.header', name: 'Content-Type', value: 'application/json' }],
            payload,
        }),
        signed_payment: { _: 'proxy.signedPaymentEmpty' },
        coefficient: 1500n,
        timeout: 30,
        request_id: randomBytes(32),
        flags: 0,
    };
}

/** Reassembles what a proxy would relay: the HTTP response, its body bytes and the final info. */
function collect(pieces: proxy_QueryAnswerEx[]) {
    const first = pieces[0];
    const response = first._ === 'proxy.queryAnswerEx' ? decodeAs('http.Response', first.answer) : null;
    const body = Buffer.concat([
        response?.payload ?? Buffer.alloc(0),
        ...pieces.slice(1).map((p) => (p._ === 'proxy.queryAnswerPartEx' ? p.answer : Buffer.alloc(0))),
    ]);
    const last = pieces[pieces.length - 1];
    return { response, body, last, final: last.final_info };
}

describe('worker query pipeline', () => {
    let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
    let backend: Backend;

    beforeAll(async () => {
        server = await startEmbeddedServer({ port: 0 });
        backend = createBackend({ baseUrl: server.url });
    });
    afterAll(async () => {
        backend?.close();
        await server?.close();
    });

    it.each([false, true])('serves a chat completion (stream=%s), bills the backend usage and signs a receipt', async (stream) => {
        const pieces: proxy_QueryAnswerEx[] = [];
        const q = query({
            model: 'cocoon/tiny-stories-1m',
            messages: [{ role: 'user', content: 'Tell me a story' }],
            max_tokens: 12,
            stream,
        });
        const out = await runWorkerQuery(q, { backend, servedModel: MODEL, pricing, receiptKey: key, send: (p) => pieces.push(p) });
        const { response, body, last, final } = collect(pieces);
        expect(response?.status_code).toBe(200);
        // Only the last piece is final, and it carries the last bytes (COCOON's worker does the same).
        expect(pieces.map((p) => p.flags)).toEqual([...pieces.slice(1).map(() => 0), 1]);
        expect(last._ !== 'proxy.queryAnswerErrorEx' && last.answer.length).toBeGreaterThan(0);
        const framing = response!.headers.filter((h) => /^(content-length|transfer-encoding)$/i.test(h.name));
        if (pieces.length === 1) expect(framing).toEqual([{ _: 'http.header', name: 'Content-Length', value: String(body.length) }]);
        else expect(framing).toEqual([{ _: 'http.header', name: 'Transfer-Encoding', value: 'chunked' }]);
        const text = body.toString();
        let usage: {
            prompt_tokens: number;
            completion_tokens: number;
            prompt_tokens_details?: { cached_tokens: number };
            completion_tokens_details?: { reasoning_tokens: number };
        };
        if (stream) {
            expect(text).toContain('data: [DONE]');
            const chunks = text
                .split('\n\n')
                .filter((l) => l.startsWith('data: {'))
                .map((l) => JSON.parse(l.slice(6)));
            usage = chunks.filter((c) => c.usage).pop().usage;
        } else {
            usage = JSON.parse(text).usage;
        }
        const expected = adjustUsage(
            {
                promptTokens: usage.prompt_tokens,
                cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
                completionTokens: usage.completion_tokens,
                reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
            },
            1500n,
            pricing,
        );
        expect(out.tokens).toEqual(expected);
        expect(final?.tokens_used.total_tokens_used).toBe(expected.total);
        expect(expected.total).toBeGreaterThan(0n);
        const receipt = decodeReceipt(final?.worker_debug);
        expect(receipt).not.toBeNull();
        expect(verifyReceipt(receipt!, { workerKey: key.publicKey, requestId: q.request_id, body })).toEqual({ ok: true });
        expect(verifyReceipt(receipt!, { body: Buffer.concat([body, Buffer.from('x')]) }).ok).toBe(false);
        expect(verifyReceipt({ ...receipt!, tokens: { ...receipt!.tokens, total: '1' } }, {}).ok).toBe(false);
    });

    it('refuses invalid requests before the backend sees them', async () => {
        const pieces: proxy_QueryAnswerEx[] = [];
        const out = await runWorkerQuery(
            query({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }], logit_bias: {} }),
            { backend, servedModel: MODEL, pricing, receiptKey: key, send: (p) => pieces.push(p) },
        );
        expect(out).toMatchObject({ status: 400, tokens: { total: 0n } });
        expect(pieces).toHaveLength(1);
        expect(pieces[0]).toMatchObject({ _: 'proxy.queryAnswerErrorEx', error_code: 400, flags: 1 });
        expect((pieces[0] as { error: string }).error).toMatch(/unknown option 'logit_bias'/);
        const bad = { ...query({}), query: Buffer.from('garbage!') };
        expect((await runWorkerQuery(bad, { backend, servedModel: MODEL, pricing, receiptKey: key, send: () => undefined })).status).toBe(
            400,
        );
    });

    it.each(['__proto__', 'hasOwnProperty', 'valueOf', 'constructor', 'toString', 'isPrototypeOf'])(
        "answers a request carrying the key '%s' at once with a 400 error (the proxy's slot is freed)",
        async (field) => {
            const pieces: proxy_QueryAnswerEx[] = [];
            const q = query({});
            const payload = Buffer.from(`{"model":"cocoon/tiny-stories-1m","messages":[{"role":"user","content":"x"}],"${field}":1}`);
            q.query = encode({
                _: 'http.request',
                method: 'POST',
                url: '/v1/chat/completions',
                http_version: 'HTTP/1.1',
                headers: [],
                payload,
            });
            const out = await runWorkerQuery(q, { backend, servedModel: MODEL, pricing, receiptKey: key, send: (p) => pieces.push(p) });
            expect(out).toMatchObject({ status: 400, tokens: { total: 0n } });
            expect(pieces).toEqual([
                expect.objectContaining({
                    _: 'proxy.queryAnswerErrorEx',
                    request_id: q.request_id,
                    error_code: 400,
                    flags: 1,
                    error: `unknown option '${field}' (not supported by COCOON workers)`,
                }),
            ]);
        },
    );

    it('answers the proxy with an error for any unexpected exception, and only once', async () => {
        // A receipt key that cannot sign throws after the backend answered: the query still ends with one final error piece.
        const pieces: proxy_QueryAnswerEx[] = [];
        const broken = { publicKey: key.publicKey, secretKey: Buffer.alloc(3) };
        const q = query({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 4 });
        const out = await runWorkerQuery(q, { backend, servedModel: MODEL, pricing, receiptKey: broken, send: (p) => pieces.push(p) });
        expect(out.status).toBe(500);
        expect(out.error).toMatch(/worker failed/);
        const finals = pieces.filter((p) => ((p.flags ?? 0) & 1) === 1);
        expect(finals).toHaveLength(1);
        expect(finals[0]).toMatchObject({ _: 'proxy.queryAnswerErrorEx', request_id: q.request_id, error_code: 500 });
        // A send that throws (the link went away) does not turn into a second answer or a rejection.
        let calls = 0;
        const out2 = await runWorkerQuery(query({ model: MODEL, messages: [{ role: 'user', content: 'x' }], logit_bias: {} }), {
            backend,
            servedModel: MODEL,
            pricing,
            receiptKey: key,
            send: () => {
                calls++;
                throw new Error('link closed');
            },
        });
        expect(out2.status).toBe(400);
        expect(calls).toBe(1);
    });

    it('refuses a timeout that is not a positive number, and serves one past the timer range instead of timing out at once', async () => {
        const body = { model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 4 };
        for (const timeout of [0, -1, Number.NaN]) {
            const pieces: proxy_QueryAnswerEx[] = [];
            const out = await runWorkerQuery(
                { ...query(body), timeout },
                { backend, servedModel: MODEL, pricing, receiptKey: key, send: (p) => pieces.push(p) },
            );
            expect(out.status).toBe(400);
            expect(pieces[0]).toMatchObject({
                _: 'proxy.queryAnswerErrorEx',
                error_code: 400,
                error: expect.stringMatching(/timeout must be a positive number of seconds/),
            });
        }
        const pieces: proxy_QueryAnswerEx[] = [];
        const out = await runWorkerQuery(
            { ...query(body), timeout: 1e12 },
            { backend, servedModel: MODEL, pricing, receiptKey: key, send: (p) => pieces.push(p) },
        );
        expect(out).toMatchObject({ status: 200, error: null });
    });

    it('reports a dead backend as a 502 error answer, billing nothing', async () => {
        const dead = createBackend({ baseUrl: 'http://127.0.0.1:1/v1', timeoutMs: 2000 });
        const pieces: proxy_QueryAnswerEx[] = [];
        const out = await runWorkerQuery(query({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }), {
            backend: dead,
            servedModel: MODEL,
            pricing,
            receiptKey: key,
            send: (p) => pieces.push(p),
        });
        dead.close();
        expect(out.status).toBe(502);
        expect(out.tokens.total).toBe(0n);
        expect(pieces[0]).toMatchObject({ _: 'proxy.queryAnswerErrorEx', error_code: 502 });
    });

    it.each([true, false])(
        'ends a cancelled stream at once with 499, billing the usage reported so far (usage in every chunk: %s)',
        async (usageEveryChunk) => {
            // Three chunks, then the backend stalls: the cancel arrives while it would keep generating.
            let aborted!: () => void;
            const sawAbort = new Promise<void>((r) => (aborted = r));
            const slow = await fakeServer((_req, res) => {
                res.on('close', () => {
                    if (!res.writableEnded) aborted();
                });
                res.writeHead(200, { 'Content-Type': 'text/event-stream' });
                for (let i = 1; i <= 3; i++) {
                    const usage = usageEveryChunk ? { prompt_tokens: 4, completion_tokens: i, total_tokens: 4 + i } : undefined;
                    const choices = [{ index: 0, delta: { content: `t${i}` }, finish_reason: null }];
                    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices, usage })}\n\n`);
                }
            });
            const b = createBackend({ baseUrl: slow.url });
            const ac = new AbortController();
            const pieces: proxy_QueryAnswerEx[] = [];
            const q = query({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }], max_tokens: 100, stream: true });
            const out = runWorkerQuery(q, {
                backend: b,
                servedModel: MODEL,
                pricing,
                receiptKey: key,
                signal: ac.signal,
                send: (p) => {
                    pieces.push(p);
                    if (
                        Buffer.concat(
                            pieces.map((x) =>
                                x._ === 'proxy.queryAnswerEx'
                                    ? decodeAs('http.Response', x.answer).payload
                                    : x._ === 'proxy.queryAnswerPartEx'
                                      ? x.answer
                                      : Buffer.alloc(0),
                            ),
                        )
                            .toString()
                            .includes('t3')
                    )
                        ac.abort(CANCELLED_BY_CLIENT);
                },
            });
            const o = await out;
            await sawAbort;
            b.close();
            await slow.close();
            // With usage in every chunk: what the backend reported (prompt 4, completion 3); without: one completion
            // token per streamed message, nothing for the prompt.
            const expected = adjustUsage(
                usageEveryChunk
                    ? { promptTokens: 4, cachedTokens: 0, completionTokens: 3, reasoningTokens: 0 }
                    : { promptTokens: 0, cachedTokens: 0, completionTokens: 3, reasoningTokens: 0 },
                1500n,
                pricing,
            );
            expect(o).toMatchObject({ status: CANCELLED_CODE, error: CANCELLED_BY_CLIENT, tokens: expected });
            const { body, last, final } = collect(pieces);
            expect(last).toMatchObject({ _: 'proxy.queryAnswerErrorEx', error_code: CANCELLED_CODE, error: CANCELLED_BY_CLIENT, flags: 1 });
            expect(final?.tokens_used.total_tokens_used).toBe(expected.total);
            // The receipt covers exactly the bytes passed on before the stop.
            expect(verifyReceipt(decodeReceipt(final?.worker_debug)!, { workerKey: key.publicKey, body })).toEqual({ ok: true });
        },
    );
});
