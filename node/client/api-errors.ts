/** The client API's errors, in the OpenAI shape the SDKs parse: {"error":{"message","type","param","code"}}. */
import type { ServerResponse } from 'http';

export type OpenAiErrorType =
    | 'invalid_request_error'
    | 'insufficient_quota'
    | 'server_error'
    | 'not_found_error'
    | 'timeout'
    | 'authentication_error'
    | 'permission_error';

export function sendError(
    res: ServerResponse,
    status: number,
    message: string,
    type: OpenAiErrorType,
    code: string | null = null,
    param: string | null = null,
    headers: Record<string, string> = {},
): void {
    if (res.headersSent) {
        if (!res.writableEnded) res.end();
        return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify({ error: { message, type, param, code } }));
}
