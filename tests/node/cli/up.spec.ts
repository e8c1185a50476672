import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Address } from '@ton/core';
import OpenAI from 'openai';
import { parseUpArgs, startNetwork } from '../../../node/cli/up';
import { cocoon } from '../../../node/cli/cocoon';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(180_000);

const until = (cond: () => boolean, timeoutMs = 30_000) => waitFor(cond, cond.toString(), timeoutMs, 100);

describe('cocoon up', () => {
    let dir: string;
    beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), 'cocoon-up-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('parses flags over env over defaults, and rejects bad values with a clear message', () => {
        const o = parseUpArgs(['--chain-port', '9001'], { COCOON_CHAIN_PORT: '9000', COCOON_MODEL_PORT: '9100' });
        expect(o).toMatchObject({ chainPort: 9001, modelPort: 9100, explorerPort: 8090, basePort: 10000, dataDir: '.cocoon' });
        expect(() => parseUpArgs(['--base-port', '80'], {})).toThrow(/invalid base port/);
        expect(parseUpArgs(['--help'], {})).toBe('help');
        expect(() => parseUpArgs(['--chain-port', 'x'], {})).toThrow(/--chain-port: expected a port \(0-65535\), got 'x'/);
        expect(() => parseUpArgs(['--bogus'], {})).toThrow(/unknown option --bogus/);
    });

    it('answers --help for the command and rejects unknown subcommands', async () => {
        const out: string[] = [];
        const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
        const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
        try {
            expect(await cocoon(['--help'])).toBe(0);
            expect(await cocoon(['nope'])).toBe(2);
        } finally {
            spy.mockRestore();
            err.mockRestore();
        }
        expect(out.join('')).toMatch(/Usage: cocoon <command>/);
        expect(out.join('')).toMatch(/chain/);
    });

    const wholeNetworkTitle =
        'starts the whole network, answers through client -> proxy -> worker with usage and a receipt, and resumes the same state ' +
        'after a restart';
    it(wholeNetworkTitle, async () => {
        // Below 32768, where Linux hands out ephemeral ports: a parallel suite's listen(0) or outgoing
        // connection must not take one of these between the pick and the listen.
        // Ports 20000-24401 (offsets up to +2001); up-process.spec uses 25000-31901.
        const basePort = 20000 + Math.floor(Math.random() * 25) * 100;
        const opts = { dataDir: dir, host: '127.0.0.1', chainPort: 0, modelPort: 0, explorerPort: 0, basePort, once: false };
        const first = await startNetwork(opts);
        let state: { block: number; wallets: unknown; root: unknown; proxy: unknown; clientSc: string; used: bigint };
        try {
            expect(first.apiUrl).toBe(`http://127.0.0.1:${basePort}/v1`);
            const ai = new OpenAI({ baseURL: first.apiUrl, apiKey: 'unused', maxRetries: 0 });
            const res = await ai.chat.completions.create({
                model: 'cocoon/tiny-stories-1m',
                messages: [{ role: 'user', content: 'Once upon a time' }],
                max_tokens: 16,
            });
            expect(res.choices[0].message.content?.length).toBeGreaterThan(0);
            expect(res.usage?.completion_tokens).toBeGreaterThan(0);
            const receipt = first.client.receipts.at(-1)!;
            expect(receipt).toMatchObject({ status: 200, receiptValid: true });
            expect(receipt.receipt?.model).toBe(first.banner.model && (first.banner.model as { fullName: string }).fullName);
            expect(receipt.receipt?.tokens.completion).toBe(String(res.usage!.completion_tokens));

            // The explorer's API sees the proxy and the worker the network just started.
            const seen = (path: string, owner: string) =>
                waitFor(
                    async () => {
                        const r = (await (await fetch(`${first.explorerUrl}/api/${path}`)).json()) as {
                            items: { owner: string; address: string }[];
                        };
                        return r.items.find((x) => Address.parse(x.owner).equals(Address.parse(owner)));
                    },
                    `${owner} in the explorer's /api/${path}`,
                    30_000,
                    200,
                );
            const proxyBanner = first.banner.proxy as { owner: string; contract: string };
            const proxyRow = await seen('proxies', proxyBanner.owner);
            expect(Address.parse(proxyRow.address).equals(Address.parse(proxyBanner.contract))).toBe(true);
            await seen('workers', first.banner.worker as string);

            // The banner's stats pages answer; the proxy lists the worker with its hardware profile.
            const stats = first.banner.stats as { client: string; proxy: string; worker: string };
            for (const url of Object.values(stats)) expect((await fetch(url)).status).toBe(200);
            const pj = (await (await fetch(stats.proxy.replace(/stats$/, 'jsonstats'))).json()) as {
                worker_connections: { owner: string; cpu: string }[];
            };
            expect(pj.worker_connections).toHaveLength(1);
            expect(pj.worker_connections[0].cpu.length).toBeGreaterThan(0);
            const admin = await fetch(stats.worker.replace(/stats$/, 'request/payout'), {
                method: 'POST',
                headers: { authorization: `Bearer ${String(first.banner.accessSecret)}` },
            });
            expect(admin.status).toBe(200);

            // The proxy's signed status reaches the client every few seconds.
            await until(() => (first.client.info?.db ?? 0n) > 0n);
            state = {
                block: first.chain.chain.lastBlock.seqno,
                wallets: first.banner.wallets,
                root: first.banner.root,
                proxy: first.banner.proxy,
                clientSc: first.client.info!.clientSc.toString(),
                used: first.client.info!.db,
            };
        } finally {
            await first.stop();
        }
        const second = await startNetwork(opts);
        try {
            expect(second.chain.chain.lastBlock.seqno).toBeGreaterThanOrEqual(state.block);
            expect(second.banner.wallets).toEqual(state.wallets);
            expect(second.banner.root).toBe(state.root);
            expect(second.banner.proxy).toEqual(state.proxy);
            // Same client contract, and the proxy's ledger still holds what was used before the restart.
            expect(second.client.info!.clientSc.toString()).toBe(state.clientSc);
            await until(() => second.client.info?.db === state.used);
            const ai = new OpenAI({ baseURL: second.apiUrl, apiKey: 'unused', maxRetries: 0 });
            const res = await ai.chat.completions.create({
                model: 'cocoon/tiny-stories-1m',
                messages: [{ role: 'user', content: 'Tell me a story' }],
                max_tokens: 8,
            });
            expect(res.usage?.completion_tokens).toBeGreaterThan(0);
        } finally {
            await second.stop();
        }
    });
});
