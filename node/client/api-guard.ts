/**
 * Who may call the client's OpenAI-compatible API. The API spends the client's deposit, so a request must
 * name this daemon in `Host` (a DNS-rebinding page names its own domain), come from this origin or one
 * given with --cors-origin (no `Access-Control-Allow-Origin: *`), carry a JSON body (a cross-site form or
 * a `text/plain` fetch needs no preflight), and, with --api-key, `Authorization: Bearer <key>` as the
 * official openai SDK sends it.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { isIP } from 'net';
import { bearerToken, secretMatches } from '../common/bearer';
import { isLoopbackHost } from '../common/loopback';

export { isLoopbackHost };

export interface ApiAccessOptions {
    /** Origins (`scheme://host[:port]`) allowed to call the API from a browser; default none. */
    corsOrigins?: readonly string[];
    /** Host names the API answers to besides loopback names and the address a request arrived on. */
    allowedHosts?: readonly string[];
    /** The address the API listens on (a name given there is its own name). */
    listenHost?: string;
    /** Required as `Authorization: Bearer <key>` when set. */
    apiKey?: string;
}

/** What the guard decided: a refusal (already sent), or go on (CORS headers, if any, already set). */
export type GuardResult = 'refused' | 'allowed';

export class ApiAccessError extends Error {}

/**
 * Refuses a configuration that would let any host on the network spend the deposit: an API beyond
 * loopback with no key.
 */
export function checkApiExposure(listenHost: string, apiKey: string | undefined): void {
    if (!apiKey && !isLoopbackHost(listenHost)) {
        throw new ApiAccessError(
            `the client API would listen on ${listenHost}, beyond loopback, without an API key: anyone who reaches it could ` +
                `spend the deposit. Set --api-key <key> (or COCOON_API_KEY), or listen on 127.0.0.1`,
        );
    }
}

/** A canonical origin (`scheme://host[:port]`), or an error naming what is wrong. */
export function normalizeOrigin(origin: string): string {
    let u: URL;
    try {
        u = new URL(origin);
    } catch {
        throw new ApiAccessError(`--cors-origin: '${origin}' is not an origin (scheme://host[:port], e.g. https://app.example.com)`);
    }
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.pathname !== '/' || u.search || u.hash || u.username) {
        throw new ApiAccessError(
            `--cors-origin: '${origin}' is not an origin (scheme://host[:port], no path, e.g. https://app.example.com)`,
        );
    }
    return u.origin;
}

/** `[::1]:80` -> `::1`, `Example.COM.:8080` -> `example.com.`, lower case. */
function bareHost(host: string): string {
    const h = host.trim().toLowerCase();
    if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? h.length : h.indexOf(']'));
    if (isIP(h) === 6) return h;
    const colon = h.lastIndexOf(':');
    return colon >= 0 ? h.slice(0, colon) : h;
}

function sameAddress(a: string, b: string): boolean {
    const strip = (x: string) => (x.startsWith('::ffff:') && isIP(x.slice(7)) === 4 ? x.slice(7) : x);
    return strip(a) === strip(b);
}

/** Header names a browser may ask to send (a list of HTTP tokens); anything else is not echoed back. */
const HEADER_LIST = /^[!#$%&'*+.^_`|~0-9a-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9a-z-]+)*$/i;

type Reject = (status: number, message: string, code: string, headers?: Record<string, string>) => void;

/** The API's gatekeeper; `check` runs before any work, `preflight` answers OPTIONS. */
export function apiGuard(o: ApiAccessOptions) {
    const origins = new Set((o.corsOrigins ?? []).map(normalizeOrigin));
    const names = new Set(
        [...(o.allowedHosts ?? []), ...(o.listenHost ? [o.listenHost] : [])]
            .map((h) => bareHost(h))
            .filter((h) => h && h !== '0.0.0.0' && h !== '::'),
    );
    const apiKey = o.apiKey || undefined;

    const hostAllowed = (req: IncomingMessage): boolean => {
        const header = req.headers.host;
        // Without Host (HTTP/1.0) there is no name to rebind; browsers always send one.
        if (header === undefined) return true;
        const h = bareHost(header);
        if (isLoopbackHost(h) || names.has(h)) return true;
        const local = req.socket.localAddress;
        return isIP(h) !== 0 && local !== undefined && sameAddress(h, local);
    };

    /** undefined: no Origin (not a browser, or same-origin GET); true/false: allowed or not. */
    const originAllowed = (req: IncomingMessage): boolean | undefined => {
        const origin = req.headers.origin;
        if (origin === undefined) return undefined;
        if (origins.has(origin)) return true;
        // Same origin: a page served under this very Host (the Host was checked first).
        const host = req.headers.host;
        return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
    };

    const refuseHost = (req: IncomingMessage, reject: Reject) =>
        reject(
            403,
            `Host '${req.headers.host ?? ''}' is not this API's name: call it by its address or a loopback name, ` +
                `or start the client with --allowed-hosts ${bareHost(req.headers.host ?? '') || '<name>'} ` +
                `(DNS-rebinding protection)`,
            'host_not_allowed',
        );
    const refuseOrigin = (req: IncomingMessage, reject: Reject) =>
        reject(
            403,
            `cross-origin requests from ${String(req.headers.origin)} are not allowed: ` +
                `start the client with --cors-origin ${String(req.headers.origin)} to allow that origin`,
            'origin_not_allowed',
        );

    const allowOrigin = (req: IncomingMessage, res: ServerResponse) => {
        res.setHeader('Vary', 'Origin');
        if (origins.has(req.headers.origin ?? '')) {
            res.setHeader('Access-Control-Allow-Origin', req.headers.origin!);
            res.setHeader(
                'Access-Control-Expose-Headers',
                'X-Cocoon-Request-Id, X-Cocoon-Receipt, X-Cocoon-Client-Start, X-Cocoon-Client-End, X-Cocoon-Proxy-Start, ' +
                    'X-Cocoon-Worker-Start, X-Cocoon-Worker-End',
            );
        }
    };

    return {
        /** Host, Origin, API key and (when the route reads a body) its media type. */
        check(req: IncomingMessage, res: ServerResponse, reject: Reject, readsBody: boolean): GuardResult {
            if (!hostAllowed(req)) return (refuseHost(req, reject), 'refused');
            const origin = originAllowed(req);
            if (origin === false) return (refuseOrigin(req, reject), 'refused');
            if (origin) allowOrigin(req, res);
            if (apiKey) {
                const given = bearerToken(req);
                if (given === undefined || !secretMatches(given, apiKey)) {
                    reject(
                        401,
                        given === undefined
                            ? 'missing API key: send Authorization: Bearer <key> (the openai SDK does with apiKey)'
                            : 'incorrect API key',
                        'invalid_api_key',
                        { 'WWW-Authenticate': 'Bearer realm="cocoon"' },
                    );
                    return 'refused';
                }
            }
            if (readsBody) {
                const type = req.headers['content-type'];
                const [media, ...params] = (type ?? '').split(';').map((s) => s.trim().toLowerCase());
                const charset = params
                    .find((p) => p.startsWith('charset='))
                    ?.slice(8)
                    .replace(/"/g, '');
                if (media !== 'application/json' || (charset !== undefined && charset !== 'utf-8')) {
                    reject(
                        415,
                        `request body must be JSON: send Content-Type: application/json${type ? ` (got '${type}')` : ''}`,
                        'unsupported_media_type',
                    );
                    return 'refused';
                }
            }
            return 'allowed';
        },

        /** OPTIONS: 204 with the Allow-* headers for an allowed origin, 403 otherwise. */
        preflight(req: IncomingMessage, res: ServerResponse, reject: Reject): void {
            if (!hostAllowed(req)) return refuseHost(req, reject);
            const origin = originAllowed(req);
            if (origin === undefined) {
                res.writeHead(204, { Allow: 'GET, POST, OPTIONS' }).end();
                return;
            }
            const method = req.headers['access-control-request-method'];
            if (!origin || !origins.has(req.headers.origin!)) return refuseOrigin(req, reject);
            if (method !== undefined && method !== 'GET' && method !== 'POST')
                return reject(405, `${method} is not served: use GET or POST`, 'method_not_allowed', { Allow: 'GET, POST, OPTIONS' });
            const asked = req.headers['access-control-request-headers'];
            res.writeHead(204, {
                'Access-Control-Allow-Origin': req.headers.origin!,
                'Access-Control-Allow-Methods': 'GET, POST',
                'Access-Control-Allow-Headers':
                    typeof asked === 'string' && HEADER_LIST.test(asked) ? asked : 'authorization, content-type',
                'Access-Control-Max-Age': '600',
                Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
            }).end();
        },
    };
}
