/**
 * The proxy contract for the current params: its address (from the proxy's key, its owner, the root and the
 * params), its deployment and its stake. A new params version or a new key means a new contract.
 */
import { beginCell, internal, toNano, type Address } from '@ton/core';
import type { ChainClient, ChainWallet } from '../chain';
import { readProxyContract, CONTRACT_STATE, type RootState } from '../chain/cocoon';
import { contractStateName } from '../common/chain-stats';
import type { Logger } from '../common/log';
import { cocoonProxyFor, storeExtProxyIncreaseStake } from '../../wrappers/CocoonProxy';
import { ProxyFatalError } from './config';
import { bufferToBigInt } from '../../wrappers/uint256';

/** Gas for deployment or a stake top-up, on top of the stake itself. */
const DEPLOY_VALUE = toNano('0.3');
const DEPLOY_TIMEOUT_MS = 60_000;

export interface ProxyContractDeps {
    chain: ChainClient;
    wallet: ChainWallet;
    rootAddress: Address;
    publicKey: Buffer;
    log: Logger;
}

export async function proxyContractAddress(deps: ProxyContractDeps, root: RootState): Promise<Address> {
    return (await cocoonProxyFor(deps.wallet.address, bufferToBigInt(deps.publicKey), deps.rootAddress, root.params)).address;
}

/**
 * Deploys the proxy contract for `root`'s params when it is not there and keeps its stake at `stake`
 * (default: the root's min_proxy_stake). A closing or closed contract cannot serve: ProxyFatalError CONTRACT.
 */
export async function ensureProxyContract(deps: ProxyContractDeps, root: RootState, stake: bigint | undefined): Promise<void> {
    const owner = deps.wallet.address;
    const proxy = await cocoonProxyFor(owner, bufferToBigInt(deps.publicKey), deps.rootAddress, root.params);
    const contract = proxy.address;
    const state = await readProxyContract(deps.chain, contract);
    if (state && state.state !== CONTRACT_STATE.normal) {
        throw new ProxyFatalError(
            'CONTRACT',
            `proxy contract ${contract.toString()} is ${contractStateName(state.state)}; ` +
                `a new params version (or a new proxy key) gives a new contract`,
        );
    }
    const want = stake ?? root.params.minProxyStake;
    const have = state?.stake ?? 0n;
    if (state && have >= want) return;
    const grams = want > have ? want - have : 0n;
    const body = beginCell()
        .store(storeExtProxyIncreaseStake({ $$type: 'ExtProxyIncreaseStake', queryId: 0n, grams, sendExcessesTo: owner }))
        .endCell();
    deps.log.info(state ? 'topping up the proxy stake' : 'deploying the proxy contract', { contract: contract.toString(), stake: grams });
    await deps.wallet.send([
        internal({ to: contract, value: DEPLOY_VALUE + grams, bounce: false, init: state ? undefined : proxy.init!, body }),
    ]);
    await deps.chain.waitForTransaction(contract, () => true, { timeoutMs: DEPLOY_TIMEOUT_MS }).catch(() => undefined);
    const after = await readProxyContract(deps.chain, contract);
    if (!after)
        throw new ProxyFatalError(
            'CONTRACT',
            `proxy contract ${contract.toString()} did not deploy: check the wallet ${owner.toString()} has funds`,
        );
}
