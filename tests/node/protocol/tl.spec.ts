/** @jest-environment node */
import * as fs from 'fs';
import { GENERATED_PATH, SCHEMA_PATH, generate } from '../../../node/protocol/tl/gen';
import { canonicalLine } from '../../../node/protocol/tl/schema';
import { sampleObject, schema } from './helpers/samples';
import { crc32 } from '../../../node/protocol/tl/crc32';
import {
    ProtocolError,
    TL_IDS,
    TlAny,
    TlName,
    decode,
    decodeAs,
    decodeBare,
    decodeFunction,
    encode,
    encodeAs,
    encodeBare,
    encodeFrame,
    isResultOf,
} from '../../../node/protocol';

// cocoon-reference.md §4.1 "Key constructor IDs" and §4.1 item 2 (PoW), copied by hand from the table.
const REFERENCE_IDS: Record<string, number> = {
    'tcp.ping': 0xbbe9627c,
    'tcp.pong': 0x0bd4302c,
    'tcp.packet': 0x9c17baf8,
    'tcp.query': 0x3af51908,
    'tcp.queryAnswer': 0xc048c311,
    'tcp.queryError': 0x4cd2f602,
    'tcp.connect': 0xa57c4261,
    'tcp.connected': 0x636d41d6,
    'http.request': 0x47492de5,
    'http.response': 0x1cd0c42b,
    'http.header': 0x8e9be511,
    tokensUsed: 0x70c5b15c,
    'client.params': 0x40fdca64,
    'proxy.params': 0xd5c5609f,
    'worker.params': 0x869c73ed,
    'proxy.signedPayment': 0x02998182,
    'proxy.signedPaymentEmpty': 0xb347ce64,
    'client.connectToProxy': 0xff5fa0f4,
    'client.connectedToProxy': 0x95317ad1,
    'client.proxyConnectionAuthShort': 0xd6ffc5af,
    'client.proxyConnectionAuthLong': 0x417bf016,
    'client.authorizeWithProxyShort': 0x6c276723,
    'client.authorizeWithProxyLong': 0xd3474303,
    'client.authorizationWithProxySuccess': 0x75d5ac34,
    'client.authorizationWithProxyFailed': 0x60551c96,
    'client.runQuery': 0xbc748f32,
    'client.runQueryEx': 0xf54cb74b,
    'client.queryAnswerEx': 0xcd524720,
    'client.queryAnswerPartEx': 0xc07bfaec,
    'client.queryAnswerErrorEx': 0x072562a8,
    'client.queryAnswer': 0x9b943922,
    'client.queryAnswerPart': 0xb765de4c,
    'client.queryAnswerError': 0x6d60569a,
    'client.queryAnswerPartError': 0xd790a022,
    'client.queryFinalInfo': 0x69a452f0,
    'client.updatePaymentStatus': 0x9ed1c697,
    'client.paymentStatus': 0xaa8a0ecc,
    'client.getWorkerTypes': 0x7f062bdb,
    'client.workerTypes': 0xf64e0e01,
    'client.workerType': 0x8210e21c,
    'client.getWorkerTypesV2': 0xb2133d72,
    'client.workerTypesV2': 0x0cf0dc67,
    'client.workerTypeV2': 0xb27d8197,
    'client.workerInstanceV2': 0x3ea93d00,
    'client.requestRefund': 0x238d863d,
    'client.refund': 0x83aabead,
    'client.refundRejected': 0xcf9d9957,
    'proxy.clientRequestPayment': 0xc6bcf127,
    'proxy.workerRequestPayment': 0x1436c0d5,
    'proxy.runQuery': 0x47182416,
    'proxy.runQueryEx': 0xc805e7e2,
    'proxy.queryAnswerEx': 0x1ce574e8,
    'proxy.queryAnswerPartEx': 0x6d85b50f,
    'proxy.queryAnswerErrorEx': 0x8f7fb0a7,
    'proxy.queryFinalInfo': 0xe794e6fc,
    'proxy.queryAnswer': 0x37e5f725,
    'proxy.queryAnswerPart': 0x72eb00ee,
    'proxy.queryAnswerError': 0x669d014e,
    'proxy.queryAnswerPartError': 0x940e1168,
    'worker.connectToProxy': 0xcc484c5d,
    'worker.connectedToProxy': 0x66bc82ee,
    'worker.compareBalanceWithProxy': 0xdb386501,
    'worker.compareBalanceWithProxyResult': 0x9054c411,
    'worker.extendedCompareBalanceWithProxy': 0xf8dd9914,
    'worker.extendedCompareBalanceWithProxyResult': 0x0c10973e,
    'worker.proxyHandshakeComplete': 0xf843b066,
    'worker.proxyHandshakeCompleted': 0x3ad9b886,
    'worker.updatePaymentStatus': 0xdc70a524,
    'worker.paymentStatus': 0xa88bd701,
    'worker.enabledDisabled': 0xb3b71039,
    'worker.newCoefficient': 0x6af092b0,
    // proxyRunner.config and workerRunner.config gained fields at upstream 9060ce5 (the reference table
    // predates it): their IDs are checked in tl-upstream.spec.ts.
    'clientRunner.config': 0xaf0bd51f,
    'cocoon.powSimple': 0x418e1291,
    'cocoon.powSimpleResponse': 0x01827319,
};

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('TL schema and generated codec', () => {
    it('asserts every constructor ID listed in the reference', () => {
        for (const [name, id] of Object.entries(REFERENCE_IDS)) {
            expect({ name, id: (TL_IDS as Record<string, number>)[name]?.toString(16) }).toEqual({ name, id: id.toString(16) });
        }
    });

    it('derives IDs as CRC32 of the canonical line unless the schema pins them', () => {
        expect(crc32(Buffer.from('tcp.ping id:long = tcp.Packet'))).toBe(0xbbe9627c);
        expect(canonicalLine('client.workerTypes types:(vector client.workerType) = client.WorkerTypes;')).toBe(
            'client.workerTypes types:vector client.workerType = client.WorkerTypes',
        );
        const pinned = [...schema.constructors, ...schema.functions].filter((c) => c.explicitId).map((c) => c.name);
        expect(pinned.sort()).toEqual([
            'client.params',
            'client.runQueryEx',
            'client.workerInstanceV2',
            'cocoon.powSimple',
            'cocoon.powSimpleResponse',
            'proxy.params',
            'proxy.runQueryEx',
            'worker.params',
        ]);
        for (const c of [...schema.constructors, ...schema.functions]) {
            if (!c.explicitId) expect(c.id).toBe(c.crcId);
        }
        expect(schema.constructors.length + schema.functions.length).toBe(Object.keys(TL_IDS).length);
    });

    it('keeps generated.ts in sync with the schema (run `npm run tl:gen` after editing cocoon_api.tl)', () => {
        expect(fs.readFileSync(GENERATED_PATH, 'utf8') === generate(fs.readFileSync(SCHEMA_PATH, 'utf8'))).toBe(true);
    });

    it.each([true, false])('round-trips every constructor and function (optional fields present: %s)', (withOptional) => {
        const names = Object.keys(TL_IDS) as TlName[];
        expect(names.length).toBeGreaterThan(90);
        for (const [i, name] of names.entries()) {
            const obj = sampleObject(name, i + 1, withOptional) as unknown as TlAny;
            const boxed = encode(obj);
            expect(boxed.readUInt32LE(0)).toBe(TL_IDS[name]);
            expect(boxed.length % 4).toBe(0);
            expect(decode(boxed)).toEqual(obj);
            expect(decodeBare(name, encodeBare(name, obj as never))).toEqual(obj);
            const c = schema.byName.get(name)!;
            if (!c.isFunction) expect(decodeAs(c.resultType as never, boxed)).toEqual(obj);
            else expect(decodeFunction(boxed)).toEqual(obj);
        }
    });

    it('computes flags from the optional fields present when flags is omitted', () => {
        const bytes = encode({ _: 'client.params', client_owner_address: 'EQ', is_test: true, min_proto_version: 1, max_proto_version: 2 });
        expect(bytes.readUInt32LE(4)).toBe(3);
        expect(decode(bytes)).toEqual({
            _: 'client.params',
            flags: 3,
            client_owner_address: 'EQ',
            is_test: true,
            min_proto_version: 1,
            max_proto_version: 2,
        });
    });

    describe('golden bytes computed by hand from the spec', () => {
        it('tcp.ping id:long', () => {
            expect(encode({ _: 'tcp.ping', id: 0x0102030405060708n }).toString('hex')).toBe('7c62e9bb' + '0807060504030201');
        });

        it('tcp.queryError id:long code:int message:string (short string, no padding needed)', () => {
            expect(encode({ _: 'tcp.queryError', id: 1n, code: 621, message: 'bad' })).toEqual(
                hex('02f6d24c 0100000000000000 6d020000 03626164'),
            );
        });

        it('client.params with flags and boxed Bool', () => {
            const b = encode({
                _: 'client.params',
                flags: 3,
                client_owner_address: 'EQ',
                is_test: true,
                min_proto_version: 1,
                max_proto_version: 2,
            });
            expect(b).toEqual(hex('64cafd40 03000000 02455100 b5757299 01000000 02000000'));
        });

        it('tcp.packet with a 301-byte payload uses the 0xfe long-length form and pads to 4', () => {
            const data = Buffer.alloc(301, 0xab);
            const b = encode({ _: 'tcp.packet', data });
            expect(b.subarray(0, 8)).toEqual(hex('f8ba179c fe2d0100'));
            expect(b.subarray(8, 309)).toEqual(data);
            expect(b.subarray(309)).toEqual(hex('000000'));
            expect(b.length).toBe(312);
        });

        it('bare vectors of bare constructors carry no constructor IDs', () => {
            const b = encode({
                _: 'client.workerTypesV2',
                types: [
                    {
                        _: 'client.workerTypeV2',
                        name: 'm',
                        workers: [
                            { _: 'client.workerInstanceV2', flags: 0, coefficient: 1000, active_requests: 1, max_active_requests: 4 },
                        ],
                    },
                ],
            });
            expect(b).toEqual(hex('67dcf00c 01000000 016d0000 01000000 00000000 e8030000 01000000 04000000'));
        });

        it('int256 is 32 raw bytes; boxed fields carry their ID', () => {
            const b = encode({
                _: 'client.authorizationWithProxySuccess',
                signed_payment: { _: 'proxy.signedPaymentEmpty' },
                tokens_committed_to_db: 5n,
                max_tokens: -1n,
            });
            expect(b).toEqual(hex('34acd575 64ce47b3 0500000000000000 ffffffffffffffff'));
            const p = encode({
                _: 'proxy.params',
                flags: 0,
                proxy_public_key: Buffer.alloc(32, 0x11),
                proxy_owner_address: '',
                proxy_sc_address: '',
            });
            expect(p).toEqual(Buffer.concat([hex('9f60c5d5 00000000'), Buffer.alloc(32, 0x11), hex('00000000 00000000')]));
        });

        it('frames tcp.connect as [len][seqno][payload]', () => {
            expect(encodeFrame(0, encode({ _: 'tcp.connect', id: 5n }))).toEqual(hex('0c000000 00000000 61427ca5 0500000000000000'));
        });

        it('PoW challenge and response are 24 and 12 bytes', () => {
            const c = encode({ _: 'cocoon.powSimple', difficulty_bits: 20, salt: Buffer.alloc(16, 0xee) });
            expect(c).toEqual(Buffer.concat([hex('91128e41 14000000'), Buffer.alloc(16, 0xee)]));
            expect(encode({ _: 'cocoon.powSimpleResponse', nonce: 7n })).toEqual(hex('19738201 0700000000000000'));
        });
    });

    describe('rejects invalid input with coded errors', () => {
        const code = (f: () => unknown) => {
            try {
                f();
            } catch (err) {
                expect(err).toBeInstanceOf(ProtocolError);
                return (err as ProtocolError).code;
            }
            return 'no error';
        };

        it('on decode', () => {
            expect(code(() => decode(hex('deadbeef')))).toBe('TL_DECODE');
            expect(code(() => decode(hex('7c62e9bb 0807')))).toBe('TL_DECODE');
            expect(code(() => decode(hex('7c62e9bb 0807060504030201 00000000')))).toBe('TL_DECODE');
            expect(code(() => decode(hex('64cafd40 01000000 00000000 12345678')))).toBe('TL_DECODE');
            expect(code(() => decode(hex('010e4ef6 ffffff7f')))).toBe('TL_DECODE');
            expect(code(() => decodeAs('tcp.Packet', encode({ _: 'http.header', name: 'a', value: 'b' })))).toBe('TL_DECODE');
            expect(code(() => decodeFunction(encode({ _: 'tcp.ping', id: 1n })))).toBe('TL_DECODE');
            expect(code(() => decode(hex('f8ba179c ff000000 00000000')))).toBe('TL_DECODE');
        });

        it('on encode', () => {
            expect(code(() => encode({ _: 'tcp.queryError', id: 1n, code: 2 ** 31, message: '' }))).toBe('TL_ENCODE');
            expect(code(() => encode({ _: 'tcp.ping', id: 1 as unknown as bigint }))).toBe('TL_ENCODE');
            expect(
                code(() =>
                    encode({
                        _: 'proxy.params',
                        flags: 0,
                        proxy_public_key: Buffer.alloc(31),
                        proxy_owner_address: '',
                        proxy_sc_address: '',
                    }),
                ),
            ).toBe('TL_ENCODE');
            expect(code(() => encode({ _: 'client.params', flags: 1, client_owner_address: '' }))).toBe('TL_ENCODE');
            expect(code(() => encode({ _: 'worker.connectToProxy' } as never))).toBe('TL_ENCODE');
            expect(code(() => encode({ _: 'no.such' } as never))).toBe('TL_ENCODE');
            expect(code(() => encodeAs('tcp.Packet', { _: 'http.header', name: '', value: '' } as never))).toBe('TL_ENCODE');
        });
    });

    it('matches answers to their function result types', () => {
        const fn = { _: 'client.getWorkerTypes' } as const;
        expect(isResultOf(fn, { _: 'client.workerTypes', types: [] })).toBe(true);
        expect(isResultOf(fn, { _: 'client.workerTypesV2', types: [] })).toBe(false);
    });
});
