/** @jest-environment node */
// The wire schema as of upstream 9060ce5 (April 2026): every constructor ID against upstream's own compiled
// schema, and hand-built bytes for each constructor that changed since b75d444.
import {
    ProtocolError,
    TL_IDS,
    decode,
    decodeFunction,
    encode,
    fromJson,
    type rootConfig_configV7,
    type rootConfig_pseudo,
} from '../../../node/protocol';

// Read out of upstream's compiled schema tl/generate/scheme/cocoon_api.tlo at 9060ce5 (every
// tls.combinator record: its int32 ID and its name), not computed by our generator. Built-in types and
// upstream's test.query/test.answer are left out; our cocoon.pow* and cocoonx.* are not upstream TL.
const UPSTREAM_9060CE5_IDS: Record<string, number> = {
    'client.authorizationWithProxyFailed': 0x60551c96,
    'client.authorizationWithProxySuccess': 0x75d5ac34,
    'client.authorizeWithProxyLong': 0xd3474303,
    'client.authorizeWithProxyShort': 0x6c276723,
    'client.connectToProxy': 0xff5fa0f4,
    'client.connectedToProxy': 0x95317ad1,
    'client.getWorkerTypes': 0x7f062bdb,
    'client.getWorkerTypesV2': 0xb2133d72,
    'client.params': 0x40fdca64,
    'client.paymentStatus': 0xaa8a0ecc,
    'client.proxyConnectionAuthLong': 0x417bf016,
    'client.proxyConnectionAuthShort': 0xd6ffc5af,
    'client.queryAnswer': 0x9b943922,
    'client.queryAnswerError': 0x6d60569a,
    'client.queryAnswerErrorEx': 0x072562a8,
    'client.queryAnswerEx': 0xcd524720,
    'client.queryAnswerPart': 0xb765de4c,
    'client.queryAnswerPartError': 0xd790a022,
    'client.queryAnswerPartEx': 0xc07bfaec,
    'client.queryFinalInfo': 0x69a452f0,
    'client.refund': 0x83aabead,
    'client.refundRejected': 0xcf9d9957,
    'client.requestRefund': 0x238d863d,
    'client.runQuery': 0xbc748f32,
    'client.runQueryEx': 0xf54cb74b,
    'client.updatePaymentStatus': 0x9ed1c697,
    'client.workerInstanceV2': 0x3ea93d00,
    'client.workerType': 0x8210e21c,
    'client.workerTypeV2': 0xb27d8197,
    'client.workerTypes': 0xf64e0e01,
    'client.workerTypesV2': 0x0cf0dc67,
    'clientRunner.config': 0xaf0bd51f,
    'http.header': 0x8e9be511,
    'http.request': 0x47492de5,
    'http.response': 0x1cd0c42b,
    'keyManager.getProxyPrivateKeys': 0x4135d0bd,
    'keyManager.getWorkerPrivateKeys': 0x4b90e9b1,
    'keyManager.privateKey': 0x60f4f8e7,
    'keyManager.privateKeys': 0x0ed66ce5,
    'keyManagerDb.configEmpty': 0xd3fc2385,
    'keyManagerDb.configV1': 0x6d2817ac,
    'keyManagerDb.key': 0x35c91007,
    'keyStorageRunner.config': 0xec650826,
    'proxy.clientRequestPayment': 0xc6bcf127,
    'proxy.params': 0xd5c5609f,
    'proxy.queryAnswer': 0x37e5f725,
    'proxy.queryAnswerError': 0x669d014e,
    'proxy.queryAnswerErrorEx': 0x8f7fb0a7,
    'proxy.queryAnswerEx': 0x1ce574e8,
    'proxy.queryAnswerPart': 0x72eb00ee,
    'proxy.queryAnswerPartError': 0x940e1168,
    'proxy.queryAnswerPartEx': 0x6d85b50f,
    'proxy.queryFinalInfo': 0xe794e6fc,
    'proxy.runQuery': 0x47182416,
    'proxy.runQueryEx': 0xc805e7e2,
    'proxy.signedPayment': 0x02998182,
    'proxy.signedPaymentEmpty': 0xb347ce64,
    'proxy.workerRequestPayment': 0x1436c0d5,
    'proxyDb.clientInfo': 0x6cfeaa21,
    'proxyDb.clientInfoV2': 0x3078c9bf,
    'proxyDb.configEmpty': 0x43dc40b4,
    'proxyDb.configV4': 0xbde43703,
    'proxyDb.configV4Disabled': 0xad2cfb4a,
    'proxyDb.oldClient': 0x2fae7b42,
    'proxyDb.oldInstance': 0xa8c9e178,
    'proxyDb.oldWorker': 0xf04156a0,
    'proxyDb.pendingBlockchainSeqnoCommit': 0x525b14a9,
    'proxyDb.workerInfo': 0x2517b38f,
    'proxyRunner.config': 0x9a8f2045,
    'rootConfig.configV7': 0xc51207cb,
    'rootConfig.pseudo': 0xd0035db6,
    'rootConfig.registeredProxy': 0x9f4e446a,
    'rootConfig.registeredPublicKey': 0x37312ecd,
    'tcp.connect': 0xa57c4261,
    'tcp.connected': 0x636d41d6,
    'tcp.packet': 0x9c17baf8,
    'tcp.ping': 0xbbe9627c,
    'tcp.pong': 0x0bd4302c,
    'tcp.query': 0x3af51908,
    'tcp.queryAnswer': 0xc048c311,
    'tcp.queryError': 0x4cd2f602,
    tokensUsed: 0x70c5b15c,
    'ton.blockIdExt': 0xbc3f6da5,
    'worker.changeModel': 0x72662cee,
    'worker.changedModel': 0x34029366,
    'worker.compareBalanceWithProxy': 0xdb386501,
    'worker.compareBalanceWithProxyResult': 0x9054c411,
    'worker.connectToProxy': 0xcc484c5d,
    'worker.connectedToProxy': 0x66bc82ee,
    'worker.enabledDisabled': 0xb3b71039,
    'worker.extendedCompareBalanceWithProxy': 0xf8dd9914,
    'worker.extendedCompareBalanceWithProxyResult': 0x0c10973e,
    'worker.newCoefficient': 0x6af092b0,
    'worker.params': 0x869c73ed,
    'worker.paymentStatus': 0xa88bd701,
    'worker.proxyHandshakeComplete': 0xf843b066,
    'worker.proxyHandshakeCompleted': 0x3ad9b886,
    'worker.updatePaymentStatus': 0xdc70a524,
    'workerRunner.config': 0x41af605f,
};

const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
};
const i64 = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(n);
    return b;
};
const f64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(n);
    return b;
};
/** TL short string: one length byte, the bytes, zero padding to 4 (all strings here are < 254 bytes). */
const str = (s: string) => {
    const body = Buffer.from(s, 'utf8');
    const out = Buffer.concat([Buffer.from([body.length]), body]);
    return Buffer.concat([out, Buffer.alloc((4 - (out.length % 4)) % 4)]);
};
const BOOL_TRUE = u32(0x997275b5);
const BOOL_FALSE = u32(0xbc799737);
const k32 = (b: number) => Buffer.alloc(32, b);
const vecInt256 = (...xs: Buffer[]) => Buffer.concat([u32(xs.length), ...xs]);

describe('TL schema at upstream 9060ce5', () => {
    it("has every upstream constructor and function, each with upstream's ID", () => {
        const ours = new Map(Object.entries(TL_IDS));
        const mismatches = Object.entries(UPSTREAM_9060CE5_IDS)
            .filter(([name, id]) => ours.get(name) !== id)
            .map(([name, id]) => `${name}: upstream ${id.toString(16)}, ours ${ours.get(name)?.toString(16)}`);
        expect(mismatches).toEqual([]);
        expect(Object.keys(UPSTREAM_9060CE5_IDS)).toHaveLength(99);
        const extra = [...ours.keys()].filter((n) => !Object.hasOwn(UPSTREAM_9060CE5_IDS, n)).sort();
        expect(extra).toEqual([
            'cocoon.powSimple',
            'cocoon.powSimpleResponse',
            'cocoonx.announceWorkerHardware',
            'cocoonx.attestationReport',
            'cocoonx.cancelQuery',
            'cocoonx.getAttestationReport',
            'cocoonx.ok',
            'cocoonx.workerHardware',
        ]);
    });

    describe('client.runQueryEx (ID pinned, public_key flag 1)', () => {
        const head = Buffer.concat([u32(0xf54cb74b), str('m'), Buffer.from([3, 1, 2, 3]), u32(10), u32(100), f64(1.5), k32(7), u32(2)]);
        const base = {
            _: 'client.runQueryEx',
            model_name: 'm',
            query: Buffer.from([1, 2, 3]),
            max_coefficient: 10,
            max_tokens: 100,
            timeout: 1.5,
            request_id: k32(7),
            min_config_version: 2,
        } as const;

        it('without the flag encodes exactly as before 9060ce5 (old call sites keep working)', () => {
            expect(encode({ ...base, flags: 1, enable_debug: true })).toEqual(Buffer.concat([head, u32(1), BOOL_TRUE]));
            expect(encode({ ...base })).toEqual(Buffer.concat([head, u32(0)]));
        });

        it('with the receiver public key', () => {
            const bytes = Buffer.concat([head, u32(3), BOOL_FALSE, k32(0xab)]);
            expect(encode({ ...base, enable_debug: false, public_key: k32(0xab) })).toEqual(bytes);
            expect(decodeFunction(bytes)).toEqual({ ...base, flags: 3, enable_debug: false, public_key: k32(0xab) });
            // upstream's client at protocol >= 3 always sets both bits; an unencrypted request carries a zero key
            const plain = Buffer.concat([head, u32(3), BOOL_FALSE, k32(0)]);
            expect(decodeFunction(plain)).toEqual({ ...base, flags: 3, enable_debug: false, public_key: k32(0) });
        });
    });

    describe('proxy.runQueryEx (ID pinned, private_key flag 1)', () => {
        const head = Buffer.concat([u32(0xc805e7e2), Buffer.from([2, 9, 9, 0]), u32(0xb347ce64), i64(1000n), f64(30), k32(1)]);
        const base = {
            _: 'proxy.runQueryEx',
            query: Buffer.from([9, 9]),
            signed_payment: { _: 'proxy.signedPaymentEmpty' },
            coefficient: 1000n,
            timeout: 30,
            request_id: k32(1),
        } as const;

        it('round-trips with and without the worker private key', () => {
            expect(encode({ ...base, flags: 0 })).toEqual(Buffer.concat([head, u32(0)]));
            const bytes = Buffer.concat([head, u32(2), k32(0x5c)]);
            expect(encode({ ...base, private_key: k32(0x5c) })).toEqual(bytes);
            expect(decodeFunction(bytes)).toEqual({ ...base, flags: 2, private_key: k32(0x5c) });
        });
    });

    it('worker.params carries machine_description_json under flag 2', () => {
        const bytes = Buffer.concat([
            u32(0x869c73ed),
            u32(7),
            str('EQw'),
            str('qwen'),
            u32(1000),
            BOOL_TRUE,
            u32(1),
            u32(60),
            u32(3),
            u32(4),
            str('{"gpu":"H100"}'),
        ]);
        const obj = {
            _: 'worker.params',
            flags: 7,
            worker_owner_address: 'EQw',
            model: 'qwen',
            coefficient: 1000,
            is_test: true,
            proxy_cnt: 1,
            max_active_requests: 60,
            min_proto_version: 3,
            max_proto_version: 4,
            machine_description_json: '{"gpu":"H100"}',
        } as const;
        expect(encode(obj)).toEqual(bytes);
        expect(decode(bytes)).toEqual(obj);
        // an older worker (flags 3) decodes without the field
        const old = Buffer.concat([
            u32(0x869c73ed),
            u32(3),
            str('EQw'),
            str('qwen'),
            u32(1000),
            BOOL_TRUE,
            u32(1),
            u32(60),
            u32(1),
            u32(2),
        ]);
        expect(decode(old)).toEqual({ ...obj, flags: 3, min_proto_version: 1, max_proto_version: 2, machine_description_json: undefined });
        expect(Object.hasOwn(decode(old), 'machine_description_json')).toBe(false);
    });

    it('worker.changeModel and worker.changedModel', () => {
        const q = Buffer.concat([u32(0x72662cee), str('Qwen/Qwen3-8B')]);
        expect(encode({ _: 'worker.changeModel', new_model: 'Qwen/Qwen3-8B' })).toEqual(q);
        expect(decodeFunction(q)).toEqual({ _: 'worker.changeModel', new_model: 'Qwen/Qwen3-8B' });
        expect(encode({ _: 'worker.changedModel' })).toEqual(u32(0x34029366));
        expect(decode(u32(0x34029366))).toEqual({ _: 'worker.changedModel' });
    });

    it('rootConfig.registeredPublicKey and rootConfig.configV7', () => {
        const key = { _: 'rootConfig.registeredPublicKey', public_key: k32(0x21), key_type: 2, expire_at: 1_800_000_000 } as const;
        const keyBytes = Buffer.concat([k32(0x21), u32(2), u32(1_800_000_000)]);
        const v7: rootConfig_configV7 = {
            _: 'rootConfig.configV7',
            root_owner_address: 'EQo',
            proxy_hashes: [k32(1)],
            registered_proxies: [{ _: 'rootConfig.registeredProxy', seqno: 1, address: 'a:b' }],
            last_proxy_seqno: 1,
            worker_hashes: [],
            model_hashes: [k32(3)],
            version: 9,
            struct_version: 7,
            params_version: 2,
            unique_id: 42,
            is_test: 1,
            price_per_token: 20n,
            worker_fee_per_token: 19n,
            prompt_tokens_price_multiplier: 10000,
            cached_tokens_price_multiplier: 1000,
            completion_tokens_price_multiplier: 80000,
            reasoning_tokens_price_multiplier: 80000,
            proxy_delay_before_close: 86400,
            client_delay_before_close: 86400,
            min_proxy_stake: 1n,
            min_client_stake: 2n,
            registered_public_keys: [key],
            key_manager_public_key: k32(0x31),
            key_manager_image_hash: k32(0x32),
            key_manager_address: 'EQk',
            verified_proxy_keys: [k32(0x41)],
            verified_worker_keys: [k32(0x42), k32(0x43)],
            verified_key_manager_keys: [],
            proxy_sc_code: 'p',
            worker_sc_code: 'w',
            client_sc_code: 'c',
        };
        const bytes = Buffer.concat([
            u32(0xc51207cb),
            str('EQo'),
            vecInt256(k32(1)),
            u32(1),
            u32(1),
            str('a:b'),
            u32(1),
            vecInt256(),
            vecInt256(k32(3)),
            u32(9),
            u32(7),
            u32(2),
            u32(42),
            u32(1),
            i64(20n),
            i64(19n),
            u32(10000),
            u32(1000),
            u32(80000),
            u32(80000),
            u32(86400),
            u32(86400),
            i64(1n),
            i64(2n),
            u32(1),
            keyBytes,
            k32(0x31),
            k32(0x32),
            str('EQk'),
            vecInt256(k32(0x41)),
            vecInt256(k32(0x42), k32(0x43)),
            vecInt256(),
            str('p'),
            str('w'),
            str('c'),
        ]);
        expect(encode(v7)).toEqual(bytes);
        expect(decode(bytes)).toEqual(v7);
        // the V5 layout is gone upstream: its ID no longer decodes
        expect(() => decode(Buffer.concat([u32(0x5e84869b), bytes.subarray(4)]))).toThrow(ProtocolError);
    });

    it('rootConfig.pseudo gained the key registry', () => {
        const obj: rootConfig_pseudo = {
            _: 'rootConfig.pseudo',
            proxy_hashes: [],
            worker_hashes: [],
            model_hashes: [],
            model_types: ['chat'],
            registered_proxies: [],
            price_per_token: 20,
            worker_fee_per_token: 19,
            last_proxy_seqno: 0,
            version: 1,
            params_version: 1,
            registered_public_keys: [{ _: 'rootConfig.registeredPublicKey', public_key: k32(5), key_type: 1, expire_at: 0 }],
            key_manager_address: 'EQk',
            proxy_sc_code: '',
            worker_sc_code: '',
            client_sc_code: '',
            root_owner_address: 'EQo',
        };
        const bytes = Buffer.concat([
            u32(0xd0035db6),
            vecInt256(),
            vecInt256(),
            vecInt256(),
            u32(1),
            str('chat'),
            u32(0),
            u32(20),
            u32(19),
            u32(0),
            u32(1),
            u32(1),
            u32(1),
            k32(5),
            u32(1),
            u32(0),
            str('EQk'),
            str(''),
            str(''),
            str(''),
            str('EQo'),
        ]);
        expect(encode(obj)).toEqual(bytes);
        expect(decode(bytes)).toEqual(obj);
    });

    it('keyManagerDb.key has a key_type instead of two Bools; key requests take proto_version', () => {
        const obj = {
            _: 'keyManagerDb.key',
            private_key: k32(9),
            key_type: 1,
            valid_since_config_version: 3,
            valid_since_utime: 100,
            valid_until_utime: 200,
        } as const;
        const bytes = Buffer.concat([u32(0x35c91007), k32(9), u32(1), u32(3), u32(100), u32(200)]);
        expect(encode(obj)).toEqual(bytes);
        expect(decode(bytes)).toEqual(obj);
        expect(encode({ _: 'keyManager.getWorkerPrivateKeys', proto_version: 4 })).toEqual(Buffer.concat([u32(0x4b90e9b1), u32(4)]));
        expect(encode({ _: 'keyManager.getProxyPrivateKeys', proto_version: 4 })).toEqual(Buffer.concat([u32(0x4135d0bd), u32(4)]));
    });

    it("runner configs have upstream's new fields (JSON form loads upstream's spec files)", () => {
        const key = Buffer.alloc(32, 3).toString('base64');
        const worker = fromJson(
            { model_name: 'm', change_model_script: '/bin/switch', machine_description_json: '{}', image_hash: key, node_wallet_key: key },
            'workerRunner.config',
        );
        expect(worker).toMatchObject({ _: 'workerRunner.config', change_model_script: '/bin/switch', machine_description_json: '{}' });
        expect(encode(worker).readUInt32LE(0)).toBe(0x41af605f);
        const proxy = fromJson(
            { connect_to_proxy_via: 'host:1', image_hash: key, node_wallet_key: key, machine_specific_private_key: key },
            'proxyRunner.config',
        );
        expect(proxy).toMatchObject({ connect_to_proxy_via: 'host:1' });
        const ks = fromJson(
            { add_default_key: true, owner_address: 'EQo', image_hash: key, node_wallet_key: key, machine_specific_private_key: key },
            'keyStorageRunner.config',
        );
        expect(ks).toMatchObject({ add_default_key: true, owner_address: 'EQo' });
        expect(decode(encode(ks))).toEqual(ks);
    });
});
