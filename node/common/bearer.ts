/**
 * Bearer-token checks shared by the admin actions (access secret) and the client API (API key).
 */
import { createHash, timingSafeEqual } from 'crypto';
import type { IncomingMessage } from 'http';

function digest(s: string): Buffer {
    return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time comparison (both sides hashed, so their lengths do not leak either). */
export function secretMatches(given: string, expected: string): boolean {
    return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined. The only place a secret is taken
 * from: the original's `?access_hash=` put it in URLs, which end up in logs, histories and Referer headers.
 */
export function bearerToken(req: IncomingMessage): string | undefined {
    const auth = req.headers.authorization;
    if (typeof auth !== 'string') return undefined;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    return m ? m[1] : undefined;
}
