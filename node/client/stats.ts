/**
 * The client's stats pages, metrics and admin actions (COCOON ClientRunner http stats), built from the
 * runner's public API (snapshot(), info, rootState, receipts): status, the proxy session and the client
 * contract, counters, recent requests, the root's config. Admin: top up, withdraw, close, charge.
 */
import { contractStateName, rootConfigSection } from '../common/chain-stats';
import { MetricsRegistry } from '../common/metrics';
import { flagged, ton, type AdminAction, type RunnerStats, type StatsSection } from '../common/stats-server';
import { formatTonFixed } from '../common/ton';
import type { ClientRunner } from './runner';

export function clientStats(runner: ClientRunner, opts: { title?: string; recentRequests?: number } = {}): RunnerStats {
    const metrics = new MetricsRegistry();
    runner.stats.register(metrics, 'cocoon_client', (n) => `Client ${n} since start`);
    const g = {
        ready: metrics.gauge('cocoon_client_ready', 'Connected and authorised with a proxy (1) or not (0)'),
        balance: metrics.gauge('cocoon_client_balance_nanoton', 'Client contract deposit (nanoTON)'),
        stake: metrics.gauge('cocoon_client_stake_nanoton', 'Client contract stake (nanoTON)'),
        tokens: metrics.gauge(
            'cocoon_client_tokens',
            'Tokens: signed (proxy-signed, committed to blockchain), db, max, charged (on-chain)',
            ['stage'],
        ),
    };
    metrics.onCollect(() => {
        g.ready.set(undefined, runner.ready ? 1 : 0);
        const s = runner.info;
        g.tokens.reset();
        g.balance.reset();
        g.stake.reset();
        if (!s) return;
        g.tokens.set({ stage: 'signed' }, s.signed);
        g.tokens.set({ stage: 'db' }, s.db);
        g.tokens.set({ stage: 'max' }, s.max);
        if (s.chain) {
            g.tokens.set({ stage: 'charged' }, s.chain.tokensUsed);
            g.balance.set(undefined, s.chain.balance);
            g.stake.set(undefined, s.chain.stake);
        }
    });

    const sections = (): StatsSection[] => {
        const snap = runner.snapshot();
        const s = runner.info;
        const price = snap.root.price_per_token ?? 0n;
        const c = s?.chain ?? null;
        const uncharged = c && s && s.max > c.tokensUsed ? s.max - c.tokensUsed : 0n;
        const left = c ? c.balance - uncharged * price : null;
        const recent = runner.receipts.slice(-(opts.recentRequests ?? 20)).reverse();
        return [
            moneySection(runner),
            {
                kind: 'kv',
                id: 'status',
                title: 'status',
                values: {
                    owner: snap.owner,
                    ready: flagged(snap.ready, snap.ready ? 'ok' : 'bad'),
                    last_error: snap.last_error ? flagged(snap.last_error, 'warn') : null,
                    root_address: snap.root.address,
                    root_version: snap.root.version ?? null,
                    params_version: snap.root.params_version ?? null,
                    price_per_token: ton(snap.root.price_per_token),
                },
            },
            {
                kind: 'kv',
                id: 'proxy',
                title: 'proxy session and client contract',
                values: s
                    ? {
                          endpoint: s.endpoint,
                          proxy_sc_address: s.proxySc.toString(),
                          proxy_public_key: s.proxyKey.toString('hex'),
                          sc_address: s.clientSc.toString(),
                          state: contractStateName(c?.state),
                          balance: c
                              ? flagged(ton(c.balance), c.balance < c.stake ? 'bad' : c.balance < c.stake * 2n ? 'warn' : 'ok')
                              : null,
                          stake: ton(c?.stake),
                          unlock_ts: c?.unlockTs || null,
                          deposit_left_after_uncharged: ton(left),
                          tokens_used_proxy_committed_to_blockchain: s.signed,
                          tokens_used_proxy_db: s.db,
                          tokens_used_proxy_max: s.max,
                          tokens_charged: c?.tokensUsed ?? null,
                          tokens_to_charge: c && s.signed > c.tokensUsed ? s.signed - c.tokensUsed : 0n,
                      }
                    : { connected: false },
            },
            runner.stats.table(),
            {
                kind: 'table',
                id: 'recent_requests',
                title: 'recent requests',
                columns: ['request_guid', 'status', 'model', 'tokens', 'receipt_valid', 'error'],
                rows: recent.map((r) => ({
                    request_guid: r.requestGuid,
                    status: r.status,
                    model: r.receipt?.model ?? null,
                    tokens: r.tokens,
                    receipt_valid: r.receiptValid,
                    error: r.error,
                })),
            },
            rootConfigSection(runner.rootState),
        ];
    };

    const actions: Record<string, AdminAction> = {
        topup: {
            description: 'add to the client contract deposit (default: the configured deposit)',
            params: '[amount=<TON, e.g. 5 or 2.5>]',
            run: async (i) => {
                const r = await runner.topUp(i.ton('amount', { optional: true }));
                return { amount: r.amount, amount_ton: formatTonFixed(r.amount) };
            },
        },
        withdraw: {
            description: 'charge what the proxy signed, then withdraw the deposit above the stake to the owner wallet',
            run: async () => {
                const r = await runner.withdraw();
                return { withdrawn: r.withdrawn, withdrawn_ton: formatTonFixed(r.withdrawn) };
            },
        },
        close: {
            description:
                'close the client contract: first call starts closing (cooperative refund), ' +
                'a call after client_delay_before_close forces the refund',
            run: async () => {
                const r = await runner.requestClose();
                return { state: r.state, state_name: contractStateName(r.state) };
            },
        },
        charge: {
            description: 'submit the latest proxy-signed charge to the client contract now',
            run: async () => runner.charge(),
        },
    };

    return { source: { title: opts.title ?? `Cocoon client ${runner.owner.toString()}`, sections }, metrics, actions };
}

/**
 * The developer's own money in one place (what `cocoon client status` prints): the deposit as the client
 * contract counts it (stake included), what the chain has charged, what the proxy has metered but not yet
 * charged (at the root's price), the stake, the receipts kept in memory and the proxy in use.
 */
export function moneySection(runner: ClientRunner): StatsSection {
    const s = runner.info;
    const c = s?.chain ?? null;
    const price = runner.rootState.params.pricePerToken;
    const pendingTokens = c && s && s.max > c.tokensUsed ? s.max - c.tokensUsed : 0n;
    return {
        kind: 'kv',
        id: 'money',
        title: 'your money (on-chain figures; pending = metered by the proxy, not yet charged)',
        values: {
            proxy: s?.endpoint ?? null,
            proxy_sc_address: s?.proxySc.toString() ?? null,
            client_sc_address: s?.clientSc.toString() ?? null,
            deposit: ton(c?.balance),
            stake: ton(c?.stake),
            spent: ton(c ? c.tokensUsed * price : null),
            tokens_charged: c?.tokensUsed ?? null,
            pending_charge: ton(pendingTokens * price),
            pending_tokens: pendingTokens,
            receipts_kept: runner.receipts.length,
        },
    };
}
