/** The adapter against the embedded engine's server: the path the worker uses with no GPU. */
import { createBackend } from '../../../node/inference/adapter/backend';
import { usageFromBody } from '../../../node/inference/adapter/usage-counter';
import { Engine } from '../../../node/inference/engine/engine';
import { DEFAULT_MODEL_PATH, EmbeddedServer, startEmbeddedServer } from '../../../node/inference/server/server';
import { loadNodeLlamaCpp } from '../../../node/inference/llama-cpp';
import { main as cli } from '../../../node/inference/cli';
import { silentLogger } from '../../../node/common/log';

describe('createBackend -> embedded server', () => {
    let srv: EmbeddedServer;
    beforeAll(async () => {
        srv = await startEmbeddedServer({ engine: Engine.load(DEFAULT_MODEL_PATH, { slots: 2 }), apiKey: 'k', logger: silentLogger });
    });
    afterAll(() => srv.close());

    it('health and models', async () => {
        const b = createBackend({ baseUrl: srv.url, apiKey: 'k', logger: silentLogger });
        expect(await b.health()).toMatchObject({ ok: true, models: ['cocoon/tiny-stories-1m'] });
        b.close();
    });

    it('streams a chat completion byte-for-byte and bills from the usage it carried, including cached tokens', async () => {
        const b = createBackend({ baseUrl: srv.url, apiKey: 'k', logger: silentLogger });
        const body = {
            model: 'cocoon/tiny-stories-1m',
            messages: [{ role: 'user', content: 'Tell me a story about a dog named Max.' }],
            max_tokens: 30,
            temperature: 0,
            stream: true,
        };
        const reports = [];
        for (let round = 0; round < 2; round++) {
            const r = await b.chatCompletions(body);
            const parts: Buffer[] = [];
            for await (const c of r.body) parts.push(Buffer.from(c));
            const report = await r.usage;
            // What a downstream reader would compute from the forwarded bytes is the same.
            expect(usageFromBody(Buffer.concat(parts), r.headers['content-type']).usage).toEqual(report.usage);
            reports.push(report);
        }
        const [first, second] = reports;
        expect(first.usage).toMatchObject({ completionTokens: 30, reasoningTokens: 0 });
        expect(first.sawDone).toBe(true);
        expect(second.usage?.cachedTokens).toBe(second.usage!.promptTokens - 1);
        expect(second.usage?.totalTokens).toBe(second.usage!.promptTokens + 30);
        b.close();
    });

    it('non-streaming completions and reasoning counts', async () => {
        const b = createBackend({ baseUrl: srv.url, apiKey: 'k', logger: silentLogger });
        const r = await b.chatCompletions({
            messages: [{ role: 'user', content: 'Write a funny story about Mia and a kite.' }],
            max_tokens: 80,
            temperature: 0,
            reasoning_effort: 'medium',
        });
        const j = (await r.json()) as { choices: { message: { reasoning_content: string } }[] };
        expect(j.choices[0].message.reasoning_content).toContain('Mia');
        const u = (await r.usage).usage!;
        expect(u.reasoningTokens).toBeGreaterThan(10);
        expect(u.reasoningTokens).toBeLessThan(u.completionTokens);
        b.close();
    });

    it('a wrong key is a 401 passed through, not an exception', async () => {
        const b = createBackend({ baseUrl: srv.url, apiKey: 'wrong', logger: silentLogger });
        const r = await b.chatCompletions({ messages: [{ role: 'user', content: 'x' }] });
        expect(r.status).toBe(401);
        expect(await r.text()).toContain('authentication_error');
        expect((await r.usage).error?.message).toMatch(/API key/);
        const h = await b.health();
        expect(h).toMatchObject({ ok: false, error: { code: 'BACKEND_HTTP_ERROR' } });
        b.close();
    });

    it('model probe takes the backend as a positional <url>, as the README spells it, or as --base-url', async () => {
        const lines: string[] = [];
        const log = jest.spyOn(console, 'log').mockImplementation((s: unknown) => void lines.push(String(s)));
        try {
            await cli(['probe', srv.url, '--api-key', 'k'], {});
        } finally {
            log.mockRestore();
        }
        const steps = lines.map((l) => JSON.parse(l) as { step: string; status?: number });
        expect(steps.map((s) => s.step)).toEqual(['models', 'stream-1', 'stream-2', 'hint']);
        expect(steps[0]).toMatchObject({ ok: true, models: ['cocoon/tiny-stories-1m'] });
        expect(steps[1]).toMatchObject({ status: 200 });
        await expect(cli(['probe', srv.url, '--base-url', 'http://127.0.0.1:1/v1'], {})).rejects.toThrow(
            `two backends given: <url> ${srv.url} and --base-url http://127.0.0.1:1/v1; pass one`,
        );
        await expect(cli(['probe', 'http://a/v1', 'http://b/v1'], {})).rejects.toThrow(/takes one <url> at most/);
    });
});

describe('optional node-llama-cpp backend and the CLI', () => {
    it('a missing node-llama-cpp gives an actionable OPTIONAL_DEPENDENCY error', () => {
        const missing = () => {
            throw Object.assign(new Error("Cannot find module 'node-llama-cpp'"), { code: 'MODULE_NOT_FOUND' });
        };
        expect(() => loadNodeLlamaCpp(missing)).toThrow(
            expect.objectContaining({ code: 'OPTIONAL_DEPENDENCY', message: expect.stringContaining('npm install') }),
        );
        // Not a dependency of the project, so the real require fails the same way.
        expect(() => loadNodeLlamaCpp()).toThrow(expect.objectContaining({ code: 'OPTIONAL_DEPENDENCY' }));
    });

    it('prints help and rejects unknown commands', async () => {
        const out: string[] = [];
        const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
        try {
            await cli(['--help']);
        } finally {
            spy.mockRestore();
        }
        expect(out.join('')).toMatch(/serve[\s\S]*probe[\s\S]*COCOON_INFERENCE_MODEL/);
        await expect(cli(['nope'])).rejects.toMatchObject({ code: 'INVALID_ARGS' });
    });
});
