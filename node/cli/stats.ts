/**
 * Mounts a runner's stats pages (/stats, /jsonstats, /metrics) and admin actions (/request/*, guarded by
 * the access secret) on a daemon's HTTP port.
 */
import type { ClientRunner } from '../client/runner';
import { clientStats } from '../client/stats';
import { statsHandler } from '../common/stats-server';
import type { ProxyRunner } from '../proxy/runner';
import { proxyStats } from '../proxy/stats';
import type { WorkerRunner } from '../worker/runner';
import { workerStats } from '../worker/stats';
import type { DaemonBase, HttpHandler, Role } from './daemon';

type RunnerOf<R extends Role> = R extends 'proxy' ? ProxyRunner : R extends 'worker' ? WorkerRunner : ClientRunner;

export function mountStats<R extends Role>(role: R, runner: RunnerOf<R>, base: DaemonBase): HttpHandler[] {
    const stats =
        role === 'proxy'
            ? proxyStats(runner as ProxyRunner)
            : role === 'worker'
              ? workerStats(runner as WorkerRunner)
              : clientStats(runner as ClientRunner);
    return [
        statsHandler({
            ...stats,
            secret: base.accessSecret ?? null,
            secretHint: `start cocoon ${role} with --access-secret <secret> (or COCOON_ACCESS_SECRET)`,
            onError: (what, e) => base.logger.warn('stats request failed', { what, error: e.message }),
        }),
    ];
}
