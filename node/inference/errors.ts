/**
 * Every inference failure carries a stable code (logs, metrics, tests) and a message an operator can act
 * on. `status` is the HTTP status the embedded server answers with; `type` and `param` follow the
 * OpenAI error shape {"error":{"message","type","param","code"}}.
 *
 * Codes: MODEL_LOAD (bad/missing GGUF), UNSUPPORTED_MODEL, INVALID_REQUEST, CONTEXT_LENGTH_EXCEEDED,
 * MODEL_NOT_FOUND, UNAUTHORIZED, OVERLOADED, ABORTED, BACKEND_UNAVAILABLE (connection refused/reset),
 * BACKEND_TIMEOUT, BACKEND_BAD_RESPONSE (not JSON/SSE/NDJSON), BACKEND_STREAM_ERROR (error event or
 * broken connection mid-stream), USAGE_MISSING (a stream ended without any usage object),
 * OPTIONAL_DEPENDENCY (node-llama-cpp not installed).
 */
export type InferenceErrorType = 'invalid_request_error' | 'authentication_error' | 'server_error' | 'not_found_error';

export class InferenceError extends Error {
    constructor(
        readonly code: string,
        message: string,
        readonly status = 500,
        readonly type: InferenceErrorType = 'server_error',
        readonly param: string | null = null,
        readonly cause?: unknown,
    ) {
        super(message);
        this.name = 'InferenceError';
    }

    /** The OpenAI error body; codes are lower-case there (`context_length_exceeded`). */
    toJSON(): { error: { message: string; type: string; param: string | null; code: string } } {
        return { error: { message: this.message, type: this.type, param: this.param, code: this.code.toLowerCase() } };
    }
}

export function invalidRequest(message: string, param: string | null = null, code = 'INVALID_REQUEST'): InferenceError {
    return new InferenceError(code, message, 400, 'invalid_request_error', param);
}
