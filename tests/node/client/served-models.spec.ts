/**
 * 404 against 503 for a model the proxy does not list: a name is only "not served here" when other models
 * are; a proxy that lists no worker at all (just started, workers reconnecting) gets a 503 worth a retry.
 */
import { createBackend, type Backend } from '../../../node/inference';
import { startRelayApi } from '../helpers/relay-network';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(60_000);

let relay: Awaited<ReturnType<typeof startRelayApi>>;
let backend: Backend;

beforeAll(async () => {
    relay = await startRelayApi();
});
afterAll(async () => {
    await relay?.close();
    backend?.close();
});

async function post(model: string): Promise<{ status: number; code: string | null; message: string }> {
    const r = await fetch(`${relay.api.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }], max_tokens: 4 }),
    });
    const { error } = (await r.json()) as { error: { code: string | null; message: string } };
    return { status: r.status, code: error.code, message: error.message };
}

it('answers 503 no_workers, not 404, while the proxy lists no worker at all', async () => {
    expect(await post('cocoon/tiny-stories-1m')).toEqual({
        status: 503,
        code: 'no_workers',
        message: expect.stringMatching(/no workers for model 'cocoon\/tiny-stories-1m'/),
    });
});

it('answers 404 model_not_found for a name nobody serves once another model is served', async () => {
    // A backend that is down still registers its worker (and so its model) at the proxy.
    backend = createBackend({ baseUrl: 'http://127.0.0.1:1/v1', timeoutMs: 2000 });
    await relay.net.startWorker(backend, 1);
    // The client re-reads the list at most once a second: until then the name is still "nothing served yet".
    const answer = await waitFor(
        async () => {
            const a = await post('nobody/else');
            return a.status !== 503 ? a : null;
        },
        'the client to re-read the served models',
        5000,
        100,
    );
    expect(answer).toEqual({
        status: 404,
        code: 'model_not_found',
        message: "model 'nobody/else' is not served here; served models: cocoon/tiny-stories-1m (see GET /v1/models)",
    });
});
