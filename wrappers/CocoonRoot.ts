/** CocoonRoot wrapper: generated Tact wrapper, owner-message builders, and the raw-data parsers. */
import { beginCell, Dictionary, type Address, type Cell, type Slice } from '@ton/core';
import { CocoonRoot, storeRootStorage } from '../build/CocoonRoot/CocoonRoot_CocoonRoot';
import { buildParamsCell, CODE_MASK, parseParams, type CocoonParams } from './params';
import { atState } from './stateInit';

export * from '../build/CocoonRoot/CocoonRoot_CocoonRoot';

const op = CocoonRoot.opcodes;

/** The root's owner operations, by the names the CLI and the indexer use; opcodes from the compiled ABI. */
export const ROOT_OP = {
    addWorkerType: op.RootAddWorkerType,
    delWorkerType: op.RootDelWorkerType,
    addModelType: op.RootAddModelType,
    delModelType: op.RootDelModelType,
    addProxyType: op.RootAddProxyType,
    delProxyType: op.RootDelProxyType,
    registerProxy: op.RootRegisterProxy,
    unregisterProxy: op.RootUnregisterProxy,
    updateProxy: op.RootUpdateProxy,
    changeFees: op.RootChangeFees,
    changeParams: op.RootChangeParams,
    changeParamsFull: op.RootChangeParamsFull,
    upgradeContracts: op.RootUpgradeContracts,
    upgrade: op.RootUpgrade,
    reset: op.RootReset,
    upgradeFull: op.RootUpgradeFull,
    changeOwner: op.RootChangeOwner,
} as const;

export interface RootRegistry {
    proxyHashes: bigint[];
    workerHashes: bigint[];
    modelHashes: bigint[];
    registeredProxies: Map<number, string>;
    lastProxySeqno: number;
}

/** ProxyDesc: type:uint1 (0) len:uint7 ASCII "ip:port" or "ip_workers:port ip_clients:port". */
export function encodeProxyDesc(address: string): Cell {
    const bytes = Buffer.from(address, 'ascii');
    if (bytes.length > 127) throw new RangeError('proxy address descriptor is longer than 127 bytes');
    return beginCell().storeUint(0, 1).storeUint(bytes.length, 7).storeBuffer(bytes).endCell();
}

export function decodeProxyDesc(s: Slice): string {
    if (s.loadUint(1) !== 0) throw new Error('unknown proxy descriptor type');
    return s.loadBuffer(s.loadUint(7)).toString('ascii');
}

const emptyValue = { serialize: () => undefined, parse: () => null };

export function buildRootData(r: Partial<RootRegistry> = {}): Cell {
    const set = (hashes: bigint[] = []) => {
        const d = Dictionary.empty(Dictionary.Keys.BigUint(256), { serialize: () => undefined, parse: () => null } as never);
        for (const h of hashes) d.set(h, null as never);
        return d;
    };
    const proxies = Dictionary.empty(Dictionary.Keys.Uint(32), {
        serialize: (v: Cell, b) => b.storeSlice(v.beginParse()),
        parse: (s) => s.asCell(),
    });
    for (const [k, v] of r.registeredProxies ?? []) proxies.set(k, encodeProxyDesc(v));
    return beginCell()
        .storeDict(set(r.proxyHashes))
        .storeDict(proxies)
        .storeUint(r.lastProxySeqno ?? 0, 32)
        .storeDict(set(r.workerHashes))
        .storeDict(set(r.modelHashes))
        .endCell();
}

export function parseRootData(cell: Cell): RootRegistry {
    const s = cell.beginParse();
    const keys = (d: Dictionary<bigint, null>) => d.keys();
    const hashDict = () => Dictionary.load(Dictionary.Keys.BigUint(256), emptyValue as never, s) as Dictionary<bigint, null>;
    const proxyHashes = keys(hashDict());
    const proxies = Dictionary.load(
        Dictionary.Keys.Uint(32),
        { serialize: () => undefined, parse: (x: Slice) => decodeProxyDesc(x) } as never,
        s,
    ) as Dictionary<number, string>;
    const lastProxySeqno = s.loadUint(32);
    const workerHashes = keys(hashDict());
    const modelHashes = keys(hashDict());
    return {
        proxyHashes,
        workerHashes,
        modelHashes,
        registeredProxies: new Map(proxies.keys().map((k) => [k, proxies.get(k)!])),
        lastProxySeqno,
    };
}

/** Parses the root's whole account data (the C++ runners read this rather than the getters). */
export function parseRootState(data: Cell): { owner: Address; version: number; registry: RootRegistry; params: CocoonParams } {
    const s = data.beginParse();
    return { owner: s.loadAddress(), version: s.loadUint(32), registry: parseRootData(s.loadRef()), params: parseParams(s.loadRef()) };
}

/** The original's layout (one cell): owner version:uint32 ^registry ^params(all codes). */
export function buildRootState(owner: Address, version: number, registry: Cell, params: Cell): Cell {
    return beginCell()
        .store(storeRootStorage({ $$type: 'RootStorage', ownerAddress: owner, version: BigInt(version), registry, params }))
        .endCell();
}

/** The compiled CocoonRoot code. */
export async function rootCode(): Promise<Cell> {
    return (await CocoonRoot.init()).code;
}

export async function cocoonRootAt(data: Cell): Promise<CocoonRoot> {
    return atState(CocoonRoot, await rootCode(), data);
}

export function cocoonRootFor(owner: Address, params: CocoonParams, registry: Partial<RootRegistry> = {}): Promise<CocoonRoot> {
    return cocoonRootAt(buildRootState(owner, 0, buildRootData(registry), buildParamsCell(params, CODE_MASK.root)));
}

/** Owner message bodies: op query_id + fields. */
export const rootMsg = {
    hash: (op: number, hash: bigint, queryId = 0n) => beginCell().storeUint(op, 32).storeUint(queryId, 64).storeUint(hash, 256).endCell(),
    registerProxy: (address: string, queryId = 0n) =>
        beginCell().storeUint(ROOT_OP.registerProxy, 32).storeUint(queryId, 64).storeSlice(encodeProxyDesc(address).beginParse()).endCell(),
    unregisterProxy: (seqno: number, queryId = 0n) =>
        beginCell().storeUint(ROOT_OP.unregisterProxy, 32).storeUint(queryId, 64).storeUint(seqno, 32).endCell(),
    updateProxy: (seqno: number, address: string, queryId = 0n) =>
        beginCell()
            .storeUint(ROOT_OP.updateProxy, 32)
            .storeUint(queryId, 64)
            .storeUint(seqno, 32)
            .storeSlice(encodeProxyDesc(address).beginParse())
            .endCell(),
    changeFees: (price: bigint, workerFee: bigint, queryId = 0n) =>
        beginCell().storeUint(ROOT_OP.changeFees, 32).storeUint(queryId, 64).storeCoins(price).storeCoins(workerFee).endCell(),
    changeParams: (
        p: { price: bigint; workerFee: bigint; proxyDelay: number; clientDelay: number; minProxyStake: bigint; minClientStake: bigint },
        queryId = 0n,
    ) =>
        beginCell()
            .storeUint(ROOT_OP.changeParams, 32)
            .storeUint(queryId, 64)
            .storeCoins(p.price)
            .storeCoins(p.workerFee)
            .storeUint(p.proxyDelay, 32)
            .storeUint(p.clientDelay, 32)
            .storeCoins(p.minProxyStake)
            .storeCoins(p.minClientStake)
            .endCell(),
    changeParamsFull: (params: CocoonParams, queryId = 0n) =>
        beginCell()
            .storeUint(ROOT_OP.changeParamsFull, 32)
            .storeUint(queryId, 64)
            .storeRef(buildParamsCell(params, CODE_MASK.root))
            .endCell(),
    upgradeContracts: (proxy: Cell, worker: Cell, client: Cell, queryId = 0n) =>
        beginCell()
            .storeUint(ROOT_OP.upgradeContracts, 32)
            .storeUint(queryId, 64)
            .storeRef(proxy)
            .storeRef(worker)
            .storeRef(client)
            .endCell(),
    upgrade: (code: Cell, queryId = 0n) => beginCell().storeUint(ROOT_OP.upgrade, 32).storeUint(queryId, 64).storeRef(code).endCell(),
    reset: (queryId = 0n) => beginCell().storeUint(ROOT_OP.reset, 32).storeUint(queryId, 64).endCell(),
    upgradeFull: (data: Cell, code: Cell, queryId = 0n) =>
        beginCell().storeUint(ROOT_OP.upgradeFull, 32).storeUint(queryId, 64).storeRef(data).storeRef(code).endCell(),
    changeOwner: (owner: Address, queryId = 0n) =>
        beginCell().storeUint(ROOT_OP.changeOwner, 32).storeUint(queryId, 64).storeAddress(owner).endCell(),
};
