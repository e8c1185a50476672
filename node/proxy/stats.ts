/**
 * The proxy's stats pages, metrics and admin actions (COCOON ProxyRunner http stats), built from the
 * runner's public API: status and seqnos, the root's config, counters, worker and client accounts
 * (ledgers against on-chain state), live worker connections and outdated contracts being closed.
 * Admin: disable/enable, charge a client, pay a worker, withdraw the commission, settle now.
 */
import { Address } from '@ton/core';
import type { RootState } from '../chain/cocoon';
import { contractStateName, rootConfigSection } from '../common/chain-stats';
import { MetricsRegistry } from '../common/metrics';
import { BadRequest, flagged, ton, type ActionInput, type AdminAction, type RunnerStats, type StatsSection } from '../common/stats-server';
import { formatTonFixed } from '../common/ton';
import { tokensAvailable } from './reservation';
import { QueryError } from '../protocol';
import type { ProxyRunner } from './runner';
import { WORKER_UPTIME_COLUMNS } from './uptime';

/** Parses an address parameter with a clear message. */
export function addressParam(input: ActionInput, name: string): Address {
    const s = input.string(name);
    try {
        return Address.parse(s);
    } catch {
        throw new BadRequest(`parameter '${name}' is not a TON address: '${s}'`);
    }
}

export function proxyStats(runner: ProxyRunner, opts: { title?: string } = {}): RunnerStats {
    const metrics = new MetricsRegistry();
    runner.stats.register(metrics, 'cocoon_proxy', (n) => `Proxy ${n} since start`);
    const g = {
        enabled: metrics.gauge('cocoon_proxy_enabled', 'Whether the proxy takes new connections and queries (1) or is disabled (0)'),
        running: metrics.gauge('cocoon_proxy_running_queries', 'Queries being relayed now'),
        workerConns: metrics.gauge('cocoon_proxy_worker_connections', 'Connected workers'),
        clients: metrics.gauge('cocoon_proxy_clients', 'Client accounts known to the proxy'),
        clientConns: metrics.gauge('cocoon_proxy_client_connections', 'Connected client sessions'),
        seqno: metrics.gauge('cocoon_proxy_seqno', 'Store and chain commit seqnos', ['kind']),
        clientTokens: metrics.gauge(
            'cocoon_proxy_client_tokens',
            'Per-client tokens: used (ledger max), db, blockchain (signable), charged (on-chain)',
            ['client', 'stage'],
        ),
        clientBalance: metrics.gauge('cocoon_proxy_client_balance_nanoton', 'Client contract deposit (nanoTON)', ['client']),
        workerTokens: metrics.gauge(
            'cocoon_proxy_worker_tokens',
            'Per-worker tokens: earned (ledger max), db, blockchain (signable), paid (on-chain)',
            ['worker', 'stage'],
        ),
        oldContracts: metrics.gauge('cocoon_proxy_outdated_contracts', 'Outdated proxy contracts not yet closed'),
    };
    metrics.onCollect(() => {
        g.enabled.set(undefined, runner.isDisabled ? 0 : 1);
        g.running.set(undefined, runner.relay.runningCount);
        g.workerConns.set(undefined, runner.workerConnections().length);
        const clients = runner.clientAccounts();
        g.clients.set(undefined, clients.length);
        g.clientConns.set(
            undefined,
            clients.reduce((s, a) => s + a.connections, 0),
        );
        const sq = runner.seqnos;
        for (const kind of ['db', 'noted', 'committed', 'session'] as const) g.seqno.set({ kind }, sq[kind]);
        g.clientTokens.reset();
        g.clientBalance.reset();
        for (const a of clients) {
            const client = a.owner.toString();
            g.clientTokens.set({ client, stage: 'used' }, a.ledger.tokensMax);
            g.clientTokens.set({ client, stage: 'db' }, a.ledger.tokensCommittedToDb);
            g.clientTokens.set({ client, stage: 'blockchain' }, a.ledger.tokensCommittedToBlockchain);
            if (a.chain) {
                g.clientTokens.set({ client, stage: 'charged' }, a.chain.tokensUsed);
                g.clientBalance.set({ client }, a.chain.balance);
            }
        }
        g.workerTokens.reset();
        for (const a of runner.workerAccounts()) {
            const worker = a.owner.toString();
            g.workerTokens.set({ worker, stage: 'earned' }, a.ledger.tokensMax);
            g.workerTokens.set({ worker, stage: 'db' }, a.ledger.tokensCommittedToDb);
            g.workerTokens.set({ worker, stage: 'blockchain' }, a.ledger.tokensCommittedToBlockchain);
            if (a.chain) g.workerTokens.set({ worker, stage: 'paid' }, a.chain.tokens);
        }
        g.oldContracts.set(undefined, runner.outdatedContracts.filter((r) => r.step !== 'closed').length);
    });

    const sections = (): StatsSection[] => {
        const root = runner.root as RootState | undefined;
        const price = root?.params.pricePerToken ?? 0n;
        const fee = root?.params.workerFeePerToken ?? 0n;
        const sq = runner.seqnos;
        const fatal = runner.fatalError;
        const clients = runner.clientAccounts();
        const conns = runner.workerConnections();
        runner.workerUptime.observe(conns);
        return [
            {
                kind: 'kv',
                id: 'status',
                title: 'status',
                values: {
                    owner: runner.owner.toString(),
                    contract: runner.contract?.toString() ?? null,
                    params_version: root?.params.paramsVersion ?? null,
                    public_key: runner.publicKey.toString('hex'),
                    enabled: flagged(!runner.isDisabled, runner.isDisabled ? 'warn' : 'ok'),
                    fatal_error: fatal ? flagged(`${fatal.code}: ${fatal.message}`, 'bad') : null,
                    worker_port: runner.workerPort,
                    client_port: runner.clientPort,
                    running_queries: runner.relay.runningCount,
                    worker_connections: conns.length,
                    client_connections: clients.reduce((s, a) => s + a.connections, 0),
                    seqno_db: sq.db,
                    seqno_noted_on_chain: sq.noted,
                    seqno_committed_on_chain: flagged(sq.committed, sq.committed + 1 < sq.db ? 'warn' : 'ok'),
                    session_seqno: sq.session,
                    charge_threshold: ton(runner.thresholds.charge),
                    payout_threshold: ton(runner.thresholds.payout),
                    withdraw_threshold: ton(runner.thresholds.withdraw),
                },
            },
            runner.stats.table(),
            {
                kind: 'table',
                id: 'workers',
                title: 'worker accounts',
                columns: [
                    'owner',
                    'sc_address',
                    'connections',
                    'earned_tokens',
                    'tokens_committed_to_db',
                    'tokens_committed_to_blockchain',
                    'paid_tokens',
                    'unpaid_tokens',
                    'unpaid',
                    'contract_state',
                    'paying_now',
                    'faults',
                    'overreported_tokens',
                ],
                rows: runner.workerAccounts().map((a) => {
                    const signable = a.ledger.tokensCommittedToBlockchain;
                    const paid = a.chain?.tokens ?? null;
                    const unpaid = signable > (paid ?? 0n) ? signable - (paid ?? 0n) : 0n;
                    return {
                        owner: a.owner.toString(),
                        sc_address: a.contract.toString(),
                        connections: a.connections,
                        earned_tokens: a.ledger.tokensMax,
                        tokens_committed_to_db: a.ledger.tokensCommittedToDb,
                        tokens_committed_to_blockchain: signable,
                        paid_tokens: paid,
                        unpaid_tokens: unpaid,
                        unpaid: ton(unpaid * fee),
                        contract_state: contractStateName(a.chain?.state),
                        paying_now: a.payoutInFlight,
                        faults: a.faults,
                        overreported_tokens: a.overreportedTokens,
                    };
                }),
            },
            {
                kind: 'table',
                id: 'worker_connections',
                title: 'worker connections',
                columns: [
                    'id',
                    'owner',
                    'model',
                    'image_hash',
                    'coefficient',
                    'enabled',
                    'running',
                    'max_running',
                    'average_query_seconds',
                    'gpu',
                    'vram_mb',
                    'gpu_count',
                    'cpu',
                    'ram_mb',
                ],
                rows: conns.map((l) => ({
                    id: l.id,
                    owner: l.owner,
                    model: l.model,
                    image_hash: l.imageHash,
                    coefficient: l.coefficient,
                    enabled: l.enabled,
                    running: l.running,
                    max_running: l.maxRunning,
                    average_query_seconds: l.averageQuerySeconds,
                    gpu: l.hardware?.gpu ?? null,
                    vram_mb: l.hardware?.vramMb ?? null,
                    gpu_count: l.hardware?.gpuCount ?? null,
                    cpu: l.hardware?.cpu ?? null,
                    ram_mb: l.hardware?.ramMb ?? null,
                })),
            },
            {
                kind: 'table',
                id: 'worker_uptime',
                title: 'observed worker uptime (connected and enabled, since this proxy started)',
                columns: [...WORKER_UPTIME_COLUMNS],
                rows: runner.workerUptime.rows().map((r) => ({ ...r })),
            },
            {
                kind: 'table',
                id: 'clients',
                title: 'client accounts',
                columns: [
                    'owner',
                    'sc_address',
                    'connections',
                    'used_tokens',
                    'tokens_committed_to_db',
                    'tokens_committed_to_blockchain',
                    'charged_tokens',
                    'tokens_to_charge',
                    'available_tokens',
                    'reserved_tokens',
                    'running_queries',
                    'balance',
                    'stake',
                    'state',
                    'charging_now',
                ],
                rows: clients.map((a) => {
                    const c = a.chain;
                    const signable = a.ledger.tokensCommittedToBlockchain;
                    const charged = c?.tokensUsed ?? null;
                    return {
                        owner: a.owner.toString(),
                        sc_address: a.contract.toString(),
                        connections: a.connections,
                        used_tokens: a.ledger.tokensMax,
                        tokens_committed_to_db: a.ledger.tokensCommittedToDb,
                        tokens_committed_to_blockchain: signable,
                        charged_tokens: charged,
                        tokens_to_charge: signable > (charged ?? 0n) ? signable - (charged ?? 0n) : 0n,
                        available_tokens:
                            c && price > 0n
                                ? tokensAvailable(
                                      {
                                          balance: c.balance,
                                          stake: c.stake,
                                          tokensCharged: c.tokensUsed,
                                          tokensUsed: a.ledger.tokensMax,
                                          tokensReserved: a.reserved,
                                      },
                                      price,
                                  )
                                : null,
                        reserved_tokens: a.reserved,
                        running_queries: a.running,
                        balance: ton(c?.balance),
                        stake: ton(c?.stake),
                        state: contractStateName(c?.state),
                        charging_now: a.chargeInFlight,
                    };
                }),
            },
            {
                kind: 'table',
                id: 'old_instances',
                title: 'outdated contracts',
                columns: ['sc_address', 'params_version', 'step', 'close_at', 'clients_left', 'workers_left'],
                rows: runner.outdatedContracts.map((r) => ({
                    sc_address: Address.parse(r.contract).toString(),
                    params_version: r.paramsVersion,
                    step: r.step,
                    close_at: r.closeAt || null,
                    clients_left: `${r.clients.filter((c) => !c.done).length}/${r.clients.length}`,
                    workers_left: `${r.workers.filter((w) => !w.done).length}/${r.workers.length}`,
                })),
            },
            rootConfigSection(root),
        ];
    };

    const known = (list: { owner: Address }[]) => list.map((a) => a.owner.toString()).join(', ') || 'none';
    const actions: Record<string, AdminAction> = {
        disable: {
            description: 'stop taking new connections and queries (running requests finish); workers are detached from routing',
            run: () => {
                runner.setDisabled(true);
                return { enabled: false };
            },
        },
        enable: {
            description: 'take connections and queries again',
            run: () => {
                runner.setDisabled(false);
                return { enabled: true };
            },
        },
        charge: {
            description: "charge a client's contract now for the tokens committed on-chain",
            params: 'client=<owner address>',
            run: async (i) => {
                const owner = addressParam(i, 'client');
                const a = runner.findClient(owner.toString());
                if (!a) throw new BadRequest(`no client account for ${owner.toString()}; known clients: ${known(runner.clientAccounts())}`);
                const r = await runner.chargeClient(a);
                return { client: a.owner.toString(), sc_address: a.contract.toString(), tokens: r.tokens };
            },
        },
        payout: {
            description: "pay a worker's contract now for the tokens committed on-chain",
            params: 'worker=<owner address>',
            run: async (i) => {
                const owner = addressParam(i, 'worker');
                const a = runner.findWorker(owner.toString());
                if (!a) throw new BadRequest(`no worker account for ${owner.toString()}; known workers: ${known(runner.workerAccounts())}`);
                const r = await runner.payWorker(a);
                return { worker: a.owner.toString(), sc_address: a.contract.toString(), tokens: r.tokens };
            },
        },
        withdraw: {
            description: "withdraw the proxy contract's accrued commission to the owner wallet",
            run: async () => {
                const r = await runner.withdraw();
                return { amount: r.amount, amount_ton: formatTonFixed(r.amount) };
            },
        },
        'change-worker-model': {
            description:
                'switch a connected worker to another model the root allows (worker.changeModel: ' +
                'the worker runs its change-model script); this proxy routes the new model to it at once',
            params: 'worker=<link id, e.g. w1> model=<Org/Name@commit:verity>',
            run: async (i) => {
                try {
                    return await runner.changeWorkerModel(i.string('worker'), i.string('model'));
                } catch (e) {
                    if (e instanceof QueryError && e.errorCode < 500) throw new BadRequest(e.message);
                    throw e;
                }
            },
        },
        settle: {
            description: 'run the settlement pass now (charge clients, pay workers, refunds, withdraw) with the configured thresholds',
            run: async () => {
                await runner.settle();
                return { settled: true };
            },
        },
    };

    return { source: { title: opts.title ?? `Cocoon proxy ${runner.owner.toString()}`, sections }, metrics, actions };
}
