/**
 * Issue 26 "Done when": on a fresh `cocoon up` network the quick start's exact request shows text, and
 * 20 completions lead, within 90 s, to an on-chain charge of the client and a payout to the worker, which
 * the indexer API shows too.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Address } from '@ton/core';
import { quickStartBody, LOCAL_PRICE, startNetwork, type RunningNetwork } from '../../node/cli/up';
import { createChainClient } from '../../node/chain';
import { runClient } from '../../node/cli/client';
import type { ClientMoney } from '../../node/cli/client-status';
import { readClientContract, readWorkerContract } from '../../node/chain/cocoon';
import { formatTonFixed } from '../../node/common/ton';
import { waitFor } from '../helpers/wait';

jest.setTimeout(300_000);

/** Polls `read` (the chain, every 0.5 s) until it returns a value, or fails naming `what` after `timeoutMs`. */
const eventually = <T>(what: string, read: () => Promise<T>, timeoutMs: number) => waitFor(read, what, timeoutMs, 500);

async function chat(api: string, body: string): Promise<{ content: string; total: number }> {
    const res = await fetch(`${api}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    const j = (await res.json()) as { choices: { message: { content: string | null } }[]; usage: { total_tokens: number } };
    return { content: j.choices[0].message.content ?? '', total: j.usage.total_tokens };
}

describe('settlement a person can watch (cocoon up)', () => {
    let dir: string;
    let net: RunningNetwork;
    beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'cocoon-settle-'));
        // 14000-17900: clear of up.spec (20000-24401), up-process.spec (25000-31901) and ephemeral ports.
        const basePort = 14000 + Math.floor(Math.random() * 40) * 100;
        net = await startNetwork({ dataDir: dir, host: '127.0.0.1', chainPort: 0, modelPort: 0, explorerPort: 0, basePort, once: false });
    });
    afterAll(async () => {
        await net?.stop();
        rmSync(dir, { recursive: true, force: true });
    });

    it("the banner's quick-start request returns visible text", async () => {
        const model = (net.banner.model as { id: string }).id;
        const { content } = await chat(net.apiUrl, quickStartBody(model));
        expect(content.trim().length).toBeGreaterThan(0);
    });

    it('20 completions: within 90 s the chain shows a charge and a payout, and the indexer shows them', async () => {
        const model = (net.banner.model as { id: string }).id;
        let tokens = 0;
        for (let i = 0; i < 20; i++)
            tokens += (
                await chat(net.apiUrl, JSON.stringify({ model, messages: [{ role: 'user', content: `Story ${i}` }], max_tokens: 16 }))
            ).total;
        const t0 = Date.now();
        const chain = createChainClient({ url: net.chain.v4Url });
        const clientSc = net.client.info!.clientSc;
        const explorer = net.explorerUrl!;
        const api = async <T>(path: string): Promise<T> => (await (await fetch(`${explorer}${path}`)).json()) as T;

        const charged = await eventually(
            'a charge on the client contract',
            async () => {
                const c = await readClientContract(chain, clientSc);
                return c && c.tokensUsed > 0n ? c.tokensUsed : null;
            },
            90_000,
        );
        // Settled tokens are what the proxy had signed: never more than were served in this test plus the quick start.
        expect(charged).toBeGreaterThan(0n);
        const workers = await api<{ items: { address: string }[] }>('/api/workers');
        expect(workers.items.length).toBe(1);
        const workerSc = Address.parse(workers.items[0].address);
        const paid = await eventually(
            'a payout to the worker contract',
            async () => {
                const w = await readWorkerContract(chain, workerSc);
                return w && w.tokens > 0n ? w.tokens : null;
            },
            90_000 - (Date.now() - t0),
        );
        expect(paid).toBeGreaterThan(0n);

        // The indexer follows the chain (lag ~1 s): the same figures, in nanoTON at the local price.
        const client = await eventually(
            'the charge in the indexer',
            async () => {
                const c = await api<{ tokensCharged: string; tonCharged: string }>(`/api/clients/${clientSc.toRawString()}`);
                return BigInt(c.tokensCharged) >= charged ? c : null;
            },
            20_000,
        );
        expect(BigInt(client.tonCharged)).toBe(BigInt(client.tokensCharged) * LOCAL_PRICE.pricePerToken);
        const worker = await eventually(
            'the payout in the indexer',
            async () => {
                const w = await api<{ tokensPaid: string; tonEarned: string }>(`/api/workers/${workerSc.toRawString()}`);
                return BigInt(w.tokensPaid) >= paid ? w : null;
            },
            20_000,
        );
        expect(BigInt(worker.tonEarned)).toBe(BigInt(worker.tokensPaid) * LOCAL_PRICE.workerFeePerToken);
        expect(tokens).toBeGreaterThan(0);

        // cocoon client status shows the same charge as the chain, from the running client's /jsonstats.
        const statsUrl = (net.banner.stats as { client: string }).client.replace(/\/stats$/, '');
        const status = await eventually(
            'the charge in cocoon client status',
            async () => {
                const out: string[] = [];
                expect(
                    await runClient(
                        ['status', '--url', statsUrl, '--json'],
                        {},
                        { out: (t) => void out.push(t), err: (t) => void out.push(t) },
                    ),
                ).toBe(0);
                const m = JSON.parse(out.join('')) as ClientMoney;
                return BigInt(m.tokens_charged ?? '0') >= charged ? m : null;
            },
            20_000,
        );
        const onChain = (await readClientContract(chain, clientSc))!;
        expect(status).toMatchObject({ client_sc_address: clientSc.toString(), stake: onChain.stake.toString(), receipts_kept: 21 });
        expect(BigInt(status.spent!)).toBe(BigInt(status.tokens_charged!) * LOCAL_PRICE.pricePerToken);
        const text: string[] = [];
        expect(await runClient(['status', '--url', statsUrl], {}, { out: (t) => void text.push(t), err: (t) => void text.push(t) })).toBe(
            0,
        );
        expect(text.join('')).toMatch(/^proxy: +\S+ +\(contract [A-Za-z0-9_-]{48}\)/);
        expect(text.join('')).toContain(`spent:           ${formatTonFixed(BigInt(status.spent!))} TON`);
        const html = await (await fetch(`${statsUrl}/stats`)).text();
        expect(html).toContain('your money');
    });
});
