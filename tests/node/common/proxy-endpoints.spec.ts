import { Address } from '@ton/core';
import type { RootState } from '../../../node/chain/cocoon';
import { parseEndpoint, proxyEndpointList } from '../../../node/common/proxy-endpoints';
import { defaultParams } from '../../../node/cli/network';

async function rootWith(registeredProxies: Map<number, string>): Promise<RootState> {
    const a = Address.parse('0:' + '01'.repeat(32));
    return {
        address: a,
        owner: a,
        version: 1,
        balance: 0n,
        params: await defaultParams(),
        registry: { proxyHashes: [], workerHashes: [], modelHashes: [], registeredProxies, lastProxySeqno: registeredProxies.size },
    };
}

describe('parseEndpoint', () => {
    it.each([
        ['127.0.0.1:8801', { host: '127.0.0.1', port: 8801 }],
        ['proxy.example.org:1', { host: 'proxy.example.org', port: 1 }],
        ['[::1]:65535', { host: '::1', port: 65535 }],
    ])('%s', (s, want) => expect(parseEndpoint(s)).toEqual(want));

    it.each(['127.0.0.1', ':8801', 'host:0', 'host:65536', 'host:80x', 'host:8.5', ''])('refuses %p with what it expected', (s) => {
        expect(() => parseEndpoint(s)).toThrow(new RangeError(`bad proxy endpoint '${s}': expected host:port with a port from 1 to 65535`));
    });
});

describe('proxyEndpointList', () => {
    it('configured endpoints win over the registry (a copy: the caller may change it)', async () => {
        const configured = ['10.0.0.1:1'];
        const list = proxyEndpointList('workers', configured, await rootWith(new Map([[1, '10.0.0.9:9']])));
        expect(list).toEqual(['10.0.0.1:1']);
        list.push('x:2');
        expect(configured).toEqual(['10.0.0.1:1']);
    });

    it('without configured ones: each registered proxy, its worker or client address by side', async () => {
        const root = await rootWith(
            new Map([
                [1, '10.0.0.1:5001 10.0.0.1:5002'],
                [2, '[::1]:7000'],
            ]),
        );
        expect(proxyEndpointList('workers', [], root)).toEqual(['10.0.0.1:5001', '::1:7000']);
        expect(proxyEndpointList('clients', undefined, root)).toEqual(['10.0.0.1:5002', '::1:7000']);
    });

    it('an empty registry and nothing configured: an empty list (the runner says what to do)', async () => {
        expect(proxyEndpointList('clients', undefined, await rootWith(new Map()))).toEqual([]);
    });
});
