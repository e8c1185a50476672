import { request } from 'http';
import OpenAI from 'openai';
import { checkApiExposure, isLoopbackHost, normalizeOrigin } from '../../../node/client/api-guard';
import { startClientApi, type ClientApi } from '../../../node/client/http-api';

interface Answer {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
}

/** A raw HTTP request: fetch would not let a test send its own Host header. */
function raw(api: ClientApi, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: api.port, method, path, headers }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        });
        req.once('error', reject);
        req.end(body);
    });
}

const JSON_TYPE = { 'content-type': 'application/json' };
const BODY = JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }] });
const errorOf = (a: Answer) =>
    (JSON.parse(a.body) as { error: { message: string; type: string; param: string | null; code: string | null } }).error;

describe('client API access checks (Host, Origin, content type, API key)', () => {
    let open: ClientApi;
    let cors: ClientApi;
    let keyed: ClientApi;
    const KEY = 'sk-test-0123456789';

    beforeAll(async () => {
        // No proxy: a request that passes every check answers 503 proxy_not_ready.
        open = await startClientApi({ port: 0, proxy: () => null });
        cors = await startClientApi({
            port: 0,
            proxy: () => null,
            access: { corsOrigins: ['https://app.example.com'], allowedHosts: ['api.example.com'] },
        });
        keyed = await startClientApi({ port: 0, proxy: () => null, access: { apiKey: KEY } });
    });
    afterAll(async () => {
        await open?.close();
        await cors?.close();
        await keyed?.close();
    });

    it('refuses cross-origin requests by default: no Access-Control-Allow-Origin, preflight refused', async () => {
        const post = await raw(open, 'POST', '/v1/chat/completions', { ...JSON_TYPE, origin: 'https://evil.example' }, BODY);
        expect(post.status).toBe(403);
        expect(post.headers['access-control-allow-origin']).toBeUndefined();
        expect(errorOf(post)).toEqual({
            message:
                'cross-origin requests from https://evil.example are not allowed: start the client with --cors-origin ' +
                'https://evil.example to allow that origin',
            type: 'permission_error',
            param: null,
            code: 'origin_not_allowed',
        });
        const pre = await raw(open, 'OPTIONS', '/v1/chat/completions', {
            origin: 'https://evil.example',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
        });
        expect(pre.status).toBe(403);
        expect(pre.headers['access-control-allow-origin']).toBeUndefined();
        expect(pre.headers['access-control-allow-methods']).toBeUndefined();
        // A GET from another origin (an <img>, a fetch in no-cors mode) gets nothing either.
        expect((await raw(open, 'GET', '/v1/models', { origin: 'https://evil.example' })).status).toBe(403);
        // Not a preflight (no Origin): a plain OPTIONS tells what the path serves.
        const plain = await raw(open, 'OPTIONS', '/v1/models', {});
        expect(plain.status).toBe(204);
        expect(plain.headers.allow).toBe('GET, POST, OPTIONS');
    });

    it('takes only application/json bodies (415 otherwise), so a cross-site form or text/plain fetch cannot post', async () => {
        for (const type of [
            'text/plain;charset=UTF-8',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=latin1',
        ]) {
            const r = await raw(open, 'POST', '/v1/chat/completions', { 'content-type': type }, BODY);
            expect(r.status).toBe(415);
            expect(errorOf(r)).toEqual({
                message: `request body must be JSON: send Content-Type: application/json (got '${type}')`,
                type: 'invalid_request_error',
                param: null,
                code: 'unsupported_media_type',
            });
        }
        const none = await raw(open, 'POST', '/v1/chat/completions', {}, BODY);
        expect(none.status).toBe(415);
        expect(errorOf(none).message).toBe('request body must be JSON: send Content-Type: application/json');
        for (const type of ['application/json', 'Application/JSON; charset=utf-8', 'application/json;charset="UTF-8"']) {
            const ok = await raw(open, 'POST', '/v1/chat/completions', { 'content-type': type }, BODY);
            expect(ok.status).toBe(503);
            expect(errorOf(ok).code).toBe('proxy_not_ready');
        }
    });

    it('answers only to its own name: loopback names, its address, --allowed-hosts (DNS rebinding)', async () => {
        for (const host of ['evil.example', `evil.example:${open.port}`, '10.1.2.3', 'localhost.evil.example']) {
            const r = await raw(open, 'POST', '/v1/chat/completions', { ...JSON_TYPE, host }, BODY);
            expect(r.status).toBe(403);
            expect(errorOf(r)).toMatchObject({
                type: 'permission_error',
                code: 'host_not_allowed',
                message: expect.stringContaining('--allowed-hosts'),
            });
        }
        for (const host of [`localhost:${open.port}`, `127.0.0.1:${open.port}`, 'LOCALHOST', `app.localhost:${open.port}`]) {
            expect((await raw(open, 'POST', '/v1/chat/completions', { ...JSON_TYPE, host }, BODY)).status).toBe(503);
        }
        expect((await raw(cors, 'GET', '/v1/models', { host: 'api.example.com' })).status).toBe(503);
        expect((await raw(cors, 'GET', '/v1/models', { host: 'API.example.com:443' })).status).toBe(503);
        expect((await raw(open, 'GET', '/v1/models', { host: 'api.example.com' })).status).toBe(403);
        // A preflight under a foreign Host is refused as well.
        expect(
            (
                await raw(cors, 'OPTIONS', '/v1/models', {
                    host: 'evil.example',
                    origin: 'https://app.example.com',
                    'access-control-request-method': 'GET',
                })
            ).status,
        ).toBe(403);
    });

    it('--cors-origin: a correct preflight and Allow-Origin for the named origin only', async () => {
        const pre = await raw(cors, 'OPTIONS', '/v1/chat/completions', {
            origin: 'https://app.example.com',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization, content-type, x-stainless-os',
        });
        expect(pre.status).toBe(204);
        expect(pre.headers).toMatchObject({
            'access-control-allow-origin': 'https://app.example.com',
            'access-control-allow-methods': 'GET, POST',
            'access-control-allow-headers': 'authorization, content-type, x-stainless-os',
            'access-control-max-age': '600',
        });
        expect(pre.body).toBe('');
        const post = await raw(cors, 'POST', '/v1/chat/completions', { ...JSON_TYPE, origin: 'https://app.example.com' }, BODY);
        expect(post.status).toBe(503);
        expect(post.headers['access-control-allow-origin']).toBe('https://app.example.com');
        expect(post.headers.vary).toBe('Origin');
        const other = await raw(cors, 'OPTIONS', '/v1/chat/completions', {
            origin: 'https://app.example.com.evil.example',
            'access-control-request-method': 'POST',
        });
        expect(other.status).toBe(403);
        expect(other.headers['access-control-allow-origin']).toBeUndefined();
        const del = await raw(cors, 'OPTIONS', '/v1/chat/completions', {
            origin: 'https://app.example.com',
            'access-control-request-method': 'DELETE',
        });
        expect(del.status).toBe(405);
    });

    it('--api-key: Authorization: Bearer, as the openai SDK sends it; 401 without it or with another key', async () => {
        const missing = await raw(keyed, 'POST', '/v1/chat/completions', JSON_TYPE, BODY);
        expect(missing.status).toBe(401);
        expect(missing.headers['www-authenticate']).toBe('Bearer realm="cocoon"');
        expect(errorOf(missing)).toEqual({
            message: 'missing API key: send Authorization: Bearer <key> (the openai SDK does with apiKey)',
            type: 'authentication_error',
            param: null,
            code: 'invalid_api_key',
        });
        const wrong = await raw(keyed, 'GET', '/v1/models', { authorization: 'Bearer sk-other' });
        expect(wrong.status).toBe(401);
        expect(errorOf(wrong).message).toBe('incorrect API key');
        expect((await raw(keyed, 'GET', '/v1/models', { authorization: `Basic ${KEY}` })).status).toBe(401);
        expect((await raw(keyed, 'GET', '/v1/models', { authorization: `Bearer ${KEY}` })).status).toBe(503);

        const sdk = (apiKey: string) => new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey, maxRetries: 0 });
        const err = await sdk('sk-wrong')
            .models.list()
            .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
        expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
        const ok = await sdk(KEY)
            .chat.completions.create({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'x' }] })
            .catch((e: unknown) => e);
        expect(ok).toBeInstanceOf(OpenAI.InternalServerError); // 503: past the key check, no proxy yet
        expect((ok as InstanceType<typeof OpenAI.APIError>).code).toBe('proxy_not_ready');
    });

    it('refuses to listen beyond loopback without an API key', async () => {
        await expect(startClientApi({ host: '0.0.0.0', port: 0, proxy: () => null })).rejects.toThrow(
            /beyond loopback, without an API key.*--api-key/,
        );
        expect(() => checkApiExposure('192.168.1.5', undefined)).toThrow(/listen on 192\.168\.1\.5/);
        expect(() => checkApiExposure('::', '')).toThrow(/beyond loopback/);
        for (const h of ['127.0.0.1', '127.9.9.9', 'localhost', '::1', '[::1]']) expect(() => checkApiExposure(h, undefined)).not.toThrow();
        expect(() => checkApiExposure('0.0.0.0', 'k')).not.toThrow();
        const wide = await startClientApi({ host: '0.0.0.0', port: 0, proxy: () => null, access: { apiKey: KEY } });
        try {
            const r = await raw(wide, 'GET', '/v1/models', { authorization: `Bearer ${KEY}` });
            expect(r.status).toBe(503);
        } finally {
            await wide.close();
        }
        expect(isLoopbackHost('localhost.evil.example')).toBe(false);
    });

    it('names a bad --cors-origin', () => {
        expect(normalizeOrigin('HTTPS://App.Example.com:443')).toBe('https://app.example.com');
        expect(() => normalizeOrigin('app.example.com')).toThrow(/not an origin/);
        expect(() => normalizeOrigin('https://app.example.com/path')).toThrow(/no path/);
    });
});
