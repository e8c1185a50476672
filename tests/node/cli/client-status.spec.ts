import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { runClient } from '../../../node/cli/client';

function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

/** A real HTTP server answering /jsonstats with `body` (what an old client or another service might say). */
async function serve(body: unknown): Promise<{ url: string; server: Server }> {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('cocoon client status', () => {
    it('--help names every figure and option', async () => {
        const c = capture();
        expect(await runClient(['status', '--help'], {}, c.io)).toBe(0);
        const help = c.out.join('');
        for (const w of ['deposit', 'spent', 'pending', 'stake', 'receipts', 'proxy', '--url', '--json', 'COCOON_CLIENT_URL'])
            expect(help).toContain(w);
    });

    it('rejects an unknown option and a malformed URL with exit code 2', async () => {
        const c = capture();
        expect(await runClient(['status', '--bogus'], {}, c.io)).toBe(2);
        expect(c.err.join('')).toBe('cocoon client status: unknown option --bogus (see --help)\n');
        const d = capture();
        expect(await runClient(['status', '--url', 'localhost:10000'], {}, d.io)).toBe(2);
        expect(d.err.join('')).toMatch(/expected http\(s\):\/\/host:port/);
    });

    it('says what to do when nothing listens at the URL', async () => {
        const { url, server } = await serve({});
        await new Promise((ok) => server.close(ok));
        const c = capture();
        expect(await runClient(['status'], { COCOON_CLIENT_URL: url }, c.io)).toBe(1);
        expect(c.err.join('')).toMatch(
            new RegExp(`cannot reach the client at ${url}.*is cocoon client \\(or cocoon up\\) running\\? Pass --url`),
        );
    });

    it('refuses an answer without a money section or with a non-nanoTON amount', async () => {
        const a = await serve({ title: 'something else' });
        const b = await serve({ money: { deposit: '1.5', stake: null, spent: null, pending_charge: '0', receipts_kept: 0 } });
        try {
            const c = capture();
            expect(await runClient(['status', '--url', a.url], {}, c.io)).toBe(1);
            expect(c.err.join('')).toMatch(/has no "money" section/);
            const d = capture();
            expect(await runClient(['status', '--url', b.url], {}, d.io)).toBe(1);
            expect(d.err.join('')).toMatch(/money\.deposit is not a nanoTON amount: 1\.5/);
        } finally {
            await new Promise((ok) => a.server.close(ok));
            await new Promise((ok) => b.server.close(ok));
        }
    });
});
