/** @jest-environment node */
import {
    PROTO,
    ProtocolError,
    UPSTREAM_RANGES,
    acceptProtoVersion,
    advertisedRange,
    chosenVersion,
    decode,
    encode,
    finalInfoFlags,
    negotiateProtoVersion,
    protoSupports,
    runQueryExFlags,
} from '../../../node/protocol';

const errorOf = (f: () => unknown) => {
    try {
        f();
    } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
        return `${(err as ProtocolError).code}: ${(err as ProtocolError).message}`;
    }
    return 'no error';
};

// Ranges of the released upstream builds: b75d444 (December 2025) and 9060ce5 (April 2026).
const B75D444 = { client: { min: 1, max: 2 }, proxy: { min: 0, max: 2 }, worker: { min: 1, max: 2 } };

describe('protocol-version negotiation', () => {
    it('reads the advertised range from client.params / worker.params (no flags bit 1: version 0 only)', () => {
        const client = decode(
            encode({ _: 'client.params', client_owner_address: 'EQ', is_test: true, min_proto_version: 1, max_proto_version: 4 }),
        );
        expect(advertisedRange(client as { flags?: number })).toEqual({ min: 1, max: 4 });
        expect(advertisedRange({ flags: 1 })).toEqual({ min: 0, max: 0 });
        expect(chosenVersion({ flags: 3, proto_version: 3 })).toBe(3);
        expect(chosenVersion({ flags: 1, proto_version: 3 })).toBe(0);
    });

    it('a 9060ce5 proxy keeps talking to every released client and worker, each at its highest version', () => {
        const p = UPSTREAM_RANGES.proxy;
        expect(negotiateProtoVersion(p, B75D444.client, 'client')).toBe(2);
        expect(negotiateProtoVersion(p, B75D444.worker, 'worker')).toBe(2);
        expect(negotiateProtoVersion(p, UPSTREAM_RANGES.client, 'client')).toBe(4);
        expect(negotiateProtoVersion(p, UPSTREAM_RANGES.worker, 'worker')).toBe(4);
        expect(negotiateProtoVersion(p, { min: 0, max: 0 }, 'client')).toBe(0);
    });

    it('an older proxy and a newer peer meet at the older version, when the peer still speaks it', () => {
        expect(negotiateProtoVersion(B75D444.proxy, UPSTREAM_RANGES.client, 'client')).toBe(2);
        expect(acceptProtoVersion(UPSTREAM_RANGES.client, 2)).toBe(2);
        // upstream's 9060ce5 worker needs 3 (encryption): a b75d444 proxy cannot serve it
        expect(errorOf(() => negotiateProtoVersion(B75D444.proxy, UPSTREAM_RANGES.worker, 'worker'))).toBe(
            'PROTO_VERSION: cannot choose common protocol version: worker speaks 3..4, we speak 0..2',
        );
        expect(errorOf(() => acceptProtoVersion(UPSTREAM_RANGES.worker, 2))).toBe(
            'PROTO_VERSION: the proxy chose protocol version 2, we speak 3..4',
        );
    });

    it('refuses nonsense ranges from the network', () => {
        expect(errorOf(() => negotiateProtoVersion(UPSTREAM_RANGES.proxy, { min: 3, max: 1 }, 'client'))).toBe(
            'PROTO_VERSION: client protocol range 3..1 is not a valid range',
        );
        expect(errorOf(() => negotiateProtoVersion(UPSTREAM_RANGES.proxy, { min: -1, max: 4 }, 'client'))).toMatch(/not a valid range/);
        expect(errorOf(() => negotiateProtoVersion(UPSTREAM_RANGES.proxy, { min: 0, max: 1.5 }, 'client'))).toMatch(/not a valid range/);
        // a peer from the future is served at our highest version
        expect(negotiateProtoVersion(UPSTREAM_RANGES.proxy, { min: 1, max: 2 ** 31 - 1 }, 'client')).toBe(4);
    });

    it('features and flags per version, as upstream sets them', () => {
        expect([0, 1, 2, 3, 4].map((v) => protoSupports(v, PROTO.ENCRYPTION))).toEqual([false, false, false, true, true]);
        expect([1, 2, 3, 4].map(runQueryExFlags)).toEqual([1, 1, 3, 3]);
        expect([1, 2, 3].map((v) => finalInfoFlags(v, false))).toEqual([0, 2, 2]);
        expect(finalInfoFlags(1, true)).toBe(1);
        expect(finalInfoFlags(4, true)).toBe(3);
        // at version 2 an old-style client.runQueryEx: no public_key on the wire
        const base = {
            _: 'client.runQueryEx',
            model_name: 'm',
            query: Buffer.alloc(0),
            max_coefficient: 1,
            max_tokens: 1,
            timeout: 1,
            request_id: Buffer.alloc(32),
            min_config_version: 0,
            enable_debug: false,
        } as const;
        const v2 = encode({ ...base, flags: runQueryExFlags(2) });
        const v3 = encode({ ...base, flags: runQueryExFlags(3), public_key: Buffer.alloc(32) });
        expect(v3.length - v2.length).toBe(32);
    });
});
