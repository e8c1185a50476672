/** @jest-environment node */
/**
 * Protocol-version negotiation on the local network (issue 27 §1): every runner advertises the versions
 * it implements and the proxy picks the highest both sides speak. A peer of the older version (upstream
 * b75d444's range, 1..2) is this same code with `protoRange` configured; it keeps working in both
 * directions: an old client and an old worker behind a new proxy, and new ones behind an old proxy.
 */
import { OUR_RANGES } from '../../node/protocol';
import { startTestNetwork, type TestNetwork } from './helpers/network';

jest.setTimeout(240_000);

const OLD = { min: 1, max: 2 };

async function ask(net: TestNetwork): Promise<{ status: number; content: string; timing: string | null }> {
    const res = await fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
            model: 'cocoon/tiny-stories-1m',
            messages: [{ role: 'user', content: 'Once upon a time' }],
            max_tokens: 8,
            temperature: 0,
        }),
    });
    const body = (await res.json()) as { choices?: { message: { content: string } }[] };
    return { status: res.status, content: body.choices?.[0]?.message.content ?? '', timing: res.headers.get('x-cocoon-worker-start') };
}

const workerVersion = (net: TestNetwork) => net.worker!.snapshot().connections.map((c) => c.proto_version);

describe('a new proxy (1..4)', () => {
    let net: TestNetwork;
    beforeAll(async () => {
        net = await startTestNetwork({ full: false });
    });
    afterAll(() => net?.close());

    it('serves an old worker (1..2) for a new client: worker at 2, client at 4', async () => {
        await net.startWorker({ protoRange: OLD });
        await net.startClient();
        expect(workerVersion(net)).toEqual([2]);
        expect(net.client!.snapshot().proto_version).toBe(OUR_RANGES.client.max);
        const a = await ask(net);
        expect(a.status).toBe(200);
        expect(a.content.length).toBeGreaterThan(0);
        expect(a.timing).toMatch(/^\d+\.\d{6}$/);
    });

    it('serves an old client (1..2) with a new worker: client at 2, worker at 4', async () => {
        await net.client!.close(1000);
        await net.worker!.close(1000);
        await net.startWorker();
        await net.startClient({ protoRange: OLD });
        expect(workerVersion(net)).toEqual([OUR_RANGES.worker.max]);
        expect(net.client!.snapshot().proto_version).toBe(2);
        const a = await ask(net);
        expect(a.status).toBe(200);
        expect(a.content.length).toBeGreaterThan(0);
    });
});

describe('an old proxy (1..2)', () => {
    let net: TestNetwork;
    beforeAll(async () => {
        net = await startTestNetwork({ proxy: { protoRange: OLD } });
    });
    afterAll(() => net?.close());

    it('new client and new worker talk version 2 with it, and a query is answered', async () => {
        expect(workerVersion(net)).toEqual([2]);
        expect(net.client!.snapshot().proto_version).toBe(2);
        const a = await ask(net);
        expect(a.status).toBe(200);
        expect(a.content.length).toBeGreaterThan(0);
    });
});
