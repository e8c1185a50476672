/**
 * CocoonRegistry wrapper: the generated Tact wrapper plus the profile codec, the bounds the contract
 * enforces (the same numbers as contracts/registry.tact, so a client refuses before it pays), message
 * body builders and the address derivation from (root, owner).
 */
import { beginCell, type Address, type Builder, type Cell, type Slice } from '@ton/core';
import {
    CocoonRegistry,
    storeOwnerRegistryPause,
    storeOwnerRegistryRegister,
    storeOwnerRegistryResume,
    storeOwnerRegistryRetire,
    storeOwnerRegistryUpdate,
    storeOwnerRegistryWithdraw,
} from '../build/CocoonRegistry/CocoonRegistry_CocoonRegistry';
import { uint256FromHex } from './uint256';

export * from '../build/CocoonRegistry/CocoonRegistry_CocoonRegistry';

/** Money terms (nanoTON) and the withdraw delay (seconds), as the contract's constants. */
export const REGISTRY_TERMS = {
    deposit: 1_000_000_000n,
    withdrawDelay: 86_400,
    storageReserve: 10_000_000n,
    minFee: 20_000_000n,
} as const;

export { REGISTRY_STATUS, REGISTRY_STATUS_NAMES, type RegistryStatusName } from './registryStatus';

export const TEE_KINDS = ['none', 'tdx', 'sev-snp', 'fake'] as const;
export type TeeKind = (typeof TEE_KINDS)[number];

export const PROFILE_VERSION = 1;

/** Bounds of a version-1 profile (contracts/registry.tact REGISTRY_MAX_*). */
export const PROFILE_LIMITS = {
    maxGpuCount: 64,
    maxVramMib: 1_048_576,
    minCpuCores: 1,
    maxCpuCores: 4096,
    maxRamMib: 67_108_864,
    maxUptimePermille: 1000,
    maxGpuModelBytes: 64,
    maxCpuModelBytes: 48,
    maxRegionBytes: 8,
    maxModels: 4,
    maxModelNameBytes: 64,
    maxKeys: 3,
} as const;

/** Exit codes of the registry contract (their own range; the original contracts use 1000-2000). */
export const REGISTRY_EXIT = {
    notOwner: 3000,
    lowValue: 3001,
    badStatus: 3002,
    malformedProfile: 3003,
    outOfRange: 3004,
    badText: 3005,
    badModels: 3006,
    badKeys: 3007,
    locked: 3008,
    noDeposit: 3009,
    unknownOp: 3010,
} as const;
export type RegistryExitName = keyof typeof REGISTRY_EXIT;

export const REGISTRY_OP = {
    register: 0xcde47e02,
    update: 0xd4001646,
    pause: 0x5a1f7e7a,
    resume: 0x5a16c264,
    retire: 0x9005b7ea,
    withdraw: 0x492f3e7f,
    excesses: 0x2565934c,
} as const;

/** What a GPU owner declares. vramMib is per GPU; uptime is the declared commitment in per-mille. */
export interface RegistryProfile {
    gpuModel: string;
    gpuCount: number;
    vramMib: number;
    tee: TeeKind;
    cpuModel: string;
    cpuCores: number;
    ramMib: number;
    region: string;
    models: string[];
    uptimePermille: number;
    workerKeys: bigint[];
}

export interface ProfileProblem {
    field: keyof RegistryProfile;
    message: string;
    /** The exit code the contract would refuse it with. */
    exitCode: number;
}

function intProblem(field: keyof RegistryProfile, v: number, min: number, max: number): ProfileProblem | null {
    if (Number.isInteger(v) && v >= min && v <= max) return null;
    return { field, message: `${field} must be an integer from ${min} to ${max}, got ${v}`, exitCode: REGISTRY_EXIT.outOfRange };
}

function textProblem(
    field: keyof RegistryProfile,
    v: string,
    min: number,
    max: number,
    exitCode: number,
    label = field as string,
): ProfileProblem | null {
    const bytes = Buffer.byteLength(v, 'utf8');
    // Control characters would reach every explorer and log that shows the profile.
    if (/[\u0000-\u001f\u007f]/.test(v)) return { field, message: `${label} contains a control character`, exitCode };
    if (bytes < min || bytes > max)
        return { field, message: `${label} must be ${min} to ${max} bytes of UTF-8, got ${bytes} ('${v.slice(0, 80)}')`, exitCode };
    return null;
}

/** Everything the contract would refuse in `p` (plus control characters in texts), empty when it is valid. */
export function profileProblems(p: RegistryProfile): ProfileProblem[] {
    const L = PROFILE_LIMITS;
    const out: (ProfileProblem | null)[] = [
        textProblem('gpuModel', p.gpuModel, 1, L.maxGpuModelBytes, REGISTRY_EXIT.badText),
        intProblem('gpuCount', p.gpuCount, 0, L.maxGpuCount),
        intProblem('vramMib', p.vramMib, 0, L.maxVramMib),
        TEE_KINDS.includes(p.tee)
            ? null
            : {
                  field: 'tee',
                  message: `tee must be one of ${TEE_KINDS.join(', ')}, got '${String(p.tee)}'`,
                  exitCode: REGISTRY_EXIT.outOfRange,
              },
        textProblem('cpuModel', p.cpuModel, 0, L.maxCpuModelBytes, REGISTRY_EXIT.badText),
        intProblem('cpuCores', p.cpuCores, L.minCpuCores, L.maxCpuCores),
        intProblem('ramMib', p.ramMib, 0, L.maxRamMib),
        textProblem('region', p.region, 0, L.maxRegionBytes, REGISTRY_EXIT.badText),
        intProblem('uptimePermille', p.uptimePermille, 0, L.maxUptimePermille),
    ];
    if (p.models.length < 1 || p.models.length > L.maxModels) {
        out.push({
            field: 'models',
            message: `offer 1 to ${L.maxModels} models, got ${p.models.length}`,
            exitCode: REGISTRY_EXIT.badModels,
        });
    }
    p.models.forEach((m, i) => out.push(textProblem('models', m, 1, L.maxModelNameBytes, REGISTRY_EXIT.badModels, `model ${i + 1}`)));
    if (p.workerKeys.length < 1 || p.workerKeys.length > L.maxKeys) {
        out.push({
            field: 'workerKeys',
            message: `declare 1 to ${L.maxKeys} worker public keys, got ${p.workerKeys.length}`,
            exitCode: REGISTRY_EXIT.badKeys,
        });
    }
    p.workerKeys.forEach((k, i) => {
        if (k < 0n || k >= 1n << 256n)
            out.push({ field: 'workerKeys', message: `worker key ${i + 1} is not a 256-bit public key`, exitCode: REGISTRY_EXIT.badKeys });
    });
    return out.filter((x): x is ProfileProblem => x !== null);
}

export class RegistryProfileError extends Error {
    constructor(readonly problems: ProfileProblem[]) {
        super(
            `the hardware profile would be refused on-chain: ${problems.map((p) => `${p.message} (exit code ${p.exitCode})`).join('; ')}`,
        );
        this.name = 'RegistryProfileError';
    }
}

export function validateProfile(p: RegistryProfile): void {
    const problems = profileProblems(p);
    if (problems.length) throw new RegistryProfileError(problems);
}

function storeText(b: Builder, v: string): Builder {
    const bytes = Buffer.from(v, 'utf8');
    return b.storeUint(bytes.length, 8).storeBuffer(bytes);
}

function loadText(s: Slice): string {
    return s.loadBuffer(s.loadUint(8)).toString('utf8');
}

/**
 * The profile cell (layout in contracts/registry.tact). Does not validate: tests send out-of-range
 * profiles on purpose; call validateProfile first everywhere else. Throws only when a value does not
 * fit its field at all.
 */
export function buildProfileCell(p: RegistryProfile): Cell {
    const labels = storeText(storeText(storeText(beginCell(), p.gpuModel), p.cpuModel), p.region).endCell();
    const models = beginCell();
    for (const m of p.models) models.storeRef(beginCell().storeBuffer(Buffer.from(m, 'utf8')).endCell());
    const keys = beginCell();
    for (const k of p.workerKeys) keys.storeUint(k, 256);
    const tee = TEE_KINDS.indexOf(p.tee);
    return beginCell()
        .storeUint(PROFILE_VERSION, 8)
        .storeUint(p.gpuCount, 8)
        .storeUint(p.vramMib, 32)
        .storeUint(tee < 0 ? 255 : tee, 8)
        .storeUint(p.cpuCores, 16)
        .storeUint(p.ramMib, 32)
        .storeUint(p.uptimePermille, 16)
        .storeRef(labels)
        .storeRef(models.endCell())
        .storeRef(keys.endCell())
        .endCell();
}

/** Decodes a stored profile (one the contract accepted); throws on another version or layout. */
export function parseProfileCell(cell: Cell): RegistryProfile {
    const s = cell.beginParse();
    const version = s.loadUint(8);
    if (version !== PROFILE_VERSION) throw new Error(`registry profile version ${version} is not supported (expected ${PROFILE_VERSION})`);
    const gpuCount = s.loadUint(8);
    const vramMib = s.loadUint(32);
    const teeIndex = s.loadUint(8);
    const cpuCores = s.loadUint(16);
    const ramMib = s.loadUint(32);
    const uptimePermille = s.loadUint(16);
    const labels = s.loadRef().beginParse();
    const gpuModel = loadText(labels);
    const cpuModel = loadText(labels);
    const region = loadText(labels);
    const m = s.loadRef().beginParse();
    const models: string[] = [];
    while (m.remainingRefs > 0) {
        const n = m.loadRef().beginParse();
        models.push(n.loadBuffer(n.remainingBits / 8).toString('utf8'));
    }
    const k = s.loadRef().beginParse();
    const workerKeys: bigint[] = [];
    while (k.remainingBits >= 256) workerKeys.push(k.loadUintBig(256));
    const tee = TEE_KINDS[teeIndex];
    if (tee === undefined) throw new Error(`registry profile has an unknown TEE kind ${teeIndex}`);
    return { gpuModel, gpuCount, vramMib, tee, cpuModel, cpuCores, ramMib, region, models, uptimePermille, workerKeys };
}

/** The registry contract of `owner` under `root`: fresh init data (status none, no deposit, no profile). */
export function cocoonRegistryFor(root: Address, owner: Address): Promise<CocoonRegistry> {
    return CocoonRegistry.fromInit(owner, root, 0n, 0n, 0n, 0n, null);
}

function body(store: (b: Builder) => void): Cell {
    const b = beginCell();
    store(b);
    return b.endCell();
}

/** Owner message bodies (for wallets that send raw cells). */
export const registryBody = {
    register: (profile: RegistryProfile, queryId: bigint, sendExcessesTo: Address) =>
        body(storeOwnerRegistryRegister({ $$type: 'OwnerRegistryRegister', queryId, profile: buildProfileCell(profile), sendExcessesTo })),
    update: (profile: RegistryProfile, queryId: bigint, sendExcessesTo: Address) =>
        body(storeOwnerRegistryUpdate({ $$type: 'OwnerRegistryUpdate', queryId, profile: buildProfileCell(profile), sendExcessesTo })),
    pause: (queryId: bigint, sendExcessesTo: Address) =>
        body(storeOwnerRegistryPause({ $$type: 'OwnerRegistryPause', queryId, sendExcessesTo })),
    resume: (queryId: bigint, sendExcessesTo: Address) =>
        body(storeOwnerRegistryResume({ $$type: 'OwnerRegistryResume', queryId, sendExcessesTo })),
    retire: (queryId: bigint, sendExcessesTo: Address) =>
        body(storeOwnerRegistryRetire({ $$type: 'OwnerRegistryRetire', queryId, sendExcessesTo })),
    withdraw: (queryId: bigint, sendExcessesTo: Address) =>
        body(storeOwnerRegistryWithdraw({ $$type: 'OwnerRegistryWithdraw', queryId, sendExcessesTo })),
};

/**
 * TON to attach to an owner message: the part of the deposit the contract does not hold yet, the
 * storage reserve it does not hold yet, and a gas allowance; the contract returns the rest as excesses.
 */
export function registryMessageValue(
    op: 'register' | 'update' | 'pause' | 'resume' | 'retire' | 'withdraw',
    held: { deposit: bigint; accountBalance: bigint },
    gasAllowance = 50_000_000n,
): bigint {
    const deposit = op === 'register' ? REGISTRY_TERMS.deposit : op === 'withdraw' ? 0n : held.deposit;
    const missing = deposit + REGISTRY_TERMS.storageReserve - held.accountBalance;
    return (missing > 0n ? missing : 0n) + (gasAllowance > REGISTRY_TERMS.minFee ? gasAllowance : REGISTRY_TERMS.minFee);
}

/**
 * A profile from parsed JSON (a file or an API): the RegistryProfile keys, worker keys as 64-digit hex.
 * Reads only own keys (network data never reaches Object.prototype) and names what is missing or of
 * the wrong type; bounds are checked by validateProfile.
 */
export function profileFromJson(v: unknown): RegistryProfile {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('the profile must be a JSON object');
    const o = v as Record<string, unknown>; // only read through own() below
    const own = (k: keyof RegistryProfile): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);
    const str = (k: keyof RegistryProfile, dflt?: string): string => {
        const x = own(k) ?? dflt;
        if (typeof x !== 'string') throw new TypeError(`profile '${k}' must be a string`);
        return x;
    };
    const int = (k: keyof RegistryProfile, dflt?: number): number => {
        const x = own(k) ?? dflt;
        if (typeof x !== 'number' || !Number.isSafeInteger(x)) throw new TypeError(`profile '${k}' must be an integer`);
        return x;
    };
    const list = (k: keyof RegistryProfile): string[] => {
        const x = own(k);
        if (!Array.isArray(x) || !x.every((e): e is string => typeof e === 'string'))
            throw new TypeError(`profile '${k}' must be an array of strings`);
        return x;
    };
    const tee = (): TeeKind => {
        const t = TEE_KINDS.find((k) => k === str('tee', 'none'));
        if (!t) throw new TypeError(`profile 'tee' must be one of ${TEE_KINDS.join(', ')}`);
        return t;
    };
    const keys = () =>
        list('workerKeys').map((h, i) => {
            const key = uint256FromHex(h);
            if (key === undefined) throw new TypeError(`profile 'workerKeys[${i}]' must be a 32-byte hex public key`);
            return key;
        });
    // Fields in declaration order, so the first problem reported is the first field in the file's layout.
    return {
        gpuModel: str('gpuModel'),
        gpuCount: int('gpuCount'),
        vramMib: int('vramMib'),
        tee: tee(),
        cpuModel: str('cpuModel', ''),
        cpuCores: int('cpuCores'),
        ramMib: int('ramMib'),
        region: str('region', ''),
        models: list('models'),
        uptimePermille: int('uptimePermille'),
        workerKeys: keys(),
    };
}
