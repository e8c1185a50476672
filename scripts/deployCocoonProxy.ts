/**
 * npx blueprint run deployCocoonProxy <root> <proxy public key hex>
 * Deploys the proxy contract for the current root params, owned by the sender.
 */
import { toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { cocoonProxyFor } from '../wrappers/CocoonProxy';
import { addressArg, keyArg, rootState } from './common';

export async function run(provider: NetworkProvider, args: string[]) {
    const root = addressArg(args, 0, 'root address');
    const key = keyArg(args, 1, 'proxy public key');
    const owner = provider.sender().address;
    if (!owner) throw new Error('the sender has no address (connect a wallet)');
    const { params } = await rootState(provider, root);
    const proxy = provider.open(await cocoonProxyFor(owner, key, root, params));
    await proxy.send(provider.sender(), { value: toNano('0.3') }, null);
    await provider.waitForDeploy(proxy.address);
    provider.ui().write(`CocoonProxy (params_version ${params.paramsVersion}) deployed at ${proxy.address.toString()}`);
}
