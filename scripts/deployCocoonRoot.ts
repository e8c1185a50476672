/**
 * npx blueprint run deployCocoonRoot [params.json]
 * Deploys a CocoonRoot owned by the sender, with params from a JSON file (defaults: the original's
 * test values) and the compiled proxy/worker/client codes.
 */
import { readFileSync } from 'fs';
import { toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { childCodes } from '../wrappers/CocoonProxy';
import { cocoonRootFor } from '../wrappers/CocoonRoot';
import type { CocoonParams } from '../wrappers/params';

interface ParamsJson {
    uniqueId?: number; isTest?: boolean; pricePerToken?: string; workerFeePerToken?: string;
    promptMultiplier?: number; cachedMultiplier?: number; completionMultiplier?: number; reasoningMultiplier?: number;
    proxyDelayBeforeClose?: number; clientDelayBeforeClose?: number; minProxyStake?: string; minClientStake?: string;
}

export async function paramsFromJson(path: string | undefined): Promise<CocoonParams> {
    const j: ParamsJson = path ? (JSON.parse(readFileSync(path, 'utf8')) as ParamsJson) : {};
    const codes = await childCodes();
    return {
        structVersion: 3, paramsVersion: 1, uniqueId: j.uniqueId ?? 17, isTest: j.isTest ?? true,
        pricePerToken: BigInt(j.pricePerToken ?? '2'), workerFeePerToken: BigInt(j.workerFeePerToken ?? '1'),
        promptTokensPriceMultiplier: j.promptMultiplier ?? 10000, cachedTokensPriceMultiplier: j.cachedMultiplier ?? 10000,
        completionTokensPriceMultiplier: j.completionMultiplier ?? 10000, reasoningTokensPriceMultiplier: j.reasoningMultiplier ?? 10000,
        proxyDelayBeforeClose: j.proxyDelayBeforeClose ?? 86400, clientDelayBeforeClose: j.clientDelayBeforeClose ?? 86400,
        minProxyStake: BigInt(j.minProxyStake ?? toNano('1').toString()), minClientStake: BigInt(j.minClientStake ?? toNano('1').toString()),
        proxyScCode: codes.proxy, workerScCode: codes.worker, clientScCode: codes.client,
    };
}

export async function run(provider: NetworkProvider, args: string[]) {
    const params = await paramsFromJson(args[0]);
    const owner = provider.sender().address;
    if (!owner) throw new Error('the sender has no address (connect a wallet)');
    const root = provider.open(await cocoonRootFor(owner, params));
    await root.send(provider.sender(), { value: toNano('1') }, null);
    await provider.waitForDeploy(root.address);
    provider.ui().write(`CocoonRoot deployed at ${root.address.toString()} (owner ${owner.toString()})`);
}
