/**
 * What a worker or a client checks before it trusts a proxy (COCOON BaseRunner's proxy checks): the image
 * hash its attestation shows is one the root allows, and the contract addresses it names derive from its
 * key and owner under this root. Anything else means a rogue or misconfigured proxy: refused with the reason.
 */
import { Address } from '@ton/core';
import type { RootState } from '../chain/cocoon';
import type { proxy_params } from '../protocol';
import { cocoonProxyFor } from '../../wrappers/CocoonProxy';
import { bufferToBigInt } from '../../wrappers/uint256';

/** The proxy as the chain knows it: its signing key and the contract that key and its owner derive. */
export interface VerifiedProxy {
    proxyKey: Buffer;
    proxyKeyInt: bigint;
    proxySc: Address;
}

/** Throws unless the root allows the proxy's image (skipped when `enabled` is false: test roots, plaintext). */
export function checkProxyImage(imageHash: Buffer, root: RootState, enabled: boolean): void {
    if (!enabled) return;
    const image = bufferToBigInt(imageHash);
    if (!root.registry.proxyHashes.includes(image))
        throw new Error(`proxy image hash ${imageHash.toString('hex')} is not allowed by the root contract`);
}

/**
 * Checks the addresses in a proxy's connectedToProxy answer: `params.proxy_sc_address` must derive from its
 * key and owner under `rootAddress`, and `claimedChild` (the worker or client contract it names for us) must
 * be the one `deriveChild` gives under that proxy contract. Returns the proxy and our child contract.
 */
export async function verifyProxyContracts<C extends { address: Address }>(
    params: proxy_params,
    claimedChild: string,
    rootAddress: Address,
    root: RootState,
    role: 'worker' | 'client',
    deriveChild: (proxySc: Address, proxyKeyInt: bigint) => Promise<C>,
): Promise<{ proxy: VerifiedProxy; child: C }> {
    const proxyKey = params.proxy_public_key;
    const proxyKeyInt = bufferToBigInt(proxyKey);
    const proxySc = (await cocoonProxyFor(Address.parse(params.proxy_owner_address), proxyKeyInt, rootAddress, root.params)).address;
    if (!Address.parse(params.proxy_sc_address).equals(proxySc)) {
        throw new Error(
            `proxy contract ${params.proxy_sc_address} does not derive from the proxy's key and owner under this root ` +
                `(expected ${proxySc.toString()}): ` +
                'a contract that does not derive from its key and owner is not one the root vouches for, refusing the proxy',
        );
    }
    const child = await deriveChild(proxySc, proxyKeyInt);
    if (!Address.parse(claimedChild).equals(child.address))
        throw new Error(`proxy names ${role} contract ${claimedChild}, expected ${child.address.toString()}`);
    return { proxy: { proxyKey, proxyKeyInt, proxySc }, child };
}
