/**
 * A small HTTP/1.1 client with a keep-alive connection pool, for the worker's calls to its inference
 * backend (one origin, many short streamed POSTs). It replaces node:http on that path because of what
 * a streamed answer costs there: node:http delivers every chunked-encoding segment (one per token) as
 * its own stream event through IncomingMessage, which made reading a 50-chunk answer cost ~200 µs of
 * the worker's CPU. Here each socket read becomes one body buffer (http1-parser.ts), and the request
 * head and body leave in one write.
 *
 * Semantics kept from node:http's Agent: idle connections are reused (most recent first) and do not
 * keep the process alive; a response that cannot be delimited, or says `Connection: close`, retires its
 * connection. One thing added: a request that fails on a reused connection before any byte of the
 * answer arrived is sent again once on a new connection. That is the keep-alive race (the server closed
 * the idle connection while the request was on its way); the server saw no request on it.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { HttpParseError, ResponseParser, type ResponseHead } from './http1-parser';

export type { ResponseHead } from './http1-parser';
export { HttpParseError } from './http1-parser';

export interface Http1ClientOptions {
    /** Extra TLS options for https origins (e.g. `ca` for a self-signed backend). */
    tls?: ConnectionOptions;
    /** Idle connections are closed after this long (default 4 s, under uvicorn's 5 s keep-alive). */
    idleTimeoutMs?: number;
    /** Idle connections kept at most (default 64). */
    maxIdle?: number;
    /** Largest response head accepted (default 64 KiB). */
    maxHeaderBytes?: number;
}

export interface Http1Request {
    method: string;
    /** Path and query, starting with '/'. */
    path: string;
    headers: Record<string, string>;
    body?: Buffer;
}

export interface ExchangeHandlers {
    response(head: ResponseHead): void;
    /** Body bytes as they arrive (one buffer per socket read). */
    data(chunk: Buffer): void;
    /** The body ended completely. */
    end(): void;
    /** At most once, and nothing follows. `responded`: whether response() was called. */
    error(err: Http1Error, responded: boolean): void;
}

/** A failed exchange: `code` is the socket's (ECONNREFUSED, ECONNRESET, ...) or one of this module's. */
export class Http1Error extends Error {
    constructor(
        message: string,
        readonly code: 'HTTP_PARSE' | 'CLOSED' | 'DESTROYED' | string,
        readonly cause?: unknown,
    ) {
        super(message);
        this.name = 'Http1Error';
    }
}

/** A request in flight. */
export interface Exchange {
    /** Stop reading the socket (the server's writes back up); resume() continues. */
    pause(): void;
    resume(): void;
    /** Abandon the exchange: the connection is closed (so the server stops), error() is not called. */
    destroy(): void;
}

interface Conn {
    socket: Socket;
    /** Requests this connection has carried. */
    uses: number;
    exchange: ExchangeImpl | null;
    /** Closes the connection once it has been idle for idleTimeoutMs. */
    idleTimer: NodeJS.Timeout | null;
    dead: boolean;
}

class ExchangeImpl implements Exchange {
    conn: Conn | null = null;
    parser: ResponseParser;
    head: ResponseHead | null = null;
    bytesIn = 0;
    finished = false;
    paused = false;
    retried = false;

    constructor(
        readonly client: Http1Client,
        readonly req: Http1Request,
        readonly payload: Buffer,
        readonly handlers: ExchangeHandlers,
    ) {
        this.parser = this.newParser();
    }

    newParser(): ResponseParser {
        return new ResponseParser(
            {
                head: (h) => {
                    this.head = h;
                    if (!this.finished) this.handlers.response(h);
                },
                body: (chunk) => {
                    if (!this.finished) this.handlers.data(chunk);
                },
                // The client checks parser.done after each feed: completion also decides the connection's fate.
                complete: () => undefined,
            },
            { noBody: this.req.method === 'HEAD', maxHeaderBytes: this.client.maxHeaderBytes },
        );
    }

    get responded(): boolean {
        return this.head !== null;
    }

    pause(): void {
        this.paused = true;
        this.conn?.socket.pause();
    }

    resume(): void {
        this.paused = false;
        this.conn?.socket.resume();
    }

    destroy(): void {
        if (this.finished) return;
        this.finished = true;
        if (this.conn) this.client.retire(this.conn);
    }

    fail(err: Http1Error): void {
        if (this.finished) return;
        this.finished = true;
        if (this.conn) this.client.retire(this.conn);
        this.handlers.error(err, this.responded);
    }
}

export class Http1Client {
    readonly maxHeaderBytes: number;
    private readonly idle: Conn[] = [];
    private readonly all = new Set<Conn>();
    private readonly host: string;
    private readonly port: number;
    private readonly https: boolean;
    private readonly hostHeader: string;
    private readonly idleTimeoutMs: number;
    private readonly maxIdle: number;
    private closed = false;

    constructor(
        origin: URL,
        private readonly opts: Http1ClientOptions = {},
    ) {
        this.https = origin.protocol === 'https:';
        this.host = origin.hostname.replace(/^\[|\]$/g, '');
        this.port = Number(origin.port || (this.https ? 443 : 80));
        this.hostHeader = origin.host;
        this.idleTimeoutMs = opts.idleTimeoutMs ?? 4_000;
        this.maxIdle = opts.maxIdle ?? 64;
        this.maxHeaderBytes = opts.maxHeaderBytes ?? 64 * 1024;
    }

    /** Connections open now (busy and idle), for tests and stats. */
    get connections(): number {
        return this.all.size;
    }

    request(req: Http1Request, handlers: ExchangeHandlers): Exchange {
        let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n`;
        for (const [k, v] of Object.entries(req.headers)) {
            if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new TypeError(`header ${JSON.stringify(k)} contains a line break`);
            head += `${k}: ${v}\r\n`;
        }
        if (req.body && !Object.keys(req.headers).some((k) => k.toLowerCase() === 'content-length'))
            head += `content-length: ${req.body.length}\r\n`;
        head += '\r\n';
        const headBytes = Buffer.from(head, 'latin1');
        const payload = req.body?.length ? Buffer.concat([headBytes, req.body]) : headBytes;
        const ex = new ExchangeImpl(this, req, payload, handlers);
        if (this.closed) {
            queueMicrotask(() => ex.fail(new Http1Error('the HTTP client was closed', 'DESTROYED')));
            return ex;
        }
        this.send(ex, this.take());
        return ex;
    }

    /** Closes every connection; requests in flight fail. */
    close(): void {
        this.closed = true;
        for (const c of [...this.all]) {
            if (c.exchange) c.exchange.fail(new Http1Error('the HTTP client was closed', 'DESTROYED'));
            this.retire(c);
        }
    }

    /** Closes a connection for good (a failed, abandoned or undelimited exchange). */
    retire(c: Conn): void {
        if (c.dead) return;
        c.dead = true;
        c.exchange = null;
        if (c.idleTimer) clearTimeout(c.idleTimer);
        const i = this.idle.indexOf(c);
        if (i >= 0) this.idle.splice(i, 1);
        this.all.delete(c);
        c.socket.destroy();
    }

    private take(): Conn | null {
        while (this.idle.length) {
            const c = this.idle.pop()!;
            if (c.dead || c.socket.destroyed) {
                this.retire(c);
                continue;
            }
            return c;
        }
        return null;
    }

    private send(ex: ExchangeImpl, reused: Conn | null): void {
        const c = reused ?? this.open();
        c.uses++;
        c.exchange = ex;
        ex.conn = c;
        c.socket.ref();
        if (ex.paused) c.socket.pause();
        else c.socket.resume();
        c.socket.write(ex.payload);
    }

    private open(): Conn {
        const socket = this.https
            ? tlsConnect({
                  host: this.host,
                  port: this.port,
                  servername: isIP(this.host) ? undefined : this.host,
                  ALPNProtocols: ['http/1.1'],
                  ...this.opts.tls,
              })
            : netConnect({ host: this.host, port: this.port });
        socket.setNoDelay(true);
        const c: Conn = { socket, uses: 0, exchange: null, idleTimer: null, dead: false };
        this.all.add(c);
        socket.on('data', (d: Buffer) => this.onData(c, d));
        socket.on('error', (e: NodeJS.ErrnoException) => this.onGone(c, new Http1Error(e.message, e.code ?? 'CLOSED', e)));
        socket.on('close', () => this.onGone(c, new Http1Error('the server closed the connection', 'CLOSED')));
        // A half-close from the server ends a read-until-close body; close our side too.
        socket.on('end', () => {
            this.onGone(c, new Http1Error('the server closed the connection', 'CLOSED'));
            socket.end();
        });
        return c;
    }

    private onData(c: Conn, d: Buffer): void {
        const ex = c.exchange;
        if (!ex) {
            // Bytes nobody asked for on an idle connection: it cannot be trusted with the next request.
            this.retire(c);
            return;
        }
        ex.bytesIn += d.length;
        let leftover: number;
        try {
            leftover = ex.parser.feed(d);
        } catch (e) {
            const msg = e instanceof HttpParseError ? `malformed HTTP response: ${e.message}` : (e as Error).message;
            ex.fail(new Http1Error(msg, 'HTTP_PARSE', e));
            return;
        }
        if (ex.parser.done) this.complete(c, ex, leftover);
    }

    private complete(c: Conn, ex: ExchangeImpl, leftover: number): void {
        if (ex.finished) return;
        ex.finished = true;
        c.exchange = null;
        const reusable = leftover === 0 && !c.dead && !this.closed && ex.head?.keepAlive === true;
        if (reusable && this.idle.length < this.maxIdle) {
            c.socket.unref();
            c.socket.resume();
            // One timer per connection, restarted each time it goes idle; it spares a connection in use.
            if (c.idleTimer) c.idleTimer.refresh();
            else c.idleTimer = setTimeout(() => c.exchange === null && this.retire(c), this.idleTimeoutMs).unref();
            this.idle.push(c);
        } else {
            this.retire(c);
        }
        ex.handlers.end();
    }

    private onGone(c: Conn, err: Http1Error): void {
        const ex = c.exchange;
        if (!ex || ex.finished) {
            this.retire(c);
            return;
        }
        // A body read until close ends here.
        if (ex.parser.readsUntilClose && err.code === 'CLOSED') {
            ex.parser.end();
            this.complete(c, ex, 0);
            return;
        }
        c.exchange = null;
        this.retire(c);
        if (c.uses > 1 && ex.bytesIn === 0 && !ex.retried && !this.closed) {
            ex.retried = true;
            ex.parser = ex.newParser();
            this.send(ex, null);
            return;
        }
        const msg = ex.responded
            ? `the connection closed before the response body ended (${err.message})`
            : err.code === 'CLOSED'
              ? 'the server closed the connection without answering'
              : err.message;
        ex.fail(new Http1Error(msg, err.code, err.cause));
    }
}
