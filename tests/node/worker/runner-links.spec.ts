/** @jest-environment node */
/**
 * The worker runner with several proxy links (--proxy-connections > 1): a link that drops aborts its own
 * running queries and no other link's (issue 22 item 11).
 */
import { keyPairFromSeed } from '@ton/crypto';
import { silentLogger } from '../../../node/common/log';
import { WorkerRunner } from '../../../node/worker/runner';
import { fakeServer, type FakeServer } from '../inference/fake-server';
import { startTestNetwork, MODEL, type TestNetwork } from '../../e2e/helpers/network';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(180_000);

const USAGE = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 };
const textChunk = (content: string) =>
    `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] })}\n\n`;

let net: TestNetwork;
let backend: FakeServer;
let worker: WorkerRunner | undefined;
let release: () => void = () => undefined;
const released = new Promise<void>((r) => (release = r));
let posted: () => void = () => undefined;
const backendReached = new Promise<void>((r) => (posted = r));

beforeAll(async () => {
    net = await startTestNetwork({ full: false, tls: false, params: { pricePerToken: 1000n, workerFeePerToken: 800n } });
    // One chunk at once, the rest only when the test says so: the request is running while a link drops.
    backend = await fakeServer(async (req, res) => {
        if (req.method === 'GET') {
            res.writeHead(200, { 'Content-Type': 'application/json' }).end(
                JSON.stringify({ object: 'list', data: [{ id: 'cocoon/tiny-stories-1m', object: 'model' }] }),
            );
            return;
        }
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write(textChunk('first '));
        posted();
        await released;
        res.write(textChunk('second'));
        res.write(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [], usage: USAGE })}\n\n`);
        res.end('data: [DONE]\n\n');
    });
});

afterAll(async () => {
    release();
    await worker?.close(0);
    await backend?.close();
    await net?.close();
});

it('a dropped proxy link aborts only its own queries: a request on the other link finishes and is billed once', async () => {
    const port = net.proxy.workerPort;
    // Two links to the same proxy under two names: the proxy sees two worker connections.
    worker = await WorkerRunner.start({
        chain: net.chain,
        wallet: net.wallets.worker,
        root: net.root,
        model: MODEL,
        backendUrl: backend.url,
        key: keyPairFromSeed(Buffer.alloc(32, 31)),
        proxies: [`127.0.0.1:${port}`, `localhost:${port}`],
        proxyConnections: 2,
        checkProxyHashes: false,
        coefficient: 1000,
        maxActiveRequests: 8,
        intervals: { reconnectMs: 100_000, statusMs: 100_000, payoutMs: 3_600_000 },
        logger: silentLogger,
    });
    await waitFor(() => worker!.connectedProxies === 2 && net.proxy.workerConnections().length === 2, 'two worker links', 60_000);
    await net.startClient();

    const res = await fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
            model: 'cocoon/tiny-stories-1m',
            messages: [{ role: 'user', content: 'hi' }],
            max_tokens: 16,
            stream: true,
        }),
    });
    expect(res.status).toBe(200);
    await backendReached;
    const links = net.proxy.workerConnections();
    const idle = links.find((l) => l.running === 0)!;
    expect(links.filter((l) => l.running === 1)).toHaveLength(1);
    idle.conn.close();
    await waitFor(() => worker!.connectedProxies === 1, 'the idle link dropped at the worker', 60_000);
    release();

    const text = await res.text();
    expect(text).toContain('first ');
    expect(text).toContain('second');
    expect(text).not.toMatch(/"error"/);
    expect(text).toContain('data: [DONE]');
    expect(net.client!.receipts).toHaveLength(1);
    expect(net.client!.receipts[0].error).toBeFalsy();
    const billed = net.proxy.clientAccounts().reduce((s, a) => s + a.ledger.tokensMax, 0n);
    expect(billed).toBe(net.client!.receipts[0].tokens);
    expect(billed).toBeGreaterThan(0n);
});
