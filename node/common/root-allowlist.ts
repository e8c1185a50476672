/**
 * The root contract's allowlists in the form the verifiers take (node/attestation/verify): the proxy
 * puts them into its attestation reports, `cocoon verify` checks receipts and reports against them.
 */
import type { RootState } from '../chain/cocoon';
import type { RootAllowlist } from '../attestation/verify';
import { uint256Bytes } from '../../wrappers/uint256';

export function rootAllowlist(root: RootState): RootAllowlist & { address: string } {
    return {
        address: root.address.toString(),
        proxyHashes: root.registry.proxyHashes.map(uint256Bytes),
        workerHashes: root.registry.workerHashes.map(uint256Bytes),
        modelHashes: root.registry.modelHashes.map(uint256Bytes),
    };
}
