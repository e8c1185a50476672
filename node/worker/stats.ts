/**
 * The worker's stats pages, metrics and admin actions (COCOON WorkerRunner http stats), built from the
 * runner's public API (snapshot()): status, hardware profile, counters, per-proxy earnings and live
 * proxy connections. Admin: enable, disable, change the coefficient, cash out.
 */
import { MetricsRegistry } from '../common/metrics';
import { BadRequest, flagged, type AdminAction, type RunnerStats, type StatsSection, type StatsValue } from '../common/stats-server';
import { formatTonFixed } from '../common/ton';
import { PAYOUT_FEE_ESTIMATE, proxyEarnings, type ProxyEarnings } from './earnings';
import type { WorkerRunner } from './runner';

export { PAYOUT_FEE_ESTIMATE };

/** Per proxy contract: tokens served, TON earned on-chain and pending, the payout fee now, uptime. */
export function workerEarnings(runner: WorkerRunner): ProxyEarnings[] {
    const opts = { feePerToken: runner.workerFeePerToken, payoutFee: runner.payoutFee, maxFeePermille: runner.maxPayoutFeePermille };
    return runner.snapshot().proxies.map((p) => proxyEarnings(p, { ...opts, uptime: runner.uptime.figures(p.proxy_sc_address_raw) }));
}

interface UnpaidProxy {
    proxy_sc_address: string;
    earned_tokens_committed_to_blockchain: bigint;
    paid_out_tokens: bigint;
}

/**
 * Why a forced payout should not run unconfirmed, or null: a proxy contract would pay out less than the
 * fees that payout costs (forcing skips the minimum-payout rule that normally prevents it).
 */
export function forcedPayoutRefusal(
    proxies: readonly UnpaidProxy[],
    feePerToken: bigint,
    feeEstimate = PAYOUT_FEE_ESTIMATE,
): string | null {
    const losing = proxies
        .map((p) => ({ proxy: p.proxy_sc_address, worth: (p.earned_tokens_committed_to_blockchain - p.paid_out_tokens) * feePerToken }))
        .filter((p) => p.worth > 0n && p.worth < feeEstimate);
    if (!losing.length) return null;
    const list = losing.map((p) => `${formatTonFixed(p.worth)} TON from ${p.proxy}`).join(', ');
    return (
        `a forced payout would move ${list} for about ${formatTonFixed(feeEstimate)} TON of fees each: ` +
        `add confirm=true to pay anyway, or leave it to the automatic payout (it waits for the minimum payout)`
    );
}

/** The integer coefficient (1000 = 1.0x) from `coefficient=<int>` or `multiplier=<float>`. */
function coefficientParam(i: Parameters<AdminAction['run']>[0]): number {
    if (i.has('coefficient') && i.has('multiplier'))
        throw new BadRequest("give either 'coefficient' (integer, 1000 = 1.0x) or 'multiplier' (e.g. 1.5), not both");
    if (i.has('multiplier')) {
        const m = i.number('multiplier', { min: 0, max: 999_999 });
        return Math.round(m * 1000);
    }
    if (!i.has('coefficient')) throw new BadRequest("missing parameter 'coefficient' (integer, 1000 = 1.0x) or 'multiplier' (e.g. 1.5)");
    return i.integer('coefficient', { min: 0, max: 999_999_999 });
}

function hardwareValues(h: Record<string, unknown>): Record<string, StatsValue> {
    const v = (x: unknown): StatsValue =>
        typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint'
            ? x
            : x === undefined || x === null
              ? null
              : JSON.stringify(x);
    const out: Record<string, StatsValue> = {};
    if ('gpu' in h) out.gpu = v(h.gpu);
    if ('gpuCount' in h) out.gpu_count = v(h.gpuCount);
    if ('vramMb' in h) {
        out.vram_mb = v(h.vramMb);
        if (typeof h.vramMb === 'number') out.vram_gb = Math.round((h.vramMb / 1024) * 10) / 10;
    }
    if ('cpu' in h) out.cpu = v(h.cpu);
    if ('cpuCores' in h) out.cpu_cores = v(h.cpuCores);
    if ('ramMb' in h) out.ram_mb = v(h.ramMb);
    const known = new Set(['gpu', 'gpuCount', 'vramMb', 'cpu', 'cpuCores', 'ramMb']);
    for (const [k, x] of Object.entries(h)) if (!known.has(k)) out[k] = v(x);
    return out;
}

export function workerStats(runner: WorkerRunner, opts: { title?: string } = {}): RunnerStats {
    const metrics = new MetricsRegistry();
    runner.stats.register(metrics, 'cocoon_worker', (n) => `Worker ${n} since start`);
    const g = {
        info: metrics.gauge('cocoon_worker_info', 'Constant 1, labelled with the served model and the GPU', ['model', 'gpu']),
        enabled: metrics.gauge('cocoon_worker_enabled', 'Enabled by the operator (1) or not (0)'),
        backendUp: metrics.gauge('cocoon_worker_backend_up', 'Inference backend answers its health check (1) or not (0)'),
        active: metrics.gauge('cocoon_worker_active_requests', 'Requests being served now'),
        maxActive: metrics.gauge('cocoon_worker_max_active_requests', 'Concurrent request limit'),
        coefficient: metrics.gauge('cocoon_worker_coefficient', 'Price coefficient (1000 = 1.0x)'),
        proxies: metrics.gauge('cocoon_worker_connected_proxies', 'Connected proxies'),
        tokens: metrics.gauge(
            'cocoon_worker_proxy_tokens',
            'Per-proxy tokens: signed (committed to blockchain), db, max, paid (on-chain)',
            ['proxy', 'stage'],
        ),
    };
    metrics.onCollect(() => {
        const s = runner.snapshot();
        const hw = s.hardware as Record<string, unknown>;
        g.info.reset();
        g.info.set({ model: s.model, gpu: typeof hw.gpu === 'string' ? hw.gpu : '' }, 1);
        g.enabled.set(undefined, s.enabled ? 1 : 0);
        g.backendUp.set(undefined, s.backend_up ? 1 : 0);
        g.active.set(undefined, s.active_requests);
        g.maxActive.set(undefined, s.max_active_requests);
        g.coefficient.set(undefined, s.coefficient);
        g.proxies.set(undefined, s.connections.length);
        g.tokens.reset();
        for (const p of s.proxies) {
            g.tokens.set({ proxy: p.proxy_sc_address, stage: 'signed' }, p.earned_tokens_committed_to_blockchain);
            g.tokens.set({ proxy: p.proxy_sc_address, stage: 'db' }, p.earned_tokens_committed_to_proxy_db);
            g.tokens.set({ proxy: p.proxy_sc_address, stage: 'max' }, p.earned_tokens_max_known);
            g.tokens.set({ proxy: p.proxy_sc_address, stage: 'paid' }, p.paid_out_tokens);
        }
    });

    const sections = (): StatsSection[] => {
        const s = runner.snapshot();
        const hw = hardwareValues(s.hardware as Record<string, unknown>);
        return [
            {
                kind: 'kv',
                id: 'status',
                title: 'status',
                values: {
                    owner: s.owner,
                    actual_model: s.model,
                    model_hash: s.model_hash,
                    coefficient: s.coefficient,
                    multiplier: s.coefficient / 1000,
                    enabled: flagged(s.enabled, s.enabled ? 'ok' : 'warn'),
                    backend_up: flagged(s.backend_up, s.backend_up ? 'ok' : 'bad'),
                    active_requests: s.active_requests,
                    max_active_requests: s.max_active_requests,
                    connected_proxies: flagged(s.connections.length, s.connections.length ? 'ok' : 'bad'),
                    last_error: s.last_error ? flagged(s.last_error, 'warn') : null,
                    payout_fee_estimate_nanoton: runner.payoutFee,
                    max_payout_fee_permille: runner.maxPayoutFeePermille,
                },
            },
            {
                kind: 'kv',
                id: 'hardware',
                title: 'hardware',
                values: Object.keys(hw).length ? hw : { reported: 'not configured (--gpu / --vram-mb, or detected with nvidia-smi)' },
            },
            runner.stats.table(),
            {
                kind: 'table',
                id: 'proxies',
                title: 'proxies (earnings per proxy contract)',
                columns: [
                    'proxy_sc_address',
                    'sc_address',
                    'proxy_public_key',
                    'connected',
                    'earned_tokens_committed_to_blockchain',
                    'earned_tokens_committed_to_proxy_db',
                    'earned_tokens_max_known',
                    'paid_out_tokens',
                    'unpaid_signed_tokens',
                ],
                rows: s.proxies.map((p) => ({
                    ...p,
                    unpaid_signed_tokens:
                        p.earned_tokens_committed_to_blockchain > p.paid_out_tokens
                            ? p.earned_tokens_committed_to_blockchain - p.paid_out_tokens
                            : 0n,
                })),
            },
            {
                kind: 'table',
                id: 'earnings',
                title: 'earnings per proxy (nanoTON; earned = paid on-chain, pending = signed, not cashed)',
                columns: [
                    'proxy_sc_address',
                    'sc_address',
                    'connected',
                    'tokens_served',
                    'paid_tokens',
                    'earned_nanoton',
                    'pending_tokens',
                    'pending_nanoton',
                    'payout_fee_nanoton',
                    'payout_fee_ok',
                    'uptime_seconds',
                    'uptime_window_seconds',
                    'uptime_permille',
                ],
                rows: workerEarnings(runner).map((e) => ({ ...e })),
            },
            {
                kind: 'table',
                id: 'proxy_connections',
                title: 'proxy connections',
                columns: ['endpoint', 'running'],
                rows: s.connections.map((c) => ({ ...c })),
            },
        ];
    };

    const actions: Record<string, AdminAction> = {
        enable: {
            description: 'serve queries again (announced to every connected proxy)',
            run: () => {
                runner.setEnabled(true);
                return { enabled: true };
            },
        },
        disable: {
            description: 'stop taking queries (announced to every connected proxy); running ones finish',
            run: () => {
                runner.setEnabled(false);
                return { enabled: false };
            },
        },
        change_coefficient: {
            description: 'set the price coefficient announced to the proxies',
            params: 'coefficient=<integer, 1000 = 1.0x> | multiplier=<e.g. 1.5>',
            run: (i) => {
                const c = coefficientParam(i);
                try {
                    runner.setCoefficient(c);
                } catch (e) {
                    throw new BadRequest((e as Error).message);
                }
                return { coefficient: c, multiplier: c / 1000 };
            },
        },
        payout: {
            description:
                'cash out signed, unpaid earnings now: proxy contracts owed at least the minimum payout; ' +
                'force=true pays every one, and wants confirm=true when a payout would move less than its fees',
            params: '[force=true|false] [confirm=true|false]',
            run: async (i) => {
                const force = i.boolean('force', false);
                if (force && !i.boolean('confirm', false)) {
                    const refusal = forcedPayoutRefusal(runner.snapshot().proxies, runner.workerFeePerToken);
                    if (refusal) throw new BadRequest(refusal);
                }
                return { payouts: await runner.payoutAll(force) };
            },
        },
    };
    actions.set_coefficient = actions.change_coefficient;

    return { source: { title: opts.title ?? `Cocoon worker ${runner.owner.toString()}`, sections }, metrics, actions };
}
