import { runClient } from '../../../node/cli/client';
import { parseUpArgs, startNetwork } from '../../../node/cli/up';

/** Runs `cocoon client` with no chain anywhere: these refusals must come before any chain access. */
async function client(argv: string[], env: NodeJS.ProcessEnv = {}) {
    let out = '';
    let err = '';
    const code = await runClient(argv, env, { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
}

const ROOT = ['--root', 'EQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAM9c', '--endpoint', 'http://127.0.0.1:1'];

describe('cocoon client: API exposure options', () => {
    it('refuses to serve the API beyond loopback without --api-key (exit 2, before touching the chain)', async () => {
        const r = await client(['--host', '0.0.0.0', ...ROOT]);
        expect(r.code).toBe(2);
        expect(r.err).toBe(
            'cocoon client: the client API would listen on 0.0.0.0, beyond loopback, without an API key: ' +
                'anyone who reaches it could spend the deposit. Set --api-key <key> (or COCOON_API_KEY), or listen on 127.0.0.1\n',
        );
        const env = await client(ROOT, { COCOON_HOST: '192.168.1.20' });
        expect(env.code).toBe(2);
        expect(env.err).toMatch(/listen on 192\.168\.1\.20, beyond loopback/);
    });

    it('names a malformed --cors-origin', async () => {
        const r = await client(['--cors-origin', 'https://ok.example,app.example.com', ...ROOT]);
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/--cors-origin: 'app\.example\.com' is not an origin/);
    });

    it('documents the options in --help, with their env variables', async () => {
        const r = await client(['--help']);
        expect(r.code).toBe(0);
        for (const s of [
            '--api-key',
            'COCOON_API_KEY',
            '--cors-origin',
            'COCOON_CORS_ORIGIN',
            '--allowed-hosts',
            'COCOON_ALLOWED_HOSTS',
            '--max-timeout',
            '--toncenter-api-key',
            'COCOON_TONCENTER_API_KEY',
        ])
            expect(r.out).toContain(s);
    });

    it('cocoon up refuses --host beyond loopback without --api-key before starting anything', async () => {
        const o = parseUpArgs(['--host', '0.0.0.0', '--data-dir', '/nonexistent/never-created'], {});
        if (o === 'help') throw new Error('unexpected help');
        await expect(startNetwork(o)).rejects.toThrow(/beyond loopback, without an API key/);
        const k = parseUpArgs(['--api-key', 'k1', '--dev-token', 't1'], { COCOON_API_KEY: 'k0' });
        expect(k !== 'help' && [k.apiKey, k.devToken]).toEqual(['k1', 't1']);
    });
});
