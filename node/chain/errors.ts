export type ChainErrorCode =
    | 'UNREACHABLE'
    | 'TIMEOUT'
    | 'RATE_LIMITED'
    | 'BAD_REQUEST'
    | 'NOT_FOUND'
    | 'SERVER'
    | 'GET_METHOD'
    | 'REJECTED'
    | 'WAIT_TIMEOUT';

export class ChainError extends Error {
    constructor(
        readonly code: ChainErrorCode,
        message: string,
        readonly status?: number,
        readonly exitCode?: number,
        options?: { cause?: unknown },
    ) {
        super(message, options);
        this.name = 'ChainError';
    }

    /** Worth retrying: the endpoint may answer next time. */
    get transient(): boolean {
        return this.code === 'UNREACHABLE' || this.code === 'TIMEOUT' || this.code === 'RATE_LIMITED' || this.code === 'SERVER';
    }
}
