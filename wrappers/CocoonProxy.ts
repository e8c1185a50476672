/** CocoonProxy wrapper: the generated Tact wrapper plus init-data and child-address helpers. */
import type { Address, Cell } from '@ton/core';
import { CocoonProxy } from '../build/CocoonProxy/CocoonProxy_CocoonProxy';
import { CocoonWorker } from '../build/CocoonWorker/CocoonWorker_CocoonWorker';
import { CocoonClient } from '../build/CocoonClient/CocoonClient_CocoonClient';
import { buildParamsCell, CODE_MASK, type CocoonParams } from './params';

export * from '../build/CocoonProxy/CocoonProxy_CocoonProxy';

/** Compiled child codes, as the root's params carry them. */
export async function childCodes(): Promise<{ worker: Cell; client: Cell; proxy: Cell }> {
    const probe = await import('@ton/core');
    const zero = new probe.Address(0, Buffer.alloc(32));
    const empty = probe.beginCell().endCell();
    const [w, c, p] = await Promise.all([
        CocoonWorker.fromInit(zero, zero, 0n, 0n, 0n, empty),
        CocoonClient.fromInit(0n, 0n, 0n, 0n, 0n, 0n, empty, empty),
        CocoonProxy.fromInit(zero, 0n, zero, 0n, 0n, 0n, 0n, empty),
    ]);
    return { worker: w.init!.code, client: c.init!.code, proxy: p.init!.code };
}

/** The proxy contract for (owner, proxy key, root, params): fresh state, params with worker+client code. */
export function cocoonProxyFor(owner: Address, proxyPublicKey: bigint, root: Address, params: CocoonParams): Promise<CocoonProxy> {
    return CocoonProxy.fromInit(owner, proxyPublicKey, root, 0n, 0n, 0n, 0n, buildParamsCell(params, CODE_MASK.proxyContract));
}
