/** Helpers for the Blueprint scripts: argument parsing and reading contract data from the chain. */
import { Address, Cell } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { parseRootState } from '../wrappers/CocoonRoot';
import { uint256FromHex } from '../wrappers/uint256';

export function arg(args: string[], i: number, what: string): string {
    const v = args[i];
    if (v === undefined || v === '') throw new Error(`missing argument ${i + 1}: ${what}`);
    return v;
}

export function addressArg(args: string[], i: number, what: string): Address {
    try {
        return Address.parse(arg(args, i, what));
    } catch (e) {
        throw new Error(`argument ${i + 1} (${what}) is not a TON address: ${(e as Error).message}`);
    }
}

export function keyArg(args: string[], i: number, what: string): bigint {
    const key = uint256FromHex(arg(args, i, what));
    if (key === undefined) throw new Error(`argument ${i + 1} (${what}) must be a 32-byte hex public key`);
    return key;
}

/** A 256-bit hash argument (64 hex digits, 0x optional). */
export function hashArg(args: string[], i: number, what: string): bigint {
    const hash = uint256FromHex(arg(args, i, what));
    if (hash === undefined) throw new Error(`argument ${i + 1} (${what}) must be 64 hex digits (a 256-bit hash)`);
    return hash;
}

export async function accountData(provider: NetworkProvider, address: Address): Promise<Cell> {
    const state = await provider.provider(address).getState();
    if (state.state.type !== 'active' || !state.state.data) throw new Error(`${address.toString()} is not an active contract`);
    return Cell.fromBoc(state.state.data)[0];
}

export async function rootState(provider: NetworkProvider, root: Address) {
    return parseRootState(await accountData(provider, root));
}
