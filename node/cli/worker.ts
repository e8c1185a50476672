/**
 * `cocoon worker`: the worker daemon. Serves one model from an OpenAI-compatible backend (the embedded
 * model, vLLM, SGLang, llama.cpp ...) to the proxies registered in the root, over RA-TLS; cashes out
 * its earnings; stats/admin over HTTP (enable/disable, coefficient, payout).
 */
import { toNano } from '@ton/core';
import { detectHardware } from '../worker/hardware';
import { WorkerRunner } from '../worker/runner';
import { stdio, usageError, type CliIo, type OptionSpec, type OptionValue } from './chain-args';
import { daemonOptions, launch, raTls, runDaemon, type DaemonBase, type Launched } from './daemon';
import { mountStats } from './stats';

export const WORKER_OPTIONS: OptionSpec[] = [
    ...daemonOptions('worker', 12000),
    { name: 'model', type: 'string', env: 'COCOON_MODEL', required: true, help: 'full model name Org/Name@commit:verity (its sha256 must be allowed by the root)' },
    { name: 'backend', type: 'string', env: 'COCOON_BACKEND_URL', default: 'http://127.0.0.1:8000/v1', help: 'OpenAI-compatible inference backend (`cocoon model serve`, vLLM, SGLang)' },
    { name: 'coefficient', type: 'int', env: 'COCOON_WORKER_COEFFICIENT', default: 1000, help: 'price multiplier x1000 (1000 = the root price)' },
    { name: 'max-active-requests', type: 'int', env: 'COCOON_MAX_ACTIVE_REQUESTS', default: 60, help: 'requests served at once, across all proxies' },
    { name: 'proxy-connections', type: 'int', env: 'COCOON_PROXY_CONNECTIONS', default: 1, help: 'proxies to serve at once' },
    { name: 'proxies', type: 'list', env: 'COCOON_PROXIES', help: 'explicit proxy endpoints host:port (default: the root\'s registered proxies)' },
    { name: 'min-payout', type: 'nano', env: 'COCOON_MIN_PAYOUT', default: 200_000_000n, help: 'cash out a proxy\'s signed payout once it is worth this much' },
    { name: 'gpu', type: 'string', env: 'COCOON_GPU', help: 'GPU model to announce (default: detected with nvidia-smi)' },
    { name: 'vram-mb', type: 'int', env: 'COCOON_VRAM_MB', help: 'VRAM to announce, MiB (default: detected)' },
];

export interface WorkerDaemonOptions {
    model: string;
    backendUrl: string;
    coefficient: number;
    maxActiveRequests: number;
    proxyConnections: number;
    proxies?: string[];
    minPayout: bigint;
    gpu?: string;
    vramMb?: number;
    checkHashes?: boolean;
    pccsUrl?: string;
    intervals?: Parameters<typeof WorkerRunner.start>[0]['intervals'];
}

export type RunningWorker = Launched<WorkerRunner>;

export async function startWorkerDaemon(base: DaemonBase, o: WorkerDaemonOptions): Promise<RunningWorker> {
    if (!/^[^@\s]+\/[^@\s]+(@\S+)?$/.test(o.model)) throw usageError(`--model: '${o.model}' is not a model name (Org/Name or Org/Name@commit:verity)`);
    if (!/^https?:\/\//.test(o.backendUrl)) throw usageError(`--backend must be an http(s):// URL, got '${o.backendUrl}'`);
    const hardware = await detectHardware({ gpu: o.gpu, vramMb: o.vramMb });
    // The RA-TLS certificate carries the receipt key, so a receipt ties to the worker's quote.
    const tls = await raTls(base.tee, base.peerPolicy, o.pccsUrl, base.logger.child('tls'), base.key);
    const d = await launch(
        base,
        [tls],
        () =>
            WorkerRunner.start({
                chain: base.chain, wallet: base.wallet, root: base.root, model: o.model, backendUrl: o.backendUrl, key: base.key,
                coefficient: o.coefficient, maxActiveRequests: o.maxActiveRequests, proxyConnections: o.proxyConnections, proxies: o.proxies,
                tls, checkProxyHashes: o.checkHashes, minPayout: o.minPayout, hardware, intervals: o.intervals, logger: base.logger,
            }),
        async (r) => mountStats('worker', r, base),
    );
    base.logger.info('worker ready', { owner: d.runner.owner.toString(), model: o.model, backend: o.backendUrl, gpu: hardware.gpu, http: d.httpUrl });
    return d;
}

export function workerDaemonOptions(values: Record<string, OptionValue>): WorkerDaemonOptions {
    return {
        model: String(values.model),
        backendUrl: String(values.backend).replace(/\/+$/, ''),
        coefficient: values.coefficient as number,
        maxActiveRequests: values['max-active-requests'] as number,
        proxyConnections: values['proxy-connections'] as number,
        proxies: values.proxies as string[] | undefined,
        minPayout: (values['min-payout'] as bigint | undefined) ?? toNano('0.2'),
        gpu: values.gpu as string | undefined,
        vramMb: values['vram-mb'] as number | undefined,
        checkHashes: values['check-hashes'] as boolean | undefined,
        pccsUrl: values['pccs-url'] as string | undefined,
    };
}

const DESCRIPTION = `Runs a Cocoon worker: serves a model from an OpenAI-compatible backend to the root's proxies over
RA-TLS (inside a TDX guest with --tee tdx), and cashes out what the proxies sign for it.`;

export function runWorker(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = stdio): Promise<number> {
    return runDaemon(
        {
            role: 'worker', options: WORKER_OPTIONS, usage: 'cocoon worker --model <name> [options]', description: DESCRIPTION,
            async start(base, values) {
                const w = await startWorkerDaemon(base, workerDaemonOptions(values));
                return { banner: `worker ${w.runner.owner.toString()} serving ${String(values.model)}; stats ${w.httpUrl}/stats\n`, stop: () => w.stop() };
            },
        },
        argv, env, io,
    );
}
