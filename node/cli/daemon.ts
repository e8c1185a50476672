/**
 * What the three long-running roles (`cocoon proxy|worker|client`) share: chain + wallet + root options,
 * the node's signing key kept in its data directory, the TEE side of RA-TLS (`--tee` for our own quote,
 * `--peer-policy` for what we demand), the stats/admin HTTP port guarded by an access secret, log level,
 * and a graceful stop on SIGINT/SIGTERM.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { join, resolve } from 'path';
import { randomBytes } from 'crypto';
import type { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { createPolicy, createProvider, RaTlsContext, type PolicyKind, type ProviderKind, ed25519KeyObject } from '../attestation';
import type { ChainClient, ChainWallet } from '../chain';
import { createLogger, type Logger, type LogLevel } from '../common/log';
import {
    CHAIN_OPTIONS,
    chainClientOf,
    CliError,
    optionsHelp,
    parseAddress,
    parseCommandLine,
    runCommand,
    usageError,
    type CliIo,
    type OptionSpec,
    type OptionValue,
} from './chain-args';
import { logLevelOption } from '../common/options';
import { KEY_OPTIONS, openSigner, requireWalletKey } from './wallet';

export type Role = 'proxy' | 'worker' | 'client';

const TEE_KINDS: ProviderKind[] = ['none', 'fake', 'tdx'];
const POLICY_KINDS: PolicyKind[] = ['any', 'fake', 'tdx'];

/** Options every daemon takes; each role adds its own after these. */
export function daemonOptions(role: Role, statsPort: number): OptionSpec[] {
    return [
        ...CHAIN_OPTIONS,
        ...KEY_OPTIONS,
        {
            name: 'root',
            type: 'string',
            env: 'COCOON_ROOT_ADDRESS',
            required: true,
            help: 'root contract address (`cocoon root show`; `cocoon up` prints the local one)',
        },
        {
            name: 'data-dir',
            type: 'string',
            env: 'COCOON_DATA_DIR',
            default: `.cocoon-${role}`,
            help: `the ${role}'s state: signing key${role === 'proxy' ? ', ledger store and settle journal' : ''}`,
        },
        {
            name: 'tee',
            type: 'string',
            env: 'COCOON_TEE',
            help:
                `own attestation in the RA-TLS certificate: ${TEE_KINDS.join(' | ')} ` +
                `(default: ${role === 'client' ? 'none' : 'fake on the local chain, else tdx'})`,
        },
        {
            name: 'peer-policy',
            type: 'string',
            env: 'COCOON_PEER_POLICY',
            help: `what peers must attest: ${POLICY_KINDS.join(' | ')} (default: fake on the local chain, else tdx)`,
        },
        {
            name: 'pccs-url',
            type: 'string',
            env: 'COCOON_PCCS_URL',
            help: 'verify TDX quotes online against this PCCS (default: offline DCAP verification)',
        },
        {
            name: 'check-hashes',
            type: 'bool',
            env: 'COCOON_CHECK_HASHES',
            help: 'check peer image hashes against the root (default: on unless the root is a test root)',
        },
        { name: 'host', type: 'string', env: 'COCOON_HOST', default: '127.0.0.1', help: 'interface the HTTP and RPC ports listen on' },
        {
            name: 'http-port',
            type: 'port',
            env: 'COCOON_HTTP_PORT',
            default: statsPort,
            help: `/stats, /jsonstats, /metrics, /request/*${role === 'client' ? ' and the OpenAI-compatible API' : ''}`,
        },
        {
            name: 'access-secret',
            type: 'string',
            env: 'COCOON_ACCESS_SECRET',
            help: 'secret for the admin actions under /request/* (default none: admin actions disabled)',
        },
        logLevelOption('info'),
        {
            name: 'grace',
            type: 'int',
            env: 'COCOON_GRACE_MS',
            default: 10_000,
            help: 'on SIGINT/SIGTERM, ms to let running requests finish before failing them',
        },
    ];
}

function oneOf<T extends string>(value: OptionValue, allowed: readonly T[], flag: string): T | undefined {
    if (value === undefined) return undefined;
    if (!allowed.includes(value as T)) throw usageError(`--${flag} must be ${allowed.join(', ')}; got '${String(value)}'`);
    return value as T;
}

export interface DaemonBase {
    values: Record<string, OptionValue>;
    chain: ChainClient;
    wallet: ChainWallet;
    root: Address;
    dataDir: string;
    key: { publicKey: Buffer; secretKey: Buffer };
    logger: Logger;
    tee: ProviderKind;
    peerPolicy: PolicyKind;
    host: string;
    httpPort: number;
    accessSecret?: string;
    graceMs: number;
}

/** Resolves the shared options into live objects: chain client, opened wallet, signing key, logger. */
export async function daemonBase(role: Role, values: Record<string, OptionValue>): Promise<DaemonBase> {
    // The local chain (by name, or an endpoint on this machine) has no TEEs: fake attestation by default.
    const endpoint = values.endpoint ? String(values.endpoint) : '';
    const local =
        String(values.network) === 'local' && (!endpoint || /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:|\/|$)/.test(endpoint));
    const tee = oneOf(values.tee, TEE_KINDS, 'tee') ?? (role === 'client' ? 'none' : local ? 'fake' : 'tdx');
    const peerPolicy = oneOf(values['peer-policy'], POLICY_KINDS, 'peer-policy') ?? (local ? 'fake' : 'tdx');
    const level = values['log-level'] as LogLevel;
    const root = parseAddress(values.root as string, '--root');
    const dataDir = resolve(String(values['data-dir']));
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const chain = chainClientOf(values);
    const walletKey = await requireWalletKey(values);
    const wallet = await openSigner(chain, walletKey);
    return {
        values,
        chain,
        wallet,
        root,
        dataDir,
        tee,
        peerPolicy,
        key: signingKey(dataDir, role),
        logger: createLogger(role, level),
        host: String(values.host),
        httpPort: values['http-port'] as number,
        accessSecret: (values['access-secret'] as string | undefined) || undefined,
        graceMs: values.grace as number,
    };
}

/**
 * The node's Ed25519 signing key (proxy: signs payments and store records; worker: signs receipts),
 * generated once into `<data-dir>/<role>-key.json` (0600). Losing it loses nothing on-chain, but a proxy
 * with a new key can no longer open its old store.
 */
export function signingKey(dataDir: string, role: Role): { publicKey: Buffer; secretKey: Buffer } {
    const path = join(dataDir, `${role}-key.json`);
    if (!existsSync(path)) {
        writeFileSync(path, JSON.stringify({ seed: randomBytes(32).toString('hex') }) + '\n', { mode: 0o600 });
        chmodSync(path, 0o600);
    }
    let seed: Buffer;
    try {
        seed = Buffer.from((JSON.parse(readFileSync(path, 'utf8')) as { seed: string }).seed, 'hex');
    } catch (e) {
        throw new CliError('BAD_KEY', `cannot read the signing key ${path}: ${(e as Error).message}`);
    }
    if (seed.length !== 32) throw new CliError('BAD_KEY', `${path}: "seed" must be 32 bytes of hex`);
    return keyPairFromSeed(seed);
}

/**
 * An RA-TLS context: our own quote from `tee`, peers checked against `policy`. With `key` the certificate
 * carries that key (a worker's receipt key must be its attested key) instead of a fresh one.
 */
export function raTls(
    tee: ProviderKind,
    policy: PolicyKind,
    pccsUrl?: string,
    logger?: Logger,
    key?: { secretKey: Buffer },
): Promise<RaTlsContext> {
    return RaTlsContext.create({
        provider: createProvider(tee),
        policy: createPolicy({ policy, pccsUrl }),
        logger,
        privateKey: key && ed25519KeyObject(key.secretKey),
    });
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** One HTTP server over several mountable handlers (each answers false for paths it does not own). */
export async function serveHttp(
    host: string,
    port: number,
    handlers: HttpHandler[],
): Promise<{ url: string; server: Server; close(graceMs?: number): Promise<void> }> {
    let closing = false;
    const running = new Set<ServerResponse>();
    const server = createServer((req, res) => {
        running.add(res);
        res.once('close', () => running.delete(res));
        // While stopping, a keep-alive socket is let go as soon as its answer is out.
        if (closing) res.once('finish', () => server.closeIdleConnections());
        for (const h of handlers) if (h(req, res)) return;
        res.writeHead(404, { 'content-type': 'application/json' }).end(
            JSON.stringify({
                error: {
                    message: `no route for ${req.method} ${req.url}: try /stats, /jsonstats, /metrics`,
                    type: 'invalid_request_error',
                    code: 'not_found',
                },
            }),
        );
    });
    await new Promise<void>((ok, fail) => {
        server.once('error', (e: NodeJS.ErrnoException) =>
            fail(e.code === 'EADDRINUSE' ? new CliError('PORT_IN_USE', `port ${port} on ${host} is in use: pass another --http-port`) : e),
        );
        server.listen(port, host, ok);
    });
    const a = server.address() as AddressInfo;
    return {
        url: `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`,
        server,
        /**
         * Stops taking connections; requests being answered (a completion streaming to its caller) get
         * `graceMs` to finish, then whatever is still open is cut.
         */
        close: (graceMs = 0) =>
            new Promise<void>((ok) => {
                closing = true;
                const cut = setTimeout(() => server.closeAllConnections(), graceMs);
                server.close(() => {
                    clearTimeout(cut);
                    ok();
                });
                server.closeIdleConnections();
                // Requests already running when the stop began: their sockets go once their answers are out.
                for (const res of running) res.once('finish', () => server.closeIdleConnections());
            }),
    };
}

/** Waits for SIGINT/SIGTERM (or a fatal error), runs `stop` once, and resolves with the exit code. */
export function untilSignal(log: Logger, stop: () => Promise<void>, fatal?: (onFatal: (e: Error) => void) => void): Promise<number> {
    return new Promise<number>((done) => {
        let stopping = false;
        const finish = (code: number, why: string) => {
            if (stopping) return;
            stopping = true;
            log.info('stopping', { why });
            stop().then(
                () => done(code),
                (e: Error) => {
                    log.error('stop failed', { error: e.message });
                    done(1);
                },
            );
        };
        process.once('SIGINT', () => finish(0, 'SIGINT'));
        process.once('SIGTERM', () => finish(0, 'SIGTERM'));
        fatal?.((e) => {
            log.error('fatal', { error: e.message });
            finish(3, e.message);
        });
    });
}

export interface Launched<R> {
    runner: R;
    httpUrl: string;
    stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a runner and then its HTTP port; stop() closes the port, lets the runner finish (grace), and
 * drops the RA-TLS contexts. A failure half-way closes whatever was opened.
 */
export async function launch<R extends { close(graceMs?: number): Promise<void> }>(
    base: DaemonBase,
    contexts: RaTlsContext[],
    start: () => Promise<R>,
    handlers: (runner: R) => Promise<HttpHandler[]>,
): Promise<Launched<R>> {
    let runner: R | undefined;
    const closeTls = () => contexts.forEach((c) => c.close());
    try {
        runner = await start();
        const r = runner;
        const http = await serveHttp(base.host, base.httpPort, await handlers(r));
        return {
            runner: r,
            httpUrl: http.url,
            async stop(graceMs = base.graceMs) {
                // The API's running requests finish first (the runner still serves them), then the runner's own grace.
                const deadline = Date.now() + graceMs;
                await http.close(graceMs);
                await r.close(Math.max(0, deadline - Date.now()));
                closeTls();
            },
        };
    } catch (e) {
        await runner?.close(0).catch(() => undefined);
        closeTls();
        throw e;
    }
}

export interface DaemonCommand {
    role: Role;
    options: OptionSpec[];
    usage: string;
    description: string;
    /** Refuses an unsafe or inconsistent configuration before anything (chain, wallet, ports) is touched. */
    precheck?(values: Record<string, OptionValue>): void;
    /** Starts the role; returns what to print once serving, how to stop, and (proxy) fatal errors. */
    start(
        base: DaemonBase,
        values: Record<string, OptionValue>,
    ): Promise<{ banner: string; stop(): Promise<void>; onFatal?(cb: (e: Error) => void): void }>;
}

/** `cocoon <role>`: options (flags > env > config file > defaults), --help, start, run until a signal. */
export function runDaemon(cmd: DaemonCommand, argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
    return runCommand(cmd.role, io, env, async () => {
        const parsed = parseCommandLine(cmd.options, argv, env);
        if (parsed === 'help') {
            io.out(optionsHelp(cmd.usage, cmd.description, cmd.options));
            return 0;
        }
        cmd.precheck?.(parsed.values);
        const base = await daemonBase(cmd.role, parsed.values);
        const d = await cmd.start(base, parsed.values);
        io.out(d.banner);
        return untilSignal(base.logger, () => d.stop(), d.onFatal ? (cb) => d.onFatal!(cb) : undefined);
    });
}
