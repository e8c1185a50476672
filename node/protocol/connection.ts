/**
 * TcpConnection: one COCOON packet stream over any byte stream (plain TCP socket or TLS socket).
 * - framing `[len][seqno][payload]` with limits and strict seqno (violations close the connection);
 * - handshake: the connector sends tcp.connect(id) first, the acceptor answers tcp.connected(id);
 * - tcp.packet (one-way), tcp.query/queryAnswer/queryError multiplexed by 64-bit id, tcp.ping/pong;
 * - idle timeout (connector 20 s, acceptor 60 s by default); the connector pings after half of it;
 * - backpressure: reading pauses while too many incoming queries are unanswered, and a peer that does
 *   not read while we keep writing is cut off once the send buffer limit is exceeded.
 * Payloads are raw bytes here; RpcConnection (rpc.ts) adds the TL object layer.
 */
import { EventEmitter } from 'events';
import { randomBytes } from 'crypto';
import type { Duplex } from 'stream';
import { ProtocolError, QueryError } from './errors';
import { FRAME_HEADER_SIZE, FrameDecoder, MAX_FRAME_PAYLOAD, MIN_FRAME_PAYLOAD } from './framing';
import { Logger, silentLogger } from '../common/log';
import { decodeAs, writeBoxed } from './tl/codec';
import { tcp_Packet } from './tl/generated';
import { TlWriter } from './tl/runtime';

export type ConnectionRole = 'connector' | 'acceptor';

export interface TcpConnectionOptions {
    role: ConnectionRole;
    /** Close after this long without any frame from the peer (default 20 s connector / 60 s acceptor). */
    idleTimeoutMs?: number;
    /** Connector pings after this much silence (default idleTimeoutMs / 2; 0 disables). */
    pingAfterMs?: number;
    /** Time allowed for tcp.connect / tcp.connected (default 10 s). */
    handshakeTimeoutMs?: number;
    /** Largest frame payload accepted and sent (default and maximum 16 MiB). */
    maxFramePayload?: number;
    /** Bytes queued for a peer that does not read before the connection is dropped (default 64 MiB). */
    maxSendBuffer?: number;
    /** Unanswered incoming queries before reading pauses (default 1024). */
    maxIncomingQueries?: number;
    /** Default timeout of outgoing queries (default 60 s). */
    queryTimeoutMs?: number;
    logger?: Logger;
    /** Shown in logs, e.g. "127.0.0.1:5555". */
    label?: string;
    /**
     * Queue packets that arrive after the handshake until release() is called, so the owner can attach
     * its listeners first (connect()/listen() use this).
     */
    hold?: boolean;
}

interface PendingQuery {
    resolve(data: Buffer): void;
    reject(err: Error): void;
    timer: NodeJS.Timeout;
}

export interface TcpConnectionEvents {
    ready: [];
    packet: [data: Buffer];
    query: [id: bigint, data: Buffer];
    close: [reason: ProtocolError | undefined];
}

const TON_ERROR_PROTOVIOLATION = 621;

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed events for an EventEmitter
export class TcpConnection extends EventEmitter {
    readonly role: ConnectionRole;
    /** Shown in logs and errors. */
    readonly label: string;
    private readonly decoder: FrameDecoder;
    private readonly log: Logger;
    private readonly idleTimeoutMs: number;
    private readonly pingAfterMs: number;
    private readonly maxFramePayload: number;
    private readonly maxSendBuffer: number;
    private readonly maxIncomingQueries: number;
    private readonly queryTimeoutMs: number;
    private outSeqno = 0;
    private handshakeId = 0n;
    private isReady = false;
    private closedReason: ProtocolError | undefined;
    private isClosed = false;
    private lastReceived = Date.now();
    private pingSent = false;
    private timer?: NodeJS.Timeout;
    private handshakeTimer?: NodeJS.Timeout;
    private nextQueryId = randomBytes(8).readBigUInt64LE(0) >> 1n;
    private readonly pending = new Map<bigint, PendingQuery>();
    private incomingQueries = 0;
    private readingPaused = false;
    private held: boolean;
    /** Frames received while held or paused for backpressure, dispatched in order later. */
    private backlog: Buffer[] = [];
    private draining = false;
    readonly ready: Promise<void>;
    private resolveReady!: () => void;
    private rejectReady!: (err: ProtocolError) => void;
    private tickCorked = false;
    private readonly uncorkTick = (): void => {
        this.tickCorked = false;
        this.stream.uncork();
    };
    /** Counters for stats pages and benchmarks. */
    readonly stats = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, queriesOut: 0, queriesIn: 0 };

    constructor(
        readonly stream: Duplex,
        opts: TcpConnectionOptions,
    ) {
        super();
        this.role = opts.role;
        this.log = (opts.logger ?? silentLogger).child('tcp');
        this.idleTimeoutMs = opts.idleTimeoutMs ?? (opts.role === 'connector' ? 20_000 : 60_000);
        this.pingAfterMs = opts.pingAfterMs ?? (opts.role === 'connector' ? Math.floor(this.idleTimeoutMs / 2) : 0);
        this.maxFramePayload = opts.maxFramePayload ?? MAX_FRAME_PAYLOAD;
        this.maxSendBuffer = opts.maxSendBuffer ?? 64 * 1024 * 1024;
        this.maxIncomingQueries = opts.maxIncomingQueries ?? 1024;
        this.queryTimeoutMs = opts.queryTimeoutMs ?? 60_000;
        this.decoder = new FrameDecoder(this.maxFramePayload);
        this.label = opts.label ?? 'peer';
        this.held = opts.hold ?? false;
        this.ready = new Promise<void>((resolve, reject) => {
            this.resolveReady = resolve;
            this.rejectReady = reject;
        });
        // A rejected ready promise nobody awaits must not crash the process.
        this.ready.catch(() => undefined);

        stream.on('data', (chunk: Buffer) => this.onData(chunk));
        stream.on('error', (err: Error) => this.close(new ProtocolError('CLOSED', `socket error: ${err.message}`, err)));
        stream.on('close', () =>
            this.close(this.isReady ? undefined : new ProtocolError('CLOSED', 'connection closed before the handshake finished')),
        );
        stream.on('end', () => stream.end());

        this.handshakeTimer = setTimeout(
            () =>
                this.close(
                    new ProtocolError(
                        'HANDSHAKE',
                        `no tcp.${this.role === 'connector' ? 'connected' : 'connect'} within ${opts.handshakeTimeoutMs ?? 10_000} ms`,
                    ),
                ),
            opts.handshakeTimeoutMs ?? 10_000,
        );
        this.armTimer();
        if (this.role === 'connector') {
            this.handshakeId = randomBytes(8).readBigInt64LE(0);
            this.sendTl({ _: 'tcp.connect', id: this.handshakeId });
        }
        if ((stream as { isPaused?: () => boolean }).isPaused?.()) stream.resume();
    }

    get closed(): boolean {
        return this.isClosed;
    }

    get closeReason(): ProtocolError | undefined {
        return this.closedReason;
    }

    get pendingQueries(): number {
        return this.pending.size;
    }

    /** Bytes waiting in the socket's send buffer (use with drain() to pace bulk senders). */
    get sendBuffered(): number {
        return this.stream.writableLength;
    }

    /** Resolves once the socket's send buffer has drained (immediately when it is empty). */
    drain(): Promise<void> {
        if (!this.stream.writableNeedDrain || this.isClosed) return Promise.resolve();
        return new Promise((resolve) => {
            const done = () => {
                this.stream.off('drain', done);
                this.off('close', done);
                resolve();
            };
            this.stream.once('drain', done);
            this.once('close', done);
        });
    }

    /** Sends one tcp.Packet object in a frame. */
    sendTl(packet: tcp_Packet): void {
        if (this.isClosed)
            throw new ProtocolError(
                'CLOSED',
                `connection to ${this.label} is closed${this.closedReason ? `: ${this.closedReason.message}` : ''}`,
            );
        const payloadHint = 'data' in packet && packet.data ? packet.data.length : 0;
        const w = new TlWriter(payloadHint + 32);
        w.raw(Buffer.alloc(FRAME_HEADER_SIZE));
        writeBoxed(w, packet);
        const frame = w.finish();
        const len = frame.length - FRAME_HEADER_SIZE;
        if (len > this.maxFramePayload) {
            throw new ProtocolError('FRAME_TOO_BIG', `outgoing frame payload of ${len} bytes exceeds the limit of ${this.maxFramePayload}`);
        }
        if (len < MIN_FRAME_PAYLOAD) throw new ProtocolError('FRAME_TOO_SMALL', `outgoing frame payload of ${len} bytes`);
        frame.writeUInt32LE(len, 0);
        frame.writeInt32LE(this.outSeqno, 4);
        this.outSeqno = (this.outSeqno + 1) | 0;
        this.stats.framesOut++;
        this.stats.bytesOut += frame.length;
        // Frames sent while handling one event (e.g. the pieces of many streams relayed from one read)
        // leave in one write: one TLS record and one syscall instead of one per frame.
        if (!this.tickCorked) {
            this.tickCorked = true;
            this.stream.cork();
            process.nextTick(this.uncorkTick);
        }
        this.stream.write(frame);
        if (this.stream.writableLength > this.maxSendBuffer) {
            this.close(
                new ProtocolError(
                    'BACKPRESSURE',
                    `peer is not reading: ${this.stream.writableLength} bytes queued (limit ${this.maxSendBuffer})`,
                ),
            );
        }
    }

    /** One-way message (tcp.packet). */
    sendPacket(data: Buffer): void {
        this.sendTl({ _: 'tcp.packet', data });
    }

    /** Sends tcp.query and resolves with the tcp.queryAnswer data (rejects with QueryError on tcp.queryError). */
    query(data: Buffer, timeoutMs = this.queryTimeoutMs): Promise<Buffer> {
        const id = this.nextQueryId;
        this.nextQueryId = BigInt.asIntN(64, this.nextQueryId + 1n);
        return new Promise<Buffer>((resolve, reject) => {
            const timer = setTimeout(() => {
                this.pending.delete(id);
                reject(new ProtocolError('TIMEOUT', `query ${id} to ${this.label} timed out after ${timeoutMs} ms`));
            }, timeoutMs);
            this.pending.set(id, { resolve, reject, timer });
            try {
                this.sendTl({ _: 'tcp.query', id, data });
                this.stats.queriesOut++;
            } catch (err) {
                clearTimeout(timer);
                this.pending.delete(id);
                reject(err);
            }
        });
    }

    answer(id: bigint, data: Buffer): void {
        this.queryDone();
        if (!this.isClosed) this.sendTl({ _: 'tcp.queryAnswer', id, data });
    }

    answerError(id: bigint, code: number, message: string): void {
        this.queryDone();
        if (!this.isClosed) this.sendTl({ _: 'tcp.queryError', id, code: code | 0, message });
    }

    close(reason?: ProtocolError): void {
        if (this.isClosed) return;
        this.isClosed = true;
        this.closedReason = reason;
        clearTimeout(this.timer);
        clearTimeout(this.handshakeTimer);
        if (reason) {
            const level = reason.code === 'CLOSED' ? 'info' : 'warn';
            this.log[level]('connection closed', { peer: this.label, code: reason.code, reason: reason.message });
        } else {
            this.log.debug('connection closed', { peer: this.label });
        }
        const err = reason ?? new ProtocolError('CLOSED', `connection to ${this.label} closed`);
        for (const [, p] of this.pending) {
            clearTimeout(p.timer);
            p.reject(err);
        }
        this.pending.clear();
        if (!this.isReady) this.rejectReady(err);
        this.stream.destroy();
        this.emit('close', reason);
    }

    private queryDone(): void {
        this.incomingQueries--;
        if (this.readingPaused && this.incomingQueries <= this.maxIncomingQueries / 2) {
            this.readingPaused = false;
            this.log.debug('resuming reads', { peer: this.label, inflight: this.incomingQueries });
            this.drainBacklog();
        }
    }

    private armTimer(): void {
        const period = Math.max(20, Math.floor(Math.min(this.idleTimeoutMs, this.pingAfterMs || this.idleTimeoutMs) / 4));
        this.timer = setTimeout(() => this.onTimer(), period);
        this.timer.unref();
    }

    private onTimer(): void {
        if (this.isClosed) return;
        const silence = Date.now() - this.lastReceived;
        if (silence >= this.idleTimeoutMs) {
            this.close(
                new ProtocolError('IDLE_TIMEOUT', `nothing received from ${this.label} for ${silence} ms (limit ${this.idleTimeoutMs} ms)`),
            );
            return;
        }
        if (this.isReady && this.pingAfterMs > 0 && silence >= this.pingAfterMs && !this.pingSent) {
            this.pingSent = true;
            this.sendTl({ _: 'tcp.ping', id: randomBytes(8).readBigInt64LE(0) });
        }
        this.armTimer();
    }

    /** Delivers packets queued while held (see TcpConnectionOptions.hold). */
    release(): void {
        if (!this.held) return;
        this.held = false;
        this.drainBacklog();
    }

    private get blocked(): boolean {
        return this.held || this.readingPaused;
    }

    /** Dispatches queued frames until blocked again, then lets the socket flow. */
    private drainBacklog(): void {
        if (this.draining) return;
        this.draining = true;
        try {
            while (this.backlog.length > 0 && !this.blocked && !this.isClosed) this.onFrame(this.backlog.shift() as Buffer);
        } catch (err) {
            this.fail(err);
        } finally {
            this.draining = false;
        }
        if (!this.isClosed && !this.blocked) this.stream.resume();
    }

    private fail(err: unknown): void {
        this.close(err instanceof ProtocolError ? err : new ProtocolError('TL_DECODE', (err as Error).message, err));
    }

    private onData(chunk: Buffer): void {
        if (this.isClosed) return;
        this.stats.bytesIn += chunk.length;
        try {
            for (const frame of this.decoder.push(chunk)) {
                this.lastReceived = Date.now();
                this.pingSent = false;
                this.stats.framesIn++;
                if (this.isReady && this.blocked) {
                    this.backlog.push(frame.payload);
                    this.stream.pause();
                    continue;
                }
                this.onFrame(frame.payload);
                if (this.isClosed) return;
            }
        } catch (err) {
            this.fail(err);
        }
    }

    private onFrame(payload: Buffer): void {
        const packet = decodeAs('tcp.Packet', payload);
        if (!this.isReady) {
            if (this.role === 'acceptor') {
                if (packet._ !== 'tcp.connect')
                    throw new ProtocolError('HANDSHAKE', `expected tcp.connect as the first packet, got ${packet._}`);
                this.sendTl({ _: 'tcp.connected', id: packet.id });
            } else if (packet._ !== 'tcp.connected' || packet.id !== this.handshakeId) {
                throw new ProtocolError('HANDSHAKE', `expected tcp.connected(${this.handshakeId}) as the first packet, got ${packet._}`);
            }
            this.isReady = true;
            clearTimeout(this.handshakeTimer);
            this.resolveReady();
            this.emit('ready');
            return;
        }
        switch (packet._) {
            case 'tcp.ping':
                this.sendTl({ _: 'tcp.pong', id: packet.id });
                return;
            case 'tcp.pong':
            case 'tcp.connect':
            case 'tcp.connected':
                return;
            case 'tcp.packet':
                this.emit('packet', packet.data);
                return;
            case 'tcp.query':
                this.stats.queriesIn++;
                this.incomingQueries++;
                if (!this.readingPaused && this.incomingQueries > this.maxIncomingQueries) {
                    this.readingPaused = true;
                    this.stream.pause();
                    this.log.debug('pausing reads: too many unanswered queries', { peer: this.label, inflight: this.incomingQueries });
                }
                if (this.listenerCount('query') === 0) {
                    this.answerError(packet.id, TON_ERROR_PROTOVIOLATION, 'queries are not accepted on this connection');
                    return;
                }
                this.emit('query', packet.id, packet.data);
                return;
            case 'tcp.queryAnswer':
            case 'tcp.queryError': {
                const p = this.pending.get(packet.id);
                if (!p) {
                    this.log.debug('answer to an unknown or timed-out query', { peer: this.label, id: packet.id });
                    return;
                }
                this.pending.delete(packet.id);
                clearTimeout(p.timer);
                if (packet._ === 'tcp.queryAnswer') p.resolve(packet.data);
                else p.reject(new QueryError(packet.code, packet.message));
                return;
            }
        }
    }
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed events for an EventEmitter
export interface TcpConnection {
    on<E extends keyof TcpConnectionEvents>(event: E, listener: (...args: TcpConnectionEvents[E]) => void): this;
    once<E extends keyof TcpConnectionEvents>(event: E, listener: (...args: TcpConnectionEvents[E]) => void): this;
    off<E extends keyof TcpConnectionEvents>(event: E, listener: (...args: TcpConnectionEvents[E]) => void): this;
    emit<E extends keyof TcpConnectionEvents>(event: E, ...args: TcpConnectionEvents[E]): boolean;
}
