/** @jest-environment node */
/**
 * Failure paths on a live network: workers killed before and during an answer, a backend dying
 * mid-stream, the proxy killed mid-stream, a client out of balance, a worker with a forged attestation or
 * a model the root does not allow, malformed HTTP and TL input. Each gets a clear error and nothing is
 * billed that was not served. The mid-stream deaths use a backend that reports its usage as it streams,
 * so partial billing (a broken backend stream: what it reported) is told apart from zero billing (the
 * worker or the proxy died: no final report reached the proxy, nothing is billed).
 */
import { connect as netConnect } from 'net';
import { keyPairFromSeed } from '@ton/crypto';
import { noneProvider, fakePolicy, RaTlsContext } from '../../node/attestation';
import { openWallet } from '../../node/chain';
import { WorkerRunner } from '../../node/worker/runner';
import { silentLogger } from '../../node/common/log';
import { fakeServer, type FakeServer } from '../node/inference/fake-server';
import { startTestNetwork, tlsFor, MODEL, type TestNetwork } from './helpers/network';
import { spawnRunner, type RunnerProcess } from './helpers/process';
import { readStream, streamingBackend, STREAM_MODEL, waitUntil, type StreamingBackend } from './helpers/streaming-backend';
import { waitFor } from '../helpers/wait';

jest.setTimeout(240_000);

let net: TestNetwork;
const backends: FakeServer[] = [];
const procs: RunnerProcess[] = [];

/** Prompt tokens the usage-as-it-streams backend reports, and its pace (ms per token). */
const PROMPT = 7;
const TOKEN_MS = 40;

async function usageStreamingBackend(): Promise<StreamingBackend> {
    const b = await streamingBackend({ promptTokens: PROMPT, delayMs: TOKEN_MS });
    backends.push(b);
    return b;
}

const USAGE = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 };
// The fake backends' delays (slow first byte, stalls) are the behaviour under test, not waits.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An SSE backend: waits `firstByteMs`, sends `chunks` (then waits `stallMs` before each next one), then usage. */
async function sseBackend(o: { firstByteMs: number; chunks: number; stallMs: number }): Promise<FakeServer> {
    const b = await fakeServer(async (req, res) => {
        if (req.method === 'GET') {
            res.writeHead(200, { 'Content-Type': 'application/json' }).end(
                JSON.stringify({ object: 'list', data: [{ id: 'cocoon/tiny-stories-1m', object: 'model' }] }),
            );
            return;
        }
        await sleep(o.firstByteMs);
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        for (let i = 0; i < o.chunks; i++) {
            if (i > 0) await sleep(o.stallMs);
            const chunk = { id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: `w${i} ` } }] };
            res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        }
        res.write(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [], usage: USAGE })}\n\n`);
        res.end('data: [DONE]\n\n');
    });
    backends.push(b);
    return b;
}

async function workerProcess(walletIndex: number, backendUrl: string, seed: number): Promise<RunnerProcess> {
    const p = spawnRunner('worker', {
        chainUrl: net.local.v4Url,
        root: net.root.toString(),
        mnemonic: net.local.wallets[walletIndex].mnemonic,
        seed,
        backendUrl,
    });
    procs.push(p);
    await p.ready;
    return p;
}

function chat(extra: Record<string, unknown> = {}): Promise<Response> {
    return fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: STREAM_MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 16, ...extra }),
    });
}

function clientTokens(): bigint {
    return net.proxy.clientAccounts().reduce((s, a) => s + a.ledger.tokensMax, 0n);
}

function workerTokens(): bigint {
    return net.proxy.workerAccounts().reduce((s, a) => s + a.ledger.tokensMax, 0n);
}

/** Reads a stream to its end, calling `cut` once the text contains `mark`. */
function readCutting(res: Response, mark: string, cut: () => void): Promise<string> {
    let fired = false;
    return readStream(res, (text) => {
        if (!fired && text.includes(mark)) {
            fired = true;
            cut();
        }
    });
}

/** The generated tokens (`t<n> `) a caller received. */
const tokensIn = (text: string) => (text.match(/"content":"t\d+ "/g) ?? []).length;

describe('failure paths', () => {
    beforeAll(async () => {
        net = await startTestNetwork({ params: { pricePerToken: 1000n, workerFeePerToken: 800n }, extraWallets: 3, full: false });
    });
    afterAll(async () => {
        for (const p of procs) p.kill('SIGKILL');
        for (const b of backends) await b.close();
        await net?.close();
    });

    it('retries on another worker when the first dies before answering', async () => {
        const slow = await sseBackend({ firstByteMs: 1500, chunks: 2, stallMs: 0 });
        const a = await workerProcess(4, slow.url, 21);
        await net.startWorker(); // B: the embedded model, connected after A, so A is chosen first
        await net.startClient();
        const pending = chat({ temperature: 0 });
        await waitFor(() => slow.requests.some((r) => r.method === 'POST'), 'the request at worker A');
        a.kill('SIGKILL');
        const res = await pending;
        expect(res.status).toBe(200);
        const body = (await res.json()) as { choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
        expect(body.choices[0].message.content.length).toBeGreaterThan(0);
        // Billed once, for what worker B served.
        expect(net.client!.receipts).toHaveLength(1);
        expect(clientTokens()).toBe(net.client!.receipts[0].tokens);
    });

    it('bills zero when the worker dies mid-stream, though its backend had reported usage', async () => {
        await net.worker!.close(0); // only the worker about to die is left
        const backend = await usageStreamingBackend();
        const a = await workerProcess(5, backend.url, 22);
        const before = { client: clientTokens(), worker: workerTokens() };
        const res = await chat({ stream: true, max_tokens: 400 });
        expect(res.status).toBe(200);
        const text = await readCutting(res, '"content":"t3 "', () => a.kill('SIGKILL'));
        // The caller saw the backend's usage go up to at least prompt + 3, and then a clear error.
        expect(text).toContain(`"usage":{"prompt_tokens":${PROMPT},"completion_tokens":3,`);
        expect(text).toMatch(/"error".*worker disconnected mid-answer/);
        expect((await backend.stream(0).then((s) => s.settled)).aborted).toBe(true);
        // No final report reached the proxy: nothing is billed to either side.
        expect(clientTokens()).toBe(before.client);
        expect(workerTokens()).toBe(before.worker);
        expect(net.proxy.relay.runningCount).toBe(0);
        expect(net.proxy.clientAccounts()[0].reserved).toBe(0n);
    });

    it('bills exactly what the backend reported when the backend dies mid-stream', async () => {
        const backend = await usageStreamingBackend();
        const w = await net.startWorker({ backendUrl: backend.url, seed: 26 });
        const before = { client: clientTokens(), worker: workerTokens(), receipts: net.client!.receipts.length };
        const res = await chat({ stream: true, max_tokens: 400 });
        expect(res.status).toBe(200);
        const requestId = res.headers.get('x-cocoon-request-id')!;
        const text = await readCutting(res, '"content":"t4 "', () => backend.kill());
        expect(text).toMatch(/"error".*stream interrupted/);
        const received = tokensIn(text);
        expect(received).toBeGreaterThanOrEqual(4);
        const stopped = await backend.stream(0).then((s) => s.settled);
        expect(stopped.aborted).toBe(true);
        expect(stopped.produced).toBeLessThan(400);
        // Partial billing: the last usage the worker read, which is exactly what the caller received.
        const billed = BigInt(PROMPT + received);
        await waitUntil('the request to end at the client', () => net.client!.receipts.length > before.receipts);
        expect(clientTokens() - before.client).toBe(billed);
        expect(workerTokens() - before.worker).toBe(billed);
        const r = net.client!.receipts[before.receipts];
        expect(r.tokens).toBe(billed);
        expect(r.error).toMatch(/stream interrupted/);
        // The worker's signed receipt covers exactly the partial answer the caller got.
        expect(r.receiptValid).toBe(true);
        const served = (await (await fetch(`${net.apiUrl}/receipts/${requestId}`)).json()) as {
            tokens: { total: string };
            verified: boolean;
        };
        expect(served).toMatchObject({ verified: true, tokens: { total: billed.toString() } });
        expect(net.proxy.relay.runningCount).toBe(0);
        expect(net.proxy.clientAccounts()[0].reserved).toBe(0n);
        await w.close(0);
    });

    it('answers 402 with an actionable message when the client balance cannot cover the request', async () => {
        await net.startWorker({ seed: 23 });
        const res = await chat({ max_tokens: 100_000_000 });
        expect(res.status).toBe(402);
        const e = (await res.json()) as { error: { code: string; message: string; type: string } };
        expect(e.error.code).toBe('low_balance');
        expect(e.error.type).toBe('insufficient_quota');
        expect(e.error.message).toMatch(/top up/);
    });

    it('refuses a worker whose model the root does not allow, with the reason', async () => {
        const wallet = await openWallet(net.chain, { mnemonic: net.local.wallets[6].mnemonic });
        const w = await WorkerRunner.start({
            chain: net.chain,
            wallet,
            root: net.root,
            model: 'cocoon/not-allowed@x:0',
            backendUrl: 'http://127.0.0.1:9/v1',
            key: keyPairFromSeed(Buffer.alloc(32, 24)),
            tls: await tlsFor('worker'),
            intervals: { reconnectMs: 100_000 },
            logger: silentLogger,
        });
        await w.close(0);
        expect(w.connectedProxies).toBe(0);
        expect(w.lastError).toMatch(/model 'cocoon\/not-allowed@x:0' .* is not allowed by the root contract/);
    });

    it('refuses a worker without a valid attestation at the TLS handshake', async () => {
        const wallet = await openWallet(net.chain, { mnemonic: net.local.wallets[6].mnemonic });
        const tls = await RaTlsContext.create({ provider: noneProvider, policy: fakePolicy(), autoRotate: false });
        const w = await WorkerRunner.start({
            chain: net.chain,
            wallet,
            root: net.root,
            model: MODEL,
            backendUrl: 'http://127.0.0.1:9/v1',
            key: keyPairFromSeed(Buffer.alloc(32, 25)),
            tls,
            intervals: { reconnectMs: 100_000 },
            logger: silentLogger,
        });
        await w.close(0);
        tls.close();
        expect(w.connectedProxies).toBe(0);
        expect(w.lastError).toMatch(/closed|TLS|attest|reset|hang up/i);
        expect(net.proxy.workerConnections().every((c) => c.owner !== wallet.address.toString())).toBe(true);
    });

    it('rejects malformed HTTP requests with OpenAI-shaped errors', async () => {
        const bad = async (body: string) => {
            const r = await fetch(`${net.apiUrl}/chat/completions`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body,
            });
            return { status: r.status, body: (await r.json()) as { error: { message: string; param: string | null } } };
        };
        expect((await bad('{nope')).status).toBe(400);
        const noModel = await bad(JSON.stringify({ messages: [] }));
        expect(noModel.status).toBe(400);
        expect(noModel.body.error.param).toBe('model');
        const coef = await bad(JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [], max_coefficient: -1 }));
        expect(coef.status).toBe(400);
        const unknownOption = await bad(
            JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }], tools: [] }),
        );
        expect(unknownOption.status).toBe(400);
        expect(unknownOption.body.error.message).toMatch(/tools/);
        const unknownModel = await bad(JSON.stringify({ model: 'nobody/serves-this', messages: [{ role: 'user', content: 'x' }] }));
        expect(unknownModel.status).toBe(404);
        expect(unknownModel.body.error).toMatchObject({
            code: 'model_not_found',
            param: 'model',
            message: expect.stringMatching(/nobody\/serves-this/),
        });
        const notFound = await fetch(`${net.apiUrl}/embeddings`, { method: 'POST', body: '{}' });
        expect(notFound.status).toBe(404);
    });

    it('survives garbage on its client port and keeps serving', async () => {
        // Garbage instead of the PoW answer / TLS hello: that connection is dropped, nothing else changes.
        for (const junk of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.alloc(5000, 0xff)]) {
            await new Promise<void>((resolve) => {
                // Not a wait on the proxy: a guard, in case it neither answers nor drops the junk.
                const s = netConnect(net.proxy.clientPort, '127.0.0.1', () => {
                    s.write(junk);
                    setTimeout(() => s.destroy(), 200);
                });
                s.on('error', () => resolve());
                s.on('close', () => resolve());
            });
        }
        const res = await chat({ temperature: 0 });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { usage: { total_tokens: number } }).usage.total_tokens).toBeGreaterThan(0);
    });
});

describe('proxy death mid-stream', () => {
    let pnet: TestNetwork;
    let backend: StreamingBackend;
    beforeAll(async () => {
        pnet = await startTestNetwork({ params: { pricePerToken: 1000n, workerFeePerToken: 800n }, full: false, proxyProcess: true });
        backend = await streamingBackend({ promptTokens: PROMPT, delayMs: TOKEN_MS });
        await pnet.startWorker({ backendUrl: backend.url });
        await pnet.startClient();
        await waitUntil('the worker serving at the proxy', () => pnet.worker!.connectedProxies === 1 && pnet.worker!.serving, 60_000);
    });
    afterAll(async () => {
        await pnet?.close();
        await backend?.close();
    });

    it('fails the stream with a clear error, stops the backend and bills zero', async () => {
        const client = pnet.client!;
        const stream = (maxTokens: number) =>
            fetch(`${pnet.apiUrl}/chat/completions`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({
                    model: STREAM_MODEL,
                    messages: [{ role: 'user', content: 'hi' }],
                    max_tokens: maxTokens,
                    stream: true,
                }),
            });
        // One whole answer first, so the ledgers have something to keep.
        expect(await (await stream(3)).text()).toContain('[DONE]');
        await waitUntil('the first answer recorded', () => client.receipts.length === 1);
        const before = client.receipts[0].tokens;
        expect(before).toBe(BigInt(PROMPT + 3));

        const res = await stream(400);
        expect(res.status).toBe(200);
        const text = await readCutting(res, '"content":"t3 "', () => pnet.proxyProcess!.kill('SIGKILL'));
        expect(text).toContain(`"usage":{"prompt_tokens":${PROMPT},"completion_tokens":3,`);
        expect(text).toMatch(/"error".*connection to the proxy was lost/);
        // The worker lost its proxy link and aborted the backend call: nobody generates for nobody.
        const stopped = await backend.stream(1).then((s) => s.settled);
        expect(stopped.aborted).toBe(true);
        expect(stopped.produced).toBeLessThan(400);
        await waitUntil('the worker slot released', () => pnet.worker!.snapshot().active_requests === 0);
        expect(client.receipts[1]).toMatchObject({ tokens: 0n, error: expect.stringMatching(/connection to the proxy was lost/) });

        // Restarted on the same data, the proxy holds exactly the first answer: the cut one is billed zero.
        const ports = (await pnet.proxyProcess!.ready) as { workerPort: number; clientPort: number };
        await pnet.proxyProcess!.exited;
        await pnet.spawnProxy(ports);
        await client.waitReady(60_000);
        await waitUntil('the worker reconnected', () => pnet.worker!.connectedProxies === 1, 60_000);
        await client.charge();
        expect(client.info!.max).toBe(before);
        expect(client.info!.signed).toBe(before);
        const earned = pnet.worker!.snapshot().proxies[0];
        expect(earned.earned_tokens_max_known).toBe(before);
    });
});
