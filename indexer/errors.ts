/** Every indexer failure carries a stable code (for logs and API errors) and a message a user can act on. */
export class IndexerError extends Error {
    constructor(
        readonly code: string,
        message: string,
        readonly cause?: unknown,
    ) {
        super(message);
        this.name = 'IndexerError';
    }
}
