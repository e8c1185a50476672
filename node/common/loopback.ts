/**
 * Which addresses and names only this machine can reach: the client API needs a key beyond them, and the
 * local chain serves its dev endpoints to them only.
 */
import { isIP } from 'net';

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.', 'ip6-localhost']);

/** A peer's address (`req.socket.remoteAddress`): 127.0.0.0/8, ::1, or those mapped into IPv6. */
export function isLoopbackAddress(address: string | undefined): boolean {
    if (!address) return false;
    const a = address.toLowerCase();
    if (isIP(a) === 4) return a.startsWith('127.');
    if (isIP(a) === 6) return a === '::1' || (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 && a.slice(7).startsWith('127.'));
    return false;
}

/** A listen address or a Host name (no port): loopback addresses, `localhost` and `*.localhost` (RFC 6761). */
export function isLoopbackHost(host: string): boolean {
    const h = host
        .trim()
        .toLowerCase()
        .replace(/^\[(.*)\]$/, '$1');
    return LOOPBACK_NAMES.has(h) || h.endsWith('.localhost') || isLoopbackAddress(h);
}
