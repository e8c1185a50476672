/**
 * The transport floor of the proxy benchmark (`--modes floor`): the network's shape with nothing of the
 * product in it. An HTTP API, a "proxy" and a "worker" on this process's main thread, chained over
 * TLS 1.3 with the suites RA-TLS allows, the worker calling the same backend through the same HTTP/1.1
 * client; every hop only frames and forwards bytes. No COCOON protocol (TL), no routing, no metering,
 * no ledger or journal, no payments, no receipt. Whatever the network costs above this floor is the
 * product's own work; what this floor costs above the direct baseline, no relay of this shape written
 * in Node.js avoids on the machine that runs the benchmark.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { TLS_CIPHERSUITES } from '../../node/attestation/ra-tls';
import { encodeFrame, FrameDecoder } from '../../node/protocol/framing';
import { Http1Client } from '../../node/inference/adapter/http1';
import { selfSignedCertificate } from '../node/helpers/self-signed';

/** Frame payload: [request id u32][kind u8][bytes]; DATA carries body bytes, END closes the answer, FAILED ends it with an error. */
const DATA = 0;
const END = 1;
const FAILED = 2;

/** One direction of a framed TLS link: sequenced frames out, whole frames in. */
class Link {
    private seqno = 0;
    private readonly decoder = new FrameDecoder();

    constructor(
        readonly socket: TLSSocket,
        onFrame: (payload: Buffer) => void,
    ) {
        socket.setNoDelay(true);
        socket.on('data', (chunk: Buffer) => {
            for (const f of this.decoder.push(chunk)) onFrame(f.payload);
        });
        socket.on('error', () => socket.destroy());
    }

    send(payload: Buffer): void {
        this.socket.write(encodeFrame(this.seqno, payload));
        this.seqno = (this.seqno + 1) | 0;
    }
}

function piece(id: number, kind: number, bytes?: Buffer): Buffer {
    const head = Buffer.allocUnsafe(5);
    head.writeUInt32LE(id, 0);
    head[4] = kind;
    return bytes?.length ? Buffer.concat([head, bytes]) : head;
}

function listen(server: Server | ReturnType<typeof createTlsServer>): Promise<number> {
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
}

export interface FloorNetwork {
    apiUrl: string;
    close(): Promise<void>;
}

/** Starts API -> proxy -> worker -> backend (backendUrl: the fake backend's .../v1). */
export async function startRelayFloor(backendUrl: string): Promise<FloorNetwork> {
    const cert = selfSignedCertificate(86_400_000);
    const tlsOpts = {
        key: cert.key,
        cert: cert.cert,
        minVersion: 'TLSv1.3' as const,
        maxVersion: 'TLSv1.3' as const,
        ciphers: TLS_CIPHERSUITES,
    };
    const dial = (port: number) =>
        new Promise<TLSSocket>((resolve, reject) => {
            const s = tlsConnect({ host: '127.0.0.1', port, ca: cert.cert, checkServerIdentity: () => undefined, ...tlsOpts }, () =>
                resolve(s),
            );
            s.once('error', reject);
        });
    const backend = new Http1Client(new URL(backendUrl));
    const backendPath = `${new URL(backendUrl).pathname.replace(/\/$/, '')}/chat/completions`;
    const sockets = new Set<TLSSocket>();

    // Worker: each request frame becomes one backend call; the body goes back as it is read.
    const worker = createTlsServer(tlsOpts, (socket) => {
        sockets.add(socket);
        const link: Link = new Link(socket, (payload) => {
            const id = payload.readUInt32LE(0);
            backend.request(
                { method: 'POST', path: backendPath, headers: { 'content-type': 'application/json' }, body: payload.subarray(5) },
                {
                    response: () => undefined,
                    data: (chunk) => link.send(piece(id, DATA, chunk)),
                    end: () => link.send(piece(id, END)),
                    error: (e) => link.send(piece(id, FAILED, Buffer.from(e.message))),
                },
            );
        });
    });
    const workerPort = await listen(worker);

    // Proxy: frames from the client go to the worker and back, unchanged.
    let toWorker: Link | null = null;
    let toClient: Link | null = null;
    const proxy = createTlsServer(tlsOpts, (socket) => {
        sockets.add(socket);
        toClient = new Link(socket, (payload) => toWorker!.send(payload));
    });
    const proxyPort = await listen(proxy);
    const workerSocket = await dial(workerPort);
    sockets.add(workerSocket);
    toWorker = new Link(workerSocket, (payload) => toClient!.send(payload));

    // Client API: the request body to the proxy, the answer pieces to the caller.
    const waiting = new Map<number, ServerResponse>();
    let nextId = 0;
    const proxySocket = await dial(proxyPort);
    sockets.add(proxySocket);
    const toProxy = new Link(proxySocket, (payload) => {
        const id = payload.readUInt32LE(0);
        const res = waiting.get(id);
        if (!res) return;
        if (payload[4] === END) {
            waiting.delete(id);
            res.end();
            return;
        }
        if (payload[4] === FAILED) {
            // The load generator counts both as errors: a 502 before the answer began, a cut connection after.
            waiting.delete(id);
            if (res.headersSent) res.destroy();
            else res.writeHead(502, { 'content-type': 'text/plain' }).end(payload.subarray(5));
            return;
        }
        if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(payload.subarray(5));
    });
    const api = createServer((req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
            const id = nextId;
            nextId = (nextId + 1) >>> 0;
            waiting.set(id, res);
            toProxy.send(piece(id, DATA, Buffer.concat(chunks)));
        });
    });
    api.keepAliveTimeout = 60_000;
    const apiPort = await listen(api);

    return {
        apiUrl: `http://127.0.0.1:${apiPort}/v1`,
        close: async () => {
            backend.close();
            for (const s of sockets) s.destroy();
            api.closeAllConnections();
            await Promise.all([api, proxy, worker].map((s) => new Promise((r) => s.close(r))));
        },
    };
}
