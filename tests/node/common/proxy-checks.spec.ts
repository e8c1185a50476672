import { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import type { RootState } from '../../../node/chain/cocoon';
import { checkProxyImage, verifyProxyContracts } from '../../../node/common/proxy-checks';
import { defaultParams } from '../../../node/cli/network';
import type { proxy_params } from '../../../node/protocol';
import { cocoonProxyFor } from '../../../wrappers/CocoonProxy';
import { cocoonWorkerFor } from '../../../wrappers/CocoonWorker';
import { bufferToBigInt } from '../../../wrappers/uint256';

const ROOT = Address.parse('0:' + '01'.repeat(32));
const PROXY_OWNER = Address.parse('0:' + '02'.repeat(32));
const WORKER_OWNER = Address.parse('0:' + '03'.repeat(32));
const key = keyPairFromSeed(Buffer.alloc(32, 9)).publicKey;
const keyInt = bufferToBigInt(key);

describe('proxy checks a worker or client makes', () => {
    let root: RootState;
    let proxySc: Address;
    let workerSc: Address;
    beforeAll(async () => {
        const params = await defaultParams();
        root = {
            address: ROOT,
            owner: ROOT,
            version: 1,
            balance: 0n,
            params,
            registry: { proxyHashes: [7n], workerHashes: [], modelHashes: [], registeredProxies: new Map(), lastProxySeqno: 0 },
        };
        proxySc = (await cocoonProxyFor(PROXY_OWNER, keyInt, ROOT, params)).address;
        workerSc = (await cocoonWorkerFor(WORKER_OWNER, proxySc, keyInt, params)).address;
    });

    const proxyParams = (sc: Address): proxy_params => ({
        _: 'proxy.params',
        flags: 3,
        proxy_public_key: key,
        proxy_owner_address: PROXY_OWNER.toString(),
        proxy_sc_address: sc.toString(),
        is_test: true,
        proto_version: 2,
    });
    const deriveWorker = (sc: Address, k: bigint) => cocoonWorkerFor(WORKER_OWNER, sc, k, root.params);

    describe('checkProxyImage', () => {
        const image = (n: bigint) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex');
        it('an image the root lists passes', () => expect(() => checkProxyImage(image(7n), root, true)).not.toThrow());
        it('another image is refused, naming it', () => {
            expect(() => checkProxyImage(image(8n), root, true)).toThrow(
                `proxy image hash ${image(8n).toString('hex')} is not allowed by the root contract`,
            );
        });
        it('with the check off (test roots, plaintext) anything passes', () =>
            expect(() => checkProxyImage(image(8n), root, false)).not.toThrow());
    });

    describe('verifyProxyContracts', () => {
        it('addresses that derive: the proxy (key, key as uint256, contract) and our contract', async () => {
            const r = await verifyProxyContracts(proxyParams(proxySc), workerSc.toString(), ROOT, root, 'worker', deriveWorker);
            expect(r.proxy.proxyKey).toEqual(key);
            expect(r.proxy.proxyKeyInt).toBe(keyInt);
            expect(r.proxy.proxySc.equals(proxySc)).toBe(true);
            expect(r.child.address.equals(workerSc)).toBe(true);
        });

        it('a proxy contract that does not derive from its key and owner under this root is refused', async () => {
            const forged = Address.parse('0:' + '0f'.repeat(32));
            const refused = verifyProxyContracts(proxyParams(forged), workerSc.toString(), ROOT, root, 'worker', deriveWorker);
            await expect(refused).rejects.toThrow(
                `proxy contract ${forged.toString()} does not derive from the proxy's key and owner under this root ` +
                    `(expected ${proxySc.toString()}): ` +
                    'a contract that does not derive from its key and owner is not one the root vouches for, refusing the proxy',
            );
        });

        it('a proxy under another root does not derive either', async () => {
            const otherRoot = Address.parse('0:' + '0e'.repeat(32));
            await expect(
                verifyProxyContracts(proxyParams(proxySc), workerSc.toString(), otherRoot, root, 'worker', deriveWorker),
            ).rejects.toThrow(/does not derive from the proxy's key and owner/);
        });

        it('a proxy that names another contract for us is refused', async () => {
            const wrong = Address.parse('0:' + '0d'.repeat(32));
            await expect(verifyProxyContracts(proxyParams(proxySc), wrong.toString(), ROOT, root, 'client', deriveWorker)).rejects.toThrow(
                `proxy names client contract ${wrong.toString()}, expected ${workerSc.toString()}`,
            );
        });
    });
});
