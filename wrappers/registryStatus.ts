/**
 * The status a GPU owner's registry contract keeps (contracts/registry.tact): the one table of codes and
 * names, for the wrapper, the worker's registration, the indexer, its API and the explorer. Import-free,
 * so the explorer's shared types can take it too (the wrapper itself loads compiled contract code).
 */
export const REGISTRY_STATUS = { none: 0, active: 1, paused: 2, retired: 3 } as const;

export type RegistryStatusName = keyof typeof REGISTRY_STATUS;

/** The names in code order: `REGISTRY_STATUS_NAMES[code]`. */
export const REGISTRY_STATUS_NAMES = ['none', 'active', 'paused', 'retired'] as const satisfies readonly RegistryStatusName[];
