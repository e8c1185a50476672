/** @jest-environment node */
/**
 * A caller that disconnects mid-stream (issue 22 item 4): the client tells the proxy (cocoonx.cancelQuery),
 * the proxy tells the worker, the worker aborts its backend call. The request is billed what the backend
 * had reported up to the stop, never the whole answer; the worker slot and the client's reservation are
 * released as soon as the worker stopped; the partial answer's receipt is served by its request id. A
 * caller that stays is served and receipted as before.
 */
import { startTestNetwork, type TestNetwork } from './helpers/network';
import { readStream, streamingBackend, STREAM_MODEL, waitUntil, type StreamingBackend } from './helpers/streaming-backend';

jest.setTimeout(240_000);

/** Prompt tokens the backend reports; its pace; tokens the leaving caller reads; its max_tokens. */
const PROMPT = 7;
const DELAY_MS = 40;
const K = 5;
const LONG = 400;

let net: TestNetwork;
let backend: StreamingBackend;

beforeAll(async () => {
    net = await startTestNetwork({ params: { pricePerToken: 1000n, workerFeePerToken: 800n }, full: false });
    backend = await streamingBackend({ promptTokens: PROMPT, delayMs: DELAY_MS });
    await net.startWorker({ backendUrl: backend.url });
    await net.startClient();
});
afterAll(async () => {
    await net?.close();
    await backend?.close();
});

function stream(maxTokens: number, signal?: AbortSignal): Promise<Response> {
    return fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: STREAM_MODEL, messages: [{ role: 'user', content: 'count' }], max_tokens: maxTokens, stream: true }),
        signal,
    });
}

const clientLedger = () => net.proxy.clientAccounts()[0].ledger.tokensMax;
const workerLedger = () => net.proxy.workerAccounts()[0].ledger.tokensMax;

describe('caller disconnect mid-stream', () => {
    it('stops the generation upstream and bills only what was produced up to the cancel', async () => {
        const before = {
            client: net.proxy.clientAccounts()[0]?.ledger.tokensMax ?? 0n,
            worker: net.proxy.workerAccounts()[0]?.ledger.tokensMax ?? 0n,
        };
        const receiptsBefore = net.client!.receipts.length;
        // The caller that stays: a short stream beside the one that leaves.
        const stays = stream(20).then(async (res) => ({ id: res.headers.get('x-cocoon-request-id')!, text: await readStream(res) }));
        const ac = new AbortController();
        const leaving = await stream(LONG, ac.signal);
        expect(leaving.status).toBe(200);
        const leavingId = leaving.headers.get('x-cocoon-request-id')!;
        const seen = await readStream(leaving, (t) => t.includes(`t${K} `));
        expect(seen).toContain(`t${K} `);
        ac.abort();

        // The backend call of the leaving request is aborted long before its end.
        const leavingStream = (await Promise.all([backend.stream(0), backend.stream(1)])).find((s) => s.maxTokens === LONG)!;
        const stopped = await leavingStream.settled;
        expect(stopped.aborted).toBe(true);
        expect(stopped.produced).toBeGreaterThanOrEqual(K);
        expect(stopped.produced).toBeLessThan(LONG / 2);

        // Released as soon as the worker stopped: no slot, no reservation, no running request anywhere.
        const released = Date.now();
        await waitUntil('the cancelled request to end at the client', () =>
            net.client!.receipts.slice(receiptsBefore).some((r) => r.error !== null),
        );
        const kept = await stays;
        expect(kept.text).toContain('t20 ');
        expect(kept.text).toContain('[DONE]');
        await waitUntil(
            'every slot and reservation released',
            () =>
                net.proxy.relay.runningCount === 0 &&
                net.worker!.snapshot().active_requests === 0 &&
                net.proxy.clientAccounts()[0].reserved === 0n,
        );
        expect(Date.now() - released).toBeLessThan((LONG - stopped.produced) * DELAY_MS);

        // Billed what the backend had reported when it stopped: at least what the caller saw, at most what was produced.
        const leftReceipt = net.client!.receipts.slice(receiptsBefore).find((r) => r.error !== null)!;
        const billedLeaving = leftReceipt.tokens;
        expect(billedLeaving).toBeGreaterThanOrEqual(BigInt(PROMPT + K));
        expect(billedLeaving).toBeLessThanOrEqual(BigInt(PROMPT + stopped.produced));
        expect(leftReceipt.error).toMatch(/cancelled/);
        expect(leftReceipt.receiptValid).toBe(true);
        const stayedReceipt = net.client!.receipts.slice(receiptsBefore).find((r) => r.error === null)!;
        expect(stayedReceipt.tokens).toBe(BigInt(PROMPT + 20));
        expect(stayedReceipt.receiptValid).toBe(true);
        // Both ledgers grew by exactly the two bills.
        expect(clientLedger() - before.client).toBe(billedLeaving + BigInt(PROMPT + 20));
        expect(workerLedger() - before.worker).toBe(billedLeaving + BigInt(PROMPT + 20));

        // Each caller can fetch the worker's signed receipt for what it was billed.
        const left = (await (await fetch(`${net.apiUrl}/receipts/${leavingId}`)).json()) as {
            tokens: { total: string };
            verified: boolean;
        };
        expect(left.verified).toBe(true);
        expect(BigInt(left.tokens.total)).toBe(billedLeaving);
        const stayed = (await (await fetch(`${net.apiUrl}/receipts/${kept.id}`)).json()) as {
            tokens: { total: string };
            verified: boolean;
        };
        expect(stayed.verified).toBe(true);
        expect(BigInt(stayed.tokens.total)).toBe(BigInt(PROMPT + 20));
    });
});
