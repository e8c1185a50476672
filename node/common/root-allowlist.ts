/**
 * The root contract's allowlists in the form the verifiers take (node/attestation/verify): the proxy
 * puts them into its attestation reports, `cocoon verify` checks receipts and reports against them.
 */
import type { RootState } from '../chain/cocoon';
import type { RootAllowlist } from '../attestation/verify';

const hash256 = (h: bigint) => Buffer.from(h.toString(16).padStart(64, '0'), 'hex');

export function rootAllowlist(root: RootState): RootAllowlist & { address: string } {
    return {
        address: root.address.toString(),
        proxyHashes: root.registry.proxyHashes.map(hash256),
        workerHashes: root.registry.workerHashes.map(hash256),
        modelHashes: root.registry.modelHashes.map(hash256),
    };
}
