/**
 * RpcConnection: the TL object layer over a TcpConnection, plus the verified peer identity.
 *   conn.send(obj)                      tcp.packet carrying a boxed TL object
 *   await conn.query(fn, timeoutMs)     tcp.query with a TL function; resolves with its typed answer
 *   conn.on('packet', obj => …)         one-way messages from the peer
 *   conn.handle(async fn => answer)     answers incoming queries (thrown errors become tcp.queryError)
 *   conn.on('close', reason => …)
 */
import { EventEmitter } from 'events';
import type { PeerIdentity } from '../attestation';
import { TcpConnection } from './connection';
import { ProtocolError, QueryError } from './errors';
import { Logger, silentLogger } from '../common/log';
import { decode, decodeFunction, encode, isResultOf } from './tl/codec';
import { TlAny, TlFunction, TlFunctionResultMap, TlObject } from './tl/generated';

/** TON error codes the C++ nodes use in tcp.queryError. */
export const ErrorCode = { failure: 601, error: 602, warning: 603, protoviolation: 621, notready: 651, timeout: 652 } as const;

export interface IncomingQuery {
    readonly id: bigint;
    readonly fn: TlFunction;
    readonly answered: boolean;
    answer(obj: TlObject): void;
    error(code: number, message: string): void;
}

export type QueryHandler = (fn: TlFunction, query: IncomingQuery) => Promise<TlObject> | TlObject;

export interface RpcConnectionEvents {
    ready: [];
    packet: [obj: TlAny];
    query: [query: IncomingQuery];
    close: [reason: ProtocolError | undefined];
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed events for an EventEmitter
export class RpcConnection extends EventEmitter {
    private handler?: QueryHandler;
    private readonly log: Logger;

    constructor(
        readonly tcp: TcpConnection,
        readonly peer: PeerIdentity,
        logger: Logger = silentLogger,
    ) {
        super();
        this.log = logger.child('rpc');
        tcp.on('packet', (data) => this.onPacket(data));
        tcp.on('query', (id, data) => this.onQuery(id, data));
        tcp.on('close', (reason) => this.emit('close', reason));
        tcp.on('ready', () => this.emit('ready'));
    }

    get closed(): boolean {
        return this.tcp.closed;
    }

    get ready(): Promise<void> {
        return this.tcp.ready;
    }

    /** One-way message. */
    send(obj: TlAny): void {
        this.tcp.sendPacket(encode(obj));
    }

    /** Calls a TL function on the peer; rejects with QueryError (peer error), ProtocolError TIMEOUT/CLOSED. */
    async query<F extends TlFunction>(fn: F, timeoutMs?: number): Promise<TlFunctionResultMap[F['_']]> {
        const data = await this.tcp.query(encode(fn), timeoutMs);
        const answer = decode(data);
        if (!isResultOf(fn, answer)) {
            throw new ProtocolError('TL_DECODE', `${fn._} was answered with ${answer._}, which is not its result type`);
        }
        return answer;
    }

    /**
     * Installs the query handler; without one (and without 'query' listeners) queries get an error. One per
     * connection: a second would silently replace the first and its queries would be refused.
     */
    handle(handler: QueryHandler): void {
        if (this.handler) throw new Error('this connection already has a query handler; dispatch every query in one');
        this.handler = handler;
    }

    close(reason?: ProtocolError): void {
        this.tcp.close(reason);
    }

    private onPacket(data: Buffer): void {
        let obj: TlAny;
        try {
            obj = decode(data);
        } catch (err) {
            // The transport stays up: an unknown application message is the application's business.
            this.log.warn('undecodable tcp.packet ignored', {
                peer: this.tcp.label,
                code: (err as ProtocolError).code,
                error: (err as Error).message,
            });
            return;
        }
        this.emit('packet', obj);
    }

    private onQuery(id: bigint, data: Buffer): void {
        let fn: TlFunction;
        try {
            fn = decodeFunction(data);
        } catch (err) {
            this.tcp.answerError(id, ErrorCode.protoviolation, `cannot decode query: ${(err as Error).message}`);
            return;
        }
        let answered = false;
        const tcp = this.tcp;
        const q: IncomingQuery = {
            id,
            fn,
            get answered() {
                return answered;
            },
            answer(obj) {
                if (answered) throw new ProtocolError('QUERY_ERROR', `query ${id} was already answered`);
                answered = true;
                tcp.answer(id, encode(obj));
            },
            error(code, message) {
                if (answered) throw new ProtocolError('QUERY_ERROR', `query ${id} was already answered`);
                answered = true;
                tcp.answerError(id, code, message);
            },
        };
        if (this.handler) {
            const handler = this.handler;
            Promise.resolve()
                .then(() => handler(fn, q))
                .then(
                    (result) => {
                        if (!q.answered && !this.closed) q.answer(result);
                    },
                    (err: Error) => {
                        if (q.answered || this.closed) return;
                        const code = err instanceof QueryError ? err.errorCode : ErrorCode.error;
                        q.error(code, err.message);
                    },
                )
                .catch((err: Error) => this.log.error('failed to answer a query', { peer: this.tcp.label, fn: fn._, error: err.message }));
            return;
        }
        if (this.listenerCount('query') === 0) {
            q.error(ErrorCode.protoviolation, `no handler for ${fn._}`);
            return;
        }
        this.emit('query', q);
    }
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed events for an EventEmitter
export interface RpcConnection {
    on<E extends keyof RpcConnectionEvents>(event: E, listener: (...args: RpcConnectionEvents[E]) => void): this;
    once<E extends keyof RpcConnectionEvents>(event: E, listener: (...args: RpcConnectionEvents[E]) => void): this;
    off<E extends keyof RpcConnectionEvents>(event: E, listener: (...args: RpcConnectionEvents[E]) => void): this;
    emit<E extends keyof RpcConnectionEvents>(event: E, ...args: RpcConnectionEvents[E]): boolean;
}
