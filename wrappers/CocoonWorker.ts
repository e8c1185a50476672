/** CocoonWorker wrapper: the generated Tact wrapper plus init-data helpers. */
import type { Address } from '@ton/core';
import { CocoonWorker } from '../build/CocoonWorker/CocoonWorker_CocoonWorker';
import { buildParamsCell, CODE_MASK, type CocoonParams } from './params';

export * from '../build/CocoonWorker/CocoonWorker_CocoonWorker';

/** The worker contract of `owner` at a proxy contract: fresh init data (state 0, tokens 0, params without code). */
export function cocoonWorkerFor(owner: Address, proxy: Address, proxyPublicKey: bigint, params: CocoonParams): Promise<CocoonWorker> {
    return CocoonWorker.fromInit(owner, proxy, proxyPublicKey, 0n, 0n, buildParamsCell(params, CODE_MASK.child));
}
