/**
 * Retries with exponential backoff and jitter for chain requests. Errors from the TON clients (axios)
 * are classified into ChainError codes naming the endpoint, so an operator reads what to fix.
 */
import { ChainError } from './errors';

export interface RetryPolicy {
    attempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5000 };

interface HttpLikeError {
    code?: string;
    message?: string;
    response?: { status?: number; headers?: Record<string, string>; data?: unknown };
}

export function classify(e: unknown, url: string): ChainError {
    if (e instanceof ChainError) return e;
    const err = e as HttpLikeError;
    const status = err?.response?.status;
    const detail = (() => {
        const d = err?.response?.data as { error?: unknown } | string | undefined;
        if (typeof d === 'string') return d.slice(0, 200);
        if (d && typeof d === 'object' && 'error' in d) return String(d.error);
        return err?.message ?? String(e);
    })();
    if (status === 429) return new ChainError('RATE_LIMITED', `rate limited by ${url} (HTTP 429); use an API key or slow down`, status);
    if (status === 404) return new ChainError('NOT_FOUND', `${url}: not found: ${detail}`, status);
    if (status && status >= 400 && status < 500)
        return new ChainError('BAD_REQUEST', `${url} rejected the request (HTTP ${status}): ${detail}`, status);
    if (status && status >= 500) return new ChainError('SERVER', `${url} failed (HTTP ${status}): ${detail}`, status);
    if (err?.code === 'ECONNABORTED' || err?.code === 'ETIMEDOUT' || /timeout/i.test(err?.message ?? '')) {
        return new ChainError('TIMEOUT', `no answer from ${url} in time; check the endpoint or raise the timeout`, undefined, undefined, {
            cause: e,
        });
    }
    if (err?.code && /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EAI_AGAIN|EPIPE)$/.test(err.code)) {
        return new ChainError(
            'UNREACHABLE',
            `cannot reach ${url} (${err.code}); is the chain endpoint running and the URL right?`,
            undefined,
            undefined,
            { cause: e },
        );
    }
    return new ChainError('SERVER', `${url}: ${detail}`, status, undefined, { cause: e });
}

function retryAfterMs(e: unknown): number | null {
    const h = (e as HttpLikeError)?.response?.headers;
    const v = h?.['retry-after'];
    if (!v) return null;
    const s = Number(v);
    return Number.isFinite(s) ? s * 1000 : null;
}

export async function withRetry<T>(url: string, fn: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
    let last: ChainError | null = null;
    for (let attempt = 0; attempt < policy.attempts; attempt++) {
        try {
            return await fn();
        } catch (e) {
            last = classify(e, url);
            if (!last.transient || attempt === policy.attempts - 1) throw last;
            const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
            const wait = Math.min(policy.maxDelayMs, retryAfterMs(e) ?? backoff * (0.5 + Math.random() / 2));
            await new Promise((r) => setTimeout(r, wait));
        }
    }
    throw last ?? new ChainError('SERVER', `${url}: no attempts made`);
}
