/** CocoonProxy wrapper: the generated Tact wrapper plus the data layout and child-address helpers. */
import { beginCell, type Address, type Cell } from '@ton/core';
import { CocoonProxy } from '../build/CocoonProxy/CocoonProxy_CocoonProxy';
import { CocoonWorker } from '../build/CocoonWorker/CocoonWorker_CocoonWorker';
import { CocoonClient } from '../build/CocoonClient/CocoonClient_CocoonClient';
import { buildParamsCell, CODE_MASK, type CocoonParams } from './params';
import { atState } from './stateInit';

export * from '../build/CocoonProxy/CocoonProxy_CocoonProxy';

/** Compiled child codes, as the root's params carry them. */
export async function childCodes(): Promise<{ worker: Cell; client: Cell; proxy: Cell }> {
    const [w, c, p] = await Promise.all([CocoonWorker.init(), CocoonClient.init(), CocoonProxy.init()]);
    return { worker: w.code, client: c.code, proxy: p.code };
}

/** The proxy contract's data, field for field. */
export interface ProxyState {
    ownerAddress: Address;
    proxyPublicKey: bigint;
    rootAddress: Address;
    state: number;
    balance: bigint;
    stake: bigint;
    unlockTs: number;
    /** Params cell with the worker and client codes (CODE_MASK.proxyContract). */
    params: Cell;
}

/**
 * The original's layout, one cell: owner proxy_public_key:uint256 root state:uint2 balance:Coins
 * stake:Coins unlock_ts:uint32 ^params. Written by hand: Tact's generated serializer for a struct this
 * size (max 1072 bits) would move stake, unlock_ts and params into a second cell.
 */
export function buildProxyData(s: ProxyState): Cell {
    return beginCell()
        .storeAddress(s.ownerAddress)
        .storeUint(s.proxyPublicKey, 256)
        .storeAddress(s.rootAddress)
        .storeUint(s.state, 2)
        .storeCoins(s.balance)
        .storeCoins(s.stake)
        .storeUint(s.unlockTs, 32)
        .storeRef(s.params)
        .endCell();
}

export function parseProxyData(data: Cell): ProxyState {
    const s = data.beginParse();
    const st: ProxyState = {
        ownerAddress: s.loadAddress(),
        proxyPublicKey: s.loadUintBig(256),
        rootAddress: s.loadAddress(),
        state: s.loadUint(2),
        balance: s.loadCoins(),
        stake: s.loadCoins(),
        unlockTs: s.loadUint(32),
        params: s.loadRef(),
    };
    s.endParse();
    return st;
}

/** The proxy contract deployed from `data` (any state, e.g. one a test or a migration builds). */
export async function cocoonProxyAt(data: Cell): Promise<CocoonProxy> {
    return atState(CocoonProxy, (await CocoonProxy.init()).code, data);
}

/** The proxy contract for (owner, proxy key, root, params): fresh state, params with worker+client code. */
export function cocoonProxyFor(owner: Address, proxyPublicKey: bigint, root: Address, params: CocoonParams): Promise<CocoonProxy> {
    return cocoonProxyAt(
        buildProxyData({
            ownerAddress: owner,
            proxyPublicKey,
            rootAddress: root,
            state: 0,
            balance: 0n,
            stake: 0n,
            unlockTs: 0,
            params: buildParamsCell(params, CODE_MASK.proxyContract),
        }),
    );
}
