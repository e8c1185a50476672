/** @jest-environment node */
import { ProtocolError, TL_IDS, TlAny, TlName, encode, decode, fromJson, toJson } from '../../../node/protocol';
import { sampleObject } from './helpers/samples';

describe('TL JSON form', () => {
    it('round-trips every constructor and function through JSON text', () => {
        for (const [i, name] of (Object.keys(TL_IDS) as TlName[]).entries()) {
            for (const withOptional of [true, false]) {
                const obj = sampleObject(name, i + 7, withOptional) as unknown as TlAny;
                const text = JSON.stringify(toJson(obj));
                const back = fromJson(JSON.parse(text), undefined, { strict: true });
                expect(decode(encode(back))).toEqual(obj);
            }
        }
    });

    it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('refuses "@type": "%s" as an unknown constructor', (type) => {
        expect(() => fromJson(JSON.parse(`{"@type":"${type}"}`))).toThrow(new RegExp(`unknown TL constructor "${type}"`));
        expect(() => fromJson({ '@type': 'proxy.signedPaymentEmpty' }, type as TlName)).toThrow(ProtocolError);
    });

    it('loads a runner config in the original spec layout (no @type, defaults for missing fields)', () => {
        const key = Buffer.alloc(32, 9).toString('base64');
        const json = {
            is_test: true,
            is_testnet: false,
            http_port: 11000,
            workers_rpc_port: 11101,
            client_rpc_port: 11102,
            ton_config_filename: '/spec/ton.json',
            owner_address: 'EQowner',
            image_hash: key,
            node_wallet_key: key,
            root_contract_address: 'EQroot',
            machine_specific_private_key: key,
            db_path: '/data/proxy-db',
            rpc_port: 1, // present in the original's spec files, not in the TL
        };
        const cfg = fromJson(json, 'proxyRunner.config');
        expect(cfg).toMatchObject({
            _: 'proxyRunner.config',
            is_test: true,
            http_port: 11000,
            check_worker_hashes: false,
            http_access_hash: '',
        });
        expect(cfg.image_hash).toEqual(Buffer.alloc(32, 9));
        expect(() => fromJson(json, 'proxyRunner.config', { strict: true })).toThrow(ProtocolError);
        expect(() => fromJson({ ...json, http_port: 'x' }, 'proxyRunner.config')).toThrow(/http_port: expected an integer/);
        expect(() => fromJson({ ...json, image_hash: 'AAAA' }, 'proxyRunner.config')).toThrow(/expected 32 bytes/);
        expect(toJson({ _: 'tcp.ping', id: -1n })).toEqual({ '@type': 'tcp.ping', id: '-1' });
        expect(() => fromJson({ '@type': 'client.connectedToProxy', auth: { '@type': 'tcp.ping', id: '1' } })).toThrow(
            /not a client.ProxyConnectionAuth/,
        );
    });
});
