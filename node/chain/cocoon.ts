/**
 * Reading COCOON contracts through any ChainClient: the root's registry and params (parsed from its raw
 * data, as the original runners do) and the child contracts' state from their get-methods. Role-free:
 * the proxy, worker and client runners, the CLI and tests all read the chain through these.
 */
import { Address } from '@ton/core';
import { parseRootState, type RootRegistry } from '../../wrappers/CocoonRoot';
import { CocoonClient } from '../../wrappers/CocoonClient';
import { CocoonProxy } from '../../wrappers/CocoonProxy';
import { CocoonWorker } from '../../wrappers/CocoonWorker';
import type { CocoonParams } from '../../wrappers/params';
import { ChainError } from './errors';
import type { ChainClient } from './types';

export interface RootState {
    address: Address;
    owner: Address;
    /** Config version: grows on every root change (the `min_config_version` peers exchange). */
    version: number;
    registry: RootRegistry;
    params: CocoonParams;
    balance: bigint;
}

export { CONTRACT_STATE } from '../../wrappers/contractState';

export interface ClientContractState {
    address: Address;
    balance: bigint;
    stake: bigint;
    tokensUsed: bigint;
    state: number;
    unlockTs: number;
    secretHash: bigint;
    /** TON balance of the contract account itself. */
    accountBalance: bigint;
}

export interface WorkerContractState {
    address: Address;
    tokens: bigint;
    state: number;
    accountBalance: bigint;
}

export interface ProxyContractState {
    address: Address;
    /** Accrued commission (withdrawable). */
    balance: bigint;
    stake: bigint;
    state: number;
    unlockTs: number;
    paramsVersion: number;
    accountBalance: bigint;
}

export async function readRoot(chain: ChainClient, root: Address): Promise<RootState> {
    const acc = await chain.account(root);
    if (acc.state !== 'active' || !acc.data) {
        throw new ChainError('NOT_FOUND', `root contract ${root.toString()} is not deployed on ${chain.url}: check --root and the network`);
    }
    const s = parseRootState(acc.data);
    return { address: root, owner: s.owner, version: s.version, registry: s.registry, params: s.params, balance: acc.balance };
}

/** Client contract state, or null while it is not deployed. */
export async function readClientContract(chain: ChainClient, address: Address): Promise<ClientContractState | null> {
    const acc = await chain.accountSummary(address);
    if (acc.state !== 'active') return null;
    const d = await chain.open(CocoonClient.fromAddress(address)).getGetCocoonClientData();
    return {
        address,
        balance: d.balance,
        stake: d.stake,
        tokensUsed: d.tokensUsed,
        state: Number(d.state),
        unlockTs: Number(d.unlockTs),
        secretHash: d.secretHash,
        accountBalance: acc.balance,
    };
}

export async function readWorkerContract(chain: ChainClient, address: Address): Promise<WorkerContractState | null> {
    const acc = await chain.accountSummary(address);
    if (acc.state !== 'active') return null;
    const d = await chain.open(CocoonWorker.fromAddress(address)).getGetCocoonWorkerData();
    return { address, tokens: d.tokens, state: Number(d.state), accountBalance: acc.balance };
}

export async function readProxyContract(chain: ChainClient, address: Address): Promise<ProxyContractState | null> {
    const acc = await chain.accountSummary(address);
    if (acc.state !== 'active') return null;
    const d = await chain.open(CocoonProxy.fromAddress(address)).getGetCocoonProxyData();
    return {
        address,
        balance: d.balance,
        stake: d.stake,
        state: Number(d.state),
        unlockTs: Number(d.unlockTs),
        paramsVersion: Number(d.paramsVersion),
        accountBalance: acc.balance,
    };
}

/** `host:port` (an IPv6 host may be bracketed; the brackets go); null unless the port is 1..65535 and a host is there. */
export function splitHostPort(s: string): { host: string; port: number } | null {
    const i = s.lastIndexOf(':');
    const port = Number(s.slice(i + 1));
    if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return null;
    return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

/** "host:port" or "host_workers:port host_clients:port" (the root's proxy descriptor). */
export function proxyEndpoints(desc: string): { workers: { host: string; port: number }; clients: { host: string; port: number } } {
    const parse = (s: string) => {
        const e = splitHostPort(s);
        if (!e) throw new ChainError('BAD_REQUEST', `bad proxy address '${s}' in the root registry (expected host:port)`);
        return e;
    };
    const parts = desc.trim().split(/\s+/);
    const workers = parse(parts[0]);
    return { workers, clients: parts[1] ? parse(parts[1]) : workers };
}
