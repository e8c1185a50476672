/**
 * The worker's on-chain registration (contracts/registry.tact): detect the hardware, build and check the
 * profile with the contract's own bounds, compare it with what the chain holds, plan the owner
 * message(s) and their cost, and send them through the owner's wallet. Also renders the same profile as
 * upstream's `machine_description_json` (worker.params), so an original proxy sees it too.
 *
 * No CLI here: `cocoon worker register` and the start-up check call these functions.
 */
import { execFile } from 'node:child_process';
import { cpus as osCpus, totalmem as osTotalmem } from 'node:os';
import { internal, type Address, type Cell } from '@ton/core';
import type { ChainClient, ChainTx, ChainWallet } from '../chain';
import { readRegistry, type RegistryState } from '../chain/registry';
import {
    buildProfileCell,
    cocoonRegistryFor,
    PROFILE_LIMITS,
    PROFILE_VERSION,
    REGISTRY_EXIT,
    registryBody,
    registryMessageValue,
    RegistryProfileError,
    validateProfile,
    type RegistryProfile,
    type TeeKind,
} from '../../wrappers/CocoonRegistry';

export type RegistryErrorCode = 'INVALID_PROFILE' | 'BAD_STATUS' | 'REFUSED' | 'NOT_OWNER';

export class RegistryError extends Error {
    constructor(
        readonly code: RegistryErrorCode,
        message: string,
        readonly exitCode?: number,
    ) {
        super(message);
        this.name = 'RegistryError';
    }
}

// ---------------------------------------------------------------------------------------------------
// Hardware detection

/** Runs a command and resolves with its stdout; rejects when it is missing, fails or times out. */
export type CommandRunner = (command: string, args: string[], timeoutMs: number) => Promise<string>;

export const execCommand: CommandRunner = (command, args, timeoutMs) =>
    new Promise((resolve, reject) => {
        execFile(command, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });

export const NVIDIA_SMI_ARGS = ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits'];

export interface DetectedGpu {
    name: string;
    vramMib: number;
}

/**
 * One GPU per line, `name, memory`. Tolerates CRLF, blank lines, a unit after the number ("81559 MiB",
 * when nounits is ignored), commas inside the name (the memory is after the last one) and drops lines
 * it cannot read ("[N/A]", driver error text) instead of inventing values.
 */
export function parseNvidiaSmi(stdout: string): DetectedGpu[] {
    const gpus: DetectedGpu[] = [];
    for (const raw of stdout.split(/\r?\n/)) {
        const line = raw.trim();
        const comma = line.lastIndexOf(',');
        if (comma <= 0) continue;
        const name = line.slice(0, comma).trim().replace(/\s+/g, ' ');
        const mem = /^(\d{1,9})(?:\s*MiB)?$/i.exec(line.slice(comma + 1).trim());
        if (!name || !mem) continue;
        gpus.push({ name, vramMib: Number(mem[1]) });
    }
    return gpus;
}

export interface HostInfo {
    cpus(): { model: string }[];
    totalmem(): number;
}

export interface DetectOptions {
    /** GPU model given by the operator (--gpu): skips nvidia-smi. */
    gpu?: string;
    /** VRAM per GPU in MiB (--vram-mb); overrides what nvidia-smi reports. */
    vramMib?: number;
    /** Number of GPUs when --gpu is given (default 1). */
    gpuCount?: number;
    run?: CommandRunner;
    host?: HostInfo;
    /** nvidia-smi time limit (default 5000 ms). */
    timeoutMs?: number;
}

export interface DetectedHardware {
    gpuModel: string;
    gpuCount: number;
    /** Per GPU; the smallest one when the GPUs differ. */
    vramMib: number;
    cpuModel: string;
    cpuCores: number;
    ramMib: number;
    source: 'nvidia-smi' | 'operator' | 'none';
}

export const NO_GPU = 'none (CPU inference)';

/** Cuts a detected text to `maxBytes` of UTF-8 without splitting a character (operator text is checked, not cut). */
function fitBytes(s: string, maxBytes: number): string {
    let out = s;
    while (Buffer.byteLength(out, 'utf8') > maxBytes) out = out.slice(0, -1);
    return out.trim();
}

export async function detectHardware(opts: DetectOptions = {}): Promise<DetectedHardware> {
    const host = opts.host ?? { cpus: osCpus, totalmem: osTotalmem };
    const cpu = host.cpus();
    const cpuPart = {
        cpuModel: fitBytes((cpu[0]?.model ?? '').trim().replace(/\s+/g, ' '), PROFILE_LIMITS.maxCpuModelBytes),
        cpuCores: Math.max(1, Math.min(cpu.length, PROFILE_LIMITS.maxCpuCores)),
        ramMib: Math.min(Math.floor(host.totalmem() / 2 ** 20), PROFILE_LIMITS.maxRamMib),
    };
    if (opts.gpu !== undefined) {
        return { gpuModel: opts.gpu, gpuCount: opts.gpuCount ?? 1, vramMib: opts.vramMib ?? 0, ...cpuPart, source: 'operator' };
    }
    let gpus: DetectedGpu[] = [];
    try {
        gpus = parseNvidiaSmi(await (opts.run ?? execCommand)('nvidia-smi', NVIDIA_SMI_ARGS, opts.timeoutMs ?? 5000));
    } catch {
        // No nvidia-smi (or no driver): a CPU host, unless the operator said otherwise.
    }
    if (gpus.length === 0) return { gpuModel: NO_GPU, gpuCount: 0, vramMib: opts.vramMib ?? 0, ...cpuPart, source: 'none' };
    return {
        // A mixed host registers its first GPU's model; VRAM is the smallest card's, what a model can count on.
        gpuModel: fitBytes(gpus[0].name, PROFILE_LIMITS.maxGpuModelBytes),
        gpuCount: gpus.length,
        vramMib: opts.vramMib ?? Math.min(...gpus.map((g) => g.vramMib)),
        ...cpuPart,
        source: 'nvidia-smi',
    };
}

// ---------------------------------------------------------------------------------------------------
// Profile

export interface ProfileDeclaration {
    models: string[];
    /** The worker's Ed25519 public key(s). */
    workerKeys: bigint[];
    tee: TeeKind;
    /** Free-form short region tag, e.g. "eu-west" (default ""). */
    region?: string;
    /** Declared uptime commitment in per-mille (default 990). */
    uptimePermille?: number;
}

export const DEFAULT_UPTIME_PERMILLE = 990;

/** The profile to write, checked with the contract's bounds: throws RegistryError('INVALID_PROFILE') naming every problem. */
export function buildRegistryProfile(hw: DetectedHardware, d: ProfileDeclaration): RegistryProfile {
    const profile: RegistryProfile = {
        gpuModel: hw.gpuModel,
        gpuCount: hw.gpuCount,
        vramMib: hw.vramMib,
        tee: d.tee,
        cpuModel: hw.cpuModel,
        cpuCores: hw.cpuCores,
        ramMib: hw.ramMib,
        region: d.region ?? '',
        models: d.models,
        uptimePermille: d.uptimePermille ?? DEFAULT_UPTIME_PERMILLE,
        workerKeys: d.workerKeys,
    };
    validateOrThrow(profile);
    return profile;
}

/**
 * Upstream's `worker.params.machine_description_json` (TL flags.2, a JSON object; upstream defaults
 * to "{}" and shows it verbatim on the proxy's stats page). Same facts as the on-chain profile, minus
 * the worker keys (the connection carries the key), plus the registry address when known.
 */
export function machineDescriptionJson(p: RegistryProfile, registryAddress?: Address): string {
    return JSON.stringify({
        profile_version: PROFILE_VERSION,
        gpu_model: p.gpuModel,
        gpu_count: p.gpuCount,
        vram_mib: p.vramMib,
        tee: p.tee,
        cpu_model: p.cpuModel,
        cpu_cores: p.cpuCores,
        ram_mib: p.ramMib,
        region: p.region,
        models: p.models,
        uptime_permille: p.uptimePermille,
        ...(registryAddress ? { registry: registryAddress.toString({ bounceable: true }) } : {}),
    });
}

// ---------------------------------------------------------------------------------------------------
// Plan and send

export type RegistryAction = 'register' | 'update' | 'pause' | 'resume' | 'retire' | 'withdraw';

export interface RegistryMessage {
    action: RegistryAction;
    to: Address;
    /** TON attached; what the contract does not keep comes back as excesses. */
    value: bigint;
    body: Cell;
    /** State init, while the contract is not deployed. */
    init: { code: Cell; data: Cell } | null;
}

export interface RegistryPlan {
    address: Address;
    current: RegistryState | null;
    /** Empty when the chain already holds this profile. */
    messages: RegistryMessage[];
    /** Of the attached value, what the contract keeps: the refundable deposit plus the storage reserve it lacks. */
    locked: bigint;
    /** Upper bound of the fees: the gas allowance per message (the unspent part comes back). */
    maxFees: bigint;
    /** What comes back on top of the unspent allowance (the deposit, on withdraw). */
    refund: bigint;
}

export const DEFAULT_GAS_ALLOWANCE = 50_000_000n;

/** Whether the chain's profile differs from `wanted` (same cell hash means same profile). */
export function profileChanged(current: RegistryState | null, wanted: RegistryProfile): boolean {
    return !current?.profileCell || !current.profileCell.hash().equals(buildProfileCell(wanted).hash());
}

async function message(
    root: Address,
    owner: Address,
    current: RegistryState | null,
    action: RegistryAction,
    body: Cell,
    gasAllowance: bigint,
): Promise<RegistryMessage> {
    const contract = await cocoonRegistryFor(root, owner);
    const held = { deposit: current?.deposit ?? 0n, accountBalance: current?.accountBalance ?? 0n };
    return {
        action,
        to: contract.address,
        value: registryMessageValue(action, held, gasAllowance),
        body,
        init: current ? null : (contract.init ?? null),
    };
}

function plan(address: Address, current: RegistryState | null, messages: RegistryMessage[], gasAllowance: bigint): RegistryPlan {
    const value = messages.reduce((s, m) => s + m.value, 0n);
    const maxFees = gasAllowance * BigInt(messages.length);
    const refund = messages.some((m) => m.action === 'withdraw') ? (current?.deposit ?? 0n) : 0n;
    return { address, current, messages, locked: value - maxFees, maxFees, refund };
}

/**
 * What to send so the chain holds `profile` for `owner` under `root`: register when there is no live
 * registration (new, or retired), update when it changed, nothing when it is the same. A paused
 * registration stays paused (resume is the owner's decision).
 */
export async function planRegistration(
    chain: ChainClient,
    root: Address,
    owner: Address,
    profile: RegistryProfile,
    opts: { queryId?: bigint; gasAllowance?: bigint } = {},
): Promise<RegistryPlan> {
    validateOrThrow(profile);
    const gas = opts.gasAllowance ?? DEFAULT_GAS_ALLOWANCE;
    const queryId = opts.queryId ?? BigInt(Date.now());
    const current = await readRegistry(chain, root, owner);
    const address = (await cocoonRegistryFor(root, owner)).address;
    const live = current?.status === 'active' || current?.status === 'paused';
    if (live && !profileChanged(current, profile)) return plan(address, current, [], gas);
    const msg = live
        ? await message(root, owner, current, 'update', registryBody.update(profile, queryId, owner), gas)
        : await message(root, owner, current, 'register', registryBody.register(profile, queryId, owner), gas);
    return plan(address, current, [msg], gas);
}

// A Map: the action often comes from a command line, and a plain object would answer 'constructor'.
const ALLOWED_FROM = new Map<string, readonly string[]>([
    ['pause', ['active']],
    ['resume', ['paused']],
    ['retire', ['active', 'paused']],
    ['withdraw', ['retired']],
]);

/** A status change; refuses before sending what the contract would refuse (status, withdraw delay). */
export async function planStatusChange(
    chain: ChainClient,
    root: Address,
    owner: Address,
    action: 'pause' | 'resume' | 'retire' | 'withdraw',
    opts: { queryId?: bigint; gasAllowance?: bigint; now?: number } = {},
): Promise<RegistryPlan> {
    const allowed = ALLOWED_FROM.get(action);
    if (!allowed) throw new TypeError(`unknown status action '${action}' (pause, resume, retire or withdraw)`);
    const gas = opts.gasAllowance ?? DEFAULT_GAS_ALLOWANCE;
    const current = await readRegistry(chain, root, owner);
    const address = (await cocoonRegistryFor(root, owner)).address;
    const status = current?.status ?? 'none';
    if (!allowed.includes(status)) {
        throw new RegistryError(
            'BAD_STATUS',
            `cannot ${action} a registration that is ${status === 'none' ? 'not registered' : status} ` +
                `(allowed from: ${allowed.join(', ')})`,
            REGISTRY_EXIT.badStatus,
        );
    }
    if (action === 'withdraw' && current) {
        if (current.deposit === 0n) throw new RegistryError('BAD_STATUS', 'the deposit was already withdrawn', REGISTRY_EXIT.noDeposit);
        const now = opts.now ?? Math.floor(Date.now() / 1000);
        if (now < current.unlockAt) {
            throw new RegistryError(
                'BAD_STATUS',
                `the deposit unlocks at ${new Date(current.unlockAt * 1000).toISOString()} (${current.unlockAt - now} s from now)`,
                REGISTRY_EXIT.locked,
            );
        }
    }
    const queryId = opts.queryId ?? BigInt(Date.now());
    return plan(address, current, [await message(root, owner, current, action, registryBody[action](queryId, owner), gas)], gas);
}

function validateOrThrow(profile: RegistryProfile): void {
    try {
        validateProfile(profile);
    } catch (e) {
        if (e instanceof RegistryProfileError) throw new RegistryError('INVALID_PROFILE', e.message, e.problems[0].exitCode);
        throw e;
    }
}

const EXIT_NAMES = new Map<number, string>(Object.entries(REGISTRY_EXIT).map(([name, code]) => [code, name]));

/** The exit code of the registry's transaction for a message, or null when it succeeded. */
function failure(tx: ChainTx): number | null {
    const d = tx.tx.description;
    if (d.type !== 'generic') return null;
    if (d.computePhase.type === 'vm' && !d.computePhase.success) return d.computePhase.exitCode;
    if (d.aborted && d.actionPhase && !d.actionPhase.success) return d.actionPhase.resultCode;
    return null;
}

/**
 * Sends the plan's messages through the owner's wallet, one at a time, and waits for the registry's
 * transaction of each. Throws RegistryError('REFUSED') with the contract's exit code and its name when
 * one fails (the value bounces back to the wallet).
 */
export async function sendRegistryPlan(
    chain: ChainClient,
    wallet: ChainWallet,
    p: RegistryPlan,
    opts: { timeoutMs?: number } = {},
): Promise<ChainTx[]> {
    const out: ChainTx[] = [];
    for (const m of p.messages) {
        const before = await chain.account(m.to);
        await wallet.send([internal({ to: m.to, value: m.value, bounce: true, init: m.init ?? undefined, body: m.body })], {
            timeoutMs: opts.timeoutMs,
        });
        const bodyHash = m.body.hash();
        const tx = await chain.waitForTransaction(m.to, (t) => t.tx.inMessage?.body.hash().equals(bodyHash) ?? false, {
            afterLt: before.last?.lt ?? 0n,
            timeoutMs: opts.timeoutMs ?? 60_000,
        });
        const code = failure(tx);
        if (code !== null) {
            throw new RegistryError(
                code === REGISTRY_EXIT.notOwner ? 'NOT_OWNER' : 'REFUSED',
                `the registry contract refused '${m.action}' with exit code ${code} ` +
                    `(${EXIT_NAMES.get(code) ?? 'not a registry code'}); the value was bounced back`,
                code,
            );
        }
        out.push(tx);
    }
    return out;
}
