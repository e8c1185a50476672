/** @jest-environment node */
/**
 * The proxy killed with kill -9, several times, under streaming and non-streaming load, and restarted on
 * the same data each time. Requests in flight at a kill get a clear error and are billed 0; workers and
 * clients reconnect by themselves; and at the end every count agrees: the tokens of the receipts the
 * callers got = the proxy's client ledger = its worker ledger (as it reports them to the client and the
 * worker) = the tokens charged on-chain to the client contract = the tokens paid on-chain to the worker
 * contract. TON is conserved: the deposit = what is left of it + the charges, and the charges = the
 * worker's payouts + the proxy's commission + what is charged but not yet paid out.
 */
import { Address } from '@ton/core';
import { readClientContract, readProxyContract, readWorkerContract } from '../../node/chain/cocoon';
import { startTestNetwork, type TestNetwork } from './helpers/network';
import { readStream, streamingBackend, STREAM_MODEL, waitUntil, type StreamingBackend } from './helpers/streaming-backend';
import { waitFor } from '../helpers/wait';

jest.setTimeout(300_000);

const PRICE = 1000n;
const WORKER_FEE = 800n;
const DEPOSIT = 5_000_000_000n;
/** Every answer: this many prompt tokens, MAX_TOKENS completion tokens, one per TOKEN_MS. */
const PROMPT = 7;
const MAX_TOKENS = 12;
const TOKEN_MS = 15;
const ANSWER_TOKENS = BigInt(PROMPT + MAX_TOKENS);
const KILLS = 3;

let net: TestNetwork;
let backend: StreamingBackend;

beforeAll(async () => {
    net = await startTestNetwork({ params: { pricePerToken: PRICE, workerFeePerToken: WORKER_FEE }, proxyProcess: true, full: false });
    backend = await streamingBackend({ promptTokens: PROMPT, delayMs: TOKEN_MS });
    await net.startWorker({ backendUrl: backend.url });
    await net.startClient({ deposit: DEPOSIT });
    await waitUntil('the worker serving at the proxy', () => net.worker!.connectedProxies === 1 && net.worker!.serving, 60_000);
});
afterAll(async () => {
    await net?.close();
    await backend?.close();
});

interface Outcome {
    stream: boolean;
    status: number;
    requestId: string | null;
    ok: boolean;
    /** What the caller was told when it failed. */
    error: string;
}

/** One request as an outside caller makes it; a whole answer must carry its receipt header. */
async function call(stream: boolean): Promise<Outcome> {
    const res = await fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: STREAM_MODEL, messages: [{ role: 'user', content: 'go' }], max_tokens: MAX_TOKENS, stream }),
    });
    const requestId = res.headers.get('x-cocoon-request-id');
    if (stream && res.status === 200) {
        const text = await readStream(res);
        const error = /"error":\{"message":"([^"]*)"/.exec(text)?.[1] ?? '';
        return { stream, status: res.status, requestId, ok: !error && text.includes('[DONE]'), error };
    }
    const body = (await res.json()) as { error?: { message: string }; usage?: { total_tokens: number } };
    if (res.status === 200) expect(res.headers.get('x-cocoon-receipt')).toBeTruthy();
    return { stream, status: res.status, requestId, ok: res.status === 200, error: body.error?.message ?? '' };
}

describe('proxy crash', () => {
    it('bills nothing in flight at kill -9, loses nothing finished, and every count agrees at the end', async () => {
        const client = net.client!;
        const worker = net.worker!;
        const outcomes: Outcome[] = [];
        let stop = false;
        // Two streaming and two non-streaming lanes of back-to-back requests. While the proxy is down (or has
        // no worker yet) the answer is 503 at once: a lane then waits for the network to be back.
        const lanes = [true, true, false, false].map(async (stream) => {
            while (!stop) {
                const o = await call(stream);
                outcomes.push(o);
                // As long as the restart below may take: respawn, client reconnect, worker reconnect (60 s each).
                if (o.status === 503) await waitUntil('the network back', () => client.ready && worker.connectedProxies === 1, 180_000);
            }
        });
        const succeeded = () => outcomes.filter((o) => o.ok).length;
        let ports: { workerPort: number; clientPort: number } | undefined;
        for (let k = 0; k < KILLS; k++) {
            const target = succeeded() + 4;
            await waitUntil('answers before the kill', () => succeeded() >= target, 60_000);
            // Kill while a streamed and a whole answer are both being generated.
            const generating = (stream: boolean) =>
                backend.streams.some((s) => s.stream === stream && !s.aborted && s.produced >= 2 && s.produced < s.maxTokens);
            await waitUntil('a streamed and a whole answer in flight', () => generating(true) && generating(false), 60_000);
            ports ??= (await net.proxyProcess!.ready) as { workerPort: number; clientPort: number };
            net.proxyProcess!.kill('SIGKILL');
            await net.proxyProcess!.exited;
            await net.spawnProxy(ports);
            await client.waitReady(60_000);
            await waitUntil('the worker reconnected', () => worker.connectedProxies === 1, 60_000);
        }
        const target = succeeded() + 4;
        await waitUntil('answers after the last restart', () => succeeded() >= target, 60_000);
        stop = true;
        await Promise.all(lanes);

        // In flight at a kill: a clear error, as the status (502), or in-band for a stream whose headers had gone out.
        // Each kill caught at least one stream and one whole answer being generated.
        const failed = outcomes.filter((o) => !o.ok);
        const cut = (stream: boolean) => failed.filter((o) => o.stream === stream && (o.status === 502 || (stream && o.status === 200)));
        expect(cut(true).length).toBeGreaterThanOrEqual(KILLS);
        expect(cut(false).length).toBeGreaterThanOrEqual(KILLS);
        for (const o of failed) {
            if (o.status === 503) expect(o.error).toMatch(/not connected to a proxy yet|no worker/);
            else expect(o.error).toBe('connection to the proxy was lost');
        }
        // ... and billed 0: no receipt for any of them, and the client recorded 0 tokens for each.
        for (const o of failed.filter((f) => f.requestId)) expect((await fetch(`${net.apiUrl}/receipts/${o.requestId}`)).status).toBe(404);
        expect(client.receipts.filter((r) => r.error).every((r) => r.tokens === 0n)).toBe(true);

        // The receipts the callers got: one per answered request, each for a whole answer.
        const answered = outcomes.filter((o) => o.ok);
        let receipts = 0n;
        for (const o of answered) {
            const r = (await (await fetch(`${net.apiUrl}/receipts/${o.requestId}`)).json()) as {
                tokens: { total: string };
                verified: boolean;
            };
            expect(r).toMatchObject({ verified: true, tokens: { total: ANSWER_TOKENS.toString() } });
            receipts += BigInt(r.tokens.total);
        }
        expect(receipts).toBe(BigInt(answered.length) * ANSWER_TOKENS);

        // The client charges itself with the proxy's signature (which covers what the proxy committed on-chain)
        // until its contract holds every token of the receipts.
        const readSc = async () => (await readClientContract(net.chain, client.info!.clientSc))!;
        let clientSc = await readSc();
        if (clientSc.tokensUsed !== receipts)
            clientSc = await waitFor(
                async () => {
                    await client.charge();
                    const sc = await readSc();
                    return sc.tokensUsed === receipts ? sc : null;
                },
                'the client contract to hold every receipted token',
                60_000,
                200,
            );
        // The proxy's ledgers (as it reports them to the client and to the worker) hold exactly those tokens,
        // and so does the client contract on-chain.
        expect(client.info!.max).toBe(receipts);
        expect(client.info!.signed).toBe(receipts);
        expect(clientSc.tokensUsed).toBe(receipts);
        await waitUntil(
            'the worker to hold its signed payout',
            () => worker.snapshot().proxies[0].earned_tokens_committed_to_blockchain === receipts,
            60_000,
        );
        expect(worker.snapshot().proxies[0].earned_tokens_max_known).toBe(receipts);

        // The worker contract is paid exactly that.
        await worker.payoutAll(true);
        const workerSc = (await readWorkerContract(net.chain, Address.parse(worker.snapshot().proxies[0].sc_address)))!;
        expect(workerSc.tokens).toBe(receipts);

        // TON is conserved.
        const charges = clientSc.tokensUsed * PRICE;
        expect(clientSc.balance + charges).toBe(DEPOSIT);
        const proxySc = (await readProxyContract(net.chain, client.info!.proxySc))!;
        const payouts = workerSc.tokens * WORKER_FEE;
        const unpaid = (clientSc.tokensUsed - workerSc.tokens) * PRICE;
        expect(proxySc.balance).toBe(workerSc.tokens * (PRICE - WORKER_FEE));
        expect(payouts + proxySc.balance + unpaid).toBe(charges);
    });
});
