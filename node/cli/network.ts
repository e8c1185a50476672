/**
 * The local network's on-chain setup for `cocoon up`: the root contract with default params, deployed
 * once from the first funded wallet and remembered in `<data-dir>/network.json`.
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Address, toNano } from '@ton/core';
import { createChainClient, openWallet } from '../chain';
import { childCodes } from '../../wrappers/CocoonProxy';
import { cocoonRootFor } from '../../wrappers/CocoonRoot';
import type { CocoonParams } from '../../wrappers/params';

export interface LocalNetwork {
    root: string;
    owner: string;
}

/** Local-network defaults: the original's fake-TON config (price 2, worker fee 1, delays 600/300). */
export async function defaultParams(): Promise<CocoonParams> {
    const codes = await childCodes();
    return {
        structVersion: 3, paramsVersion: 1, uniqueId: 17, isTest: true,
        pricePerToken: 2n, workerFeePerToken: 1n,
        promptTokensPriceMultiplier: 10000, cachedTokensPriceMultiplier: 10000, completionTokensPriceMultiplier: 10000, reasoningTokensPriceMultiplier: 10000,
        proxyDelayBeforeClose: 600, clientDelayBeforeClose: 300,
        minProxyStake: toNano('1'), minClientStake: toNano('1'),
        proxyScCode: codes.proxy, workerScCode: codes.worker, clientScCode: codes.client,
    };
}

export async function ensureRoot(opts: { dataDir: string; chainUrl: string; ownerMnemonic: string[] }): Promise<LocalNetwork> {
    const path = join(opts.dataDir, 'network.json');
    const client = createChainClient({ url: opts.chainUrl });
    if (existsSync(path)) {
        const saved = JSON.parse(readFileSync(path, 'utf8')) as LocalNetwork;
        if ((await client.account(Address.parse(saved.root))).state === 'active') return saved;
    }
    const wallet = await openWallet(client, { mnemonic: opts.ownerMnemonic });
    const root = client.open(await cocoonRootFor(wallet.address, await defaultParams()));
    await root.send(wallet.sender(), { value: toNano('1') }, null);
    await client.waitForTransaction(root.address, () => true, { timeoutMs: 30_000 });
    const net = { root: root.address.toString(), owner: wallet.address.toString() };
    writeFileSync(path, JSON.stringify(net, null, 2));
    return net;
}
