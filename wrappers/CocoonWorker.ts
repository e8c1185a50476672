/** CocoonWorker wrapper: the generated Tact wrapper plus the data layout helpers. */
import { beginCell, type Address, type Cell } from '@ton/core';
import { CocoonWorker, loadWorkerStorage, storeWorkerStorage, type WorkerStorage } from '../build/CocoonWorker/CocoonWorker_CocoonWorker';
import { buildParamsCell, CODE_MASK, type CocoonParams } from './params';
import { atState } from './stateInit';

export * from '../build/CocoonWorker/CocoonWorker_CocoonWorker';

/** The original's layout (one cell): owner proxy proxy_public_key:uint256 state:uint2 tokens:uint64 ^params. */
export function buildWorkerData(s: Omit<WorkerStorage, '$$type'>): Cell {
    return beginCell()
        .store(storeWorkerStorage({ $$type: 'WorkerStorage', ...s }))
        .endCell();
}

export function parseWorkerData(data: Cell): WorkerStorage {
    const s = data.beginParse();
    const st = loadWorkerStorage(s);
    s.endParse();
    return st;
}

export async function cocoonWorkerAt(data: Cell): Promise<CocoonWorker> {
    return atState(CocoonWorker, (await CocoonWorker.init()).code, data);
}

/** The worker contract of `owner` at a proxy contract: fresh init data (state 0, tokens 0, params without code). */
export function cocoonWorkerFor(owner: Address, proxy: Address, proxyPublicKey: bigint, params: CocoonParams): Promise<CocoonWorker> {
    return cocoonWorkerAt(
        buildWorkerData({
            ownerAddress: owner,
            proxyAddress: proxy,
            proxyPublicKey,
            state: 0n,
            tokens: 0n,
            params: buildParamsCell(params, CODE_MASK.child),
        }),
    );
}
