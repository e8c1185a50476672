/**
 * Connection establishment, in the original's order: TCP -> PoW -> TLS 1.3 with mutual RA-TLS ->
 * tcp.connect/tcp.connected. Without `tls` the stream stays plaintext (runners behind the original
 * C++ router, or loopback tests); there the router's attestation preamble can be read or sent.
 *
 *   const server = await listen({ port: 0, tls: ctx, pow: { difficulty: 20 }, onConnection(conn) { … } });
 *   const conn = await connect({ host: '127.0.0.1', port: server.port, tls: ctx, pow: { maxDifficulty: 28 } });
 */
import * as net from 'net';
import * as tls from 'tls';
import { AttestationError, PeerIdentity, RaTlsContext, unattestedIdentity } from '../attestation';
import { TcpConnection, TcpConnectionOptions } from './connection';
import { ProtocolError } from './errors';
import { Logger, silentLogger } from '../common/log';
import { AttestedPeerInfo, encodePeerInfo, identityFromPeerInfo, readPeerInfo } from './peer-info';
import { DEFAULT_MAX_POW_DIFFICULTY, DEFAULT_POW_DIFFICULTY, powClient, powServer } from './pow';
import { RpcConnection } from './rpc';

export type ConnectionTuning = Omit<TcpConnectionOptions, 'role' | 'logger' | 'label' | 'hold'>;

export interface PlaintextPeerInfo {
    /** Expect the router's `[len][AttestedPeerInfo]` preamble before the first frame. */
    read?: boolean;
    /** Write this preamble first (to look like the router to a C++ runner). */
    send?: AttestedPeerInfo;
}

export interface ConnectOptions {
    host: string;
    port: number;
    /** RA-TLS context; omit for a plaintext connection. */
    tls?: RaTlsContext;
    /** Solve the server's PoW first (default: on with TLS, max difficulty 28; off in plaintext). */
    pow?: { maxDifficulty?: number } | false;
    peerInfo?: PlaintextPeerInfo;
    /** Budget for TCP connect + PoW + TLS + handshake (default 60 s). */
    timeoutMs?: number;
    connection?: ConnectionTuning;
    logger?: Logger;
}

export interface ListenOptions {
    host?: string;
    port?: number;
    tls?: RaTlsContext;
    /** Challenge every connection with PoW (default: difficulty 20 with TLS; off in plaintext). */
    pow?: { difficulty?: number } | false;
    peerInfo?: PlaintextPeerInfo;
    /** Called once the connection is ready; attach listeners synchronously. */
    onConnection: (conn: RpcConnection) => void;
    /** Called when an incoming connection fails before becoming ready (PoW, TLS, attestation…). */
    onReject?: (err: Error, remote: string) => void;
    /** Budget for PoW + TLS + attestation + handshake (default 60 s). */
    handshakeTimeoutMs?: number;
    maxConnections?: number;
    connection?: ConnectionTuning;
    logger?: Logger;
}

export interface RpcServer {
    readonly host: string;
    readonly port: number;
    readonly connections: ReadonlySet<RpcConnection>;
    close(): Promise<void>;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
        p,
        new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
                onTimeout();
                reject(new ProtocolError('TIMEOUT', `${what} did not finish within ${ms} ms`));
            }, ms);
        }),
    ]).finally(() => clearTimeout(timer));
}

function waitEvent(emitter: net.Socket, event: string, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const onError = (err: Error) => {
            cleanup();
            reject(new ProtocolError('TLS', `${what}: ${err.message}`, err));
        };
        const onClose = () => {
            cleanup();
            reject(new ProtocolError('CLOSED', `${what}: connection closed`));
        };
        const onEvent = () => {
            cleanup();
            resolve();
        };
        const cleanup = () => {
            emitter.off(event, onEvent);
            emitter.off('error', onError);
            emitter.off('close', onClose);
        };
        emitter.once(event, onEvent);
        emitter.once('error', onError);
        emitter.once('close', onClose);
    });
}

function asProtocolError(err: unknown): ProtocolError {
    if (err instanceof ProtocolError) return err;
    if (err instanceof AttestationError) return new ProtocolError('ATTESTATION', `peer rejected: ${err.code}: ${err.message}`, err);
    return new ProtocolError('CLOSED', (err as Error).message, err);
}

async function secureStream(
    socket: net.Socket,
    side: 'client' | 'server',
    opts: { tls?: RaTlsContext; peerInfo?: PlaintextPeerInfo; timeoutMs: number },
): Promise<{ stream: net.Socket; peer: PeerIdentity }> {
    if (opts.tls) {
        const ctx = opts.tls;
        const tlsSocket =
            side === 'client' ? tls.connect({ socket, ...ctx.clientOptions() }) : new tls.TLSSocket(socket, ctx.serverOptions());
        await waitEvent(tlsSocket, side === 'client' ? 'secureConnect' : 'secure', 'TLS handshake');
        try {
            return { stream: tlsSocket, peer: await ctx.verifyPeer(tlsSocket) };
        } catch (err) {
            tlsSocket.destroy();
            throw err;
        }
    }
    if (opts.peerInfo?.send) socket.write(encodePeerInfo(opts.peerInfo.send));
    const peer = opts.peerInfo?.read
        ? identityFromPeerInfo(await readPeerInfo(socket, opts.timeoutMs))
        : unattestedIdentity(socket.remoteAddress, socket.remotePort);
    return { stream: socket, peer };
}

export async function connect(opts: ConnectOptions): Promise<RpcConnection> {
    const log = opts.logger ?? silentLogger;
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const label = `${opts.host}:${opts.port}`;
    const socket = net.connect({ host: opts.host, port: opts.port });
    socket.setNoDelay(true);
    const pow = opts.pow ?? (opts.tls ? {} : false);
    const establish = async () => {
        await waitEvent(socket, 'connect', `TCP connect to ${label}`).catch((err: ProtocolError) => {
            throw new ProtocolError(
                'CONNECT',
                `cannot connect to ${label}: ${(err.cause as Error | undefined)?.message ?? err.message}`,
                err,
            );
        });
        if (pow) await powClient(socket, pow.maxDifficulty ?? DEFAULT_MAX_POW_DIFFICULTY, timeoutMs);
        const { stream, peer } = await secureStream(socket, 'client', { tls: opts.tls, peerInfo: opts.peerInfo, timeoutMs });
        const tcp = new TcpConnection(stream, { ...opts.connection, role: 'connector', logger: log, label, hold: true });
        const rpc = new RpcConnection(tcp, peer, log);
        await tcp.ready;
        return rpc;
    };
    try {
        const rpc = await withTimeout(establish(), timeoutMs, `connection to ${label}`, () => socket.destroy());
        // Deliver queued packets after the caller's continuation has attached its listeners.
        setImmediate(() => rpc.tcp.release());
        log.debug('connected', { peer: label, attestation: rpc.peer.attestation, imageHash: rpc.peer.imageHash.toString('hex') });
        return rpc;
    } catch (err) {
        socket.destroy();
        const e = asProtocolError(err);
        log.warn('connection failed', { peer: label, code: e.code, error: e.message });
        throw e;
    }
}

export function listen(opts: ListenOptions): Promise<RpcServer> {
    const log = opts.logger ?? silentLogger;
    const connections = new Set<RpcConnection>();
    const sockets = new Set<net.Socket>();
    const pow = opts.pow ?? (opts.tls ? {} : false);
    const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 60_000;

    const accept = async (socket: net.Socket) => {
        const remote = `${socket.remoteAddress}:${socket.remotePort}`;
        socket.setNoDelay(true);
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        // Errors before the TcpConnection owns the socket are reported through the handshake promise.
        socket.on('error', () => undefined);
        const establish = async () => {
            if (pow) await powServer(socket, pow.difficulty ?? DEFAULT_POW_DIFFICULTY, handshakeTimeoutMs);
            const { stream, peer } = await secureStream(socket, 'server', {
                tls: opts.tls,
                peerInfo: opts.peerInfo,
                timeoutMs: handshakeTimeoutMs,
            });
            const tcp = new TcpConnection(stream, { ...opts.connection, role: 'acceptor', logger: log, label: remote, hold: true });
            const rpc = new RpcConnection(tcp, peer, log);
            await tcp.ready;
            return rpc;
        };
        try {
            const rpc = await withTimeout(establish(), handshakeTimeoutMs, `handshake with ${remote}`, () => socket.destroy());
            connections.add(rpc);
            rpc.on('close', () => connections.delete(rpc));
            log.debug('accepted', { peer: remote, attestation: rpc.peer.attestation, imageHash: rpc.peer.imageHash.toString('hex') });
            opts.onConnection(rpc);
            rpc.tcp.release();
        } catch (err) {
            socket.destroy();
            const e = asProtocolError(err);
            log.warn('incoming connection rejected', { peer: remote, code: e.code, error: e.message });
            opts.onReject?.(e, remote);
        }
    };

    const server = net.createServer((socket) => {
        void accept(socket);
    });
    if (opts.maxConnections !== undefined) server.maxConnections = opts.maxConnections;

    return new Promise((resolve, reject) => {
        server.once('error', (err) =>
            reject(new ProtocolError('LISTEN', `cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port ?? 0}: ${err.message}`, err)),
        );
        server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
            const addr = server.address() as net.AddressInfo;
            log.info('listening', {
                host: addr.address,
                port: addr.port,
                tls: Boolean(opts.tls),
                pow: pow ? (pow.difficulty ?? DEFAULT_POW_DIFFICULTY) : 0,
            });
            resolve({
                host: addr.address,
                port: addr.port,
                connections,
                close: () =>
                    new Promise<void>((done) => {
                        for (const c of connections) c.close();
                        for (const s of sockets) s.destroy();
                        server.close(() => done());
                    }),
            });
        });
    });
}
