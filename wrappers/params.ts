/**
 * The COCOON params cell (struct_version 3), as packed by the original `pack_cocoon_params`. It is part
 * of every child contract's init data, so these exact bits decide all contract addresses.
 * Code mask: bit0 proxy code, bit1 worker code, bit2 client code. Root keeps 7, a proxy contract 6,
 * worker and client contracts 0.
 */
import { beginCell, type Cell, type Slice } from '@ton/core';

export interface CocoonParams {
    structVersion: number; // 3
    paramsVersion: number;
    uniqueId: number;
    isTest: boolean;
    pricePerToken: bigint;
    workerFeePerToken: bigint;
    promptTokensPriceMultiplier: number;
    cachedTokensPriceMultiplier: number;
    completionTokensPriceMultiplier: number;
    reasoningTokensPriceMultiplier: number;
    proxyDelayBeforeClose: number;
    clientDelayBeforeClose: number;
    minProxyStake: bigint;
    minClientStake: bigint;
    proxyScCode: Cell | null;
    workerScCode: Cell | null;
    clientScCode: Cell | null;
}

export const CODE_MASK = { proxy: 1, worker: 2, client: 4, root: 7, proxyContract: 6, child: 0 } as const;

export function buildParamsCell(p: CocoonParams, mask: number = CODE_MASK.root): Cell {
    return beginCell()
        .storeUint(p.structVersion, 8)
        .storeUint(p.paramsVersion, 32)
        .storeUint(p.uniqueId, 32)
        .storeBit(p.isTest)
        .storeCoins(p.pricePerToken)
        .storeCoins(p.workerFeePerToken)
        .storeUint(p.promptTokensPriceMultiplier, 32)
        .storeUint(p.cachedTokensPriceMultiplier, 32)
        .storeUint(p.completionTokensPriceMultiplier, 32)
        .storeUint(p.reasoningTokensPriceMultiplier, 32)
        .storeUint(p.proxyDelayBeforeClose, 32)
        .storeUint(p.clientDelayBeforeClose, 32)
        .storeCoins(p.minProxyStake)
        .storeCoins(p.minClientStake)
        .storeMaybeRef(mask & CODE_MASK.proxy ? p.proxyScCode : null)
        .storeMaybeRef(mask & CODE_MASK.worker ? p.workerScCode : null)
        .storeMaybeRef(mask & CODE_MASK.client ? p.clientScCode : null)
        .endCell();
}

export function parseParams(cell: Cell | Slice): CocoonParams {
    const s = 'beginParse' in cell ? cell.beginParse() : cell;
    const structVersion = s.loadUint(8);
    if (structVersion !== 3) throw new Error(`unsupported params struct_version ${structVersion} (expected 3)`);
    return {
        structVersion,
        paramsVersion: s.loadUint(32),
        uniqueId: s.loadUint(32),
        isTest: s.loadBit(),
        pricePerToken: s.loadCoins(),
        workerFeePerToken: s.loadCoins(),
        promptTokensPriceMultiplier: s.loadUint(32),
        cachedTokensPriceMultiplier: s.loadUint(32),
        completionTokensPriceMultiplier: s.loadUint(32),
        reasoningTokensPriceMultiplier: s.loadUint(32),
        proxyDelayBeforeClose: s.loadUint(32),
        clientDelayBeforeClose: s.loadUint(32),
        minProxyStake: s.loadCoins(),
        minClientStake: s.loadCoins(),
        proxyScCode: s.loadMaybeRef(),
        workerScCode: s.loadMaybeRef(),
        clientScCode: s.loadMaybeRef(),
    };
}
