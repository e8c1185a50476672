/**
 * The lifecycle state the proxy, client and worker contracts keep in 2 bits (contracts/constants.tact):
 * the one table of codes and names, for the runners (node/chain), their stats pages and the indexer.
 * Import-free, so the explorer's shared types can take it too. A worker is only normal or closed.
 */
export const CONTRACT_STATE = { normal: 0, closing: 1, closed: 2 } as const;

export type ContractState = keyof typeof CONTRACT_STATE;

/** The names in code order: `CONTRACT_STATE_NAMES[code]`. */
export const CONTRACT_STATE_NAMES: readonly ContractState[] = ['normal', 'closing', 'closed'];

/** The name of a state code, or undefined for a code no contract uses. */
export function contractStateOf(code: number): ContractState | undefined {
    return Number.isInteger(code) ? CONTRACT_STATE_NAMES[code] : undefined;
}
