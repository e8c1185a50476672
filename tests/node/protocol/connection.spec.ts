/** @jest-environment node */
import { EventEmitter, once } from 'events';
import * as net from 'net';
import { waitFor } from '../../helpers/wait';
import {
    AttestedPeerInfo,
    FrameDecoder,
    ProtocolError,
    QueryError,
    RpcConnection,
    RpcServer,
    TcpConnection,
    connect,
    decode,
    decodeAs,
    decodePeerInfo,
    encode,
    encodeFrame,
    encodePeerInfo,
    listen,
} from '../../../node/protocol';
import { imageHash, zeroMeasurements } from '../../../node/attestation';

const nextEvent = (emitter: EventEmitter, event: string): Promise<unknown[]> => once(emitter, event);

let server: RpcServer | undefined;
afterEach(async () => {
    await server?.close();
    server = undefined;
});

async function pair(
    opts: Parameters<typeof listen>[0] extends infer L ? Partial<L> : never = {},
): Promise<{ client: RpcConnection; accepted: RpcConnection }> {
    let resolveAccepted!: (c: RpcConnection) => void;
    const acceptedP = new Promise<RpcConnection>((r) => (resolveAccepted = r));
    server = await listen({ port: 0, ...opts, onConnection: (c) => resolveAccepted(c) });
    const client = await connect({ host: '127.0.0.1', port: server.port });
    return { client, accepted: await acceptedP };
}

describe('TcpConnection / RpcConnection over plain TCP', () => {
    it('exchanges packets and queries in both directions', async () => {
        const { client, accepted } = await pair();
        accepted.handle((fn) => {
            if (fn._ === 'worker.compareBalanceWithProxy') {
                return {
                    _: 'worker.compareBalanceWithProxyResult',
                    signed_payment: { _: 'proxy.signedPayment', data: Buffer.from('sig') },
                    tokens_committed_to_db: fn.tokens_committed_to_db + 1n,
                    max_tokens: fn.max_tokens,
                    error_code: 0,
                };
            }
            throw new QueryError(404, `unsupported ${fn._}`);
        });
        client.handle(() => ({ _: 'worker.proxyHandshakeCompleted' }));

        const r = await client.query({
            _: 'worker.compareBalanceWithProxy',
            tokens_committed_to_blockchain: 1n,
            tokens_committed_to_db: 41n,
            max_tokens: 100n,
        });
        expect(r).toEqual({
            _: 'worker.compareBalanceWithProxyResult',
            signed_payment: { _: 'proxy.signedPayment', data: Buffer.from('sig') },
            tokens_committed_to_db: 42n,
            max_tokens: 100n,
            error_code: 0,
        });

        await expect(client.query({ _: 'worker.updatePaymentStatus' })).rejects.toMatchObject({
            code: 'QUERY_ERROR',
            errorCode: 404,
            message: 'unsupported worker.updatePaymentStatus',
        });
        await expect(accepted.query({ _: 'worker.proxyHandshakeComplete', is_disabled: false })).resolves.toEqual({
            _: 'worker.proxyHandshakeCompleted',
        });

        const got = nextEvent(accepted, 'packet');
        client.send({ _: 'worker.enabledDisabled', disabled: 1 });
        expect((await got)[0]).toEqual({ _: 'worker.enabledDisabled', disabled: 1 });
        const back = nextEvent(client, 'packet');
        accepted.send({ _: 'proxy.signedPaymentEmpty' });
        expect((await back)[0]).toEqual({ _: 'proxy.signedPaymentEmpty' });

        // Many concurrent queries are multiplexed and matched by id.
        const answers = await Promise.all(
            Array.from({ length: 200 }, (_, i) =>
                client.query({
                    _: 'worker.compareBalanceWithProxy',
                    tokens_committed_to_blockchain: 0n,
                    tokens_committed_to_db: BigInt(i),
                    max_tokens: 0n,
                }),
            ),
        );
        expect(answers.map((a) => (a as { tokens_committed_to_db: bigint }).tokens_committed_to_db)).toEqual(
            Array.from({ length: 200 }, (_, i) => BigInt(i + 1)),
        );
        client.close();
    });

    it('frames sent in one tick go out in order in one socket write, and the socket is uncorked after it', async () => {
        const { client, accepted } = await pair();
        const stream = (client as unknown as { tcp: { stream: net.Socket } }).tcp.stream;
        const writes = { one: 0, many: 0 };
        const write = stream._write.bind(stream);
        const writev = stream._writev!.bind(stream);
        stream._write = (c, e, cb) => (writes.one++, write(c, e, cb));
        stream._writev = (cs, cb) => (writes.many++, writev(cs, cb));
        const got: unknown[] = [];
        accepted.on('packet', (p) => got.push(p));
        const tick = () => new Promise((r) => process.nextTick(r));
        client.send({ _: 'worker.enabledDisabled', disabled: 1 });
        client.send({ _: 'worker.enabledDisabled', disabled: 0 });
        client.send({ _: 'proxy.signedPaymentEmpty' });
        await tick();
        expect(writes).toEqual({ one: 0, many: 1 });
        // A handler that throws after sending does not leave the socket corked.
        expect(() => {
            client.send({ _: 'worker.enabledDisabled', disabled: 1 });
            throw new Error('boom');
        }).toThrow('boom');
        await tick();
        expect(stream.writableCorked).toBe(0);
        await waitFor(() => got.length >= 4, 'the first four packets');
        expect(got).toEqual([
            { _: 'worker.enabledDisabled', disabled: 1 },
            { _: 'worker.enabledDisabled', disabled: 0 },
            { _: 'proxy.signedPaymentEmpty' },
            { _: 'worker.enabledDisabled', disabled: 1 },
        ]);
        // Another burst: nothing is written before the end of the tick, then all of it at once.
        writes.one = writes.many = 0;
        for (let i = 0; i < 5; i++) client.send({ _: 'worker.enabledDisabled', disabled: i % 2 });
        expect(writes).toEqual({ one: 0, many: 0 });
        await tick();
        expect(writes).toEqual({ one: 0, many: 1 });
        expect(stream.writableCorked).toBe(0);
        await waitFor(() => got.length >= 9, 'the burst of five');
        expect(got.slice(4).map((p) => (p as { disabled: number }).disabled)).toEqual([0, 1, 0, 1, 0]);
        client.close();
    });

    it('answers queries without a handler with an error and lets listeners answer', async () => {
        const { client, accepted } = await pair();
        await expect(client.query({ _: 'client.getWorkerTypes' })).rejects.toMatchObject({ errorCode: 621 });
        accepted.on('query', (q) => q.answer({ _: 'client.workerTypes', types: [] }));
        await expect(client.query({ _: 'client.getWorkerTypes' })).resolves.toEqual({ _: 'client.workerTypes', types: [] });
        // An answer of the wrong type is rejected at the caller.
        accepted.handle(() => ({ _: 'client.workerTypesV2', types: [] }));
        await expect(client.query({ _: 'client.getWorkerTypes' })).rejects.toMatchObject({ code: 'TL_DECODE' });
        client.close();
    });

    it('times out queries and rejects pending ones when the connection closes', async () => {
        const { client, accepted } = await pair();
        accepted.handle(() => new Promise(() => undefined));
        await expect(client.query({ _: 'client.getWorkerTypes' }, 100)).rejects.toMatchObject({ code: 'TIMEOUT' });
        const pending = client.query({ _: 'client.getWorkerTypes' }, 10_000);
        const closed = nextEvent(client, 'close');
        accepted.close(new ProtocolError('TEST', 'bye'));
        await expect(pending).rejects.toBeInstanceOf(ProtocolError);
        await closed;
        expect(client.closed).toBe(true);
        expect(() => client.send({ _: 'proxy.signedPaymentEmpty' })).toThrow(ProtocolError);
    });

    it('keeps an idle connection alive with pings and drops a silent peer', async () => {
        let resolveAccepted!: (c: RpcConnection) => void;
        const acceptedP = new Promise<RpcConnection>((r) => (resolveAccepted = r));
        server = await listen({ port: 0, connection: { idleTimeoutMs: 1200 }, onConnection: (c) => resolveAccepted(c) });
        // Generous margins: a loaded CI machine can stall the event loop for a few hundred ms.
        const client = await connect({ host: '127.0.0.1', port: server.port, connection: { idleTimeoutMs: 1000, pingAfterMs: 100 } });
        const accepted = await acceptedP;
        // Pings every 100 ms: 14 frames in (the handshake and 13 pings) span more than both idle timeouts.
        await waitFor(() => accepted.tcp.stats.framesIn >= 14 || accepted.closed || client.closed, 'pings past the idle timeouts');
        expect(client.closed).toBe(false);
        expect(accepted.closed).toBe(false);
        expect(accepted.tcp.stats.framesIn).toBeGreaterThan(5);

        // A raw peer that completes the handshake and then says nothing is closed by the acceptor.
        const raw = net.connect(server.port, '127.0.0.1');
        raw.on('error', () => undefined);
        raw.write(encodeFrame(0, encode({ _: 'tcp.connect', id: 9n })));
        // Keep reading, or the FIN would never surface as 'close'.
        raw.resume();
        const rawClosed = nextEvent(raw, 'close');
        const t0 = Date.now();
        await rawClosed;
        expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
        client.close();
    });

    it('closes on a first packet other than tcp.connect and on a seqno gap', async () => {
        const reasons: string[] = [];
        server = await listen({
            port: 0,
            onConnection: (c) => c.on('close', (r) => reasons.push(r?.code ?? 'none')),
            onReject: (e) => reasons.push((e as ProtocolError).code),
        });
        const send = (bytes: Buffer) =>
            new Promise<void>((resolve) => {
                const s = net.connect(server!.port, '127.0.0.1', () => s.write(bytes));
                s.on('error', () => undefined);
                s.on('close', () => resolve());
            });
        await send(encodeFrame(0, encode({ _: 'tcp.query', id: 1n, data: Buffer.alloc(4) })));
        await send(
            Buffer.concat([encodeFrame(0, encode({ _: 'tcp.connect', id: 1n })), encodeFrame(2, encode({ _: 'tcp.ping', id: 1n }))]),
        );
        await waitFor(() => reasons.length >= 2, 'both rejections');
        expect(reasons.sort()).toEqual(['BAD_SEQNO', 'HANDSHAKE']);
    });

    it('answers tcp.ping with tcp.pong and speaks the exact wire format', async () => {
        server = await listen({ port: 0, onConnection: () => undefined });
        const raw = net.connect(server.port, '127.0.0.1');
        const decoder = new FrameDecoder();
        const received: unknown[] = [];
        raw.on('data', (chunk) => received.push(...decoder.push(chunk).map((f) => decodeAs('tcp.Packet', f.payload))));
        raw.write(encodeFrame(0, encode({ _: 'tcp.connect', id: 77n })));
        raw.write(encodeFrame(1, encode({ _: 'tcp.ping', id: -5n })));
        await waitFor(() => received.length >= 2, 'tcp.connected and tcp.pong');
        expect(received).toEqual([
            { _: 'tcp.connected', id: 77n },
            { _: 'tcp.pong', id: -5n },
        ]);
        raw.destroy();
    });

    it('applies backpressure: pauses reading under query load and drops a peer that never reads', async () => {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let resolveAccepted!: (c: RpcConnection) => void;
        const acceptedP = new Promise<RpcConnection>((r) => (resolveAccepted = r));
        server = await listen({ port: 0, connection: { maxIncomingQueries: 4 }, onConnection: (c) => resolveAccepted(c) });
        const client = await connect({ host: '127.0.0.1', port: server.port });
        const accepted = await acceptedP;
        let delivered = 0;
        accepted.handle(async () => {
            delivered++;
            await gate;
            return { _: 'client.workerTypes', types: [] };
        });
        const all = Promise.all(Array.from({ length: 50 }, () => client.query({ _: 'client.getWorkerTypes' })));
        await waitFor(() => accepted.tcp.stream.isPaused(), 'the acceptor to pause reading');
        expect(delivered).toBe(5);
        release();
        expect(await all).toHaveLength(50);
        client.close();

        // A peer that stops reading: our queue passes the limit and we cut it off.
        const sinkSockets: net.Socket[] = [];
        const sink = net.createServer((s) => {
            s.pause();
            sinkSockets.push(s);
        });
        await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
        const sock = net.connect((sink.address() as net.AddressInfo).port, '127.0.0.1');
        await nextEvent(sock, 'connect');
        const tcp = new TcpConnection(sock, { role: 'connector', maxSendBuffer: 1 << 20, handshakeTimeoutMs: 5000 });
        const closed = nextEvent(tcp, 'close');
        const chunk = Buffer.alloc(256 * 1024);
        // Sending bypasses the handshake wait on purpose: this is the raw layer.
        for (let i = 0; i < 200 && !tcp.closed; i++) tcp.sendPacket(chunk);
        expect(((await closed)[0] as ProtocolError).code).toBe('BACKPRESSURE');
        for (const s of sinkSockets) s.destroy();
        await new Promise<void>((r) => sink.close(() => r()));
    });

    it('reads and writes the router attestation preamble on plaintext streams', async () => {
        const m = zeroMeasurements(Buffer.alloc(64, 3));
        m.mrTd = Buffer.alloc(48, 1);
        m.rtmr[0] = Buffer.alloc(48, 2);
        const info: AttestedPeerInfo = {
            attestation: { kind: 'tdx', measurements: m },
            collateralRootHash: Buffer.alloc(48, 9),
            publicKey: Buffer.alloc(32, 5),
            sourceIp: '10.0.0.1',
            sourcePort: 4242,
            destinationIp: '10.0.0.2',
            destinationPort: 11001,
        };
        const bytes = encodePeerInfo(info);
        // 4 length + 4 has_value + 4 variant + 448 + 48 + 36 (TL string of 32 bytes) + 12 + 4 + 12 + 4
        expect(bytes.length).toBe(4 + 4 + 4 + 448 + 48 + 36 + 12 + 4 + 12 + 4);
        expect(bytes.readUInt32LE(0)).toBe(bytes.length - 4);
        expect(decodePeerInfo(bytes.subarray(4))).toEqual(info);

        let resolveAccepted!: (c: RpcConnection) => void;
        const acceptedP = new Promise<RpcConnection>((r) => (resolveAccepted = r));
        server = await listen({ port: 0, peerInfo: { read: true }, onConnection: (c) => resolveAccepted(c) });
        const client = await connect({ host: '127.0.0.1', port: server.port, peerInfo: { send: info } });
        const accepted = await acceptedP;
        expect(accepted.peer).toMatchObject({
            policy: 'router',
            attestation: 'tdx',
            publicKey: info.publicKey,
            remoteAddress: '10.0.0.1',
            remotePort: 4242,
        });
        expect(accepted.peer.imageHash).toEqual(imageHash(m));
        expect(client.peer.attestation).toBe('none');
        client.close();
        expect(decode(encode({ _: 'tcp.pong', id: 1n }))).toEqual({ _: 'tcp.pong', id: 1n });
    });
});
