import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Address } from '@ton/core';
import OpenAI from 'openai';
import { parseUpArgs, startNetwork } from '../../../node/cli/up';
import { cocoon } from '../../../node/cli/cocoon';

jest.setTimeout(180_000);

describe('cocoon up', () => {
    let dir: string;
    beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), 'cocoon-up-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('parses flags over env over defaults, and rejects bad values with a clear message', () => {
        const o = parseUpArgs(['--chain-port', '9001'], { COCOON_CHAIN_PORT: '9000', COCOON_MODEL_PORT: '9100' });
        expect(o).toMatchObject({ chainPort: 9001, modelPort: 9100, explorerPort: 8090, dataDir: '.cocoon' });
        expect(parseUpArgs(['--help'], {})).toBe('help');
        expect(() => parseUpArgs(['--chain-port', 'x'], {})).toThrow(/invalid chain port/);
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

    it('starts the network, serves a completion and the explorer API, and resumes the same chain after a restart', async () => {
        const opts = { dataDir: dir, host: '127.0.0.1', chainPort: 0, modelPort: 0, explorerPort: 0, once: false };
        const first = await startNetwork(opts);
        let block: number;
        let wallets: unknown;
        let rootSaved: unknown;
        try {
            const ai = new OpenAI({ baseURL: first.modelUrl, apiKey: 'unused', maxRetries: 0 });
            const res = await ai.chat.completions.create({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 16 });
            expect(res.choices[0].message.content?.length).toBeGreaterThan(0);
            expect(res.usage?.completion_tokens).toBeGreaterThan(0);
            const health = await fetch(`${first.explorerUrl}/api/health`);
            expect(health.status).toBe(200);
            // The root deployed on first start is ingested by the indexer.
            const rootAddress = first.banner.root as string;
            for (let i = 0; i < 100; i++) {
                const r = await fetch(`${first.explorerUrl}/api/root`);
                if (r.status === 200) break;
                await new Promise((res) => setTimeout(res, 200));
            }
            const root = (await (await fetch(`${first.explorerUrl}/api/root`)).json()) as { address: string; pricePerToken: string };
            expect(Address.parse(root.address).equals(Address.parse(rootAddress))).toBe(true);
            await first.chain.chain.fund(Address.parse(first.chain.wallets[0].address), 1_000_000_000n);
            block = first.chain.chain.lastBlock.seqno;
            wallets = first.banner.wallets;
            rootSaved = first.banner.root;
        } finally {
            await first.stop();
        }
        const second = await startNetwork(opts);
        try {
            expect(second.chain.chain.lastBlock.seqno).toBe(block);
            expect(second.banner.wallets).toEqual(wallets);
            expect(second.banner.root).toBe(rootSaved);
        } finally {
            await second.stop();
        }
    });
});
