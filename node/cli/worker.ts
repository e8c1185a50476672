/**
 * `cocoon worker`: the worker daemon. Serves one model from an OpenAI-compatible backend (the embedded
 * model, vLLM, SGLang, llama.cpp ...) to the proxies registered in the root, over RA-TLS; cashes out
 * its earnings; stats/admin over HTTP (enable/disable, coefficient, payout). On start it registers or
 * updates the owner's hardware profile on-chain when asked (--register; on by default on the local
 * network). `cocoon worker register|status|pause|resume|retire|withdraw`: node/cli/worker-registry.ts.
 */
import { toNano } from '@ton/core';
import { DEFAULT_MAX_PAYOUT_FEE_PERMILLE } from '../worker/earnings';
import { detectHardware, machineDescriptionJson, type DetectedHardware } from '../worker/registry';
import { cocoonRegistryFor, type TeeKind } from '../../wrappers/CocoonRegistry';
import { WorkerRunner } from '../worker/runner';
import { stdio, usageError, type CliIo, type OptionSpec, type OptionValue } from './chain-args';
import { daemonOptions, launch, raTls, runDaemon, type DaemonBase, type Launched } from './daemon';
import { mountStats } from './stats';
import {
    isWorkerSubcommand,
    parsePercentPermille,
    PROFILE_OPTIONS,
    profileFromOptions,
    registerOnStart,
    runWorkerSubcommand,
    workerSubcommandsHelp,
} from './worker-registry';

export const WORKER_OPTIONS: OptionSpec[] = [
    ...daemonOptions('worker', 12000),
    {
        name: 'model',
        type: 'string',
        env: 'COCOON_MODEL',
        required: true,
        help: 'full model name Org/Name@commit:verity (its sha256 must be allowed by the root)',
    },
    {
        name: 'backend',
        type: 'string',
        env: 'COCOON_BACKEND_URL',
        default: 'http://127.0.0.1:8000/v1',
        help: 'OpenAI-compatible inference backend (`cocoon model serve`, vLLM, SGLang)',
    },
    {
        name: 'coefficient',
        type: 'int',
        env: 'COCOON_WORKER_COEFFICIENT',
        default: 1000,
        help: 'price multiplier x1000 (1000 = the root price)',
    },
    {
        name: 'max-active-requests',
        type: 'int',
        env: 'COCOON_MAX_ACTIVE_REQUESTS',
        default: 60,
        help: 'requests served at once, across all proxies',
    },
    { name: 'proxy-connections', type: 'int', env: 'COCOON_PROXY_CONNECTIONS', default: 1, help: 'proxies to serve at once' },
    {
        name: 'proxies',
        type: 'list',
        env: 'COCOON_PROXIES',
        help: "explicit proxy endpoints host:port (default: the root's registered proxies)",
    },
    {
        name: 'change-model-script',
        type: 'string',
        env: 'COCOON_CHANGE_MODEL_SCRIPT',
        help:
            'program run with the new model name when a proxy asks this worker to switch models (worker.changeModel; ' +
            "upstream's change_model_script); exit 0 = switched. Default none: switches are refused",
    },
    {
        name: 'min-payout',
        type: 'nano',
        env: 'COCOON_MIN_PAYOUT',
        default: 200_000_000n,
        help: "cash out a proxy's signed payout once it is worth this much",
    },
    ...PROFILE_OPTIONS,
    {
        name: 'register',
        type: 'bool',
        env: 'COCOON_WORKER_REGISTER',
        help:
            'on start, register or update the hardware profile on-chain when it is missing or changed (1 TON refundable deposit ' +
            'the first time; default: on for the local network, off elsewhere; --no-register)',
    },
    {
        name: 'max-payout-fee-share',
        type: 'string',
        env: 'COCOON_MAX_PAYOUT_FEE_SHARE',
        default: '5%',
        help: 'the automatic payout waits while its fee would exceed this share of the amount (0-100%); on stop it cashes out anyway',
    },
];

/** "5%" or "5" -> 50 per-mille; "0.5%" -> 5. */
export const parseFeeShare = (raw: string): number => parsePercentPermille(raw, '--max-payout-fee-share', '5%');

export interface WorkerDaemonOptions {
    model: string;
    backendUrl: string;
    coefficient: number;
    maxActiveRequests: number;
    proxyConnections: number;
    proxies?: string[];
    minPayout: bigint;
    /** Hardware and declaration flags (PROFILE_OPTIONS values: gpu, gpu-count, vram-mb, region, uptime-commitment). */
    profile?: Record<string, OptionValue>;
    /** Register or update the on-chain profile on start. */
    register?: boolean;
    /** Largest payout fee share, per-mille (default 50). */
    maxPayoutFeePermille?: number;
    changeModelScript?: string;
    checkHashes?: boolean;
    pccsUrl?: string;
    intervals?: Parameters<typeof WorkerRunner.start>[0]['intervals'];
}

export type RunningWorker = Launched<WorkerRunner>;

export async function startWorkerDaemon(base: DaemonBase, o: WorkerDaemonOptions): Promise<RunningWorker> {
    if (!/^[^@\s]+\/[^@\s]+(@\S+)?$/.test(o.model))
        throw usageError(`--model: '${o.model}' is not a model name (Org/Name or Org/Name@commit:verity)`);
    if (!/^https?:\/\//.test(o.backendUrl)) throw usageError(`--backend must be an http(s):// URL, got '${o.backendUrl}'`);
    // The declared TEE follows the attestation this worker presents.
    const tee: TeeKind = base.tee === 'tdx' ? 'tdx' : base.tee === 'fake' ? 'fake' : 'none';
    const built = await profileFromOptions(o.profile ?? {}, { models: [o.model], workerKey: base.key.publicKey, tee }).catch(
        async (e: Error) => {
            // Without --register a profile the contract would refuse only costs the machine description.
            if (o.register) throw e;
            base.logger.warn('no machine_description_json', { error: e.message });
            return null;
        },
    );
    let description: string | undefined;
    if (built) {
        const registry = o.register
            ? (await registerOnStart(base.chain, base.wallet, base.root, built.profile, base.logger.child('registry'))).address
            : (await cocoonRegistryFor(base.root, base.wallet.address)).address;
        description = machineDescriptionJson(built.profile, registry);
    }
    const hardware = statsHardware(
        built?.hardware ??
            (await detectHardware({ gpu: o.profile?.gpu as string | undefined, vramMib: o.profile?.['vram-mb'] as number | undefined })),
    );
    // The RA-TLS certificate carries the receipt key, so a receipt ties to the worker's quote.
    const tls = await raTls(base.tee, base.peerPolicy, o.pccsUrl, base.logger.child('tls'), base.key);
    const d = await launch(
        base,
        [tls],
        () =>
            WorkerRunner.start({
                chain: base.chain,
                wallet: base.wallet,
                root: base.root,
                model: o.model,
                backendUrl: o.backendUrl,
                key: base.key,
                coefficient: o.coefficient,
                maxActiveRequests: o.maxActiveRequests,
                proxyConnections: o.proxyConnections,
                proxies: o.proxies,
                tls,
                checkProxyHashes: o.checkHashes,
                minPayout: o.minPayout,
                hardware,
                intervals: o.intervals,
                logger: base.logger,
                machineDescriptionJson: description,
                maxPayoutFeePermille: o.maxPayoutFeePermille ?? DEFAULT_MAX_PAYOUT_FEE_PERMILLE,
                changeModelScript: o.changeModelScript,
            }),
        async (r) => mountStats('worker', r, base),
    );
    base.logger.info('worker ready', {
        owner: d.runner.owner.toString(),
        model: o.model,
        backend: o.backendUrl,
        gpu: hardware.gpu,
        http: d.httpUrl,
    });
    return d;
}

/** The detected hardware as the stats pages show it. */
function statsHardware(h: DetectedHardware) {
    return { gpu: h.gpuModel, gpuCount: h.gpuCount, vramMb: h.vramMib, cpu: h.cpuModel, cpuCores: h.cpuCores, ramMb: h.ramMib };
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
        profile: values,
        register: (values.register as boolean | undefined) ?? (String(values.network) === 'local' && !values.endpoint),
        maxPayoutFeePermille: parseFeeShare(String(values['max-payout-fee-share'] ?? '5%')),
        changeModelScript: (values['change-model-script'] as string | undefined) || undefined,
        checkHashes: values['check-hashes'] as boolean | undefined,
        pccsUrl: values['pccs-url'] as string | undefined,
    };
}

const DESCRIPTION = `Runs a Cocoon worker: serves a model from an OpenAI-compatible backend to the root's proxies over
RA-TLS (inside a TDX guest with --tee tdx), and cashes out what the proxies sign for it.

${workerSubcommandsHelp()}`;

export function runWorker(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = stdio): Promise<number> {
    if (isWorkerSubcommand(argv[0])) return runWorkerSubcommand(argv[0], argv.slice(1), env, io);
    return runDaemon(
        {
            role: 'worker',
            options: WORKER_OPTIONS,
            usage: 'cocoon worker --model <name> [options]',
            description: DESCRIPTION,
            async start(base, values) {
                const w = await startWorkerDaemon(base, workerDaemonOptions(values));
                const stop = async () => {
                    // The last chance to cash out: the fee guard does not hold the pending earnings back now.
                    await w.runner
                        .payoutAll(false, true)
                        .catch((e: Error) => base.logger.warn('payout on stop failed', { error: e.message }));
                    await w.stop();
                };
                return { banner: `worker ${w.runner.owner.toString()} serving ${String(values.model)}; stats ${w.httpUrl}/stats\n`, stop };
            },
        },
        argv,
        env,
        io,
    );
}
