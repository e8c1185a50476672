/** @jest-environment node */
/**
 * End-to-end encrypted requests on the local network (issue 27 §1, upstream's "v1"): the client daemon
 * (`e2e: true`) encrypts each request to an attested worker key it took from a verified attestation
 * report, the proxy routes it to the worker holding that key, the worker decrypts, runs the model and
 * encrypts its answer, and the daemon decrypts before answering its HTTP caller. The test records every
 * request and answer byte the proxy's relay receives, and every proxy log line, and checks that neither
 * the prompt nor the answer is among them; receipts still verify (they cover the ciphertext).
 */
import { randomBytes } from 'crypto';
import { keyPairFromSeed } from '@ton/crypto';
import { decodeAs, decodeFunction, e2e, type client_runQueryEx, type proxy_QueryAnswerEx } from '../../node/protocol';
import { createLogger } from '../../node/common/log';
import type { Receipt } from '../../node/common/receipt';
import { startTestNetwork, type TestNetwork } from './helpers/network';

jest.setTimeout(240_000);

const MODEL = 'cocoon/tiny-stories-1m';
const SECRET = 'The password is periwinkle-7731, lighthouse of Quokka Bay';
const WORKER_KEY = keyPairFromSeed(Buffer.alloc(32, 9)).publicKey;

let net: TestNetwork;
const proxyLog: string[] = [];
/** What the proxy's relay received: client queries and worker answer pieces. */
const seen = { queries: [] as client_runQueryEx[], answers: [] as proxy_QueryAnswerEx[] };

beforeAll(async () => {
    net = await startTestNetwork({ full: false, proxy: { logger: createLogger('proxy', 'debug', (line) => proxyLog.push(line)) } });
    const relay = net.proxy.relay;
    const runQuery = relay.runQuery.bind(relay);
    const onWorkerAnswer = relay.onWorkerAnswer.bind(relay);
    relay.runQuery = (client, q) => {
        seen.queries.push(q);
        runQuery(client, q);
    };
    relay.onWorkerAnswer = (id, piece) => {
        seen.answers.push(piece);
        onWorkerAnswer(id, piece);
    };
    await net.startWorker();
    await net.startClient({ e2e: true });
});
afterAll(() => net?.close());

function post(body: object): Promise<Response> {
    return fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
    });
}

/** Every byte of the answer pieces the proxy received for its last request, as text. */
function answerBytesSeen(from: number): string {
    return seen.answers
        .slice(from)
        .map((p) =>
            p._ === 'proxy.queryAnswerEx'
                ? decodeAs('http.Response', p.answer).payload
                : p._ === 'proxy.queryAnswerPartEx'
                  ? p.answer
                  : Buffer.from(p.error),
        )
        .map((b) => b.toString('utf8'))
        .join('');
}

function requestSeen(q: client_runQueryEx): e2e.JsonObject {
    const http = decodeFunction(q.query);
    if (http._ !== 'http.request') throw new Error(`not an http.request: ${http._}`);
    return JSON.parse(http.payload.toString('utf8')) as e2e.JsonObject;
}

const receiptOf = (res: Response) =>
    JSON.parse(Buffer.from(res.headers.get('x-cocoon-receipt') ?? '', 'base64').toString('utf8')) as Receipt & { verified: boolean };

describe('the client daemon encrypts (e2e: true)', () => {
    it('a whole answer: the caller gets the plaintext answer, the proxy only ciphertext, the receipt verifies', async () => {
        const q0 = seen.queries.length;
        const a0 = seen.answers.length;
        const res = await post({ model: MODEL, messages: [{ role: 'user', content: SECRET }], max_tokens: 12, temperature: 0 });
        expect(res.status).toBe(200);
        const body = (await res.json()) as {
            choices: { message: { role: string; content: string; reasoning_content?: string } }[];
            usage: Record<string, number>;
        };
        // The tiny model may think first: what it wrote is in content or reasoning_content.
        const answer = body.choices[0].message.content || (body.choices[0].message.reasoning_content ?? '');
        expect(answer.length).toBeGreaterThan(8);
        expect(body.choices[0].message.role).toBe('assistant');
        expect(body).not.toHaveProperty('is_encrypted');
        // Upstream's cost fields, added by the worker before it encrypted and signed: the local root's price is
        // 2 nanoTON a token, every multiplier 1x, the worker's coefficient 1x.
        const u = body.usage;
        expect(net.params.pricePerToken).toBe(2n);
        expect(u.prompt_total_cost).toBe(u.prompt_tokens * 2);
        expect(u.completion_total_cost).toBe(u.completion_tokens * 2);
        expect(u.total_cost).toBe((u.prompt_tokens + u.completion_tokens) * 2);
        expect(u.total_cost).toBeGreaterThan(0);

        // The request as the proxy received it: routing fields readable, every string encrypted.
        expect(seen.queries.length).toBe(q0 + 1);
        const q = seen.queries[q0];
        expect(q.public_key).toEqual(WORKER_KEY);
        expect((q.flags ?? 0) & 2).toBe(2);
        const sent = requestSeen(q);
        expect(sent.is_encrypted).toBe('v1');
        expect(sent.receiver_public_key).toBe(WORKER_KEY.toString('hex'));
        expect(sent.model).toBe(MODEL);
        expect(sent.max_tokens).toBe(12);
        const msg = (sent.messages as e2e.JsonObject[])[0];
        expect(String(msg.content)).toMatch(/^ENC_[0-9a-f]+$/);
        expect(String(msg.role)).toMatch(/^ENC_[0-9a-f]+$/);
        expect(q.query.includes(Buffer.from('periwinkle'))).toBe(false);

        // The answer as the proxy received it: encrypted to the request's one-time client key.
        const relayed = answerBytesSeen(a0);
        expect(relayed).not.toContain(answer);
        const relayedJson = JSON.parse(relayed) as e2e.JsonObject;
        expect(relayedJson.is_encrypted).toBe('v1');
        expect(relayedJson.sender_public_key).toBe(WORKER_KEY.toString('hex'));
        expect(relayedJson.receiver_public_key).toBe(sent.sender_public_key);
        expect(String(((relayedJson.choices as e2e.JsonObject[])[0].message as e2e.JsonObject).content)).toMatch(/^ENC_/);

        // Nothing the proxy logged holds the prompt or the answer.
        const logs = proxyLog.join('\n');
        expect(logs).not.toContain('periwinkle');
        expect(logs).not.toContain(answer);

        // The receipt covers the bytes the worker signed and sent (the ciphertext) and verifies.
        const receipt = receiptOf(res);
        expect(receipt.verified).toBe(true);
        expect(receipt.workerKey).toBe(WORKER_KEY.toString('hex'));
        expect(receipt.responseBytes).toBe(Buffer.byteLength(relayed));
    });

    it('a stream: decrypted chunk by chunk for the caller, ciphertext at the proxy', async () => {
        const a0 = seen.answers.length;
        const res = await post({
            model: MODEL,
            messages: [{ role: 'user', content: SECRET }],
            max_tokens: 12,
            temperature: 0,
            stream: true,
        });
        expect(res.status).toBe(200);
        const text = await res.text();
        const events = text
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6));
        expect(events[events.length - 1]).toBe('[DONE]');
        const chunks = events
            .slice(0, -1)
            .map((e) => JSON.parse(e) as { choices: { delta: { content?: string; reasoning_content?: string } }[]; is_encrypted?: string });
        for (const c of chunks) expect(c.is_encrypted).toBeUndefined();
        const streamed = chunks.map((c) => c.choices[0]?.delta.content || (c.choices[0]?.delta.reasoning_content ?? '')).join('');
        expect(streamed.length).toBeGreaterThan(8);
        const relayed = answerBytesSeen(a0);
        expect(relayed).not.toContain(streamed);
        expect(relayed).toMatch(/"is_encrypted":"v1"/);
        expect(proxyLog.join('\n')).not.toContain(streamed);
    });
});

describe("the caller encrypts itself (upstream's flow: the daemon passes it on)", () => {
    it('an app-encrypted request is answered encrypted to the app, which decrypts it', async () => {
        const appKey = randomBytes(32);
        const body = e2e.encryptJson(
            { model: MODEL, messages: [{ role: 'user', content: SECRET }], max_tokens: 8, temperature: 0 },
            appKey,
            WORKER_KEY,
            'client-to-worker',
        );
        const res = await post(body);
        expect(res.status).toBe(200);
        const raw = (await res.json()) as e2e.JsonObject;
        expect(raw.is_encrypted).toBe('v1');
        const opened = e2e.decryptJson(raw, 'worker-to-client', { privateKey: appKey, expectedSender: WORKER_KEY });
        const message = (opened.value.choices as e2e.JsonObject[])[0].message as e2e.JsonObject;
        expect(message.role).toBe('assistant');
        expect(String(message.content || message.reasoning_content).length).toBeGreaterThan(0);
    });

    it('a request encrypted to a key no connected worker holds: 503 from the proxy, nothing sent in plaintext', async () => {
        const stranger = keyPairFromSeed(randomBytes(32)).publicKey;
        const body = e2e.encryptJson(
            { model: MODEL, messages: [{ role: 'user', content: SECRET }], max_tokens: 8 },
            randomBytes(32),
            stranger,
            'client-to-worker',
        );
        const res = await post(body);
        expect(res.status).toBe(503);
        const err = (await res.json()) as { error: { message: string; code: string } };
        expect(err.error.code).toBe('no_workers');
        expect(err.error.message).toContain(`no connected worker holds the end-to-end key ${stranger.toString('hex')}`);
    });
});
