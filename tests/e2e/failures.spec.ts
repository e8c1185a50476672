/** @jest-environment node */
/**
 * Failure paths on a live network: workers killed before and during an answer, a client out of
 * balance, a worker with a forged attestation or a model the root does not allow, malformed HTTP and
 * TL input. Each gets a clear error and nothing is billed that was not served.
 */
import { connect as netConnect } from 'net';
import { keyPairFromSeed } from '@ton/crypto';
import { noneProvider, fakePolicy, RaTlsContext } from '../../node/attestation';
import { openWallet } from '../../node/chain';
import { WorkerRunner } from '../../node/worker/runner';
import { silentLogger } from '../../node/protocol';
import { fakeServer, type FakeServer } from '../node/inference/fake-server';
import { startTestNetwork, tlsFor, MODEL, type TestNetwork } from './helpers/network';
import { spawnRunner, type RunnerProcess } from './helpers/process';

jest.setTimeout(240_000);

let net: TestNetwork;
const backends: FakeServer[] = [];
const procs: RunnerProcess[] = [];

beforeAll(async () => {
    net = await startTestNetwork({ params: { pricePerToken: 1000n, workerFeePerToken: 800n }, extraWallets: 3, full: false });
});
afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    for (const b of backends) await b.close();
    await net?.close();
});

const USAGE = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An SSE backend: waits `firstByteMs`, sends `chunks` (then waits `stallMs` before each next one), then usage. */
async function sseBackend(o: { firstByteMs: number; chunks: number; stallMs: number }): Promise<FakeServer> {
    const b = await fakeServer(async (req, res) => {
        if (req.method === 'GET') {
            res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'cocoon/tiny-stories-1m', object: 'model' }] }));
            return;
        }
        await sleep(o.firstByteMs);
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        for (let i = 0; i < o.chunks; i++) {
            if (i > 0) await sleep(o.stallMs);
            res.write(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: `w${i} ` } }] })}\n\n`);
        }
        res.write(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [], usage: USAGE })}\n\n`);
        res.end('data: [DONE]\n\n');
    });
    backends.push(b);
    return b;
}

async function workerProcess(walletIndex: number, backendUrl: string, seed: number): Promise<RunnerProcess> {
    const p = spawnRunner('worker', { chainUrl: net.local.v4Url, root: net.root.toString(), mnemonic: net.local.wallets[walletIndex].mnemonic, seed, backendUrl });
    procs.push(p);
    await p.ready;
    return p;
}

function chat(extra: Record<string, unknown> = {}): Promise<Response> {
    return fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16, ...extra }),
    });
}

function clientTokens(): bigint {
    return net.proxy.clientAccounts().reduce((s, a) => s + a.ledger.tokensMax, 0n);
}

describe('failure paths', () => {
    it('retries on another worker when the first dies before answering', async () => {
        const slow = await sseBackend({ firstByteMs: 1500, chunks: 2, stallMs: 0 });
        const a = await workerProcess(4, slow.url, 21);
        await net.startWorker(); // B: the embedded model, connected after A, so A is chosen first
        await net.startClient();
        const pending = chat({ temperature: 0 });
        while (slow.requests.filter((r) => r.method === 'POST').length === 0) await sleep(20);
        a.kill('SIGKILL');
        const res = await pending;
        expect(res.status).toBe(200);
        const body = (await res.json()) as { choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
        expect(body.choices[0].message.content.length).toBeGreaterThan(0);
        // Billed once, for what worker B served.
        expect(net.client!.receipts).toHaveLength(1);
        expect(clientTokens()).toBe(net.client!.receipts[0].tokens);
    });

    it('fails a stream cleanly when its worker dies mid-answer and bills only what the worker reported', async () => {
        await net.worker!.close(0); // only the stalling worker is left
        const stall = await sseBackend({ firstByteMs: 0, chunks: 3, stallMs: 5000 });
        const a = await workerProcess(5, stall.url, 22);
        const before = clientTokens();
        const res = await chat({ stream: true });
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        const first = await reader.read();
        expect(Buffer.from(first.value!).toString()).toContain('w0');
        a.kill('SIGKILL');
        let rest = '';
        for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            rest += Buffer.from(value).toString();
        }
        expect(rest).toMatch(/"error".*worker disconnected mid-answer|lost/);
        expect(clientTokens()).toBe(before);
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
            chain: net.chain, wallet, root: net.root, model: 'cocoon/not-allowed@x:0', backendUrl: 'http://127.0.0.1:9/v1', key: keyPairFromSeed(Buffer.alloc(32, 24)),
            tls: await tlsFor('worker'), intervals: { reconnectMs: 100_000 }, logger: silentLogger,
        });
        await w.close(0);
        expect(w.connectedProxies).toBe(0);
        expect(w.lastError).toMatch(/model 'cocoon\/not-allowed@x:0' .* is not allowed by the root contract/);
    });

    it('refuses a worker without a valid attestation at the TLS handshake', async () => {
        const wallet = await openWallet(net.chain, { mnemonic: net.local.wallets[6].mnemonic });
        const tls = await RaTlsContext.create({ provider: noneProvider, policy: fakePolicy(), autoRotate: false });
        const w = await WorkerRunner.start({
            chain: net.chain, wallet, root: net.root, model: MODEL, backendUrl: 'http://127.0.0.1:9/v1', key: keyPairFromSeed(Buffer.alloc(32, 25)),
            tls, intervals: { reconnectMs: 100_000 }, logger: silentLogger,
        });
        await w.close(0);
        tls.close();
        expect(w.connectedProxies).toBe(0);
        expect(w.lastError).toMatch(/closed|TLS|attest|reset|hang up/i);
        expect(net.proxy.workerConnections().every((c) => c.owner !== wallet.address.toString())).toBe(true);
    });

    it('rejects malformed HTTP requests with OpenAI-shaped errors', async () => {
        const bad = async (body: string) => {
            const r = await fetch(`${net.apiUrl}/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
            return { status: r.status, body: (await r.json()) as { error: { message: string; param: string | null } } };
        };
        expect((await bad('{nope')).status).toBe(400);
        const noModel = await bad(JSON.stringify({ messages: [] }));
        expect(noModel.status).toBe(400);
        expect(noModel.body.error.param).toBe('model');
        const coef = await bad(JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [], max_coefficient: -1 }));
        expect(coef.status).toBe(400);
        const unknownOption = await bad(JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }], tools: [] }));
        expect(unknownOption.status).toBe(400);
        expect(unknownOption.body.error.message).toMatch(/tools/);
        const unknownModel = await bad(JSON.stringify({ model: 'nobody/serves-this', messages: [{ role: 'user', content: 'x' }] }));
        expect(unknownModel.status).toBe(404);
        expect(unknownModel.body.error).toMatchObject({ code: 'model_not_found', param: 'model', message: expect.stringMatching(/nobody\/serves-this/) });
        const notFound = await fetch(`${net.apiUrl}/embeddings`, { method: 'POST', body: '{}' });
        expect(notFound.status).toBe(404);
    });

    it('survives garbage on its client port and keeps serving', async () => {
        // Garbage instead of the PoW answer / TLS hello: that connection is dropped, nothing else changes.
        for (const junk of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.alloc(5000, 0xff)]) {
            await new Promise<void>((resolve) => {
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
        expect((await res.json() as { usage: { total_tokens: number } }).usage.total_tokens).toBeGreaterThan(0);
    });
});
