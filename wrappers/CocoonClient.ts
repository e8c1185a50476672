/** CocoonClient wrapper: the generated Tact wrapper plus init-data helpers. */
import { beginCell, type Address, type Cell } from '@ton/core';
import { CocoonClient } from '../build/CocoonClient/CocoonClient_CocoonClient';
import { buildParamsCell, CODE_MASK, type CocoonParams } from './params';

export * from '../build/CocoonClient/CocoonClient_CocoonClient';

export function clientConstData(owner: Address, proxy: Address, proxyPublicKey: bigint): Cell {
    return beginCell().storeAddress(owner).storeAddress(proxy).storeUint(proxyPublicKey, 256).endCell();
}

/** The client contract of `owner` at a proxy contract, as the proxy derives it: stake = min_client_stake. */
export function cocoonClientFor(owner: Address, proxy: Address, proxyPublicKey: bigint, params: CocoonParams): Promise<CocoonClient> {
    return CocoonClient.fromInit(0n, 0n, params.minClientStake, 0n, 0n, 0n, clientConstData(owner, proxy, proxyPublicKey), buildParamsCell(params, CODE_MASK.child));
}
