/**
 * Every protocol failure carries a stable code (for logs, metrics and tests) and a message a user can
 * act on. Codes:
 * - TL_ENCODE / TL_DECODE: a value does not fit the schema, or bytes are not a valid TL object;
 * - FRAME_TOO_BIG / FRAME_TOO_SMALL / BAD_SEQNO: framing violations (the connection is closed);
 * - HANDSHAKE: tcp.connect/tcp.connected exchange failed; POW_*: proof-of-work failures;
 * - TLS / ATTESTATION: the TLS layer or the peer's RA-TLS certificate was rejected;
 * - TIMEOUT, CLOSED, IDLE_TIMEOUT: lifecycle; QUERY_ERROR: the peer answered tcp.queryError;
 * - BACKPRESSURE: the send buffer limit was exceeded.
 */
export class ProtocolError extends Error {
    constructor(
        readonly code: string,
        message: string,
        readonly cause?: unknown,
    ) {
        super(message);
        this.name = 'ProtocolError';
    }
}

/** The peer answered a query with tcp.queryError; `errorCode` is the peer's numeric code. */
export class QueryError extends ProtocolError {
    constructor(
        readonly errorCode: number,
        message: string,
    ) {
        super('QUERY_ERROR', message);
        this.name = 'QueryError';
    }
}
