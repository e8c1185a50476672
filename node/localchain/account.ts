/** Account views shared by the v2 and v4 APIs. */
import { Address, beginCell, Cell, storeStateInit } from '@ton/core';
import type { LocalChain } from './chain';
import { uint256Bytes } from '../../wrappers/uint256';

export interface AccountView {
    state: 'active' | 'uninit' | 'frozen' | 'nonexist';
    balance: bigint;
    code: Cell | null;
    data: Cell | null;
    frozenHash: Buffer | null;
    last: { lt: bigint; hash: Buffer } | null;
    storage: { lastPaid: number; bits: number; cells: number } | null;
}

export async function readAccount(chain: LocalChain, address: Address): Promise<AccountView> {
    const contract = await chain.bc.getContract(address);
    const st = contract.accountState;
    const last = chain.lastTransaction(address);
    const lastRef = last ? { lt: last.lt, hash: last.hash } : null;
    const shard = contract.account.account;
    const storage = shard
        ? {
              lastPaid: shard.storageStats.lastPaid,
              bits: Number(shard.storageStats.used.bits),
              cells: Number(shard.storageStats.used.cells),
          }
        : null;
    if (!st) return { state: 'nonexist', balance: contract.balance, code: null, data: null, frozenHash: null, last: lastRef, storage };
    if (st.type === 'uninit')
        return { state: 'uninit', balance: contract.balance, code: null, data: null, frozenHash: null, last: lastRef, storage };
    if (st.type === 'frozen') {
        return {
            state: 'frozen',
            balance: contract.balance,
            code: null,
            data: null,
            frozenHash: uint256Bytes(st.stateHash),
            last: lastRef,
            storage,
        };
    }
    return {
        state: 'active',
        balance: contract.balance,
        code: st.state.code ?? null,
        data: st.state.data ?? null,
        frozenHash: null,
        last: lastRef,
        storage,
    };
}

export function stateInitHash(code: Cell | null, data: Cell | null): Buffer {
    return beginCell()
        .store(storeStateInit({ code: code ?? undefined, data: data ?? undefined }))
        .endCell()
        .hash();
}

/** Accepts raw ("0:hex") and user-friendly (bounceable or not, url-safe or not) addresses. */
export function parseAddress(s: unknown): Address {
    if (typeof s !== 'string' || s.length === 0) throw new TypeError('address is required');
    try {
        return Address.parse(s);
    } catch {
        throw new TypeError(`invalid address: ${s}`);
    }
}
