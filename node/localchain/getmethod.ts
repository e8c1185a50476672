import type { Address, TupleItem } from '@ton/core';
import type { LocalChain } from './chain';

export interface GetMethodOutcome {
    exitCode: number;
    gasUsed: bigint;
    stack: TupleItem[] | null;
}

/** tonlib's code for "account is not initialized" (get-methods on uninit/nonexistent accounts). */
const NOT_INITIALIZED = -256;

export async function runGetMethod(chain: LocalChain, address: Address, method: string, args: TupleItem[]): Promise<GetMethodOutcome> {
    const contract = await chain.bc.getContract(address);
    if (contract.accountState?.type !== 'active') return { exitCode: NOT_INITIALIZED, gasUsed: 0n, stack: null };
    const id = /^-?\d+$/.test(method) ? Number(method) : method;
    try {
        const r = await contract.get(id, args, { now: chain.now() });
        return { exitCode: r.exitCode, gasUsed: r.gasUsed, stack: r.stack };
    } catch (e) {
        const exitCode = (e as { exitCode?: number }).exitCode;
        if (typeof exitCode === 'number') return { exitCode, gasUsed: 0n, stack: null };
        throw e;
    }
}
