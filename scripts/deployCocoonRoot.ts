/**
 * npx blueprint run deployCocoonRoot [params.json]
 * Deploys a CocoonRoot owned by the sender, with params from a JSON file (defaults: the original's
 * test values) and the compiled proxy/worker/client codes.
 */
import { toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { cocoonRootFor } from '../wrappers/CocoonRoot';
import { paramsFromJson } from '../wrappers/rootAdmin';

export async function run(provider: NetworkProvider, args: string[]) {
    const params = await paramsFromJson(args[0]);
    const owner = provider.sender().address;
    if (!owner) throw new Error('the sender has no address (connect a wallet)');
    const root = provider.open(await cocoonRootFor(owner, params));
    await root.send(provider.sender(), { value: toNano('1') }, null);
    await provider.waitForDeploy(root.address);
    provider.ui().write(`CocoonRoot deployed at ${root.address.toString()} (owner ${owner.toString()})`);
}
