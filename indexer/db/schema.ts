/**
 * The indexer's one schema, shared by PGlite (embedded default) and PostgreSQL.
 * Addresses are raw `0:<64 hex>` strings, hashes lowercase hex, money and token counters numeric(40,0)
 * (bigint in TypeScript), logical times bigint, unix times integer seconds.
 *
 * Ingest invariant (what makes kill -9 safe): for every account, rows with lt <= its cursor are final and
 * complete; rows above the cursor are `pending` and are deleted and re-read before anything else touches
 * that account. Derived counters only ever include final rows.
 */
import { sql } from 'drizzle-orm';
import {
    bigint,
    bigserial,
    boolean,
    index,
    integer,
    jsonb,
    pgTable,
    primaryKey,
    smallint,
    text,
    timestamp,
    uniqueIndex,
} from 'drizzle-orm/pg-core';
import { nano } from './columns';

// A bigint default would break drizzle-kit's JSON snapshot, so money defaults are SQL literals.
const ZERO = sql`0`;
const lt = (name: string) => bigint(name, { mode: 'bigint' });

/** Every contract the indexer follows: the root, proxy/client/worker contracts of every params version, cocoon wallets. */
export const accounts = pgTable(
    'accounts',
    {
        address: text('address').primaryKey(),
        kind: text('kind').notNull(),
        codeHash: text('code_hash'),
        paramsVersion: integer('params_version'),
        /** root for a proxy, proxy for a client or worker, null otherwise. */
        parent: text('parent'),
        owner: text('owner'),
        status: text('status').notNull().default('nonexist'),
        tonBalance: nano('ton_balance').notNull().default(ZERO),
        discoveredVia: text('discovered_via').notNull(),
        firstLt: lt('first_lt'),
        firstUtime: integer('first_utime'),
        lastLt: lt('last_lt'),
        lastHash: text('last_hash'),
        lastUtime: integer('last_utime'),
        txCount: integer('tx_count').notNull().default(0),
        /** Block seqno the state columns (here and in proxies/clients/workers) were read at. */
        stateSeqno: integer('state_seqno'),
        updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    },
    (t) => [index('accounts_kind_idx').on(t.kind), index('accounts_parent_idx').on(t.parent), index('accounts_owner_idx').on(t.owner)],
);

/** Code hashes of child contracts, from the root's params cell of every params version seen. */
export const codeHashes = pgTable('code_hashes', {
    codeHash: text('code_hash').primaryKey(),
    kind: text('kind').notNull(),
    paramsVersion: integer('params_version').notNull(),
    root: text('root').notNull(),
    firstLt: lt('first_lt'),
});

export const transactions = pgTable(
    'transactions',
    {
        id: bigserial('id', { mode: 'bigint' }).notNull(),
        lt: lt('lt').notNull(),
        hash: text('hash').notNull(),
        account: text('account').notNull(),
        accountKind: text('account_kind').notNull(),
        utime: integer('utime').notNull(),
        blockSeqno: integer('block_seqno'),
        /** uint32 opcode of the inbound message body; null for an empty body or no inbound message. */
        op: bigint('op', { mode: 'number' }),
        opName: text('op_name'),
        /** Inbound message source; null for external messages and ticks. */
        source: text('source'),
        external: boolean('external').notNull().default(false),
        inValue: nano('in_value').notNull().default(ZERO),
        totalFees: nano('total_fees').notNull().default(ZERO),
        success: boolean('success').notNull(),
        /** ok | note | failed (domain.ts TxOutcome): notes are intentional skips, not failures. */
        outcome: text('outcome').notNull().default('ok'),
        /** Compute-phase exit code (null when the compute phase was skipped). */
        exitCode: integer('exit_code'),
        actionResultCode: integer('action_result_code'),
        /** Why the compute phase was skipped: no_state | bad_state | no_gas | suspended. */
        computeSkipped: text('compute_skipped'),
        // Fee breakdown; null for rows indexed before it was recorded.
        storageFee: nano('storage_fee'),
        computeFee: nano('compute_fee'),
        gasUsed: bigint('gas_used', { mode: 'bigint' }),
        actionFee: nano('action_fee'),
        fwdFee: nano('fwd_fee'),
        aborted: boolean('aborted').notNull().default(false),
        bounced: boolean('bounced').notNull().default(false),
        outMsgs: smallint('out_msgs').notNull().default(0),
        /** Logical time of the inbound internal message: the parent is the source's last transaction before it. */
        inCreatedLt: lt('in_created_lt'),
        /** [{dest, value, op, name, createdLt}] (decimal strings), to follow a message chain to its children. */
        outMessages: jsonb('out_messages'),
        pending: boolean('pending').notNull().default(false),
    },
    (t) => [
        primaryKey({ columns: [t.lt, t.hash] }),
        // BRIN: ids only grow, so a block-range index serves "id > x" (the live stream) at almost no insert cost.
        index('transactions_id_idx').using('brin', t.id),
        uniqueIndex('transactions_hash_idx').on(t.hash),
        index('transactions_account_lt_idx').on(t.account, t.lt),
        index('transactions_utime_idx').on(t.utime),
        index('transactions_op_name_idx').on(t.opName, t.lt),
        index('transactions_pending_idx')
            .on(t.pending)
            .where(sql`${t.pending}`),
        index('transactions_block_idx').on(t.blockSeqno),
        // Partial: only real failures and notes are ever filtered for, and they are the minority.
        index('transactions_outcome_idx')
            .on(t.outcome, t.lt)
            .where(sql`${t.outcome} <> 'ok'`),
    ],
);

/** Typed facts decoded from transactions; several per transaction are possible (idx orders them). */
export const events = pgTable(
    'events',
    {
        id: bigserial('id', { mode: 'bigint' }).notNull(),
        txLt: lt('tx_lt').notNull(),
        txHash: text('tx_hash').notNull(),
        idx: smallint('idx').notNull(),
        type: text('type').notNull(),
        account: text('account').notNull(),
        utime: integer('utime').notNull(),
        success: boolean('success').notNull(),
        exitCode: integer('exit_code'),
        proxy: text('proxy'),
        client: text('client'),
        worker: text('worker'),
        owner: text('owner'),
        /** nanoTON moved by this fact (deposit, refund, payout, commission, stake...). */
        amount: nano('amount'),
        /** Adjusted tokens newly charged / paid by this fact (a delta, not the cumulative counter). */
        tokens: nano('tokens'),
        payload: jsonb('payload').notNull(),
        pending: boolean('pending').notNull().default(false),
    },
    (t) => [
        primaryKey({ columns: [t.txLt, t.txHash, t.idx] }),
        index('events_id_idx').using('brin', t.id),
        index('events_type_idx').on(t.type, t.txLt),
        index('events_account_idx').on(t.account, t.txLt),
        // Partial: most events name only some of proxy/client/worker/owner, and nulls are never searched.
        index('events_proxy_idx')
            .on(t.proxy, t.txLt)
            .where(sql`${t.proxy} is not null`),
        index('events_client_idx')
            .on(t.client, t.txLt)
            .where(sql`${t.client} is not null`),
        index('events_worker_idx')
            .on(t.worker, t.txLt)
            .where(sql`${t.worker} is not null`),
        index('events_owner_idx')
            .on(t.owner, t.txLt)
            .where(sql`${t.owner} is not null`),
        index('events_utime_idx').using('brin', t.utime),
    ],
);

/** Current root configuration (one row per root followed). */
export const roots = pgTable('roots', {
    address: text('address').primaryKey(),
    owner: text('owner'),
    version: integer('version').notNull(),
    paramsVersion: integer('params_version').notNull(),
    lastProxySeqno: integer('last_proxy_seqno').notNull(),
    /** Full RootConfig (indexer/domain.ts) as JSON, money as decimal strings. */
    config: jsonb('config').notNull(),
    updatedLt: lt('updated_lt'),
    stateSeqno: integer('state_seqno'),
});

/** Every root configuration the indexer saw, one row per successful root transaction that changed it. */
export const rootConfigHistory = pgTable(
    'root_config_history',
    {
        root: text('root').notNull(),
        lt: lt('lt').notNull(),
        txHash: text('tx_hash').notNull(),
        utime: integer('utime').notNull(),
        change: text('change').notNull(),
        version: integer('version').notNull(),
        paramsVersion: integer('params_version').notNull(),
        pricePerToken: nano('price_per_token').notNull(),
        workerFeePerToken: nano('worker_fee_per_token').notNull(),
        config: jsonb('config').notNull(),
        pending: boolean('pending').notNull().default(false),
    },
    (t) => [primaryKey({ columns: [t.root, t.lt] }), index('root_config_history_params_idx').on(t.paramsVersion)],
);

export const proxies = pgTable(
    'proxies',
    {
        address: text('address').primaryKey(),
        owner: text('owner'),
        publicKey: text('public_key'),
        root: text('root'),
        state: smallint('state'),
        /** Withdrawable commission held by the contract. */
        balance: nano('balance').notNull().default(ZERO),
        stake: nano('stake').notNull().default(ZERO),
        unlockTs: integer('unlock_ts').notNull().default(0),
        paramsVersion: integer('params_version'),
        pricePerToken: nano('price_per_token'),
        workerFeePerToken: nano('worker_fee_per_token'),
        minProxyStake: nano('min_proxy_stake'),
        minClientStake: nano('min_client_stake'),
        // Derived from final events.
        tokensCharged: nano('tokens_charged').notNull().default(ZERO),
        tokensPaid: nano('tokens_paid').notNull().default(ZERO),
        commissionEarned: nano('commission_earned').notNull().default(ZERO),
        commissionWithdrawn: nano('commission_withdrawn').notNull().default(ZERO),
        workersPaid: nano('workers_paid').notNull().default(ZERO),
        deposits: nano('deposits').notNull().default(ZERO),
        refunds: nano('refunds').notNull().default(ZERO),
    },
    (t) => [index('proxies_owner_idx').on(t.owner)],
);

export const clients = pgTable(
    'clients',
    {
        address: text('address').primaryKey(),
        owner: text('owner'),
        proxy: text('proxy'),
        proxyPublicKey: text('proxy_public_key'),
        state: smallint('state'),
        balance: nano('balance').notNull().default(ZERO),
        stake: nano('stake').notNull().default(ZERO),
        tokensUsed: nano('tokens_used').notNull().default(ZERO),
        unlockTs: integer('unlock_ts').notNull().default(0),
        secretHash: text('secret_hash'),
        paramsVersion: integer('params_version'),
        pricePerToken: nano('price_per_token'),
        // Derived from final events.
        tokensCharged: nano('tokens_charged').notNull().default(ZERO),
        tonCharged: nano('ton_charged').notNull().default(ZERO),
        deposited: nano('deposited').notNull().default(ZERO),
        refunded: nano('refunded').notNull().default(ZERO),
    },
    (t) => [index('clients_proxy_idx').on(t.proxy), index('clients_owner_idx').on(t.owner)],
);

export const workers = pgTable(
    'workers',
    {
        address: text('address').primaryKey(),
        owner: text('owner'),
        proxy: text('proxy'),
        proxyPublicKey: text('proxy_public_key'),
        state: smallint('state'),
        tokens: nano('tokens').notNull().default(ZERO),
        paramsVersion: integer('params_version'),
        workerFeePerToken: nano('worker_fee_per_token'),
        // Derived from final events.
        tokensPaid: nano('tokens_paid').notNull().default(ZERO),
        tonEarned: nano('ton_earned').notNull().default(ZERO),
    },
    (t) => [index('workers_proxy_idx').on(t.proxy), index('workers_owner_idx').on(t.owner)],
);

/** The per-day counters, shared by the network's series and each contract's. */
const dayCounters = () => ({
    txCount: integer('tx_count').notNull().default(0),
    /** Real failures; intentional notes are counted in note_tx_count. */
    failedTxCount: integer('failed_tx_count').notNull().default(0),
    noteTxCount: integer('note_tx_count').notNull().default(0),
    fees: nano('fees').notNull().default(ZERO),
    tokensCharged: nano('tokens_charged').notNull().default(ZERO),
    tonCharged: nano('ton_charged').notNull().default(ZERO),
    tokensPaid: nano('tokens_paid').notNull().default(ZERO),
    workersPaid: nano('workers_paid').notNull().default(ZERO),
    commission: nano('commission').notNull().default(ZERO),
    commissionWithdrawn: nano('commission_withdrawn').notNull().default(ZERO),
    deposits: nano('deposits').notNull().default(ZERO),
    refunds: nano('refunds').notNull().default(ZERO),
    stakes: nano('stakes').notNull().default(ZERO),
    newProxies: integer('new_proxies').notNull().default(0),
    newClients: integer('new_clients').notNull().default(0),
    newWorkers: integer('new_workers').notNull().default(0),
});

/** Network-wide totals per UTC day, from final rows only. */
export const dailyStats = pgTable('daily_stats', { day: text('day').primaryKey(), ...dayCounters() });

/**
 * One contract's totals per UTC day, from final rows only: its transactions, and events naming it as
 * account, proxy, client or worker (so a proxy's series includes its clients' charges). Kept at ingest so
 * a detail page reads a few rows instead of aggregating the contract's whole history.
 */
export const accountDaily = pgTable(
    'account_daily',
    { address: text('address').notNull(), day: text('day').notNull(), ...dayCounters() },
    (t) => [primaryKey({ columns: [t.address, t.day] })],
);

/**
 * The latest report of each proxy stats page the indexer reads (--proxy-stats): usage served but not yet
 * settled on-chain, as the proxy publishes it. Off-chain data, kept apart from everything read from the chain.
 */
export const proxyReports = pgTable('proxy_reports', {
    /** The stats URL. */
    source: text('source').primaryKey(),
    proxy: text('proxy'),
    owner: text('owner'),
    seenAt: integer('seen_at'),
    checkedAt: integer('checked_at').notNull(),
    error: text('error'),
    tokensUncharged: nano('tokens_uncharged').notNull().default(ZERO),
    tonUncharged: nano('ton_uncharged').notNull().default(ZERO),
    tokensUnpaid: nano('tokens_unpaid').notNull().default(ZERO),
    tonUnpaid: nano('ton_unpaid').notNull().default(ZERO),
    /** {clients: ProxyReportAccount[], workers: ProxyReportAccount[]} (decimal strings). */
    accounts: jsonb('accounts').notNull(),
});

/**
 * GPU owners' registry contracts (contracts/registry.tact): current state, one row per (owner, root).
 * The profile is the decoded cell (indexer/domain.ts GpuProfileInfo); gpu_model is copied out for filtering and
 * sorting. The profile's history is the registry's gpu_register / gpu_update events.
 */
export const registries = pgTable(
    'registries',
    {
        address: text('address').primaryKey(),
        owner: text('owner').notNull(),
        root: text('root').notNull(),
        /** 0 none, 1 active, 2 paused, 3 retired (wrappers/CocoonRegistry REGISTRY_STATUS). */
        status: smallint('status').notNull(),
        deposit: nano('deposit').notNull().default(ZERO),
        registeredAt: integer('registered_at').notNull(),
        updatedAt: integer('updated_at').notNull(),
        profile: jsonb('profile'),
        gpuModel: text('gpu_model'),
    },
    (t) => [index('registries_owner_idx').on(t.owner)],
);

/**
 * Observed worker uptime as each proxy stats page last reported it (`worker_uptime`, node/proxy/uptime.ts):
 * connected-and-enabled seconds of one worker (owner + TLS key) within the proxy's window (since that proxy
 * started). A read replaces the source's rows, so a worker the proxy forgot (restart) is forgotten here too;
 * an unreadable page keeps its last rows. Off-chain, claimed by the proxy: docs/gpu-owners.md says who can lie.
 */
export const workerUptime = pgTable(
    'worker_uptime',
    {
        /** The stats URL. */
        source: text('source').notNull(),
        /** The worker's owner address, raw. */
        owner: text('owner').notNull(),
        /** The worker's TLS public key, hex. */
        workerKey: text('worker_key').notNull(),
        up: boolean('up').notNull(),
        uptimeSeconds: integer('uptime_seconds').notNull(),
        windowSeconds: integer('window_seconds').notNull(),
        seenAt: integer('seen_at').notNull(),
    },
    (t) => [primaryKey({ columns: [t.source, t.owner, t.workerKey] }), index('worker_uptime_owner_idx').on(t.owner)],
);

/** Model names learnt from the network (the models workers announce to proxies), by sha256 hash. */
export const modelNames = pgTable('model_names', {
    hash: text('hash').primaryKey(),
    name: text('name').notNull(),
    /** Where it was seen (a proxy stats URL). */
    source: text('source').notNull(),
    seenAt: integer('seen_at').notNull(),
});

/**
 * Resume points. `head`: latest block the chain reported; `final`: latest block whose transactions are all
 * final here; `blocks`: discovery scan position; `account:<address>`: last final (lt, hash) of that account.
 */
export const cursors = pgTable('cursors', {
    source: text('source').primaryKey(),
    seqno: integer('seqno'),
    utime: integer('utime'),
    lt: lt('lt'),
    hash: text('hash'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
