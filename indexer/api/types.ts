/**
 * Response types of the indexer's REST API, shared with the explorer (web/). Keep this file free of
 * imports (its only runtime value is the EVENT_TYPES list) so any bundler can take it as is. Changing a
 * field here is an API change: add fields, do not rename or remove them.
 *
 * Conventions: `Nano` is a decimal string of nanoTON (or of tokens for token counters) so no value loses
 * precision in JSON; `Address` is the raw form `0:<64 hex>`; hashes are lowercase hex; `Lt` is a decimal
 * string; times are unix seconds.
 */

export type Nano = string;
export type Address = string;
export type Lt = string;
export type HexHash = string;

export type AccountKind = 'root' | 'proxy' | 'client' | 'worker' | 'wallet';
/** Contract lifecycle state (2 bits on chain); workers use normal and closed only. */
export type ContractStateName = 'normal' | 'closing' | 'closed' | 'unknown';
export type AccountStatus = 'active' | 'uninit' | 'frozen' | 'nonexist';

/** One page of a list. Pass `nextCursor` back as `?cursor=` for the next page; null means the end. */
export interface Page<T> {
    items: T[];
    nextCursor: string | null;
}

/** Error body for every non-2xx answer (OpenAI error shape). */
export interface ApiErrorBody {
    error: { message: string; type: 'invalid_request_error' | 'not_found_error' | 'server_error'; code: string; param?: string };
}

export interface RegisteredProxy {
    seqno: number;
    /** "ip:port" or "ip_for_workers:port ip_for_clients:port" as stored in the root. */
    address: string;
}

export interface RootConfig {
    address: Address;
    owner: Address | null;
    /** Registry version, bumped by every owner change (clients send it as min_config_version). */
    version: number;
    /** Economic version; a change re-deploys every proxy/client/worker contract. */
    paramsVersion: number;
    structVersion: number;
    uniqueId: number;
    isTest: boolean;
    pricePerToken: Nano;
    workerFeePerToken: Nano;
    /** 10000 = 1.0x */
    promptTokensPriceMultiplier: number;
    cachedTokensPriceMultiplier: number;
    completionTokensPriceMultiplier: number;
    reasoningTokensPriceMultiplier: number;
    proxyDelayBeforeClose: number;
    clientDelayBeforeClose: number;
    minProxyStake: Nano;
    minClientStake: Nano;
    proxyCodeHash: HexHash | null;
    workerCodeHash: HexHash | null;
    clientCodeHash: HexHash | null;
    lastProxySeqno: number;
    registeredProxies: RegisteredProxy[];
    proxyHashes: HexHash[];
    workerHashes: HexHash[];
    modelHashes: HexHash[];
}

export interface RootConfigChange {
    lt: Lt;
    txHash: HexHash;
    utime: number;
    /** Message name that caused the change (e.g. root_change_params), or `initial`. */
    change: string;
    version: number;
    paramsVersion: number;
    pending: boolean;
    config: RootConfig;
}

export interface IndexerStatus {
    /** Latest block the chain reported. */
    headSeqno: number | null;
    headUtime: number | null;
    /** Latest block whose transactions are all final in the database. */
    indexedSeqno: number | null;
    indexedUtime: number | null;
    lagBlocks: number | null;
    lagSeconds: number | null;
    pendingTransactions: number;
    accounts: number;
    transactions: number;
    events: number;
}

export interface Totals {
    transactions: number;
    failedTransactions: number;
    tokensCharged: Nano;
    tonCharged: Nano;
    tokensPaid: Nano;
    workersPaid: Nano;
    commission: Nano;
    commissionWithdrawn: Nano;
    deposits: Nano;
    refunds: Nano;
}

export interface StateCounts {
    total: number;
    normal: number;
    closing: number;
    closed: number;
    /** Contracts of an older params version than the root's current one. */
    outdated: number;
}

/** TON held in the contracts now, from their current states. */
export interface Held {
    /** Proxy stakes (back forced client refunds). */
    proxyStakes: Nano;
    /** Commission not yet withdrawn (the proxies' `balance`). */
    proxyCommission: Nano;
    /** Client deposits left, as the client contracts count them. */
    clientBalances: Nano;
    clientStakes: Nano;
}

export interface Overview {
    root: RootConfig | null;
    proxies: StateCounts;
    clients: StateCounts;
    workers: StateCounts;
    wallets: number;
    totals: Totals;
    held: Held;
    status: IndexerStatus;
}

export interface DailyStat {
    /** UTC day, YYYY-MM-DD. */
    day: string;
    txCount: number;
    failedTxCount: number;
    fees: Nano;
    tokensCharged: Nano;
    tonCharged: Nano;
    tokensPaid: Nano;
    workersPaid: Nano;
    commission: Nano;
    commissionWithdrawn: Nano;
    deposits: Nano;
    refunds: Nano;
    stakes: Nano;
    newProxies: number;
    newClients: number;
    newWorkers: number;
}

export interface AccountInfo {
    address: Address;
    kind: AccountKind;
    codeHash: HexHash | null;
    paramsVersion: number | null;
    parent: Address | null;
    owner: Address | null;
    status: AccountStatus;
    /** The account's TON balance. */
    tonBalance: Nano;
    discoveredVia: 'config' | 'code_hash' | 'message' | 'parent';
    firstLt: Lt | null;
    firstUtime: number | null;
    lastLt: Lt | null;
    lastUtime: number | null;
    txCount: number;
    /** Block the state fields were read at. */
    stateSeqno: number | null;
}

export interface ProxyInfo extends AccountInfo {
    kind: 'proxy';
    publicKey: HexHash | null;
    root: Address | null;
    state: ContractStateName;
    /** Withdrawable commission held by the contract. */
    balance: Nano;
    stake: Nano;
    unlockTs: number;
    pricePerToken: Nano | null;
    workerFeePerToken: Nano | null;
    minProxyStake: Nano | null;
    minClientStake: Nano | null;
    outdated: boolean;
    clientCount: number;
    workerCount: number;
    /** Adjusted tokens charged to this proxy's clients. */
    tokensCharged: Nano;
    /** Adjusted tokens paid out to this proxy's workers. */
    tokensPaid: Nano;
    commissionEarned: Nano;
    commissionWithdrawn: Nano;
    workersPaid: Nano;
    deposits: Nano;
    refunds: Nano;
}

export interface ClientInfo extends AccountInfo {
    kind: 'client';
    proxy: Address | null;
    proxyPublicKey: HexHash | null;
    state: ContractStateName;
    /** Deposit left, as the client contract counts it. */
    balance: Nano;
    stake: Nano;
    tokensUsed: Nano;
    unlockTs: number;
    secretHash: HexHash | null;
    pricePerToken: Nano | null;
    outdated: boolean;
    tokensCharged: Nano;
    tonCharged: Nano;
    deposited: Nano;
    refunded: Nano;
}

export interface WorkerInfo extends AccountInfo {
    kind: 'worker';
    proxy: Address | null;
    proxyPublicKey: HexHash | null;
    state: ContractStateName;
    tokens: Nano;
    workerFeePerToken: Nano | null;
    outdated: boolean;
    tokensPaid: Nano;
    tonEarned: Nano;
}

/** Any address: an indexed contract, or a wallet that owns indexed contracts. */
export interface AddressDetail {
    address: Address;
    account: AccountInfo | null;
    proxy: ProxyInfo | null;
    client: ClientInfo | null;
    worker: WorkerInfo | null;
    root: RootConfig | null;
    owns: { proxies: Address[]; clients: Address[]; workers: Address[] };
}

export interface TransactionInfo {
    lt: Lt;
    hash: HexHash;
    account: Address;
    accountKind: AccountKind;
    utime: number;
    blockSeqno: number | null;
    /** "0x1234abcd" or null for empty bodies / no inbound message. */
    op: string | null;
    opName: string | null;
    source: Address | null;
    external: boolean;
    inValue: Nano;
    totalFees: Nano;
    success: boolean;
    exitCode: number | null;
    actionResultCode: number | null;
    aborted: boolean;
    bounced: boolean;
    outMsgs: number;
    pending: boolean;
}

/** An outgoing message of a transaction and, when indexed, the transaction it caused. */
export interface MessageLink {
    dest: Address | null;
    value: Nano;
    op: string | null;
    opName: string | null;
    createdLt: Lt | null;
    /** Hash of the destination's transaction that processed this message (null: not indexed, or external). */
    child: HexHash | null;
}

export interface TransactionDetail extends TransactionInfo {
    events: EventInfo[];
    /** The transaction whose outgoing message this one processed (null: external message, or not indexed). */
    parent: { hash: HexHash; account: Address; opName: string | null } | null;
    outMessages: MessageLink[];
}

export type EventType =
    | 'deploy'
    | 'registry_change'
    | 'proxy_registered'
    | 'proxy_unregistered'
    | 'proxy_updated'
    | 'params_changed'
    | 'root_upgraded'
    | 'root_owner_changed'
    | 'deposit'
    | 'charge'
    | 'refund'
    | 'withdraw_request'
    | 'client_register'
    | 'secret_changed'
    | 'payout_request'
    | 'payout'
    | 'commission'
    | 'commission_withdrawal'
    | 'stake'
    | 'close'
    | 'save_state'
    | 'state_notification'
    | 'worker_register'
    | 'wallet_send'
    | 'wallet_receive'
    | 'wallet_admin'
    | 'unknown';

export const EVENT_TYPES: readonly EventType[] = [
    'deploy',
    'registry_change',
    'proxy_registered',
    'proxy_unregistered',
    'proxy_updated',
    'params_changed',
    'root_upgraded',
    'root_owner_changed',
    'deposit',
    'charge',
    'refund',
    'withdraw_request',
    'client_register',
    'secret_changed',
    'payout_request',
    'payout',
    'commission',
    'commission_withdrawal',
    'stake',
    'close',
    'save_state',
    'state_notification',
    'worker_register',
    'wallet_send',
    'wallet_receive',
    'wallet_admin',
    'unknown',
];

/**
 * One decoded fact. Key columns (`proxy`, `client`, `worker`, `owner`, `amount`, `tokens`) are filled
 * where they apply; `payload` holds the decoded message fields (bigints as decimal strings) plus
 * `message` (the message name from the catalogue). `tokens` is a delta (newly charged or paid).
 */
export interface EventInfo {
    id: string;
    txLt: Lt;
    txHash: HexHash;
    idx: number;
    type: EventType;
    account: Address;
    utime: number;
    success: boolean;
    exitCode: number | null;
    proxy: Address | null;
    client: Address | null;
    worker: Address | null;
    owner: Address | null;
    amount: Nano | null;
    tokens: Nano | null;
    payload: Record<string, unknown>;
    pending: boolean;
}

/**
 * Payload of a `save_state` event: a note from the proxy runner's wallet to its proxy contract. A save-state
 * commit (`proxy_save_state`) carries the commit's seqno and the session's unique hash; a bare
 * `do_not_process` note only its query id.
 */
export interface ProxySaveStatePayload {
    message: 'proxy_save_state' | 'do_not_process';
    /** The sender (the proxy runner's wallet). */
    from: Address | null;
    /** The note's query id (random), decimal. */
    queryId: string | null;
    seqno: number | null;
    /** session_unique_hash, 64 hex digits. */
    sessionHash: HexHash | null;
}

export interface TokenPrices {
    prompt: Nano;
    cached: Nano;
    completion: Nano;
    reasoning: Nano;
}

export interface ModelPrice {
    hash: HexHash;
    /** Known when the indexer was given the model name (sha256(name) = hash). */
    name: string | null;
    /** nanoTON the client pays per 1,000,000 tokens of each class, multipliers and coefficient applied. */
    pricePerMillion: TokenPrices;
    /** nanoTON the worker earns per 1,000,000 tokens of each class. */
    workerFeePerMillion: TokenPrices;
}

export interface ModelsResponse {
    paramsVersion: number | null;
    pricePerToken: Nano | null;
    workerFeePerToken: Nano | null;
    multipliers: { prompt: number; cached: number; completion: number; reasoning: number } | null;
    /** Worker price coefficient applied (1000 = 1.0x); `?coefficient=` changes it. */
    coefficient: number;
    models: ModelPrice[];
}

export type SearchHit =
    | { kind: 'account'; address: Address; accountKind: AccountKind }
    | { kind: 'owner'; address: Address; owns: number }
    | { kind: 'transaction'; hash: HexHash; lt: Lt; account: Address }
    | { kind: 'model'; hash: HexHash; name: string | null }
    | { kind: 'image_hash'; hash: HexHash; role: 'proxy' | 'worker' }
    | { kind: 'registered_proxy'; seqno: number; address: string }
    | { kind: 'opcode'; op: string; name: string };

export interface SearchResponse {
    query: string;
    hits: SearchHit[];
}

export interface OpcodeInfo {
    op: string;
    name: string;
    /** Contract kinds that receive this message. */
    receivers: string[];
}

/** Messages on /api/events/stream (SSE event name = `type`, data = JSON of `data`). */
export type StreamMessage =
    | { type: 'transaction'; data: TransactionInfo }
    | { type: 'event'; data: EventInfo }
    | { type: 'status'; data: IndexerStatus };

export interface HealthResponse {
    ok: boolean;
    database: 'pglite' | 'postgres';
    status: IndexerStatus;
}
