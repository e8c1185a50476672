/** @jest-environment node */
/**
 * A proxy killed with kill -9 under load and restarted on the same data: no finished request is lost
 * or counted twice (the ledgers resume exactly at what the client saw finish), workers and clients
 * reconnect by themselves, and the on-chain charge equals the ledger.
 */
import { readClientContract } from '../../node/chain/cocoon';
import { startTestNetwork, type TestNetwork } from './helpers/network';

jest.setTimeout(240_000);

const PRICE = 1000n;
let net: TestNetwork;

beforeAll(async () => {
    net = await startTestNetwork({ params: { pricePerToken: PRICE, workerFeePerToken: 800n }, proxyProcess: true });
});
afterAll(async () => {
    await net?.close();
});

async function complete(): Promise<{ ok: boolean; status: number }> {
    const res = await fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'Tell me a story about a cat named Tom.' }], max_tokens: 16, temperature: 0 }),
    }).catch(() => null);
    if (!res) return { ok: false, status: 0 };
    await res.text().catch(() => '');
    return { ok: res.ok, status: res.status };
}

describe('proxy crash', () => {
    it('resumes the ledgers exactly after kill -9 under load', async () => {
        const client = net.client!;
        // Three lanes of back-to-back requests; the proxy dies while they run.
        let stop = false;
        const lanes = [0, 1, 2].map(async () => {
            while (!stop) await complete();
        });
        while (client.receipts.filter((r) => !r.error).length < 6) await new Promise((r) => setTimeout(r, 20));
        net.proxyProcess!.kill('SIGKILL');
        await net.proxyProcess!.exited;
        stop = true;
        await Promise.all(lanes);
        const seenBefore = client.receipts.filter((r) => !r.error).reduce((s, r) => s + r.tokens, 0n);
        expect(seenBefore).toBeGreaterThan(0n);

        // Restart on the same data dir and ports; the client and worker reconnect on their own.
        const ports = (await net.proxyProcess!.ready) as { workerPort: number; clientPort: number };
        await net.spawnProxy(ports);
        await client.waitReady(60_000);
        const deadline = Date.now() + 30_000;
        while (net.worker!.connectedProxies === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(net.worker!.connectedProxies).toBe(1);

        // Counters resume: the proxy's ledger holds exactly what the client saw finish before the crash.
        await client.charge();
        const info = client.info!;
        expect(info.max).toBe(seenBefore);
        const onchain = (await readClientContract(net.chain, info.clientSc))!;
        expect(onchain.tokensUsed).toBe(seenBefore);

        // And grows from there: one more request adds exactly its tokens, nothing is doubled.
        expect((await complete()).ok).toBe(true);
        const seenAll = client.receipts.filter((r) => !r.error).reduce((s, r) => s + r.tokens, 0n);
        const worker = net.worker!.snapshot().proxies[0];
        const until = Date.now() + 20_000;
        while (Date.now() < until) {
            await client.charge();
            if (client.info!.signed === seenAll) break;
            await new Promise((r) => setTimeout(r, 200));
        }
        expect(client.info!.max).toBe(seenAll);
        expect((await readClientContract(net.chain, info.clientSc))!.tokensUsed).toBe(seenAll);
        expect(worker.earned_tokens_max_known).toBeLessThanOrEqual(seenAll);
    });
});
