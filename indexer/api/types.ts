/**
 * Response types of the indexer's REST API, shared with the explorer (web/), built from the indexer's
 * vocabulary (../domain.ts, re-exported here so the explorer has one place to import from). It imports only
 * import-free modules (its own runtime values are the STREAM_TYPES and LIST_SORTS lists and the re-exported vocabulary lists), so
 * any bundler can take it as is. Changing a field here is an API change: add fields, do not rename or remove
 * them. Conventions (Nano, Address, Lt, hashes, times): see ../domain.ts.
 */
import type {
    AccountKind,
    AccountStatus,
    Address,
    ComputeSkipReason,
    ContractStateName,
    EventType,
    GpuProfileInfo,
    HexHash,
    LiveAccount,
    Lt,
    Nano,
    ProxyReportAccount,
    RootConfig,
    TxOutcome,
} from '../domain';
import type { RegistryStatusName } from '../../wrappers/registryStatus';

export * from '../domain';
export { REGISTRY_STATUS_NAMES, type RegistryStatusName } from '../../wrappers/registryStatus';

/** One page of a list. Pass `nextCursor` back as `?cursor=` for the next page; null means the end. */
export interface Page<T> {
    items: T[];
    nextCursor: string | null;
}

/** Error body for every non-2xx answer (OpenAI error shape). */
export interface ApiErrorBody {
    error: { message: string; type: 'invalid_request_error' | 'not_found_error' | 'server_error'; code: string; param?: string };
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
    /** Real failures only: intentional notes (see TxOutcome) are counted in `notes`, not here. */
    failedTransactions: number;
    /** Intentional notes: messages the chain records without running the contract (state notes). */
    notes: number;
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
    /** Part of `clientBalances`: a client contract counts its stake in its balance. */
    clientStakes: Nano;
    /** proxyStakes + proxyCommission + clientBalances (client stakes are inside the balances, counted once). */
    total: Nano;
}

export interface Overview {
    root: RootConfig | null;
    proxies: StateCounts;
    clients: StateCounts;
    workers: StateCounts;
    wallets: number;
    totals: Totals;
    held: Held;
    /** Usage the proxies report but the chain has not settled yet (off-chain, from their stats pages). */
    unsettled: UnsettledTotals;
    status: IndexerStatus;
}

export interface DailyStat {
    /** UTC day, YYYY-MM-DD. */
    day: string;
    txCount: number;
    /** Real failures only (notes are in noteTxCount). */
    failedTxCount: number;
    noteTxCount: number;
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

/**
 * What one proxy's stats page (/jsonstats) says is served but not yet settled on-chain. Off-chain and
 * reported by the proxy itself: the chain proves none of it until the charge or payout lands.
 */
export interface ProxyReport {
    /** The stats URL the indexer reads. */
    source: string;
    /** The proxy contract the page names (raw), null until a read succeeded. */
    proxy: Address | null;
    owner: Address | null;
    /** Unix seconds of the last successful read (the figures are as of then). */
    seenAt: number | null;
    /** Unix seconds of the last attempt. */
    checkedAt: number;
    /** Why the last attempt failed (null: it succeeded). */
    error: string | null;
    /** Tokens the proxy served its clients but has not charged on-chain yet (sum over clients of used - charged). */
    tokensUncharged: Nano;
    /** Those tokens at the proxy's price per token. */
    tonUncharged: Nano;
    /** Tokens the proxy owes its workers but has not paid on-chain yet (sum over workers of earned - paid). */
    tokensUnpaid: Nano;
    /** Those tokens at the worker fee per token. */
    tonUnpaid: Nano;
    clients: ProxyReportAccount[];
    workers: ProxyReportAccount[];
}

/** Sums of the latest successful report of every proxy. */
export interface UnsettledTotals {
    tokensUncharged: Nano;
    tonUncharged: Nano;
    tokensUnpaid: Nano;
    tonUnpaid: Nano;
    /** Proxies whose stats the indexer reads, and how many of them answered on the last attempt. */
    sources: number;
    reachable: number;
    /** Oldest `seenAt` among the reports summed (null: none). */
    seenAt: number | null;
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
    /** The proxy's own report of unsettled usage (off-chain), when the indexer reads its stats page. */
    report: ProxyReport | null;
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
    /** Balance read from the chain now (wallets the indexer does not follow); null when not asked or unreachable. */
    live: LiveAccount | null;
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
    /** The chain's verdict: compute and action phases succeeded and the transaction was not aborted. */
    success: boolean;
    /** What it means: `ok`, an intentional `note` (not a failure), or a real failure (see `failure`). */
    outcome: TxOutcome;
    /** Compute-phase exit code (null when the compute phase was skipped). */
    exitCode: number | null;
    actionResultCode: number | null;
    /** Why the compute phase was skipped (null: it ran, or the reader did not say). */
    computeSkipped: ComputeSkipReason | null;
    /** Where and why a real failure happened (null unless outcome is `failed`). */
    failure: TxFailure | null;
    aborted: boolean;
    bounced: boolean;
    outMsgs: number;
    fees: FeeBreakdown;
    pending: boolean;
}

export interface TxFailure {
    /** `compute`: the contract threw or could not run; `action`: its outgoing actions failed; null: aborted otherwise. */
    phase: 'compute' | 'action' | null;
    /** Exit code of that phase (compute exit code or action result code); null for a skipped compute phase. */
    code: number | null;
    /** Constant name from the contract's exit-code table (e.g. ERR_LOW_MSG_VALUE), when it has one. */
    name: string | null;
    /** What it means, from the contract's generated exit-code table or the skip reason. */
    meaning: string | null;
}

/** Where the fees went (nanoTON). Null parts: not recorded for rows indexed before the breakdown existed. */
export interface FeeBreakdown {
    total: Nano;
    storage: Nano | null;
    /** Gas paid by the compute phase. */
    compute: Nano | null;
    gasUsed: string | null;
    /** Fees of the action phase (the part of forwarding fees kept by validators). */
    action: Nano | null;
    /** Forwarding fees of the outgoing messages (paid from their values or the balance, not all in `total`). */
    forward: Nano | null;
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
    /** Who serves it (GPU owners' registries) and how much it is used (payouts to their workers). */
    activity: ModelActivity;
}

export interface ModelDemandDay {
    /** UTC day, YYYY-MM-DD. */
    day: string;
    /** Adjusted tokens paid that day to the worker contracts of owners offering the model. */
    tokens: Nano;
}

/**
 * Supply and usage of one model. The chain records no model per request: usage is what was paid to the
 * workers of the GPU owners whose registry lists the model (an owner offering two models counts for both).
 */
export interface ModelActivity {
    /** Active GPU owners whose registry lists the model. */
    owners: number;
    /** Their declared worker keys. */
    workers: number;
    /** Their declared GPUs. */
    gpus: number;
    /** Mean tokens per day over the latest 7 days of `demand`. */
    tokensPerDay: Nano;
    /** One entry per UTC day, oldest first, ending at the chain's latest day (`?days=`, default 30). */
    demand: ModelDemandDay[];
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

/** Messages on /api/events/stream (SSE event name = `type`, data = JSON of `data`). */
export type StreamMessage =
    | { type: 'transaction'; data: TransactionInfo }
    | { type: 'event'; data: EventInfo }
    | { type: 'status'; data: IndexerStatus }
    | { type: 'overview'; data: Overview };

export const STREAM_TYPES: readonly StreamMessage['type'][] = ['transaction', 'event', 'status', 'overview'];

/**
 * The orders each list offers (`?sort=`), the first the default: the API's validation, its OpenAPI document
 * and the explorer's sort menus all read them here. Numbers sort descending; a contract list's `address`
 * ascending.
 */
export const LIST_SORTS = {
    proxies: ['lastActivity', 'tokensCharged', 'commissionEarned', 'stake', 'address'],
    clients: ['lastActivity', 'tokensCharged', 'deposited', 'balance', 'address'],
    workers: ['lastActivity', 'tokensPaid', 'tonEarned', 'address'],
    gpuOwners: ['tonEarned', 'tokensServed', 'lastActive', 'observedUptime', 'gpuCount', 'vramMib'],
} as const;
export type SortedList = keyof typeof LIST_SORTS;
export type ListSort<L extends SortedList> = (typeof LIST_SORTS)[L][number];

export interface HealthResponse {
    ok: boolean;
    database: 'pglite' | 'postgres';
    /** The chain is a test network: user-friendly addresses carry the testnet flag (kQ…/0Q…). */
    testnet: boolean;
    status: IndexerStatus;
}

/** A GPU owner: the registry contract joined with the owner's worker contracts. */
export interface GpuOwnerInfo {
    /** The registry contract. */
    address: Address;
    owner: Address;
    status: RegistryStatusName;
    deposit: Nano;
    registeredAt: number;
    updatedAt: number;
    profile: GpuProfileInfo | null;
    /** Worker contracts with the same owner address. */
    workers: number;
    tokensServed: Nano;
    /** nanoTON paid on-chain to the owner's worker contracts' owner (final payout events). */
    tonEarned: Nano;
    lastActive: number | null;
    /**
     * Connected-and-enabled time of the owner's workers over the proxies' windows, in per-mille, as the
     * proxies whose stats pages the indexer reads report it; null when none reports this owner.
     */
    observedUptimePermille: number | null;
}

/** One worker as one proxy observed it (the proxy's stats page `worker_uptime`). */
export interface ObservedWorkerUptime {
    /** The proxy stats URL. */
    source: string;
    workerKey: string;
    up: boolean;
    uptimeSeconds: number;
    /** Since the proxy first saw the worker (a proxy restart starts a new window). */
    windowSeconds: number;
    uptimePermille: number;
    /** When the indexer last read it. */
    seenAt: number;
}

/** Keyset-paged like the other lists: pass `nextCursor` back as `?cursor=` for the next page. */
export type GpuOwnerList = Page<GpuOwnerInfo>;

export interface GpuOwnerPayout {
    utime: number;
    txHash: HexHash;
    worker: Address | null;
    proxy: Address | null;
    amount: Nano;
}

export interface GpuProfileChange {
    utime: number;
    txHash: HexHash;
    type: 'gpu_register' | 'gpu_update' | 'gpu_status';
    status: string | null;
    profile: GpuProfileInfo | null;
}

export interface GpuOwnerDetail extends GpuOwnerInfo {
    workerContracts: { address: Address; proxy: Address | null; tokensPaid: Nano; tonEarned: Nano; lastActive: number | null }[];
    /** Newest first, at most 500. */
    payouts: GpuOwnerPayout[];
    /** Registrations, profile updates and status changes, newest first, at most 200. */
    history: GpuProfileChange[];
    /** Per worker and proxy, as last read. */
    uptime: ObservedWorkerUptime[];
}
