import { randomBytes } from 'crypto';
import { createBackend, startEmbeddedServer, type Backend } from '../../../node/inference';
import { connect, decodeAs, encode, type client_QueryAnswerEx } from '../../../node/protocol';
import { silentLogger } from '../../../node/common/log';
import { decodeReceipt, verifyReceipt } from '../../../node/common/receipt';
import { startRelayNetwork, type RelayNetwork } from '../helpers/relay-network';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(60_000);

describe('proxy relay over the COCOON wire protocol', () => {
    let model: Awaited<ReturnType<typeof startEmbeddedServer>>;
    let backend: Backend;
    let net: RelayNetwork;
    const clients = () => net.clients;

    beforeAll(async () => {
        model = await startEmbeddedServer({ port: 0 });
        backend = createBackend({ baseUrl: model.url });
        net = await startRelayNetwork();
    });
    afterAll(async () => {
        await net?.close();
        backend?.close();
        await model?.close();
    });

    async function ask(body: Record<string, unknown>, opts: { timeout?: number; maxTokens?: number } = {}) {
        const conn = await connect({ host: '127.0.0.1', port: net.clientPort, pow: false, logger: silentLogger });
        const pieces: client_QueryAnswerEx[] = [];
        const done = new Promise<void>((resolve) =>
            conn.on('packet', (p) => {
                pieces.push(p as client_QueryAnswerEx);
                if (((p as { flags?: number }).flags ?? 0) & 1) resolve();
            }),
        );
        const payload = Buffer.from(JSON.stringify(body));
        conn.send({
            _: 'client.runQueryEx',
            model_name: String(body.model),
            max_coefficient: 4000,
            max_tokens: opts.maxTokens ?? 64,
            timeout: opts.timeout ?? 20,
            request_id: randomBytes(32),
            min_config_version: 0,
            flags: 0,
            query: encode({
                _: 'http.request',
                method: 'POST',
                url: '/v1/chat/completions',
                http_version: 'HTTP/1.1',
                headers: [],
                payload,
            }),
        });
        await done;
        conn.close();
        const first = pieces[0];
        const response = first._ === 'client.queryAnswerEx' ? decodeAs('http.Response', first.answer) : null;
        const bodyBytes = Buffer.concat([
            response?.payload ?? Buffer.alloc(0),
            ...pieces.slice(1).map((p) => (p._ === 'client.queryAnswerPartEx' ? p.answer : Buffer.alloc(0))),
        ]);
        return { pieces, response, body: bodyBytes, last: pieces[pieces.length - 1] };
    }

    it('relays streamed and plain answers, meters both ledgers and passes the worker receipt through', async () => {
        const w = await net.startWorker(backend, 1);
        for (const stream of [false, true]) {
            const before = clients().reduce((s, c) => s + c.ledger.tokensMax, 0n);
            const r = await ask({
                model: 'cocoon/tiny-stories-1m',
                messages: [{ role: 'user', content: 'Tell me a story' }],
                max_tokens: 10,
                stream,
            });
            expect(r.response?.status_code).toBe(200);
            expect(r.response?.headers.map((h) => h.name)).toEqual(
                expect.arrayContaining(['X-Cocoon-Worker-Start', 'X-Cocoon-Proxy-Start']),
            );
            // One final piece, the last; a worker's last bytes travel in it (a whole answer: one piece).
            expect(r.pieces.map((p) => (p.flags ?? 0) & 1)).toEqual([...r.pieces.slice(1).map(() => 0), 1]);
            expect(r.body.length).toBeGreaterThan(0);
            const final = r.last.final_info!;
            expect(final.tokens_used.total_tokens_used).toBeGreaterThan(0n);
            const receipt = decodeReceipt(final.worker_debug);
            expect(verifyReceipt(receipt!, { workerKey: w.key.publicKey, body: r.body })).toEqual({ ok: true });
            const after = clients().reduce((s, c) => s + c.ledger.tokensMax, 0n);
            expect(after - before).toBe(final.tokens_used.total_tokens_used);
        }
        expect(clients().every((c) => c.reserved === 0n)).toBe(true);
        const types = net.relay.workerTypes();
        expect(types.types[0]).toMatchObject({ name: 'cocoon/tiny-stories-1m' });
        w.conn.close();
        await waitFor(() => net.workerCount() === 0, 'the proxy to drop the closed workers');
    });

    it('retries on another worker when the first fails before answering', async () => {
        const dead = createBackend({ baseUrl: 'http://127.0.0.1:1/v1', timeoutMs: 1000 });
        const bad = await net.startWorker(dead, 2);
        const good = await net.startWorker(backend, 3);
        const r = await ask({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 });
        expect(r.response?.status_code).toBe(200);
        expect(verifyReceipt(decodeReceipt(r.last.final_info!.worker_debug)!, { workerKey: good.key.publicKey }).ok).toBe(true);
        bad.conn.close();
        good.conn.close();
        dead.close();
        await waitFor(() => net.workerCount() === 0, 'the proxy to drop the closed workers');
    });

    it('answers clear errors: unknown model, price cap, low balance, timeout', async () => {
        const r1 = await ask({ model: 'nobody/serves-this', messages: [{ role: 'user', content: 'x' }] });
        expect(r1.last).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 503 });
        expect((r1.last as { error: string }).error).toMatch(/no workers for model 'nobody\/serves-this'/);

        const w = await net.startWorker(backend, 4);
        net.balance = 10n; // 0 tokens at 20 nanoTON per token
        const r2 = await ask({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }] });
        expect(r2.last).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 402 });
        expect((r2.last as { error: string }).error).toMatch(/client balance is too low/);
        net.balance = null;

        // A tiny timeout: the proxy gives up and reports it; nothing is billed.
        const before = clients().reduce((s, c) => s + c.ledger.tokensMax, 0n);
        const r3 = await ask(
            { model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }], max_tokens: 200 },
            { timeout: 0.001 },
        );
        expect(r3.last).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 504 });
        expect(clients().reduce((s, c) => s + c.ledger.tokensMax, 0n)).toBe(before);
        w.conn.close();
        await waitFor(() => net.workerCount() === 0, 'the proxy to drop the closed workers');
    });
});
