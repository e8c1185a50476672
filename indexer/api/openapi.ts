/**
 * The API description. ENDPOINTS is the single list of routes and their parameters: the router rejects
 * parameters not listed here, and /api/openapi.json is generated from it, so the two cannot drift.
 */
import { CONTRACT_STATE_NAMES } from '../../wrappers/contractState';
import { REGISTRY_STATUS_NAMES } from '../../wrappers/registryStatus';
import { ACCOUNT_KINDS, EVENT_TYPES, LIST_SORTS, STREAM_TYPES, type SortedList } from './types';
import { MAX_LIMIT } from './validate';

type Schema = Record<string, unknown>;

export interface ParamSpec {
    name: string;
    in: 'query' | 'path';
    description: string;
    schema: Schema;
    required?: boolean;
}

export interface EndpointSpec {
    path: string;
    summary: string;
    description?: string;
    tag: string;
    params: ParamSpec[];
    /** Component schema name of the 200 body, or a literal schema. */
    response: string | Schema;
    contentType?: string;
    /** What a 404 says when the handler finds nothing. */
    notFound?: string;
}

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const nano: Schema = { type: 'string', pattern: '^-?\\d+$', description: 'decimal string (nanoTON or tokens)' };
const addr: Schema = { type: 'string', pattern: '^-?\\d+:[0-9a-f]{64}$', description: 'raw address' };
const hash: Schema = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const lt: Schema = { type: 'string', pattern: '^\\d+$' };
const nullable = (s: Schema): Schema => ({ ...s, nullable: true });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const arr = (s: Schema): Schema => ({ type: 'array', items: s });
/**
 * An object with exactly these properties: every one required unless listed in `optional`, no others
 * allowed. Strict on purpose: the router tests validate every real answer against these schemas, so a field
 * added to types.ts but not here (or the reverse) fails a test instead of drifting.
 */
const obj = (props: Record<string, Schema>, extra: Schema = {}, optional: string[] = []): Schema => ({
    type: 'object',
    required: Object.keys(props).filter((k) => !optional.includes(k)),
    properties: props,
    additionalProperties: false,
    ...extra,
});
const page = (item: string): Schema => obj({ items: arr(ref(item)), nextCursor: nullable(str) });
const states: Schema = { type: 'string', enum: [...CONTRACT_STATE_NAMES, 'unknown'] };
const kinds: Schema = { type: 'string', enum: [...ACCOUNT_KINDS] };

const q = (name: string, description: string, schema: Schema = str): ParamSpec => ({ name, in: 'query', description, schema });
const sortParam = (list: SortedList): ParamSpec =>
    q('sort', `order (default ${LIST_SORTS[list][0]})`, { type: 'string', enum: [...LIST_SORTS[list]] });
const pathAddress: ParamSpec = {
    name: 'address',
    in: 'path',
    required: true,
    description: 'any address form (raw or user-friendly)',
    schema: str,
};
const paging = [
    q('limit', `page size, 1..${MAX_LIMIT} (default 50)`, { ...int, minimum: 1, maximum: MAX_LIMIT }),
    q('cursor', 'nextCursor of the previous page'),
];
const contractFilters = [
    q('state', 'contract state', { type: 'string', enum: [...CONTRACT_STATE_NAMES] }),
    q('owner', 'owner address'),
    q('paramsVersion', 'params version of the contract', int),
    q('outdated', 'true: older params version than the root; false: current', bool),
];
const timeRange = [q('from', 'from time (unix seconds or ISO 8601), inclusive'), q('to', 'to time (unix seconds or ISO 8601), inclusive')];

export const ENDPOINTS: EndpointSpec[] = [
    { path: '/api/health', tag: 'network', summary: 'Liveness and indexer progress', params: [], response: 'Health' },
    {
        path: '/api/status',
        tag: 'network',
        summary: 'Indexer progress: head, final block indexed, lag, counts',
        params: [],
        response: 'IndexerStatus',
    },
    {
        path: '/api/overview',
        tag: 'network',
        summary: 'Network overview: root config, contract counts by state, money totals',
        params: [],
        response: 'Overview',
    },
    {
        path: '/api/stats/daily',
        tag: 'network',
        summary: 'Per-day aggregates (UTC), final rows only; network-wide, or of one contract with ?address=',
        params: [
            q('address', 'only this contract (proxy, client, worker): its transactions and the events naming it'),
            q('from', 'first day, YYYY-MM-DD'),
            q('to', 'last day, YYYY-MM-DD'),
            q('order', 'asc (default) or desc', { type: 'string', enum: ['asc', 'desc'] }),
            q('limit', `days per page, 1..${MAX_LIMIT} (default 366)`, int),
            q('cursor', 'nextCursor of the previous page'),
        ],
        response: page('DailyStat'),
    },
    {
        path: '/api/root',
        tag: 'root',
        summary: 'Current root configuration',
        params: [],
        response: 'RootConfig',
        notFound: 'root configuration (the indexer has not read the root contract yet)',
    },
    {
        path: '/api/root/history',
        tag: 'root',
        summary: 'Root configuration changes, newest first (registry and params history)',
        params: [q('paramsVersion', 'only changes that produced this params version', int), ...paging],
        response: page('RootConfigChange'),
    },
    {
        path: '/api/models',
        tag: 'root',
        summary:
            'Allowed models with prices per million tokens (multipliers and the worker coefficient applied), ' +
            'the GPU owners serving each and its daily demand',
        params: [
            q('coefficient', 'worker price coefficient, 1000 = 1.0x (default 1000)', { ...int, minimum: 0, maximum: 999_999_999 }),
            q('days', "days of demand history, ending at the chain's latest day (default 30)", { ...int, minimum: 1, maximum: 365 }),
        ],
        response: 'ModelsResponse',
    },
    {
        path: '/api/proxies',
        tag: 'contracts',
        summary: 'Proxy contracts',
        params: [...contractFilters, sortParam('proxies'), ...paging],
        response: page('ProxyInfo'),
    },
    {
        path: '/api/proxies/{address}',
        tag: 'contracts',
        summary: 'One proxy contract',
        params: [pathAddress],
        response: 'ProxyInfo',
        notFound: 'proxy contract',
    },
    {
        path: '/api/clients',
        tag: 'contracts',
        summary: 'Client contracts',
        params: [...contractFilters, q('proxy', 'proxy contract address'), sortParam('clients'), ...paging],
        response: page('ClientInfo'),
    },
    {
        path: '/api/clients/{address}',
        tag: 'contracts',
        summary: 'One client contract',
        params: [pathAddress],
        response: 'ClientInfo',
        notFound: 'client contract',
    },
    {
        path: '/api/workers',
        tag: 'contracts',
        summary: 'Worker contracts',
        params: [...contractFilters, q('proxy', 'proxy contract address'), sortParam('workers'), ...paging],
        response: page('WorkerInfo'),
    },
    {
        path: '/api/gpu-owners',
        tag: 'gpu-owners',
        summary: 'GPU owners: registry profiles joined with their worker contracts and on-chain earnings',
        params: [
            q('gpuModel', 'GPU model substring, case-insensitive (e.g. H100)', { type: 'string', maxLength: 64 }),
            q('model', 'exact model name offered', { type: 'string', maxLength: 64 }),
            q('status', 'registry status', { type: 'string', enum: [...REGISTRY_STATUS_NAMES] }),
            sortParam('gpuOwners'),
            ...paging,
        ],
        response: page('GpuOwnerInfo'),
    },
    {
        path: '/api/gpu-owners/{address}',
        tag: 'gpu-owners',
        summary: 'One GPU owner, by registry or owner address: profile, worker contracts, payouts, profile history',
        params: [pathAddress],
        response: 'GpuOwnerDetail',
        notFound: 'GPU owner',
    },
    {
        path: '/api/workers/{address}',
        tag: 'contracts',
        summary: 'One worker contract',
        params: [pathAddress],
        response: 'WorkerInfo',
        notFound: 'worker contract',
    },
    {
        path: '/api/addresses/{address}',
        tag: 'contracts',
        summary: 'Any address: an indexed contract of any kind, or an owner of indexed contracts',
        params: [pathAddress],
        response: 'AddressDetail',
        notFound: 'address (neither an indexed contract nor the owner of one)',
    },
    {
        path: '/api/transactions',
        tag: 'activity',
        summary: 'Transactions of indexed accounts, newest first',
        params: [
            q('account', 'account address'),
            q('kind', 'account kind', kinds),
            q('source', 'inbound message source'),
            q('opName', 'message name(s), comma-separated'),
            q('op', 'opcode, 0x1234abcd or decimal'),
            q('success', "the chain's verdict: only successful (true) or unsuccessful (false, which includes notes)", bool),
            q('outcome', 'comma-separated subset of ok, note (intentional, not a failure), failed (real failures)', { type: 'string' }),
            q('block', 'block number (seqno) the transaction is in', { ...int, minimum: 0, maximum: 2147483647 }),
            q('pending', 'only pending (true) or final (false)', bool),
            ...timeRange,
            ...paging,
        ],
        response: page('TransactionInfo'),
    },
    {
        path: '/api/transactions/{hash}',
        tag: 'activity',
        summary: 'One transaction with its decoded events',
        params: [{ name: 'hash', in: 'path', required: true, description: 'transaction hash, hex or base64', schema: str }],
        response: 'TransactionDetail',
        notFound: 'transaction',
    },
    {
        path: '/api/events',
        tag: 'activity',
        summary: 'Decoded events, newest first',
        params: [
            q('type', 'event type(s), comma-separated', { type: 'string', description: EVENT_TYPES.join(', ') }),
            q('address', 'events where this address is the account, proxy, client, worker or owner'),
            q('account', 'contract the transaction ran on'),
            q('proxy', 'proxy contract'),
            q('client', 'client contract'),
            q('worker', 'worker contract'),
            q('owner', 'owner address'),
            q('success', 'only successful (true) or failed (false)', bool),
            q('pending', 'only pending (true) or final (false)', bool),
            ...timeRange,
            ...paging,
        ],
        response: page('EventInfo'),
    },
    {
        path: '/api/events/stream',
        tag: 'activity',
        summary: 'Server-sent events: new transactions, events and status changes',
        description:
            'SSE stream. Event names: transaction (TransactionInfo), event (EventInfo), status (IndexerStatus), ' +
            'overview (Overview: sent on connect and again, at most once a second, whenever ingest or a proxy report changed ' +
            'it). Each message id is a resume point: reconnect with Last-Event-ID to receive what was missed (up to 500 of ' +
            'each). A transaction first seen pending is sent again when final.',
        params: [
            q('types', `comma-separated subset of ${STREAM_TYPES.join(',')} (default transaction,event,status)`),
            q('address', 'only rows touching this address'),
            q('backlog', 'send the newest N transactions (0..100) first, so a feed is not empty on load', {
                ...int,
                minimum: 0,
                maximum: 100,
            }),
        ],
        response: { type: 'string' },
        contentType: 'text/event-stream',
    },
    {
        path: '/api/opcodes',
        tag: 'activity',
        summary: 'Message catalogue: opcode, name, receiving contracts',
        params: [],
        response: arr(ref('OpcodeInfo')),
    },
    {
        path: '/api/exit-codes',
        tag: 'activity',
        summary: "The contracts' exit codes and their meanings (generated from the contracts)",
        params: [],
        response: arr(ref('ExitCodeInfo')),
    },
    {
        path: '/api/proxy-reports',
        tag: 'contracts',
        summary: 'Every proxy stats page the indexer reads, with its latest report of unsettled usage (off-chain, as the proxy reports it)',
        params: [],
        response: arr(ref('ProxyReport')),
    },
    {
        path: '/api/search',
        tag: 'network',
        summary: 'Search addresses, transaction hashes, models, image hashes, proxy seqnos, opcodes',
        params: [{ ...q('q', 'search text'), required: true }],
        response: 'SearchResponse',
    },
    { path: '/api/openapi.json', tag: 'network', summary: 'This document', params: [], response: { type: 'object' } },
];

const gpuOwnerProps: Record<string, Schema> = {
    address: addr,
    owner: addr,
    status: { type: 'string', enum: [...REGISTRY_STATUS_NAMES] },
    deposit: nano,
    registeredAt: int,
    updatedAt: int,
    profile: nullable(ref('GpuProfile')),
    workers: int,
    tokensServed: nano,
    tonEarned: nano,
    lastActive: nullable(int),
    observedUptimePermille: nullable(int),
};
const accountProps: Record<string, Schema> = {
    address: addr,
    kind: kinds,
    codeHash: nullable(hash),
    paramsVersion: nullable(int),
    parent: nullable(addr),
    owner: nullable(addr),
    status: { type: 'string', enum: ['active', 'uninit', 'frozen', 'nonexist'] },
    tonBalance: nano,
    discoveredVia: { type: 'string', enum: ['config', 'code_hash', 'message', 'parent'] },
    firstLt: nullable(lt),
    firstUtime: nullable(int),
    lastLt: nullable(lt),
    lastUtime: nullable(int),
    txCount: int,
    stateSeqno: nullable(int),
};
const counts = obj({ total: int, normal: int, closing: int, closed: int, outdated: int });
const prices = obj({ prompt: nano, cached: nano, completion: nano, reasoning: nano });
const rootConfig = obj({
    address: addr,
    owner: nullable(addr),
    version: int,
    paramsVersion: int,
    structVersion: int,
    uniqueId: int,
    isTest: bool,
    pricePerToken: nano,
    workerFeePerToken: nano,
    promptTokensPriceMultiplier: int,
    cachedTokensPriceMultiplier: int,
    completionTokensPriceMultiplier: int,
    reasoningTokensPriceMultiplier: int,
    proxyDelayBeforeClose: int,
    clientDelayBeforeClose: int,
    minProxyStake: nano,
    minClientStake: nano,
    proxyCodeHash: nullable(hash),
    workerCodeHash: nullable(hash),
    clientCodeHash: nullable(hash),
    lastProxySeqno: int,
    registeredProxies: arr(obj({ seqno: int, address: str })),
    proxyHashes: arr(hash),
    workerHashes: arr(hash),
    modelHashes: arr(hash),
});
const status = obj({
    headSeqno: nullable(int),
    headUtime: nullable(int),
    indexedSeqno: nullable(int),
    indexedUtime: nullable(int),
    lagBlocks: nullable(int),
    lagSeconds: nullable(int),
    pendingTransactions: int,
    accounts: int,
    transactions: int,
    events: int,
});
const txProps: Record<string, Schema> = {
    lt,
    hash,
    account: addr,
    accountKind: kinds,
    utime: int,
    blockSeqno: nullable(int),
    op: nullable(str),
    opName: nullable(str),
    source: nullable(addr),
    external: bool,
    inValue: nano,
    totalFees: nano,
    success: bool,
    outcome: { type: 'string', enum: ['ok', 'note', 'failed'] },
    exitCode: nullable(int),
    actionResultCode: nullable(int),
    computeSkipped: nullable({ type: 'string', enum: ['no_state', 'bad_state', 'no_gas', 'suspended'] }),
    failure: nullable(
        obj({
            phase: nullable({ type: 'string', enum: ['compute', 'action'] }),
            code: nullable(int),
            name: nullable(str),
            meaning: nullable(str),
        }),
    ),
    aborted: bool,
    bounced: bool,
    outMsgs: int,
    fees: obj({
        total: nano,
        storage: nullable(nano),
        compute: nullable(nano),
        gasUsed: nullable(nano),
        action: nullable(nano),
        forward: nullable(nano),
    }),
    pending: bool,
};
const eventSchema = obj({
    id: str,
    txLt: lt,
    txHash: hash,
    idx: int,
    type: { type: 'string', enum: [...EVENT_TYPES] },
    account: addr,
    utime: int,
    success: bool,
    exitCode: nullable(int),
    proxy: nullable(addr),
    client: nullable(addr),
    worker: nullable(addr),
    owner: nullable(addr),
    amount: nullable(nano),
    tokens: nullable(nano),
    payload: {
        type: 'object',
        additionalProperties: true,
        description: 'decoded message fields plus `message` (its name); for `save_state` events see ProxySaveStatePayload',
    },
    pending: bool,
});

const reportAccount = obj({
    address: nullable(addr),
    owner: nullable(addr),
    tokens: nano,
    settled: nano,
    unsettled: nano,
    unsettledTon: nano,
});
const hit = (kind: string, props: Record<string, Schema>): Schema => obj({ kind: { type: 'string', enum: [kind] }, ...props });

const SCHEMAS: Record<string, Schema> = {
    Error: obj({
        error: obj(
            {
                message: str,
                type: { type: 'string', enum: ['invalid_request_error', 'not_found_error', 'server_error'] },
                code: str,
                param: str,
            },
            {},
            ['param'],
        ),
    }),
    IndexerStatus: status,
    Health: obj({ ok: bool, database: { type: 'string', enum: ['pglite', 'postgres'] }, testnet: bool, status: ref('IndexerStatus') }),
    RootConfig: rootConfig,
    RootConfigChange: obj({
        lt,
        txHash: hash,
        utime: int,
        change: str,
        version: int,
        paramsVersion: int,
        pending: bool,
        config: ref('RootConfig'),
    }),
    Overview: obj({
        root: nullable(ref('RootConfig')),
        proxies: counts,
        clients: counts,
        workers: counts,
        wallets: int,
        totals: obj({
            transactions: int,
            failedTransactions: int,
            notes: int,
            tokensCharged: nano,
            tonCharged: nano,
            tokensPaid: nano,
            workersPaid: nano,
            commission: nano,
            commissionWithdrawn: nano,
            deposits: nano,
            refunds: nano,
        }),
        held: obj({ proxyStakes: nano, proxyCommission: nano, clientBalances: nano, clientStakes: nano, total: nano }),
        unsettled: obj({
            tokensUncharged: nano,
            tonUncharged: nano,
            tokensUnpaid: nano,
            tonUnpaid: nano,
            sources: int,
            reachable: int,
            seenAt: nullable(int),
        }),
        status: ref('IndexerStatus'),
    }),
    DailyStat: obj({
        day: { type: 'string', format: 'date' },
        txCount: int,
        failedTxCount: int,
        noteTxCount: int,
        fees: nano,
        tokensCharged: nano,
        tonCharged: nano,
        tokensPaid: nano,
        workersPaid: nano,
        commission: nano,
        commissionWithdrawn: nano,
        deposits: nano,
        refunds: nano,
        stakes: nano,
        newProxies: int,
        newClients: int,
        newWorkers: int,
    }),
    AccountInfo: obj(accountProps),
    ProxyInfo: obj({
        ...accountProps,
        publicKey: nullable(hash),
        root: nullable(addr),
        state: states,
        balance: nano,
        stake: nano,
        unlockTs: int,
        pricePerToken: nullable(nano),
        workerFeePerToken: nullable(nano),
        minProxyStake: nullable(nano),
        minClientStake: nullable(nano),
        outdated: bool,
        clientCount: int,
        workerCount: int,
        tokensCharged: nano,
        tokensPaid: nano,
        commissionEarned: nano,
        commissionWithdrawn: nano,
        workersPaid: nano,
        deposits: nano,
        refunds: nano,
        report: nullable(ref('ProxyReport')),
    }),
    ProxyReport: obj({
        source: str,
        proxy: nullable(addr),
        owner: nullable(addr),
        seenAt: nullable(int),
        checkedAt: int,
        error: nullable(str),
        tokensUncharged: nano,
        tonUncharged: nano,
        tokensUnpaid: nano,
        tonUnpaid: nano,
        clients: arr(reportAccount),
        workers: arr(reportAccount),
    }),
    ClientInfo: obj({
        ...accountProps,
        proxy: nullable(addr),
        proxyPublicKey: nullable(hash),
        state: states,
        balance: nano,
        stake: nano,
        tokensUsed: nano,
        unlockTs: int,
        secretHash: nullable(hash),
        pricePerToken: nullable(nano),
        outdated: bool,
        tokensCharged: nano,
        tonCharged: nano,
        deposited: nano,
        refunded: nano,
    }),
    WorkerInfo: obj({
        ...accountProps,
        proxy: nullable(addr),
        proxyPublicKey: nullable(hash),
        state: states,
        tokens: nano,
        workerFeePerToken: nullable(nano),
        outdated: bool,
        tokensPaid: nano,
        tonEarned: nano,
    }),
    AddressDetail: obj({
        address: addr,
        account: nullable(ref('AccountInfo')),
        proxy: nullable(ref('ProxyInfo')),
        client: nullable(ref('ClientInfo')),
        worker: nullable(ref('WorkerInfo')),
        root: nullable(ref('RootConfig')),
        owns: obj({ proxies: arr(addr), clients: arr(addr), workers: arr(addr) }),
        live: nullable(
            obj({
                balance: nullable(nano),
                status: nullable({ type: 'string', enum: ['active', 'uninit', 'frozen', 'nonexist'] }),
                readAt: int,
                error: nullable(str),
            }),
        ),
    }),
    TransactionInfo: obj(txProps),
    TransactionDetail: obj({
        ...txProps,
        events: arr(ref('EventInfo')),
        parent: nullable(obj({ hash, account: addr, opName: nullable(str) })),
        outMessages: arr(
            obj({
                dest: nullable(addr),
                value: nano,
                op: nullable(str),
                opName: nullable(str),
                createdLt: nullable(lt),
                child: nullable(hash),
            }),
        ),
    }),
    EventInfo: eventSchema,
    ProxySaveStatePayload: obj(
        {
            message: { type: 'string', enum: ['proxy_save_state', 'do_not_process'] },
            from: nullable(addr),
            queryId: nullable(lt),
            seqno: nullable(int),
            sessionHash: nullable(hash),
        },
        {
            description:
                "payload of a save_state event: the proxy runner's note to its proxy contract (seqno and session hash of a " +
                'save-state commit)',
        },
    ),
    ModelsResponse: obj({
        paramsVersion: nullable(int),
        pricePerToken: nullable(nano),
        workerFeePerToken: nullable(nano),
        multipliers: nullable(obj({ prompt: int, cached: int, completion: int, reasoning: int })),
        coefficient: int,
        models: arr(
            obj({ hash, name: nullable(str), pricePerMillion: prices, workerFeePerMillion: prices, activity: ref('ModelActivity') }),
        ),
    }),
    ModelActivity: obj({
        owners: int,
        workers: int,
        gpus: int,
        tokensPerDay: nano,
        demand: arr(obj({ day: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }, tokens: nano })),
    }),
    SearchResponse: obj({
        query: str,
        hits: arr({
            oneOf: [
                hit('account', { address: addr, accountKind: kinds }),
                hit('owner', { address: addr, owns: int }),
                hit('transaction', { hash, lt, account: addr }),
                hit('model', { hash, name: nullable(str) }),
                hit('image_hash', { hash, role: { type: 'string', enum: ['proxy', 'worker'] } }),
                hit('registered_proxy', { seqno: int, address: str }),
                hit('opcode', { op: str, name: str }),
            ],
        }),
    }),
    GpuProfile: obj({
        gpuModel: str,
        gpuCount: int,
        vramMib: int,
        tee: str,
        cpuModel: str,
        cpuCores: int,
        ramMib: int,
        region: str,
        models: arr(str),
        uptimePermille: int,
        workerKeys: arr(hash),
    }),
    GpuOwnerInfo: obj(gpuOwnerProps),
    GpuOwnerDetail: obj({
        ...gpuOwnerProps,
        workerContracts: arr(obj({ address: addr, proxy: nullable(addr), tokensPaid: nano, tonEarned: nano, lastActive: nullable(int) })),
        payouts: arr(obj({ utime: int, txHash: hash, worker: nullable(addr), proxy: nullable(addr), amount: nano })),
        history: arr(
            obj({
                utime: int,
                txHash: hash,
                type: { type: 'string', enum: ['gpu_register', 'gpu_update', 'gpu_status'] },
                status: nullable(str),
                profile: nullable(ref('GpuProfile')),
            }),
        ),
        uptime: arr(
            obj({ source: str, workerKey: hash, up: bool, uptimeSeconds: int, windowSeconds: int, uptimePermille: int, seenAt: int }),
        ),
    }),
    OpcodeInfo: obj({ op: str, name: str, receivers: arr(str) }),
    ExitCodeInfo: obj({ code: int, name: nullable(str), meaning: str, contracts: arr(str) }),
};

export function openApiDocument(version: string): Schema {
    const paths: Record<string, Schema> = {};
    for (const e of ENDPOINTS) {
        const body = typeof e.response === 'string' ? ref(e.response) : e.response;
        paths[e.path] = {
            get: {
                tags: [e.tag],
                summary: e.summary,
                ...(e.description ? { description: e.description } : {}),
                parameters: e.params.map((p) => ({
                    name: p.name,
                    in: p.in,
                    required: p.required ?? false,
                    description: p.description,
                    schema: p.schema,
                })),
                responses: {
                    200: { description: 'OK', content: { [e.contentType ?? 'application/json']: { schema: body } } },
                    ...(e.params.length
                        ? { 400: { description: 'Invalid parameter', content: { 'application/json': { schema: ref('Error') } } } }
                        : {}),
                    ...(e.params.some((p) => p.in === 'path')
                        ? { 404: { description: 'Not found', content: { 'application/json': { schema: ref('Error') } } } }
                        : {}),
                },
            },
        };
    }
    return {
        openapi: '3.0.3',
        info: {
            title: 'Cocoon indexer API',
            version,
            description:
                'History and current state of a Cocoon network. Money and token counters are decimal strings (nanoTON / ' +
                'tokens); addresses are raw (0:<hex>); lists use cursor pagination (pass nextCursor back as ?cursor=). ' +
                'Errors use the OpenAI error shape.',
        },
        paths,
        components: { schemas: SCHEMAS },
    };
}

/** Query parameter names an endpoint accepts (path params excluded). */
export function queryParamsOf(path: string): string[] {
    const e = ENDPOINTS.find((x) => x.path === path);
    return e ? e.params.filter((p) => p.in === 'query').map((p) => p.name) : [];
}
