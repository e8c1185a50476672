/** A loopback HTTP server whose behaviour each test scripts, recording what the adapter sent. */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

export interface FakeServer {
    url: string;
    requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
    close(): Promise<void>;
}

export async function fakeServer(
    handler: (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>,
): Promise<FakeServer> {
    const requests: FakeServer['requests'] = [];
    const sockets = new Set<Socket>();
    const server: Server = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const body = Buffer.concat(chunks).toString('utf8');
        requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        await handler(req, res, body);
    });
    server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}/v1`,
        requests,
        close: () =>
            new Promise<void>((r) => {
                for (const s of sockets) s.destroy();
                server.close(() => r());
            }),
    };
}

/** Writes `events` as SSE; with `delayMs`, one event every delayMs (COCOON benchmark/server.go's delay_ms). */
export function sse(res: ServerResponse, events: (object | string)[], opts: { end?: boolean; delayMs?: number } = {}): void {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const line = (e: object | string) => `data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`;
    if (!opts.delayMs) {
        for (const e of events) res.write(line(e));
        if (opts.end !== false) res.end();
        return;
    }
    let i = 0;
    const next = () => {
        if (res.destroyed) return;
        if (i < events.length) {
            res.write(line(events[i++]));
            setTimeout(next, opts.delayMs);
        } else if (opts.end !== false) {
            res.end();
        }
    };
    next();
}

/** A port nothing listens on (bound then released). */
export async function deadPort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
}
