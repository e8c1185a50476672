import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Http1Client, Http1Error, type ExchangeHandlers, type ResponseHead } from '../../../node/inference/adapter/http1';
import { ResponseParser, HttpParseError } from '../../../node/inference/adapter/http1-parser';
import { createBackend } from '../../../node/inference/adapter/backend';
import { silentLogger } from '../../../node/common/log';
import { selfSignedCertificate } from '../helpers/self-signed';
import { waitFor } from '../../helpers/wait';

/** Runs a parser over `parts`, collecting what it reports. */
function parse(parts: Buffer[], opts: { noBody?: boolean } = {}) {
    const out = {
        head: null as ResponseHead | null,
        body: [] as Buffer[],
        complete: 0,
        bodyCalls: 0,
        /** Bytes after the end of the response, over all feeds. */
        leftover: 0,
        get text() {
            return Buffer.concat(this.body).toString('latin1');
        },
        parser: undefined as unknown as ResponseParser,
    };
    const p = new ResponseParser(
        {
            head: (h) => (out.head = h),
            body: (b) => {
                out.body.push(b);
                out.bodyCalls++;
            },
            complete: () => out.complete++,
        },
        opts,
    );
    out.parser = p;
    for (const part of parts) out.leftover += p.feed(part);
    return out;
}

/** Every way of cutting `s` in two (and byte by byte). */
function splits(s: string): Buffer[][] {
    const b = Buffer.from(s, 'latin1');
    const out: Buffer[][] = [[b], [...b].map((x) => Buffer.from([x]))];
    for (let i = 1; i < b.length; i++) out.push([b.subarray(0, i), b.subarray(i)]);
    return out;
}

describe('ResponseParser', () => {
    const chunked =
        'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n' +
        '5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';

    it('chunked body (extensions, trailers) cut at every byte gives the same result', () => {
        for (const parts of splits(chunked)) {
            const r = parse(parts);
            expect(r.head).toMatchObject({
                status: 200,
                reason: 'OK',
                version: '1.1',
                keepAlive: true,
                headers: { 'content-type': 'text/event-stream', 'x-a': '1, 2' },
            });
            expect(r.text).toBe('hello 0123456789');
            expect(r.complete).toBe(1);
            expect(r.leftover).toBe(0);
        }
    });

    it('hands over the body of one read as one buffer', () => {
        const r = parse([Buffer.from(chunked, 'latin1')]);
        expect(r.bodyCalls).toBe(1);
    });

    it('Content-Length bodies, LF-only heads, interim 1xx responses, bytes after the end', () => {
        for (const parts of splits('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\nContent-Length: 3\n\nabcEXTRA')) {
            const r = parse(parts);
            expect(r.head).toMatchObject({ status: 201, keepAlive: true });
            expect(r.text).toBe('abc');
            expect(r.complete).toBe(1);
            expect(r.leftover).toBe('EXTRA'.length);
        }
    });

    it('no body for HEAD, 204 and 304; an empty Content-Length body completes at once', () => {
        expect(parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n')], { noBody: true }).complete).toBe(1);
        expect(parse([Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')]).complete).toBe(1);
        expect(parse([Buffer.from('HTTP/1.1 304 Not Modified\r\n\r\n')]).complete).toBe(1);
        expect(parse([Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n')]).complete).toBe(1);
    });

    it('a body without length runs until the connection ends and the connection is not reused', () => {
        const r = parse([Buffer.from('HTTP/1.0 200 OK\r\n\r\npart1'), Buffer.from('part2')]);
        expect(r.head?.keepAlive).toBe(false);
        expect(r.complete).toBe(0);
        r.parser.end();
        expect(r.complete).toBe(1);
        expect(r.text).toBe('part1part2');
    });

    it('keep-alive follows the version and Connection header; Transfer-Encoding + Content-Length is not reused', () => {
        expect(parse([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')]).head?.keepAlive).toBe(false);
        expect(parse([Buffer.from('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n')]).head?.keepAlive).toBe(true);
        const both = parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n')]);
        expect(both.text).toBe('x');
        expect(both.head?.keepAlive).toBe(false);
    });

    it('header names that are Object.prototype members are ordinary headers', () => {
        const r = parse([
            Buffer.from(
                'HTTP/1.1 200 OK\r\nConstructor: a\r\n__proto__: b\r\ntoString: c\r\nconstructor: d\r\nContent-Length: 2\r\n\r\nok',
            ),
        ]);
        expect(r.complete).toBe(1);
        expect(r.text).toBe('ok');
        expect(Object.entries(r.head!.headers)).toEqual([
            ['constructor', 'a, d'],
            ['__proto__', 'b'],
            ['tostring', 'c'],
            ['content-length', '2'],
        ]);
    });

    it('rejects malformed responses with a reason', () => {
        const bad: [string, RegExp][] = [
            ['SSH-2.0-OpenSSH\r\n\r\n', /status line/],
            ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /malformed header/],
            ['HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n', /folded/],
            ['HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n', /Content-Length/],
            ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /Content-Length/],
            ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size/],
            ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', /CRLF/],
            ['HTTP/1.1 101 Switching Protocols\r\n\r\n', /101/],
        ];
        for (const [text, why] of bad) expect(() => parse([Buffer.from(text)])).toThrow(why);
        expect(() => parse([Buffer.from('HTTP/1.1 200 OK\r\nX: ' + 'a'.repeat(70_000))])).toThrow(/exceeds/);
        expect(() => parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' + '1'.repeat(9000))])).toThrow(/exceeds/);
        const cut = parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab')]);
        expect(() => cut.parser.end()).toThrow(HttpParseError);
    });
});

/** A raw TCP server: `respond` writes whatever bytes a test wants for each request head it reads. */
async function rawServer(
    respond: (socket: Socket, request: string, n: number, onConnection: number) => void,
): Promise<{ port: number; server: Server; connections: () => number; close(): Promise<void> }> {
    let n = 0;
    let conns = 0;
    const sockets = new Set<Socket>();
    const server = createNetServer((s) => {
        conns++;
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        let buf = '';
        let served = 0;
        s.on('data', (d) => {
            buf += d.toString('latin1');
            for (;;) {
                const end = buf.indexOf('\r\n\r\n');
                if (end < 0) return;
                const head = buf.slice(0, end);
                const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
                if (buf.length < end + 4 + len) return;
                const req = buf.slice(0, end + 4 + len);
                buf = buf.slice(end + 4 + len);
                respond(s, req, n++, served++);
            }
        });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
        port: (server.address() as AddressInfo).port,
        server,
        connections: () => conns,
        close: () =>
            new Promise<void>((r) => {
                for (const s of sockets) s.destroy();
                server.close(() => r());
            }),
    };
}

function collect(client: Http1Client, req: Partial<Parameters<Http1Client['request']>[0]> = {}) {
    return new Promise<{ head: ResponseHead; body: string }>((resolve, reject) => {
        let head: ResponseHead;
        const parts: Buffer[] = [];
        const h: ExchangeHandlers = {
            response: (x) => (head = x),
            data: (d) => parts.push(d),
            end: () => resolve({ head, body: Buffer.concat(parts).toString() }),
            error: (e) => reject(e),
        };
        client.request({ method: 'POST', path: '/v1/x', headers: {}, body: Buffer.from('{}'), ...req }, h);
    });
}

describe('Http1Client', () => {
    const ok = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

    it('sends head and body in one request, reuses one connection for sequential requests', async () => {
        const seen: string[] = [];
        const srv = await rawServer((s, req, n) => {
            seen.push(req);
            s.write(ok(`r${n}`));
        });
        const c = new Http1Client(new URL(`http://127.0.0.1:${srv.port}`));
        for (let i = 0; i < 3; i++) expect((await collect(c, { headers: { 'x-k': 'v' } })).body).toBe(`r${i}`);
        expect(srv.connections()).toBe(1);
        expect(seen[0]).toBe(`POST /v1/x HTTP/1.1\r\nhost: 127.0.0.1:${srv.port}\r\nx-k: v\r\ncontent-length: 2\r\n\r\n{}`);
        c.close();
        await srv.close();
    });

    it('Connection: close and undelimited bodies retire the connection', async () => {
        const srv = await rawServer((s, _req, n) => {
            if (n === 0) s.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na');
            else s.end('HTTP/1.1 200 OK\r\n\r\nuntil-close');
        });
        const c = new Http1Client(new URL(`http://127.0.0.1:${srv.port}`));
        expect((await collect(c)).body).toBe('a');
        expect((await collect(c)).body).toBe('until-close');
        expect(srv.connections()).toBe(2);
        expect(c.connections).toBe(0);
        c.close();
        await srv.close();
    });

    it('closes a connection idle for idleTimeoutMs, counted from its last answer, never while it serves one', async () => {
        const srv = await rawServer((s, _req, n) => {
            // The third answer takes longer than the idle timeout (the delay is what is under test).
            if (n === 2) setTimeout(() => s.write(ok(`r${n}`)), 250);
            else s.write(ok(`r${n}`));
        });
        const c = new Http1Client(new URL(`http://127.0.0.1:${srv.port}`), { idleTimeoutMs: 150 });
        // The idle timer is what is under test: these waits sit inside its 150 ms, so the connection must survive them.
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        await collect(c);
        await sleep(100);
        await collect(c); // reused: the idle time starts again
        await sleep(100);
        expect(c.connections).toBe(1);
        expect((await collect(c)).body).toBe('r2'); // busy past the timeout: not closed under the request
        expect(srv.connections()).toBe(1);
        await sleep(60);
        expect(c.connections).toBe(1);
        await waitFor(() => c.connections === 0, 'the idle connection to close');
        c.close();
        await srv.close();
    });

    it('a request that meets a keep-alive connection the server just closed is sent again on a new one', async () => {
        // The server drops a connection when a second request arrives on it, unanswered: what a client
        // sees when its request crosses the server's close of an idle keep-alive connection.
        const srv = await rawServer((s, _req, n, onConnection) => {
            if (onConnection > 0) s.destroy();
            else s.write(ok(`r${n}`));
        });
        const c = new Http1Client(new URL(`http://127.0.0.1:${srv.port}`));
        expect((await collect(c)).body).toBe('r0');
        expect((await collect(c)).body).toBe('r2');
        expect(srv.connections()).toBe(2);
        // Only once: a fresh connection that fails the same way fails the request.
        const once = await rawServer((s) => s.destroy());
        const c2 = new Http1Client(new URL(`http://127.0.0.1:${once.port}`));
        await expect(collect(c2)).rejects.toMatchObject({ message: expect.stringMatching(/without answering|ECONNRESET|socket hang up/) });
        expect(once.connections()).toBe(1);
        c2.close();
        await once.close();
        c.close();
        await srv.close();
    });

    it('a connection lost mid-body fails after the response; a refused one fails before', async () => {
        const srv = await rawServer((s) => {
            // Lost once the head and part of the body are on the wire.
            s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial', () => s.destroy());
        });
        const c = new Http1Client(new URL(`http://127.0.0.1:${srv.port}`));
        const failed = await new Promise<{ e: Http1Error; responded: boolean; body: string }>((resolve) => {
            let body = '';
            c.request(
                { method: 'GET', path: '/', headers: {} },
                {
                    response: () => undefined,
                    data: (d) => (body += d),
                    end: () => undefined,
                    error: (e, responded) => resolve({ e, responded, body }),
                },
            );
        });
        expect(failed).toMatchObject({ responded: true, body: 'partial' });
        expect(failed.e.message).toMatch(/closed before the response body ended/);
        c.close();
        const port = srv.port;
        await srv.close();
        const dead = new Http1Client(new URL(`http://127.0.0.1:${port}`));
        await expect(collect(dead)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
        dead.close();
    });

    it('malformed answers fail with HTTP_PARSE and close the connection', async () => {
        const srv = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnot-hex\r\n'));
        const c = new Http1Client(new URL(`http://127.0.0.1:${srv.port}`));
        await expect(collect(c)).rejects.toMatchObject({
            code: 'HTTP_PARSE',
            message: expect.stringMatching(/malformed HTTP response: invalid chunk size/),
        });
        expect(c.connections).toBe(0);
        c.close();
        await srv.close();
    });

    it('header values with line breaks are refused before anything is sent', () => {
        const c = new Http1Client(new URL('http://127.0.0.1:1'));
        expect(() =>
            c.request({ method: 'GET', path: '/', headers: { a: 'x\r\nInjected: 1' } }, { response() {}, data() {}, end() {}, error() {} }),
        ).toThrow(/line break/);
        c.close();
    });

    it('https backends, with a private CA given to createBackend', async () => {
        const { key, cert } = selfSignedCertificate(); // an https backend with a private certificate
        const srv = createHttpsServer({ key, cert }, (req, res) => {
            req.resume();
            res.writeHead(200, { 'content-type': 'text/event-stream' });
            res.write(`data: ${JSON.stringify({ id: 'a', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'stop' }] })}\n\n`);
            const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
            res.end(`data: ${JSON.stringify({ id: 'a', choices: [], usage })}\n\ndata: [DONE]\n\n`);
        });
        await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
        const url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}/v1`;
        const untrusted = createBackend({ baseUrl: url, logger: silentLogger });
        await expect(untrusted.chatCompletions({ stream: true })).rejects.toMatchObject({
            code: 'BACKEND_STREAM_ERROR',
            message: expect.stringMatching(/certificate/),
        });
        untrusted.close();
        const b = createBackend({ baseUrl: url, ca: cert, logger: silentLogger });
        const r = await b.chatCompletions({ stream: true });
        expect(await r.text()).toContain('"content":"hi"');
        expect((await r.usage).usage?.totalTokens).toBe(2);
        b.close();
        srv.closeAllConnections();
        await new Promise<void>((r) => srv.close(() => r()));
    });
});
