import { randomBytes } from 'crypto';
import { keyPairFromSeed } from '@ton/crypto';
import { createBackend, startEmbeddedServer, type Backend } from '../../../node/inference';
import { connect, decodeAs, encode, listen, silentLogger, type client_QueryAnswerEx, type RpcConnection, type RpcServer, type proxy_runQueryEx } from '../../../node/protocol';
import { decodeReceipt, verifyReceipt } from '../../../node/common/receipt';
import { QueryRelay, type ClientLink, type WorkerLink } from '../../../node/proxy/relay';
import { DecayingAverage } from '../../../node/proxy/routing';
import { SignedPaymentsLedger } from '../../../node/proxy/signed-payments';
import { runWorkerQuery } from '../../../node/worker/running-request';

jest.setTimeout(60_000);

const MODEL = 'cocoon/tiny-stories-1m@local:0';
const pricing = { pricePerToken: 20n, promptMultiplier: 10000n, cachedMultiplier: 1000n, completionMultiplier: 10000n, reasoningMultiplier: 10000n };

/** A worker process: connects to the proxy and serves proxy.runQueryEx through its backend. */
async function startWorker(port: number, backend: Backend, seed: number) {
    const key = keyPairFromSeed(Buffer.alloc(32, seed));
    const conn = await connect({ host: '127.0.0.1', port, pow: false, logger: silentLogger });
    conn.on('packet', (obj) => {
        if (obj._ !== 'proxy.runQueryEx') return;
        void runWorkerQuery(obj as proxy_runQueryEx, { backend, servedModel: MODEL, pricing, receiptKey: key, send: (p) => { if (!conn.closed) conn.send(p); } });
    });
    return { conn, key };
}

describe('proxy relay over the COCOON wire protocol', () => {
    let model: Awaited<ReturnType<typeof startEmbeddedServer>>;
    let backend: Backend;
    let workerServer: RpcServer;
    let clientServer: RpcServer;
    let relay: QueryRelay;
    const clients: ClientLink[] = [];
    let balance: bigint | null = null;

    beforeAll(async () => {
        model = await startEmbeddedServer({ port: 0 });
        backend = createBackend({ baseUrl: model.url });
        relay = new QueryRelay({ pricePerToken: 20n });
        let n = 0;
        workerServer = await listen({
            port: 0, pow: false, logger: silentLogger,
            onConnection(conn: RpcConnection) {
                const id = `w${++n}`;
                const link: WorkerLink = {
                    id, model: MODEL, coefficient: 1000n, enabled: true, running: 0, maxRunning: 8, averageQuerySeconds: 0,
                    send: (o) => conn.send(o as never), ledger: new SignedPaymentsLedger(), signedPayment: () => ({ _: 'proxy.signedPaymentEmpty' }), average: new DecayingAverage(),
                };
                relay.addWorker(link);
                conn.on('packet', (obj) => {
                    if (obj._ === 'proxy.queryAnswerEx' || obj._ === 'proxy.queryAnswerPartEx' || obj._ === 'proxy.queryAnswerErrorEx') relay.onWorkerAnswer(id, obj);
                });
                conn.on('close', () => relay.removeWorker(id));
            },
        });
        clientServer = await listen({
            port: 0, pow: false, logger: silentLogger,
            onConnection(conn: RpcConnection) {
                const link: ClientLink = { id: `c${clients.length}`, send: (p) => conn.send(p), ledger: new SignedPaymentsLedger(), reserved: 0n,
                    account: () => (balance === null ? null : { balance, stake: balance, tokensCharged: 0n }) };
                clients.push(link);
                conn.on('packet', (obj) => { if (obj._ === 'client.runQueryEx') relay.runQuery(link, obj); });
                conn.handle(async (fn) => {
                    if (fn._ === 'client.getWorkerTypesV2') return relay.workerTypes();
                    throw new Error(`unsupported ${fn._}`);
                });
            },
        });
    });
    afterAll(async () => {
        await clientServer?.close();
        await workerServer?.close();
        backend?.close();
        await model?.close();
    });

    async function ask(body: Record<string, unknown>, opts: { timeout?: number; maxTokens?: number } = {}) {
        const conn = await connect({ host: '127.0.0.1', port: clientServer.port, pow: false, logger: silentLogger });
        const pieces: client_QueryAnswerEx[] = [];
        const done = new Promise<void>((resolve) => conn.on('packet', (p) => { pieces.push(p as client_QueryAnswerEx); if (((p as { flags?: number }).flags ?? 0) & 1) resolve(); }));
        const payload = Buffer.from(JSON.stringify(body));
        conn.send({
            _: 'client.runQueryEx', model_name: String(body.model), max_coefficient: 4000, max_tokens: opts.maxTokens ?? 64, timeout: opts.timeout ?? 20, request_id: randomBytes(32), min_config_version: 0, flags: 0,
            query: encode({ _: 'http.request', method: 'POST', url: '/v1/chat/completions', http_version: 'HTTP/1.1', headers: [], payload }),
        });
        await done;
        conn.close();
        const first = pieces[0];
        const response = first._ === 'client.queryAnswerEx' ? decodeAs('http.Response', first.answer) : null;
        const bodyBytes = Buffer.concat([response?.payload ?? Buffer.alloc(0), ...pieces.slice(1).map((p) => (p._ === 'client.queryAnswerPartEx' ? p.answer : Buffer.alloc(0)))]);
        return { pieces, response, body: bodyBytes, last: pieces[pieces.length - 1] };
    }

    it('relays streamed and plain answers, meters both ledgers and passes the worker receipt through', async () => {
        const w = await startWorker(workerServer.port, backend, 1);
        await new Promise((r) => setTimeout(r, 50));
        for (const stream of [false, true]) {
            const before = clients.reduce((s, c) => s + c.ledger.tokensMax, 0n);
            const r = await ask({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 10, stream });
            expect(r.response?.status_code).toBe(200);
            expect(r.response?.headers.map((h) => h.name)).toEqual(expect.arrayContaining(['X-Cocoon-Worker-Start', 'X-Cocoon-Proxy-Start']));
            const final = r.last.final_info!;
            expect(final.tokens_used.total_tokens_used).toBeGreaterThan(0n);
            const receipt = decodeReceipt(final.worker_debug);
            expect(verifyReceipt(receipt!, { workerKey: w.key.publicKey, body: r.body })).toEqual({ ok: true });
            const after = clients.reduce((s, c) => s + c.ledger.tokensMax, 0n);
            expect(after - before).toBe(final.tokens_used.total_tokens_used);
        }
        expect(clients.every((c) => c.reserved === 0n)).toBe(true);
        const types = relay.workerTypes();
        expect(types.types[0]).toMatchObject({ name: 'cocoon/tiny-stories-1m' });
        w.conn.close();
        await new Promise((r) => setTimeout(r, 50));
    });

    it('retries on another worker when the first fails before answering', async () => {
        const dead = createBackend({ baseUrl: 'http://127.0.0.1:1/v1', timeoutMs: 1000 });
        const bad = await startWorker(workerServer.port, dead, 2);
        await new Promise((r) => setTimeout(r, 50));
        const good = await startWorker(workerServer.port, backend, 3);
        await new Promise((r) => setTimeout(r, 50));
        const r = await ask({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 });
        expect(r.response?.status_code).toBe(200);
        expect(verifyReceipt(decodeReceipt(r.last.final_info!.worker_debug)!, { workerKey: good.key.publicKey }).ok).toBe(true);
        bad.conn.close();
        good.conn.close();
        dead.close();
        await new Promise((r) => setTimeout(r, 50));
    });

    it('answers clear errors: unknown model, price cap, low balance, timeout', async () => {
        const r1 = await ask({ model: 'nobody/serves-this', messages: [{ role: 'user', content: 'x' }] });
        expect(r1.last).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 503 });
        expect((r1.last as { error: string }).error).toMatch(/no workers for model 'nobody\/serves-this'/);

        const w = await startWorker(workerServer.port, backend, 4);
        await new Promise((r) => setTimeout(r, 50));
        balance = 10n; // 0 tokens at 20 nanoTON per token
        const r2 = await ask({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }] });
        expect(r2.last).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 402 });
        expect((r2.last as { error: string }).error).toMatch(/client balance is too low/);
        balance = null;

        // A tiny timeout: the proxy gives up and reports it; nothing is billed.
        const before = clients.reduce((s, c) => s + c.ledger.tokensMax, 0n);
        const r3 = await ask({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }], max_tokens: 200 }, { timeout: 0.001 });
        expect(r3.last).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 504 });
        expect(clients.reduce((s, c) => s + c.ledger.tokensMax, 0n)).toBe(before);
        w.conn.close();
        await new Promise((r) => setTimeout(r, 50));
    });
});
