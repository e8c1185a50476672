/**
 * Reading a GPU owner's registry contract (contracts/registry.tact) through any ChainClient. Role-free:
 * the worker's registration module, the CLI, the indexer and tests read registrations through this.
 */
import type { Address, Cell } from '@ton/core';
import {
    CocoonRegistry,
    cocoonRegistryFor,
    parseProfileCell,
    REGISTRY_STATUS_NAMES,
    type RegistryProfile,
    type RegistryStatusName,
} from '../../wrappers/CocoonRegistry';
import { ChainError } from './errors';
import type { ChainClient } from './types';

export interface RegistryState {
    address: Address;
    owner: Address;
    root: Address;
    status: RegistryStatusName;
    /** Refundable deposit the contract holds (nanoTON). */
    deposit: bigint;
    /** Unix seconds; 0 before the first registration. */
    registeredAt: number;
    /** Last register/update/pause/resume/retire; the retirement time once retired. */
    updatedAt: number;
    /** When a retired owner may withdraw the deposit; 0 when there is nothing to withdraw. */
    unlockAt: number;
    /** The declared profile, or null before the first registration. */
    profile: RegistryProfile | null;
    /** The raw profile cell (to compare with a new one by hash). */
    profileCell: Cell | null;
    /** TON balance of the contract account. */
    accountBalance: bigint;
}

/** The registration of `owner` under `root`; null while its contract is not deployed. */
export async function readRegistry(chain: ChainClient, root: Address, owner: Address): Promise<RegistryState | null> {
    return readRegistryAt(chain, (await cocoonRegistryFor(root, owner)).address);
}

/** The registry contract at a known address; null while it is not deployed. */
export async function readRegistryAt(chain: ChainClient, address: Address): Promise<RegistryState | null> {
    const acc = await chain.account(address);
    if (acc.state !== 'active') return null;
    const d = await chain
        .open(CocoonRegistry.fromAddress(address))
        .getGetRegistryData()
        .catch((e: unknown) => {
            throw new ChainError(
                'GET_METHOD',
                `${address.toString()} is not a CocoonRegistry contract (get_registry_data failed: ${(e as Error).message})`,
                undefined,
                undefined,
                { cause: e },
            );
        });
    const status = REGISTRY_STATUS_NAMES[Number(d.status)];
    if (status === undefined)
        throw new ChainError('BAD_REQUEST', `registry contract ${address.toString()} reports status ${d.status}: not a CocoonRegistry`);
    let profile: RegistryProfile | null = null;
    if (d.profile) {
        try {
            profile = parseProfileCell(d.profile);
        } catch (e) {
            throw new ChainError(
                'BAD_REQUEST',
                `registry contract ${address.toString()} holds a profile this version cannot read: ${(e as Error).message}`,
                undefined,
                undefined,
                { cause: e },
            );
        }
    }
    return {
        address,
        owner: d.owner,
        root: d.root,
        status,
        deposit: d.deposit,
        registeredAt: Number(d.registeredAt),
        updatedAt: Number(d.updatedAt),
        unlockAt: Number(d.unlockAt),
        profile,
        profileCell: d.profile,
        accountBalance: acc.balance,
    };
}
