/**
 * The local network's on-chain setup for `cocoon up`: the root contract with default params, deployed
 * once from the first funded wallet and remembered in `<data-dir>/network.json`.
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Address, internal, toNano } from '@ton/core';
import { createChainClient, openWallet, type ChainClient, type ChainWallet } from '../chain';
import { readRoot } from '../chain/cocoon';
import { childCodes } from '../../wrappers/CocoonProxy';
import { cocoonRootFor, rootMsg, ROOT_OP } from '../../wrappers/CocoonRoot';
import type { CocoonParams } from '../../wrappers/params';
import { bufferToBigInt, sha256BigInt } from '../../wrappers/uint256';

export interface LocalNetwork {
    root: string;
    owner: string;
}

/** Local-network defaults: the original's fake-TON config (price 2, worker fee 1, delays 600/300). */
export async function defaultParams(): Promise<CocoonParams> {
    const codes = await childCodes();
    return {
        structVersion: 3,
        paramsVersion: 1,
        uniqueId: 17,
        isTest: true,
        pricePerToken: 2n,
        workerFeePerToken: 1n,
        promptTokensPriceMultiplier: 10000,
        cachedTokensPriceMultiplier: 10000,
        completionTokensPriceMultiplier: 10000,
        reasoningTokensPriceMultiplier: 10000,
        proxyDelayBeforeClose: 600,
        clientDelayBeforeClose: 300,
        minProxyStake: toNano('1'),
        minClientStake: toNano('1'),
        proxyScCode: codes.proxy,
        workerScCode: codes.worker,
        clientScCode: codes.client,
    };
}

export async function ensureRoot(opts: {
    dataDir: string;
    chainUrl: string;
    ownerMnemonic: string[];
    params?: CocoonParams;
}): Promise<LocalNetwork> {
    const path = join(opts.dataDir, 'network.json');
    const client = createChainClient({ url: opts.chainUrl });
    if (existsSync(path)) {
        const saved = JSON.parse(readFileSync(path, 'utf8')) as LocalNetwork;
        if ((await client.account(Address.parse(saved.root))).state === 'active') return saved;
    }
    const wallet = await openWallet(client, { mnemonic: opts.ownerMnemonic });
    const root = client.open(await cocoonRootFor(wallet.address, opts.params ?? (await defaultParams())));
    await root.send(wallet.sender(), { value: toNano('1') }, null);
    await client.waitForTransaction(root.address, () => true, { timeoutMs: 30_000 });
    const net = { root: root.address.toString(), owner: wallet.address.toString() };
    writeFileSync(path, JSON.stringify(net, null, 2));
    return net;
}

export interface RootSetup {
    /** Allowed proxy and worker image hashes (32 bytes each). */
    proxyHashes?: Buffer[];
    workerHashes?: Buffer[];
    /** Allowed full model names (the root stores their sha256). */
    models?: string[];
    /** Proxy descriptor to register ("host:port" or "host_workers:port host_clients:port"). */
    proxy?: string;
}

/**
 * Brings the root's registry to include `setup` (owner messages for whatever is missing, up to four per
 * wallet transfer). Idempotent: a second run with the same setup sends nothing.
 */
export async function configureRoot(client: ChainClient, owner: ChainWallet, root: Address, setup: RootSetup): Promise<number> {
    const state = await readRoot(client, root);
    const r = state.registry;
    const bodies = [
        ...(setup.proxyHashes ?? [])
            .filter((h) => !r.proxyHashes.includes(bufferToBigInt(h)))
            .map((h) => rootMsg.hash(ROOT_OP.addProxyType, bufferToBigInt(h))),
        ...(setup.workerHashes ?? [])
            .filter((h) => !r.workerHashes.includes(bufferToBigInt(h)))
            .map((h) => rootMsg.hash(ROOT_OP.addWorkerType, bufferToBigInt(h))),
        ...(setup.models ?? [])
            .map((m) => sha256BigInt(m))
            .filter((h) => !r.modelHashes.includes(h))
            .map((h) => rootMsg.hash(ROOT_OP.addModelType, h)),
        ...(setup.proxy && ![...r.registeredProxies.values()].includes(setup.proxy) ? [rootMsg.registerProxy(setup.proxy)] : []),
    ];
    for (let i = 0; i < bodies.length; i += 4) {
        await owner.send(bodies.slice(i, i + 4).map((body) => internal({ to: root, value: toNano('0.1'), bounce: true, body })));
    }
    return bodies.length;
}
