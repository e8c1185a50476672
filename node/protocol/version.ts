/**
 * Protocol-version negotiation, as COCOON does it (upstream 9060ce5). A client or worker advertises
 * the range it speaks in its params (`min_proto_version`/`max_proto_version` under flags bit 1; a peer
 * without the bit speaks only version 0); the proxy picks min(their max, its max), refuses when the
 * ranges do not meet, and announces the choice in `proxy.params.proto_version` (flags bit 1).
 *
 * What each version adds:
 *   0  client.runQuery / proxy.runQuery, answers without final info (the original launch protocol)
 *   1  the *Ex queries and answers; final info (token counts, debug) on the last piece
 *   2  timing in final info (flags bit 1: proxy/worker start and end times)
 *   3  end-to-end encryption: client.runQueryEx.public_key and proxy.runQueryEx.private_key (flags bit 1)
 *   4  worker.params.machine_description_json (flags bit 2)
 *
 * Where the runners call this: the proxy on client.connectToProxy and worker.connectToProxy
 * (negotiate), the client and worker when reading proxy.params (chosenVersion), and the proxy when it
 * routes an encrypted request (only to a worker connection at ENCRYPTION or above) and builds
 * proxy.runQueryEx (runQueryExFlags).
 */
import { ProtocolError } from './errors';

export const PROTO = { LEGACY: 0, QUERY_EX: 1, TIMING: 2, ENCRYPTION: 3, MACHINE_DESCRIPTION: 4 } as const;

export interface ProtoRange {
    min: number;
    max: number;
}

/** Upstream 9060ce5's ranges: a C++ worker refuses proxies below 3, a C++ client those below 1. */
export const UPSTREAM_RANGES: { readonly client: ProtoRange; readonly proxy: ProtoRange; readonly worker: ProtoRange } = {
    client: { min: 1, max: 4 },
    proxy: { min: 0, max: 4 },
    worker: { min: 3, max: 4 },
};

/**
 * What this project's runners implement: every version of 9060ce5 except the proxy's version 0 (it has
 * no client.runQuery / proxy.runQuery; a version-0-only peer is refused with the negotiation error). A
 * runner's range is configurable (`protoRange`) so a test can build a peer of an older version from
 * this same code.
 */
export const OUR_RANGES: { readonly client: ProtoRange; readonly proxy: ProtoRange; readonly worker: ProtoRange } = {
    client: { min: 1, max: 4 },
    proxy: { min: 1, max: 4 },
    worker: { min: 1, max: 4 },
};

/** The range a peer advertises in client.params / worker.params. */
export function advertisedRange(params: { flags?: number; min_proto_version?: number; max_proto_version?: number }): ProtoRange {
    if (((params.flags ?? 0) & 2) === 0) return { min: 0, max: 0 };
    return { min: params.min_proto_version ?? 0, max: params.max_proto_version ?? 0 };
}

/** The version a proxy chose, from its proxy.params (0 from a proxy that predates versions). */
export function chosenVersion(params: { flags?: number; proto_version?: number }): number {
    return ((params.flags ?? 0) & 2) !== 0 ? (params.proto_version ?? 0) : 0;
}

/** The proxy's decision: the highest version both speak, or a PROTO_VERSION error naming both ranges. */
export function negotiate(local: ProtoRange, remote: ProtoRange, who = 'peer'): number {
    for (const [name, r] of [
        ['local', local],
        [who, remote],
    ] as const) {
        if (!Number.isInteger(r.min) || !Number.isInteger(r.max) || r.min < 0 || r.min > r.max) {
            throw new ProtocolError('PROTO_VERSION', `${name} protocol range ${r.min}..${r.max} is not a valid range`);
        }
    }
    if (remote.max < local.min || local.max < remote.min) {
        throw new ProtocolError(
            'PROTO_VERSION',
            `cannot choose common protocol version: ${who} speaks ${remote.min}..${remote.max}, we speak ${local.min}..${local.max}`,
        );
    }
    return Math.min(remote.max, local.max);
}

/** What the other side of a proxy must accept, checked by the client or worker on proxy.params. */
export function acceptChosen(local: ProtoRange, chosen: number): number {
    if (chosen < local.min || chosen > local.max) {
        throw new ProtocolError('PROTO_VERSION', `the proxy chose protocol version ${chosen}, we speak ${local.min}..${local.max}`);
    }
    return chosen;
}

export const supports = (version: number, feature: number) => version >= feature;

/**
 * flags of client.runQueryEx / proxy.runQueryEx at a version, as upstream sets them: bit 0 always
 * (enable_debug is always sent), bit 1 from version 3 (with an all-zero key when not encrypted).
 */
export function runQueryExFlags(version: number): number {
    return 1 | (supports(version, PROTO.ENCRYPTION) ? 2 : 0);
}

/** flags of client/proxy.queryFinalInfo at a version: bit 0 with debug text, bit 1 (timing) from version 2. */
export function finalInfoFlags(version: number, debug: boolean): number {
    return (debug ? 1 : 0) | (supports(version, PROTO.TIMING) ? 2 : 0);
}
