/**
 * `cocoon worker register | status | pause | resume | retire | withdraw`: the GPU owner's on-chain
 * registration (contracts/registry.tact) and what the owner earned, through node/worker/registry.ts.
 * Also the start-up registration `cocoon worker --register` calls. Everything is checked before a
 * message is sent: a bad profile, a wallet that is not the owner or a status the contract would refuse
 * end with a clear message and nothing on-chain.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Address } from '@ton/core';
import type { ChainClient, ChainWallet } from '../chain';
import { readRegistry, type RegistryState } from '../chain/registry';
import { TEE_KINDS, type RegistryProfile, type TeeKind } from '../../wrappers/CocoonRegistry';
import {
    buildRegistryProfile,
    detectHardware,
    machineDescriptionJson,
    planRegistration,
    planStatusChange,
    RegistryError,
    sendRegistryPlan,
    type DetectedHardware,
    type RegistryPlan,
} from '../worker/registry';
import {
    CHAIN_OPTIONS,
    chainClientOf,
    CliError,
    optionsHelp,
    parseAddress,
    parseCommandLine,
    runCommand,
    stdio,
    toJson,
    usageError,
    type CliIo,
    type OptionSpec,
    type OptionValue,
} from './chain-args';
import { formatTon } from '../common/ton';
import { signingKey } from './daemon';
import { KEY_OPTIONS, openSigner, requireWalletKey } from './wallet';
import { bufferToBigInt, uint256Hex } from '../../wrappers/uint256';

/** Asks the operator a yes/no question; resolves true for yes. */
export type Confirm = (question: string) => Promise<boolean>;

/** Asks on the terminal; refuses (no prompt) when stdin is not one, so a script must say --yes. */
export const terminalConfirm: Confirm = async (question) => {
    if (!process.stdin.isTTY) throw usageError('stdin is not a terminal: add --yes to send without asking');
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
        rl.close();
    }
};

/** The hardware and declaration flags, shared by `worker register` and `worker --register`. */
export const PROFILE_OPTIONS: OptionSpec[] = [
    {
        name: 'gpu',
        type: 'string',
        env: 'COCOON_GPU',
        help: 'GPU model to declare (default: detected with nvidia-smi, else "none (CPU inference)")',
    },
    { name: 'gpu-count', type: 'int', env: 'COCOON_GPU_COUNT', help: 'number of GPUs (default: detected; 1 with --gpu)' },
    { name: 'vram-mb', type: 'int', env: 'COCOON_VRAM_MB', help: 'VRAM per GPU, MiB (default: detected, the smallest card)' },
    { name: 'region', type: 'string', env: 'COCOON_REGION', default: '', help: 'short region tag, e.g. eu-west' },
    {
        name: 'uptime-commitment',
        type: 'string',
        env: 'COCOON_UPTIME_COMMITMENT',
        default: '99',
        help: 'declared uptime in percent, 0-100 with at most one decimal (99.5)',
    },
];

/** A percentage flag, "99.5" or "5%", in per-mille; refuses anything else naming the flag and the form. */
export function parsePercentPermille(raw: string, flag: string, example: string): number {
    const m = /^(\d{1,3})(?:\.(\d))?%?$/.exec(raw.trim());
    const permille = m ? Number(m[1]) * 10 + Number(m[2] ?? 0) : NaN;
    if (!(permille >= 0 && permille <= 1000))
        throw usageError(`${flag}: expected a percentage 0-100 with at most one decimal (e.g. ${example}), got '${raw}'`);
    return permille;
}

export const parseUptimeCommitment = (raw: string): number => parsePercentPermille(raw, '--uptime-commitment', '99.5');

export function parseTee(raw: OptionValue, flag = '--tee'): TeeKind {
    const t = TEE_KINDS.find((k) => k === raw);
    if (!t) throw usageError(`${flag} must be one of ${TEE_KINDS.join(', ')}; got '${String(raw)}'`);
    return t;
}

/**
 * The name a profile lists for a served model: without its `@commit:verity` version part, which does
 * not fit the contract's 64-byte names (a sha256 alone is 64 hex digits) and changes with every build.
 */
export function registryModelName(full: string): string {
    const at = full.indexOf('@');
    return at < 0 ? full : full.slice(0, at);
}

/** Detects the hardware and builds the checked profile; a bad one is a usage error naming every problem. */
export async function profileFromOptions(
    values: Record<string, OptionValue>,
    d: { models: string[]; workerKey: Buffer; tee: TeeKind },
): Promise<{ hardware: DetectedHardware; profile: RegistryProfile }> {
    const hardware = await detectHardware({
        gpu: values.gpu as string | undefined,
        gpuCount: values['gpu-count'] as number | undefined,
        vramMib: values['vram-mb'] as number | undefined,
    });
    try {
        const profile = buildRegistryProfile(hardware, {
            models: [...new Set(d.models.map(registryModelName))],
            workerKeys: [bufferToBigInt(d.workerKey)],
            tee: d.tee,
            region: String(values.region ?? ''),
            uptimePermille: parseUptimeCommitment(String(values['uptime-commitment'] ?? '99')),
        });
        return { hardware, profile };
    } catch (e) {
        if (e instanceof RegistryError)
            throw new CliError('INVALID_PROFILE', `the profile would be refused on-chain, nothing was sent: ${e.message}`, 2);
        throw e;
    }
}

function describePlan(p: RegistryPlan): string {
    const value = p.messages.reduce((s, m) => s + m.value, 0n);
    const lines = [
        `registry contract ${p.address.toString()} (${p.current ? p.current.status : 'not deployed'})`,
        ...p.messages.map((m) => `  ${m.action}: attach ${formatTon(m.value)} TON${m.init ? ' (deploys the contract)' : ''}`),
        `cost: ${formatTon(value)} TON attached; ${formatTon(p.locked)} TON kept by the contract ` +
            `(refundable deposit and storage reserve), at most ${formatTon(p.maxFees)} TON of fees (the unspent gas comes back)` +
            (p.refund > 0n ? `; ${formatTon(p.refund)} TON deposit comes back` : ''),
    ];
    return lines.join('\n') + '\n';
}

/** Sends the plan after showing it (and asking unless `yes`); registry refusals become CliErrors. */
async function confirmAndSend(
    chain: ChainClient,
    wallet: ChainWallet,
    p: RegistryPlan,
    o: { io: CliIo; yes: boolean; confirm: Confirm; timeoutMs: number; json: boolean },
): Promise<boolean> {
    if (!o.json) o.io.out(describePlan(p));
    if (!p.messages.length) return false;
    if (!o.yes && !(await o.confirm('send?'))) throw new CliError('ABORTED', 'not sent (answered no)', 1);
    try {
        await sendRegistryPlan(chain, wallet, p, { timeoutMs: o.timeoutMs });
    } catch (e) {
        if (e instanceof RegistryError) throw new CliError(e.code, e.message, 1);
        throw e;
    }
    return true;
}

function ownerCheck(values: Record<string, OptionValue>, wallet: Address): void {
    if (values.owner === undefined) return;
    const owner = parseAddress(String(values.owner), '--owner');
    if (!owner.equals(wallet)) {
        throw new CliError(
            'NOT_OWNER',
            `the wallet ${wallet.toString()} is not the owner ${owner.toString()}: only the owner's wallet can change its ` +
                `registration (the contract refuses others with exit code 3000 notOwner); nothing was sent`,
            2,
        );
    }
}

function registrationJson(r: RegistryState | null): Record<string, unknown> | null {
    if (!r) return null;
    return {
        address: r.address.toString(),
        status: r.status,
        deposit: r.deposit,
        registered_at: r.registeredAt,
        updated_at: r.updatedAt,
        unlock_at: r.unlockAt,
        profile: r.profile ? { ...r.profile, workerKeys: r.profile.workerKeys.map(uint256Hex) } : null,
    };
}

// ---------------------------------------------------------------------------------------------------
// Start-up registration (cocoon worker --register)

/**
 * Registers or updates the owner's profile when it is missing or changed; returns the profile's
 * machine_description_json either way. Used by `cocoon worker` on start (no prompt: the flag is the consent).
 */
export async function registerOnStart(
    chain: ChainClient,
    wallet: ChainWallet,
    root: Address,
    profile: RegistryProfile,
    log: { info(msg: string, f?: Record<string, unknown>): void },
): Promise<RegistryPlan> {
    const p = await planRegistration(chain, root, wallet.address, profile);
    if (!p.messages.length) {
        log.info('registry profile up to date', { registry: p.address.toString(), status: p.current?.status });
        return p;
    }
    log.info('registering the hardware profile', {
        registry: p.address.toString(),
        action: p.messages[0].action,
        value: formatTon(p.messages[0].value),
    });
    await sendRegistryPlan(chain, wallet, p);
    return p;
}

// ---------------------------------------------------------------------------------------------------
// The subcommands

const COMMON: OptionSpec[] = [
    {
        name: 'root',
        type: 'string',
        env: 'COCOON_ROOT_ADDRESS',
        required: true,
        help: 'root contract address (`cocoon root show`; `cocoon up` prints the local one)',
    },
    {
        name: 'owner',
        type: 'string',
        env: 'COCOON_OWNER',
        help: "the registration's owner (default: the wallet's address); a different address is refused before sending",
    },
    { name: 'yes', type: 'bool', env: 'COCOON_YES', default: false, help: 'send without asking' },
    { name: 'timeout', type: 'int', env: 'COCOON_TIMEOUT', default: 60, help: 'seconds to wait for each transaction' },
    ...KEY_OPTIONS,
    ...CHAIN_OPTIONS,
];

const REGISTER_OPTIONS: OptionSpec[] = [
    {
        name: 'model',
        type: 'list',
        env: 'COCOON_MODEL',
        required: true,
        help: 'model(s) offered, comma-separated full names Org/Name@commit:verity',
    },
    { name: 'tee', type: 'string', env: 'COCOON_REGISTRY_TEE', default: 'tdx', help: `TEE kind to declare: ${TEE_KINDS.join(' | ')}` },
    {
        name: 'data-dir',
        type: 'string',
        env: 'COCOON_DATA_DIR',
        default: '.cocoon-worker',
        help: "the worker's data directory: its signing key is the declared worker key",
    },
    ...PROFILE_OPTIONS,
    ...COMMON,
];

const STATUS_OPTIONS: OptionSpec[] = [
    {
        name: 'stats-url',
        type: 'string',
        env: 'COCOON_WORKER_STATS_URL',
        default: 'http://127.0.0.1:12000',
        help: "the running worker's HTTP port (its /jsonstats has the earnings)",
    },
    {
        name: 'proxy-stats',
        type: 'list',
        env: 'COCOON_PROXY_STATS_URLS',
        help: "proxies' HTTP ports (comma-separated) whose /jsonstats publish the observed uptime (default: none, uptime not shown)",
    },
    ...COMMON.filter((o) => o.name !== 'yes'),
];

type StatusAction = 'pause' | 'resume' | 'retire' | 'withdraw';

const SUMMARIES: Record<'register' | 'status' | StatusAction, string> = {
    register: 'detect the hardware, show the profile and its cost, and write it to the registry (register or update)',
    status: 'the declared profile, earnings per proxy (tokens, TON earned on-chain, pending, payout fee, uptime) and observed uptime',
    pause: 'mark the registration paused (stays listed, not active)',
    resume: 'mark a paused registration active again',
    retire: "retire the registration; the deposit unlocks after the contract's delay",
    withdraw: 'take the deposit back after retirement and the delay',
};

export const WORKER_SUBCOMMANDS = Object.keys(SUMMARIES);

export function workerSubcommandsHelp(): string {
    return ['Subcommands (each has --help):', ...Object.entries(SUMMARIES).map(([n, s]) => `  ${n.padEnd(9)} ${s}`)].join('\n');
}

export function workerSubcommandOptions(sub: string): OptionSpec[] {
    if (sub === 'register') return REGISTER_OPTIONS;
    if (sub === 'status') return STATUS_OPTIONS;
    return COMMON;
}

async function fetchJson(url: string, timeoutMs: number): Promise<Record<string, unknown> | null> {
    try {
        const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (!r.ok) return null;
        const v: unknown = await r.json();
        return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
        return null;
    }
}

function rowsOf(doc: Record<string, unknown> | null, id: string): Record<string, unknown>[] {
    const v = doc && Object.hasOwn(doc, id) ? doc[id] : undefined;
    return Array.isArray(v) ? v.filter((r): r is Record<string, unknown> => !!r && typeof r === 'object') : [];
}

/** Whether a stats page's address field names `a`; a page's garbage is just not a match. */
function sameAddress(raw: unknown, a: Address): boolean {
    if (typeof raw !== 'string') return false;
    try {
        return Address.parse(raw).equals(a);
    } catch {
        return false;
    }
}

/** What `cocoon worker status` prints (also its --json). */
export interface WorkerStatusReport {
    owner: string;
    registration: Record<string, unknown> | null;
    worker_stats: string | null;
    earnings: Record<string, unknown>[];
    totals: { tokens_served: bigint; earned_nanoton: bigint; pending_nanoton: bigint };
    observed_uptime: (Record<string, unknown> & { proxy_stats: string })[];
}

export async function workerStatus(
    chain: ChainClient,
    root: Address,
    owner: Address,
    o: { statsUrl?: string; proxyStats?: string[]; timeoutMs?: number },
): Promise<WorkerStatusReport> {
    const timeoutMs = o.timeoutMs ?? 5000;
    const registration = await readRegistry(chain, root, owner);
    const base = o.statsUrl?.replace(/\/+$/, '');
    const doc = base ? await fetchJson(`${base}/jsonstats`, timeoutMs) : null;
    const status = doc && Object.hasOwn(doc, 'status') ? (doc.status as Record<string, unknown>) : null;
    // Another owner's worker on that port says nothing about this owner.
    const mine = status !== null && sameAddress(status.owner, owner);
    const earnings = mine ? rowsOf(doc, 'earnings') : [];
    const sum = (k: string) => earnings.reduce((s, r) => s + (/^\d+$/.test(String(r[k])) ? BigInt(String(r[k])) : 0n), 0n);
    const observed: WorkerStatusReport['observed_uptime'] = [];
    for (const url of o.proxyStats ?? []) {
        const p = await fetchJson(`${url.replace(/\/+$/, '')}/jsonstats`, timeoutMs);
        for (const r of rowsOf(p, 'worker_uptime')) {
            if (sameAddress(r.owner, owner)) observed.push({ proxy_stats: url, ...r });
        }
    }
    return {
        owner: owner.toString(),
        registration: registrationJson(registration),
        worker_stats: mine ? (base ?? null) : null,
        earnings,
        totals: { tokens_served: sum('tokens_served'), earned_nanoton: sum('earned_nanoton'), pending_nanoton: sum('pending_nanoton') },
        observed_uptime: observed,
    };
}

function statusText(r: WorkerStatusReport): string {
    const reg = r.registration;
    const p = reg?.profile as (Record<string, unknown> & { uptimePermille?: number }) | null | undefined;
    const out = [
        `owner ${r.owner}`,
        reg
            ? `registration ${String(reg.address)}: ${String(reg.status)}, deposit ${formatTon(reg.deposit as bigint)} TON`
            : 'registration: none (cocoon worker register)',
        p
            ? `declared: ${String(p.gpuCount)} x ${String(p.gpuModel)}, ${String(p.vramMib)} MiB VRAM, tee ${String(p.tee)}, ` +
              `region '${String(p.region)}', models ${(p.models as string[]).join(', ')}, ` +
              `uptime ${(Number(p.uptimePermille) / 10).toFixed(1)}%`
            : null,
        r.worker_stats
            ? `earnings (from ${r.worker_stats}):`
            : "earnings: the worker's stats are not reachable (--stats-url) or belong to another owner",
        ...r.earnings.map(
            (e) =>
                `  proxy ${String(e.proxy_sc_address)}: ${String(e.tokens_served)} tokens served, ` +
                `earned ${formatTon(BigInt(String(e.earned_nanoton)))} TON, ` +
                `pending ${formatTon(BigInt(String(e.pending_nanoton)))} TON, ` +
                `payout fee now ${formatTon(BigInt(String(e.payout_fee_nanoton)))} TON` +
                `${e.payout_fee_ok === true ? '' : ' (waits: fee above the allowed share)'}, ` +
                `uptime ${(Number(e.uptime_permille) / 10).toFixed(1)}% of ${String(e.uptime_window_seconds)} s ` +
                `(as the worker saw it)`,
        ),
        `total: ${r.totals.tokens_served} tokens served, earned ${formatTon(r.totals.earned_nanoton)} TON, ` +
            `pending ${formatTon(r.totals.pending_nanoton)} TON`,
        ...r.observed_uptime.map(
            (u) =>
                `observed by ${u.proxy_stats}: ${u.up === true ? 'up' : 'down'}, ` +
                `${(Number(u.uptime_permille) / 10).toFixed(1)}% of ${String(u.window_seconds)} s ` +
                `(declared ${p ? (Number(p.uptimePermille) / 10).toFixed(1) + '%' : 'nothing'})`,
        ),
    ];
    return out.filter((l): l is string => l !== null).join('\n') + '\n';
}

/** `cocoon worker <subcommand>`; resolves with the exit code. */
export function runWorkerSubcommand(
    sub: string,
    argv: string[],
    env: NodeJS.ProcessEnv = process.env,
    io: CliIo = stdio,
    confirm: Confirm = terminalConfirm,
): Promise<number> {
    return runCommand(`worker ${sub}`, io, env, async () => {
        const specs = workerSubcommandOptions(sub);
        const parsed = parseCommandLine(specs, argv, env);
        if (parsed === 'help') {
            io.out(optionsHelp(`cocoon worker ${sub} [options]`, SUMMARIES[sub as keyof typeof SUMMARIES], specs));
            return 0;
        }
        const { values, positionals } = parsed;
        if (positionals.length) throw usageError(`unexpected argument '${positionals[0]}' (see cocoon worker ${sub} --help)`);
        const root = parseAddress(String(values.root), '--root');
        const chain = chainClientOf(values);
        const json = values.json === true;
        const timeoutMs = (values.timeout as number) * 1000;

        if (sub === 'status') {
            const owner =
                values.owner !== undefined
                    ? parseAddress(String(values.owner), '--owner')
                    : (await openSigner(chain, await requireWalletKey(values, io))).address;
            const r = await workerStatus(chain, root, owner, {
                statsUrl: values['stats-url'] as string | undefined,
                proxyStats: values['proxy-stats'] as string[] | undefined,
            });
            io.out(json ? toJson(r) + '\n' : statusText(r));
            return 0;
        }

        const wallet = await openSigner(chain, await requireWalletKey(values, io));
        ownerCheck(values, wallet.address);
        const send = { io, yes: values.yes === true, confirm, timeoutMs, json };
        let plan: RegistryPlan;
        let description: string | undefined;
        if (sub === 'register') {
            const dataDir = resolve(String(values['data-dir']));
            mkdirSync(dataDir, { recursive: true, mode: 0o700 });
            const { hardware, profile } = await profileFromOptions(values, {
                models: values.model as string[],
                workerKey: signingKey(dataDir, 'worker').publicKey,
                tee: parseTee(values.tee),
            });
            plan = await planRegistration(chain, root, wallet.address, profile);
            description = machineDescriptionJson(profile, plan.address);
            if (!json)
                io.out(
                    `hardware (${hardware.source}): ${hardware.gpuCount} x ${hardware.gpuModel}, ${hardware.vramMib} MiB VRAM; ` +
                        `${hardware.cpuCores} x ${hardware.cpuModel}, ${hardware.ramMib} MiB RAM\n` +
                        `profile to write: ${description}\n`,
                );
        } else {
            try {
                plan = await planStatusChange(chain, root, wallet.address, sub as StatusAction);
            } catch (e) {
                if (e instanceof RegistryError) throw new CliError(e.code, `${e.message}; nothing was sent`, 2);
                throw e;
            }
        }
        const sent = await confirmAndSend(chain, wallet, plan, send);
        const after = await readRegistry(chain, root, wallet.address);
        if (json)
            io.out(
                toJson({
                    sent,
                    actions: plan.messages.map((m) => m.action),
                    registration: registrationJson(after),
                    machine_description_json: description,
                }) + '\n',
            );
        else io.out(sent ? `done: ${after?.status ?? 'not deployed'}\n` : 'nothing to send: the chain already holds this profile\n');
        return 0;
    });
}

export function isWorkerSubcommand(arg: string | undefined): boolean {
    return arg !== undefined && Object.hasOwn(SUMMARIES, arg);
}
