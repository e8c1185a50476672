/**
 * `cocoon client`: the client daemon. Keeps a deposit in its client contract and serves the
 * OpenAI-compatible API (default port 10000) through a proxy of the root; stats/admin on the same port
 * (top up, withdraw, close, charge).
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { randomBytes } from 'crypto';
import { ClientRunner } from '../client/runner';
import { ApiAccessError, apiGuard, checkApiExposure, type ApiAccessOptions } from '../client/api-guard';
import { API_LIMITS } from '../client/http-api';
import { CliError, runCommand, stdio, usageError, type CliIo, type OptionSpec, type OptionValue } from './chain-args';
import { daemonOptions, launch, raTls, runDaemon, type DaemonBase, type Launched } from './daemon';
import { mountStats } from './stats';

export const CLIENT_OPTIONS: OptionSpec[] = [
    ...daemonOptions('client', 10000),
    {
        name: 'secret',
        type: 'string',
        env: 'COCOON_CLIENT_SECRET',
        help: 'short-auth secret (default: generated once into <data-dir>/client-secret)',
    },
    {
        name: 'deposit',
        type: 'nano',
        env: 'COCOON_DEPOSIT',
        help: "TON put into the client contract on deploy and on each top-up (default: 2x the root's min client stake)",
    },
    {
        name: 'auto-top-up',
        type: 'bool',
        env: 'COCOON_AUTO_TOP_UP',
        default: true,
        help: 'top up when the unspent deposit falls under half the stake',
    },
    {
        name: 'proxies',
        type: 'list',
        env: 'COCOON_PROXIES',
        help: "explicit proxy endpoints host:port (default: the root's registered proxies)",
    },
    {
        name: 'max-coefficient',
        type: 'int',
        env: 'COCOON_MAX_COEFFICIENT',
        help: "default cap on a worker's price coefficient for requests that do not set max_coefficient",
    },
    { name: 'timeout', type: 'int', env: 'COCOON_REQUEST_TIMEOUT', help: 'default request timeout, seconds' },
    { name: 'max-tokens', type: 'int', env: 'COCOON_MAX_TOKENS', help: 'default max_tokens for requests that do not set it' },
    {
        name: 'max-timeout',
        type: 'int',
        env: 'COCOON_MAX_REQUEST_TIMEOUT',
        default: API_LIMITS.maxTimeoutSeconds,
        help: 'largest timeout a request may ask for, seconds (above: 400)',
    },
    {
        name: 'api-key',
        type: 'string',
        env: 'COCOON_API_KEY',
        help: 'require Authorization: Bearer <key> on the OpenAI API (default none; required when --host is not loopback)',
    },
    {
        name: 'cors-origin',
        type: 'list',
        env: 'COCOON_CORS_ORIGIN',
        help: 'browser origins allowed to call the API (e.g. https://app.example.com); default none',
    },
    {
        name: 'e2e',
        type: 'bool',
        env: 'COCOON_E2E',
        default: false,
        help:
            'encrypt each request end to end to an attested worker key and decrypt its answer here, so the proxy never holds the ' +
            "prompt or the answer (needs an RA-TLS proxy and this project's workers; a request that cannot be encrypted is " +
            'refused, never sent in plaintext)',
    },
    {
        name: 'allowed-hosts',
        type: 'list',
        env: 'COCOON_ALLOWED_HOSTS',
        help:
            'Host names the API answers to besides loopback names and its own address (e.g. the public name behind a TLS proxy; ' +
            'default none)',
    },
];

export interface ClientDaemonOptions {
    secret?: string;
    deposit?: bigint;
    autoTopUp: boolean;
    proxies?: string[];
    checkHashes?: boolean;
    pccsUrl?: string;
    defaults?: { maxCoefficient?: number; timeoutSeconds?: number; maxTokens?: number };
    maxTimeoutSeconds?: number;
    /** API key, CORS origins, extra Host names (the listen address is added here). */
    access?: Omit<ApiAccessOptions, 'listenHost'>;
    intervals?: Parameters<typeof ClientRunner.start>[0]['intervals'];
    /** Wait this long for the first proxy session before giving up (ms). */
    readyTimeoutMs?: number;
    /** End-to-end encryption by the daemon (--e2e, default off). */
    e2e?: boolean;
}

export interface RunningClient extends Launched<ClientRunner> {
    /** Base URL of the OpenAI-compatible API (…/v1). */
    apiUrl: string;
}

/** The short-auth secret: given, or generated once and kept in the data dir (0600). */
function clientSecret(dataDir: string, given?: string): string {
    if (given) return given;
    const path = join(dataDir, 'client-secret');
    if (!existsSync(path)) writeFileSync(path, randomBytes(24).toString('base64url') + '\n', { mode: 0o600 });
    const s = readFileSync(path, 'utf8').trim();
    if (!s) throw new CliError('BAD_SECRET', `${path} is empty: delete it to generate a new secret, or pass --secret`);
    return s;
}

export async function startClientDaemon(base: DaemonBase, o: ClientDaemonOptions): Promise<RunningClient> {
    const access: ApiAccessOptions = { ...o.access, listenHost: base.host };
    checkClientAccess(access);
    const tls = await raTls(base.tee, base.peerPolicy, o.pccsUrl, base.logger.child('tls'));
    const d = await launch(
        base,
        [tls],
        () =>
            ClientRunner.start({
                chain: base.chain,
                wallet: base.wallet,
                root: base.root,
                secret: clientSecret(base.dataDir, o.secret),
                deposit: o.deposit,
                autoTopUp: o.autoTopUp,
                proxies: o.proxies,
                tls,
                checkProxyHashes: o.checkHashes,
                intervals: o.intervals,
                e2e: o.e2e,
                api: { defaults: o.defaults, maxTimeoutSeconds: o.maxTimeoutSeconds, access },
                logger: base.logger,
            }),
        async (r) => {
            await r.waitReady(o.readyTimeoutMs ?? 120_000);
            return [r.handler, ...mountStats('client', r, base)];
        },
    );
    base.logger.info('client ready', { owner: d.runner.owner.toString(), api: `${d.httpUrl}/v1` });
    return { ...d, apiUrl: `${d.httpUrl}/v1` };
}

/** An API beyond loopback without a key, or a malformed --cors-origin, is a usage error (exit 2). */
function checkClientAccess(access: ApiAccessOptions): void {
    try {
        checkApiExposure(access.listenHost ?? '127.0.0.1', access.apiKey);
        apiGuard(access);
    } catch (e) {
        if (e instanceof ApiAccessError) throw usageError(e.message);
        throw e;
    }
}

export function clientDaemonOptions(values: Record<string, OptionValue>): ClientDaemonOptions {
    return {
        secret: values.secret as string | undefined,
        deposit: values.deposit as bigint | undefined,
        autoTopUp: values['auto-top-up'] as boolean,
        proxies: values.proxies as string[] | undefined,
        checkHashes: values['check-hashes'] as boolean | undefined,
        pccsUrl: values['pccs-url'] as string | undefined,
        // Only what was set: an undefined key would override the API's own defaults.
        defaults: Object.fromEntries(
            Object.entries({
                maxCoefficient: values['max-coefficient'],
                timeoutSeconds: values.timeout,
                maxTokens: values['max-tokens'],
            }).filter(([, v]) => v !== undefined),
        ) as ClientDaemonOptions['defaults'],
        maxTimeoutSeconds: values['max-timeout'] as number | undefined,
        e2e: values.e2e as boolean | undefined,
        access: {
            apiKey: (values['api-key'] as string | undefined) || undefined,
            corsOrigins: values['cors-origin'] as string[] | undefined,
            allowedHosts: values['allowed-hosts'] as string[] | undefined,
        },
    };
}

const DESCRIPTION = `Runs a Cocoon client: deposits into its client contract, connects to a proxy of the root and serves
the OpenAI-compatible API (POST /v1/chat/completions, /v1/completions, GET /v1/models) on --http-port.
\`cocoon client status [--url <client http>] [--json]\` shows a running client's deposit, spending, pending
charge, stake, receipts kept and proxy (see cocoon client status --help).`;

export async function runClient(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = stdio): Promise<number> {
    if (argv[0] === 'status') {
        const { runClientStatus } = await import('./client-status');
        return runCommand('client status', io, env, () => runClientStatus(argv.slice(1), env, io));
    }
    return runDaemon(
        {
            role: 'client',
            options: CLIENT_OPTIONS,
            usage: 'cocoon client [options]',
            description: DESCRIPTION,
            precheck: (values) => checkClientAccess({ ...clientDaemonOptions(values).access, listenHost: String(values.host) }),
            async start(base, values) {
                const c = await startClientDaemon(base, clientDaemonOptions(values));
                return {
                    banner: `client ${c.runner.owner.toString()} ready; OpenAI API ${c.apiUrl}, stats ${c.httpUrl}/stats\n`,
                    stop: () => c.stop(),
                };
            },
        },
        argv,
        env,
        io,
    );
}
