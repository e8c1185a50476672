/**
 * createChainClient: one URL decides the chain and the API. URLs ending in /jsonRPC or containing
 * /api/v2 speak toncenter v2; anything else ton-api-v4. `--network` presets name the public endpoints.
 */
import { V2ChainClient } from './v2';
import { V4ChainClient } from './v4';
import type { RetryPolicy } from './retry';
import type { ChainClient } from './types';

export * from './types';
export { ChainError, type ChainErrorCode } from './errors';
export { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry';
export { openWallet, type ChainWallet } from './wallet';
export { readRegistry, readRegistryAt, type RegistryState } from './registry';
export { V2ChainClient } from './v2';
export { V4ChainClient } from './v4';

export const NETWORKS = {
    local: 'http://127.0.0.1:8081',
    testnet: 'https://testnet-v4.tonhubapi.com',
    mainnet: 'https://mainnet-v4.tonhubapi.com',
    'testnet-toncenter': 'https://testnet.toncenter.com/api/v2/jsonRPC',
    'mainnet-toncenter': 'https://toncenter.com/api/v2/jsonRPC',
} as const;

export type NetworkName = keyof typeof NETWORKS;

export interface ChainClientOptions {
    /** Endpoint URL, or a network name from NETWORKS. */
    url: string;
    /** toncenter API key (v2 only). */
    apiKey?: string;
    /** Force the API kind instead of guessing from the URL. */
    kind?: 'v4' | 'v2';
    timeoutMs?: number;
    retry?: RetryPolicy;
}

export function apiKindOf(url: string): 'v4' | 'v2' {
    return /\/jsonRPC\/?$/i.test(url) || /\/api\/v2(\/|$)/.test(url) ? 'v2' : 'v4';
}

/** The endpoint of a network name from NETWORKS, or undefined (a name is never looked up on Object.prototype). */
export function networkUrl(name: string): string | undefined {
    return Object.hasOwn(NETWORKS, name) ? NETWORKS[name as NetworkName] : undefined;
}

export function createChainClient(opts: ChainClientOptions): ChainClient {
    const url = networkUrl(opts.url) ?? opts.url;
    if (!/^https?:\/\//.test(url))
        throw new TypeError(`chain URL must be http(s)://... or one of ${Object.keys(NETWORKS).join(', ')}; got '${opts.url}'`);
    const kind = opts.kind ?? apiKindOf(url);
    return kind === 'v2'
        ? new V2ChainClient(url, { apiKey: opts.apiKey, timeoutMs: opts.timeoutMs, retry: opts.retry })
        : new V4ChainClient(url.replace(/\/+$/, ''), { timeoutMs: opts.timeoutMs, retry: opts.retry });
}
export { LeanBocError, LeanSlice, parseBoc, readTransaction, toCell, type LeanCell, type MessageLike, type TxLike } from './lean-boc';
export { LeanV4Client, type LeanChainTx, type LeanTxId, type LeanV4Account, type LeanV4Options } from './lean-v4';
export { installNativeSha256 } from './fast-hash';
