/**
 * `cocoon up` as a user runs it (`npm start` is the same command): a child process with its own data
 * directory prints the banner, answers through client -> proxy -> worker with usage and a verified receipt
 * (a header on a whole answer), stops cleanly on Ctrl-C (SIGINT, exit 0), and the next start resumes the same network.
 */
import { request } from 'http';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { daemon, type Daemon } from '../helpers/cli-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(240_000);

interface Answer {
    status: number;
    body: { usage?: { completion_tokens: number }; choices?: { message: { content: string } }[] };
    receipt: { verified: boolean; tokens: { completion: string } } | null;
}

/** A chat completion read with node's http client, which exposes the trailer the client API sends. */
function complete(api: string, content: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const req = request(`${api}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
                // A whole answer carries its receipt as a header; a stream, as a trailer.
                const trailer = (res.headers['x-cocoon-receipt'] as string | undefined) ?? res.trailers['x-cocoon-receipt'];
                resolve({
                    status: res.statusCode ?? 0,
                    body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
                    receipt: trailer ? JSON.parse(Buffer.from(trailer, 'base64').toString('utf8')) : null,
                });
            });
            res.on('error', reject);
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content }], max_tokens: 12 }));
    });
}

describe('cocoon up (a process, stopped with Ctrl-C)', () => {
    let dir: string;
    const started: Daemon[] = [];

    beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), 'cocoon-up-process-'));
    });
    afterAll(() => {
        for (const d of started) if (d.child.exitCode === null) d.child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
    });

    // Below 32768, where Linux hands out ephemeral ports: a parallel suite's listen(0) or outgoing
    // connection must not take one of these between the pick and the listen.
    const basePort = 25000 + Math.floor(Math.random() * 50) * 100; // ports 25000-31901 (offsets up to +2001); up.spec uses 20000-24401
    const up = () => {
        const d = daemon(
            ['up', '--data-dir', dir, '--chain-port', '0', '--model-port', '0', '--explorer-port', '0', '--base-port', String(basePort)],
            { COCOON_LOG_LEVEL: 'warn' },
        );
        started.push(d);
        return d;
    };
    const bannerOf = async (d: Daemon) => {
        await d.waitFor(/Ctrl-C stops everything/, 120_000);
        const api = /client API \(OpenAI-compatible\):\s+(\S+)/.exec(d.out())![1];
        const root = /root contract:\s+(\S+)/.exec(d.out())![1];
        const clientStats = /stats \(client \/ proxy \/ worker\):\s+(\S+)/.exec(d.out())![1];
        return { api, root, clientStats };
    };
    /** The client contract from the client's /jsonstats, once its proxy session is up. */
    const clientContract = async (statsUrl: string) => {
        const m = await waitFor(
            async () => /"sc_address":"([^"]+)"/.exec(await (await fetch(statsUrl.replace(/stats$/, 'jsonstats'))).text()),
            'the client to report its contract',
            20_000,
            200,
        );
        return m[1];
    };
    const interrupt = async (d: Daemon) => {
        d.child.kill('SIGINT');
        expect(await d.exited).toBe(0);
        expect(d.err()).toMatch(/"scope":"up","msg":"stopping"/);
    };

    it('serves, stops on SIGINT with exit 0, and resumes the same root and client on the next start', async () => {
        const first = up();
        const a = await bannerOf(first);
        expect(first.out()).toMatch(/curl -s http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions/);
        const r1 = await complete(a.api, 'Once upon a time');
        expect(r1.status).toBe(200);
        expect(r1.body.choices?.[0].message.content.length).toBeGreaterThan(0);
        expect(r1.body.usage?.completion_tokens).toBeGreaterThan(0);
        expect(r1.receipt).toMatchObject({ verified: true, tokens: { completion: String(r1.body.usage!.completion_tokens) } });
        const contract = await clientContract(a.clientStats);
        await interrupt(first);

        const second = up();
        const b = await bannerOf(second);
        expect(b.root).toBe(a.root);
        expect(await clientContract(b.clientStats)).toBe(contract);
        const r2 = await complete(b.api, 'Tell me a story');
        expect(r2.status).toBe(200);
        expect(r2.receipt?.verified).toBe(true);
        await interrupt(second);
    });
});
