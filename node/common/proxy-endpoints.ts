/**
 * Where a worker or a client finds proxies (COCOON BaseRunner's outbound connections): the endpoints given
 * on the command line, else the ones the root contract's registry lists (a registered proxy names one
 * address for workers and one for clients), and the connection to one of them.
 */
import { proxyEndpoints, splitHostPort, type RootState } from '../chain/cocoon';
import type { RaTlsContext } from '../attestation';
import { connect, type RpcConnection } from '../protocol';
import { type Logger } from './log';

export interface ProxyEndpoint {
    host: string;
    port: number;
}

/** A configured proxy endpoint, `host:port`, with a message that says what was expected. */
export function parseEndpoint(s: string): ProxyEndpoint {
    const e = splitHostPort(s);
    if (!e) throw new RangeError(`bad proxy endpoint '${s}': expected host:port with a port from 1 to 65535`);
    return e;
}

/** The proxies a `side` connects to, as `host:port`: the configured ones, else the root's registry. */
export function proxyEndpointList(side: 'workers' | 'clients', configured: readonly string[] | undefined, root: RootState): string[] {
    if (configured?.length) return [...configured];
    return [...root.registry.registeredProxies.values()].map((desc) => {
        const e = proxyEndpoints(desc)[side];
        return `${e.host}:${e.port}`;
    });
}

/** Opens the wire-protocol connection to one proxy (TCP, PoW, RA-TLS when `tls` is set). */
export async function connectToProxy(endpoint: string, opts: { tls?: RaTlsContext; logger: Logger }): Promise<RpcConnection> {
    const { host, port } = parseEndpoint(endpoint);
    return connect({ host, port, tls: opts.tls, logger: opts.logger, timeoutMs: 30_000 });
}
