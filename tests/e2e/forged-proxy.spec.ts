/** @jest-environment node */
/**
 * A rogue proxy: workers and clients check what a proxy claims against the chain and the signatures.
 * Contract addresses that do not derive from the proxy's key, payments signed by another key, or for
 * another contract, are refused with a clear reason and nothing is served.
 */
import { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { listen, type RpcServer, type TlFunction, type TlObject } from '../../node/protocol';
import { silentLogger } from '../../node/common/log';
import { WorkerRunner } from '../../node/worker/runner';
import { ClientRunner } from '../../node/client/runner';
import { readRoot } from '../../node/chain/cocoon';
import { cocoonProxyFor } from '../../wrappers/CocoonProxy';
import { cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { cocoonClientFor } from '../../wrappers/CocoonClient';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import { startTestNetwork, MODEL, type TestNetwork } from './helpers/network';
import { bufferToBigInt } from '../../wrappers/uint256';

jest.setTimeout(120_000);

let net: TestNetwork;
let rogue: RpcServer | null = null;
const realKey = keyPairFromSeed(Buffer.alloc(32, 31));
const otherKey = keyPairFromSeed(Buffer.alloc(32, 32));
const keyInt = bufferToBigInt(realKey.publicKey);

beforeAll(async () => {
    net = await startTestNetwork({ full: false });
});
afterAll(async () => {
    await rogue?.close();
    await net?.close();
});

type Behaviour = 'wrong-proxy-address' | 'foreign-signature' | 'wrong-target';

async function startRogue(behaviour: Behaviour): Promise<string> {
    await rogue?.close();
    const root = await readRoot(net.chain, net.root);
    const owner = net.wallets.proxy.address;
    const proxySc = (await cocoonProxyFor(owner, keyInt, net.root, root.params)).address;
    const params = (sc: Address) => ({
        _: 'proxy.params' as const,
        flags: 3,
        proxy_public_key: realKey.publicKey,
        proxy_owner_address: owner.toString(),
        proxy_sc_address: sc.toString(),
        is_test: true,
        proto_version: 2,
    });
    const payment = (target: Address) => {
        const key = behaviour === 'foreign-signature' ? otherKey : realKey;
        const to = behaviour === 'wrong-target' ? net.root : target;
        return {
            _: 'proxy.signedPayment' as const,
            data: signedMessage(SIGNED_OP.workerPayout, 0n, 1000n, to, owner, key.secretKey).toBoc(),
        };
    };
    rogue = await listen({
        port: 0,
        logger: silentLogger,
        onConnection(conn) {
            let workerSc: Address | null = null;
            conn.handle(async (fn: TlFunction): Promise<TlObject> => {
                const sc = behaviour === 'wrong-proxy-address' ? net.root : proxySc;
                if (fn._ === 'worker.connectToProxy') {
                    workerSc = (await cocoonWorkerFor(Address.parse(fn.params.worker_owner_address), proxySc, keyInt, root.params)).address;
                    return { _: 'worker.connectedToProxy', params: params(sc), worker_sc_address: workerSc.toString() };
                }
                if (fn._ === 'worker.compareBalanceWithProxy')
                    return {
                        _: 'worker.compareBalanceWithProxyResult',
                        signed_payment: payment(workerSc!),
                        tokens_committed_to_db: 1000n,
                        max_tokens: 1000n,
                        error_code: 0,
                    };
                if (fn._ === 'worker.proxyHandshakeComplete') return { _: 'worker.proxyHandshakeCompleted' };
                if (fn._ === 'client.connectToProxy') {
                    const clientSc = (await cocoonClientFor(Address.parse(fn.params.client_owner_address), proxySc, keyInt, root.params))
                        .address;
                    return {
                        _: 'client.connectedToProxy',
                        params: params(sc),
                        client_sc_address: clientSc.toString(),
                        auth: { _: 'client.proxyConnectionAuthLong', nonce: 1n },
                        signed_payment: { _: 'proxy.signedPaymentEmpty' },
                    };
                }
                throw new Error(`rogue proxy does not answer ${fn._}`);
            });
        },
    });
    return `127.0.0.1:${rogue.port}`;
}

async function workerAgainst(behaviour: Behaviour): Promise<WorkerRunner> {
    const endpoint = await startRogue(behaviour);
    const w = await WorkerRunner.start({
        chain: net.chain,
        wallet: net.wallets.worker,
        root: net.root,
        model: MODEL,
        backendUrl: 'http://127.0.0.1:9/v1',
        key: keyPairFromSeed(Buffer.alloc(32, 33)),
        proxies: [endpoint],
        intervals: { reconnectMs: 100_000 },
        logger: silentLogger,
    });
    await w.close(0);
    return w;
}

describe('a rogue proxy', () => {
    it('is refused by a worker when its contract address does not derive from its key', async () => {
        const w = await workerAgainst('wrong-proxy-address');
        expect(w.connectedProxies).toBe(0);
        expect(w.lastError).toMatch(/does not derive from its key and owner/);
    });

    it('is refused by a worker when it hands out a payment signed by another key', async () => {
        const w = await workerAgainst('foreign-signature');
        expect(w.connectedProxies).toBe(0);
        expect(w.lastError).toMatch(/signature does not verify/);
    });

    it('is refused by a worker when the signed payment targets another contract', async () => {
        const w = await workerAgainst('wrong-target');
        expect(w.lastError).toMatch(/signed message is for/);
    });

    it('is refused by a client when its contract address does not derive from its key', async () => {
        const endpoint = await startRogue('wrong-proxy-address');
        const c = await ClientRunner.start({
            chain: net.chain,
            wallet: net.wallets.client,
            root: net.root,
            secret: 's',
            proxies: [endpoint],
            intervals: { reconnectMs: 100_000 },
            logger: silentLogger,
        });
        await expect(c.waitReady(1500)).rejects.toThrow(/does not derive from the proxy's key and owner/);
        await c.close(0);
    });
});
