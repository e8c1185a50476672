/**
 * Stats sections about on-chain state that every runner shows the same way: the root contract's
 * configuration (COCOON root_contract_config) and a contract's state by name.
 */
import type { RootState } from '../chain/cocoon';
import { contractStateOf } from '../../wrappers/contractState';
import { ton, type KeyValueSection } from './stats-server';
import { uint256Hex } from '../../wrappers/uint256';

/** A contract's state code by name; a code no contract uses shows as `unknown (<code>)`. */
export function contractStateName(s: number | null | undefined): string | null {
    if (s === null || s === undefined) return null;
    return contractStateOf(s) ?? `unknown (${s})`;
}

/** The root contract's configuration (COCOON root_contract_config), shared by the runners' stats. */
export function rootConfigSection(root: RootState | undefined): KeyValueSection {
    if (!root) return { kind: 'kv', id: 'root_contract_config', title: 'root contract', values: { loaded: false } };
    const p = root.params;
    const r = root.registry;
    return {
        kind: 'kv',
        id: 'root_contract_config',
        title: 'root contract',
        values: {
            address: root.address.toString(),
            owner: root.owner.toString(),
            balance: ton(root.balance),
            version: root.version,
            struct_version: p.structVersion,
            params_version: p.paramsVersion,
            unique_id: p.uniqueId,
            is_test: p.isTest,
            price_per_token: ton(p.pricePerToken),
            worker_fee_per_token: ton(p.workerFeePerToken),
            prompt_tokens_price_multiplier: p.promptTokensPriceMultiplier,
            cached_tokens_price_multiplier: p.cachedTokensPriceMultiplier,
            completion_tokens_price_multiplier: p.completionTokensPriceMultiplier,
            reasoning_tokens_price_multiplier: p.reasoningTokensPriceMultiplier,
            proxy_delay_before_close: p.proxyDelayBeforeClose,
            client_delay_before_close: p.clientDelayBeforeClose,
            min_proxy_stake: ton(p.minProxyStake),
            min_client_stake: ton(p.minClientStake),
            proxy_hashes: r.proxyHashes.map(uint256Hex).join(' '),
            worker_hashes: r.workerHashes.map(uint256Hex).join(' '),
            model_hashes: r.modelHashes.map(uint256Hex).join(' '),
            registered_proxies: [...r.registeredProxies].map(([seqno, desc]) => `#${seqno} ${desc}`).join('; '),
            last_proxy_seqno: r.lastProxySeqno,
        },
    };
}
