import fc from 'fast-check';
import { createBackend, type Backend } from '../../../node/inference';
import { hostileBody } from '../helpers/hostile-json';
import { startRelayApi } from '../helpers/relay-network';

jest.setTimeout(60_000);

describe('client API under hostile JSON (property test, bounded in time)', () => {
    let backend: Backend;
    let relay: Awaited<ReturnType<typeof startRelayApi>>;

    beforeAll(async () => {
        // A worker whose backend is down: a request that passes every check ends in a fast 502, not a model run.
        backend = createBackend({ baseUrl: 'http://127.0.0.1:1/v1', timeoutMs: 2000 });
        relay = await startRelayApi();
        await relay.net.startWorker(backend, 1);
    });
    afterAll(async () => {
        await relay?.close();
        backend?.close();
    });

    it('answers every body with a clear OpenAI-shaped error: a 4xx for bad input, never a 500, no slot left held', async () => {
        const statuses = new Map<number, number>();
        await fc.assert(
            fc.asyncProperty(hostileBody, async (body) => {
                const r = await fetch(`${relay.api.url}/v1/chat/completions`, {
                    method: 'POST',
                    headers: { 'content-type': 'application/json' },
                    body: new Blob([new Uint8Array(body)]),
                });
                const json = (await r.json()) as { error?: { message?: unknown; type?: unknown; param?: unknown; code?: unknown } };
                statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
                // 400/404/409: the caller's request. A valid one reaches the only worker, whose backend is down: it
                // fails before answering (502), the relay tries another worker and there is none (503). A valid
                // one with a tiny `timeout` of its own (1e-300 s) can end first: 504, naming that timeout.
                expect([400, 404, 409, 502, 503, 504]).toContain(r.status);
                if (r.status === 504)
                    expect(String(json.error?.message)).toMatch(/within the request's .* s; raise the request's `timeout`/);
                expect(typeof json.error?.message).toBe('string');
                expect(String(json.error?.message).length).toBeGreaterThan(0);
                expect(typeof json.error?.type).toBe('string');
                expect(json.error).toHaveProperty('param');
                expect(json.error).toHaveProperty('code');
            }),
            { numRuns: 300, interruptAfterTimeLimit: 5000, markInterruptAsFailure: false },
        );
        expect(statuses.get(400)).toBeGreaterThan(0);
        // Every query got its final answer: the proxy holds no slot of the worker.
        const models = (await (await fetch(`${relay.api.url}/v1/models`)).json()) as {
            data: { workers: { running_requests: number }[] }[];
        };
        expect(models.data[0].workers).toEqual([expect.objectContaining({ running_requests: 0 })]);
        expect(relay.net.relay.workerTypes().types[0].workers[0].active_requests).toBe(0);
    });
});
