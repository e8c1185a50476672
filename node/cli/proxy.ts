/**
 * `cocoon proxy`: the proxy daemon. Owns a proxy contract under the root, takes workers on one RA-TLS port
 * (peers must pass --peer-policy) and clients on another (policy any), keeps the ledgers in its data dir
 * (PGlite, or PostgreSQL with --database-url), settles on-chain, and serves stats/admin over HTTP.
 */
import { ProxyRunner, type ProxyThresholds } from '../proxy/runner';
import { DEFAULT_MAX_QUERY_TIMEOUT_S } from '../proxy/relay';
import { DEFAULT_MAX_LONG_AUTH_WAITS, DEFAULT_MAX_UNAUTHENTICATED_CLIENTS } from '../proxy/inbound-client';
import { stdio, type CliIo, type OptionSpec, type OptionValue } from './chain-args';
import { daemonOptions, launch, raTls, runDaemon, type DaemonBase, type Launched } from './daemon';
import { mountStats } from './stats';

export const PROXY_OPTIONS: OptionSpec[] = [
    ...daemonOptions('proxy', 11000),
    { name: 'worker-port', type: 'port', env: 'COCOON_WORKER_PORT', default: 11001, help: 'RA-TLS port workers connect to' },
    { name: 'client-port', type: 'port', env: 'COCOON_CLIENT_PORT', default: 11002, help: 'RA-TLS port clients connect to' },
    {
        name: 'public-host',
        type: 'string',
        env: 'COCOON_PUBLIC_HOST',
        help: 'host or IP peers reach this proxy at (for the registration line it prints; default --host)',
    },
    {
        name: 'database-url',
        type: 'string',
        env: 'DATABASE_URL',
        help: 'postgres://... keeps the ledger store in PostgreSQL (default: PGlite in --data-dir)',
    },
    {
        name: 'pow-difficulty',
        type: 'int',
        env: 'COCOON_POW_DIFFICULTY',
        default: 20,
        help: 'proof-of-work bits a peer solves before the TLS handshake (0 = any nonce passes; the exchange stays, peers expect it)',
    },
    {
        name: 'stake',
        type: 'nano',
        env: 'COCOON_PROXY_STAKE',
        help: "stake kept in the proxy contract (default: the root's min_proxy_stake)",
    },
    {
        name: 'charge-threshold',
        type: 'nano',
        env: 'COCOON_CHARGE_THRESHOLD',
        default: 1_000_000_000n,
        help: 'charge a client on-chain once this much is owed',
    },
    {
        name: 'payout-threshold',
        type: 'nano',
        env: 'COCOON_PAYOUT_THRESHOLD',
        default: 10_000_000_000n,
        help: 'pay a worker once this much is earned',
    },
    {
        name: 'max-query-timeout',
        type: 'int',
        env: 'COCOON_MAX_QUERY_TIMEOUT',
        default: DEFAULT_MAX_QUERY_TIMEOUT_S,
        help: 'longest a request may run, seconds: a longer client timeout is capped (a silent worker frees its slot by then)',
    },
    {
        name: 'max-unauthenticated-clients',
        type: 'int',
        env: 'COCOON_MAX_UNAUTHENTICATED_CLIENTS',
        default: DEFAULT_MAX_UNAUTHENTICATED_CLIENTS,
        help: 'client-port connections not yet authorised, at most; more are closed at once',
    },
    {
        name: 'max-long-auth-waits',
        type: 'int',
        env: 'COCOON_MAX_LONG_AUTH_WAITS',
        default: DEFAULT_MAX_LONG_AUTH_WAITS,
        help: 'long auths waiting for their on-chain registration, at most; more get 429',
    },
    {
        name: 'withdraw-threshold',
        type: 'nano',
        env: 'COCOON_WITHDRAW_THRESHOLD',
        default: 10_000_000_000n,
        help: 'withdraw the commission once it reaches this',
    },
    {
        name: 'settle-after',
        type: 'int',
        env: 'COCOON_SETTLE_AFTER',
        default: 0,
        help: 'also settle a smaller amount once it has waited this many seconds (0 = by threshold only, as the original)',
    },
    {
        name: 'max-fee-share',
        type: 'string',
        env: 'COCOON_MAX_FEE_SHARE',
        default: '0.1',
        help: 'a settlement by time is sent only if its fee is at most this share of the amount (0 < share <= 1)',
    },
    {
        name: 'settle-fee-estimate',
        type: 'nano',
        env: 'COCOON_SETTLE_FEE_ESTIMATE',
        default: 10_000_000n,
        help: 'fee one settlement message costs, for the fee guard',
    },
];

export interface ProxyDaemonOptions {
    workerPort: number;
    clientPort: number;
    databaseUrl?: string;
    powDifficulty: number;
    maxQueryTimeoutSeconds?: number;
    maxUnauthenticatedClients?: number;
    maxLongAuthWaits?: number;
    stake?: bigint;
    thresholds?: Partial<ProxyThresholds>;
    intervals?: Parameters<typeof ProxyRunner.start>[0]['intervals'];
    checkHashes?: boolean;
    pccsUrl?: string;
}

export interface RunningProxy extends Launched<ProxyRunner> {
    /** The registration descriptor for the root: "host:workerPort host:clientPort". */
    descriptor(publicHost?: string): string;
}

export async function startProxyDaemon(base: DaemonBase, o: ProxyDaemonOptions): Promise<RunningProxy> {
    const workerTls = await raTls(base.tee, base.peerPolicy, o.pccsUrl, base.logger.child('tls'));
    const clientTls = await raTls(base.tee, 'any', undefined, base.logger.child('tls'));
    const d = await launch(
        base,
        [workerTls, clientTls],
        () =>
            ProxyRunner.start({
                chain: base.chain,
                wallet: base.wallet,
                root: base.root,
                key: base.key,
                dataDir: base.dataDir,
                databaseUrl: o.databaseUrl,
                host: base.host,
                workerPort: o.workerPort,
                clientPort: o.clientPort,
                workerTls,
                clientTls,
                powDifficulty: o.powDifficulty,
                checkWorkerHashes: o.checkHashes,
                maxQueryTimeoutSeconds: o.maxQueryTimeoutSeconds,
                maxUnauthenticatedClients: o.maxUnauthenticatedClients,
                maxLongAuthWaits: o.maxLongAuthWaits,
                stake: o.stake,
                thresholds: o.thresholds,
                intervals: o.intervals,
                logger: base.logger,
            }),
        async (r) => mountStats('proxy', r, base),
    );
    const r = d.runner;
    base.logger.info('proxy ready', {
        contract: r.contract.toString(),
        workerPort: r.workerPort,
        clientPort: r.clientPort,
        http: d.httpUrl,
    });
    return { ...d, descriptor: (publicHost = base.host) => `${publicHost}:${r.workerPort} ${publicHost}:${r.clientPort}` };
}

export function proxyDaemonOptions(values: Record<string, OptionValue>): ProxyDaemonOptions {
    return {
        workerPort: values['worker-port'] as number,
        clientPort: values['client-port'] as number,
        databaseUrl: values['database-url'] as string | undefined,
        powDifficulty: values['pow-difficulty'] as number,
        maxQueryTimeoutSeconds: values['max-query-timeout'] as number | undefined,
        maxUnauthenticatedClients: values['max-unauthenticated-clients'] as number | undefined,
        maxLongAuthWaits: values['max-long-auth-waits'] as number | undefined,
        stake: values.stake as bigint | undefined,
        thresholds: {
            charge: values['charge-threshold'] as bigint,
            payout: values['payout-threshold'] as bigint,
            withdraw: values['withdraw-threshold'] as bigint,
            settleAfterMs: (values['settle-after'] as number) * 1000,
            maxFeeShare: feeShare(values['max-fee-share'] as string),
            feeEstimate: values['settle-fee-estimate'] as bigint,
        },
        checkHashes: values['check-hashes'] as boolean | undefined,
        pccsUrl: values['pccs-url'] as string | undefined,
    };
}

function feeShare(v: string): number {
    const n = Number(v);
    if (!/^\d*\.?\d+$/.test(v.trim()) || !(n > 0 && n <= 1))
        throw new Error(`invalid --max-fee-share ${v}: a number in (0, 1], e.g. 0.1 for 10%`);
    return n;
}

const DESCRIPTION = `Runs a Cocoon proxy: routes clients' requests to attested workers, meters tokens, keeps the ledgers,
and settles on-chain (charges clients, pays workers, withdraws its commission). After the first start,
the root owner registers it with the line this command prints (cocoon root register-proxy ...).`;

export function runProxy(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = stdio): Promise<number> {
    return runDaemon(
        {
            role: 'proxy',
            options: PROXY_OPTIONS,
            usage: 'cocoon proxy [options]',
            description: DESCRIPTION,
            async start(base, values) {
                const p = await startProxyDaemon(base, proxyDaemonOptions(values));
                const publicHost = (values['public-host'] as string | undefined) ?? base.host;
                return {
                    banner:
                        `proxy ${p.runner.contract.toString()} serving; stats ${p.httpUrl}/stats\n` +
                        `register it (root owner): cocoon root register-proxy "${p.descriptor(publicHost)}" ` +
                        `--root ${base.root.toString()}\n`,
                    stop: () => p.stop(),
                    onFatal: (cb) => p.runner.onFatal(cb),
                };
            },
        },
        argv,
        env,
        io,
    );
}
