/**
 * What the indexer knows about the Cocoon contracts, taken from the wrappers (no layout is written here):
 * - the message catalogue: every message the Tact compiler generated from contracts/messages.tact
 *   (opcode table and loader per message, exported by the wrappers); the root's owner operations are
 *   typed messages there too (ROOT_OP in wrappers/CocoonRoot.ts names them for the CLI);
 * - data parsers for root, proxy, client and worker account data (the wrappers' `parse<Contract>Data`,
 *   `parseRootState`, `parseParams`).
 * Message names are the catalogue's, in snake_case (ExtClientTopUp -> ext_client_top_up), as in the
 * COCOON reference.
 */
import { Address, type Cell, type Slice } from '@ton/core';
import * as RootW from '../wrappers/CocoonRoot';
import * as ProxyW from '../wrappers/CocoonProxy';
import * as ClientW from '../wrappers/CocoonClient';
import * as WorkerW from '../wrappers/CocoonWorker';
import * as WalletW from '../wrappers/CocoonWallet';
import * as RegistryW from '../wrappers/CocoonRegistry';
import { parseParams } from '../wrappers/params';
import { DO_NOT_PROCESS_OP, parseSaveStateNote } from '../wrappers/signed';
import type { ExitCodeInfo, OpcodeInfo, RootConfig } from './domain';
import type { DecodedMessage, MessageCatalogue } from './ingest/decoder';
import type { ProtocolDescription } from './ingest/protocol-description';
import type { KindParsers } from './ingest/states';
import type { GpuProfile } from './ingest/types';
import { uint256Hex } from '../wrappers/uint256';

/** ExtClientTopUp -> ext_client_top_up; addWorkerType -> add_worker_type. */
export const snake = (name: string): string =>
    name
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
        .toLowerCase();

type Loader = (s: Slice) => Record<string, unknown>;

/** Catalogue name of a do_not_process body carrying the proxy's save-state commit (seqno, session hash). */
export const SAVE_STATE_NAME = 'proxy_save_state';

interface Entry {
    op: number;
    name: string;
    typeName: string | null;
    load: Loader | null;
    receivers: Set<string>;
}

const MODULES: [string, Record<string, unknown>][] = [
    ['root', RootW],
    ['proxy', ProxyW],
    ['client', ClientW],
    ['worker', WorkerW],
    ['wallet', WalletW],
    ['registry', RegistryW],
];

const CONTRACTS: [
    string,
    { opcodes: Record<string, number>; fromAddress(a: Address): { abi: { receivers?: { message: { kind: string; type?: string } }[] } } },
][] = [
    ['root', RootW.CocoonRoot as never],
    ['proxy', ProxyW.CocoonProxy as never],
    ['client', ClientW.CocoonClient as never],
    ['worker', WorkerW.CocoonWorker as never],
    ['wallet', WalletW.CocoonWallet as never],
    ['registry', RegistryW.CocoonRegistry as never],
];

function loaderOf(typeName: string): Loader | null {
    for (const [, mod] of MODULES) {
        const fn = mod[`load${typeName}`];
        if (typeof fn === 'function') return fn as Loader;
    }
    return null;
}

/** Signed envelopes share their opcode with the payload cell they carry (ExtClientChargeSigned / ChargePayload). */
const isPayloadType = (typeName: string) => /Payload$/.test(typeName) && typeName !== 'WorkerProxyPayoutRequest';

function buildEntries(): { byOp: Map<number, Entry>; payloadByOp: Map<number, Loader> } {
    const byOp = new Map<number, Entry>();
    const payloadByOp = new Map<number, Loader>();
    const zero = new Address(0, Buffer.alloc(32));
    for (const [kind, contract] of CONTRACTS) {
        const received = new Set(
            (contract.fromAddress(zero).abi.receivers ?? []).map((r) => r.message.type).filter((t): t is string => !!t),
        );
        for (const [typeName, op] of Object.entries(contract.opcodes)) {
            const load = loaderOf(typeName);
            if (isPayloadType(typeName)) {
                if (load) payloadByOp.set(op, load);
                continue;
            }
            let e = byOp.get(op);
            if (!e) byOp.set(op, (e = { op, name: snake(typeName), typeName, load, receivers: new Set() }));
            if (received.has(typeName)) e.receivers.add(kind);
        }
    }
    return { byOp, payloadByOp };
}

export class WrapperCatalogue implements MessageCatalogue {
    private readonly byOp: Map<number, Entry>;
    private readonly payloadByOp: Map<number, Loader>;

    constructor() {
        const b = buildEntries();
        this.byOp = b.byOp;
        this.payloadByOp = b.payloadByOp;
    }

    nameOf(op: number): string | null {
        return this.byOp.get(op)?.name ?? null;
    }

    opcodes(): OpcodeInfo[] {
        return [...this.byOp.values()]
            .map((e) => ({ op: '0x' + e.op.toString(16).padStart(8, '0'), name: e.name, receivers: [...e.receivers].sort() }))
            .sort((a, b) => a.name.localeCompare(b.name));
    }

    decode(body: Cell): DecodedMessage | null {
        const s = body.beginParse();
        if (s.remainingBits < 32) return null;
        const op = s.preloadUint(32);
        const e = this.byOp.get(op);
        if (!e) return null;
        if (!e.load) {
            // Root owner operations: the name is what matters; their values show up in the root's state.
            return { name: e.name, op, fields: {} };
        }
        if (op === DO_NOT_PROCESS_OP) {
            // The proxy's save-state note (wrappers/signed.ts): do_not_process + random, then
            // proxy_save_state seqno session_unique_hash. Other do_not_process bodies stay generic.
            const note = parseSaveStateNote(body);
            if (note)
                return {
                    name: SAVE_STATE_NAME,
                    op,
                    fields: { queryId: body.beginParse().skip(32).loadUintBig(64), seqno: note.seqno, sessionHash: note.sessionHash },
                };
        }
        const fields: Record<string, unknown> = { ...e.load(body.beginParse()) };
        delete fields.$$type;
        this.expandNested(fields);
        return { name: e.name, op, fields };
    }

    /** Decodes the cells messages carry: forwarded payloads, signed payloads, the client's state. */
    private expandNested(fields: Record<string, unknown>): void {
        const p = fields.payload as Cell | null | undefined;
        if (p && typeof (p as Cell).beginParse === 'function') {
            const s = p.beginParse();
            const op = s.remainingBits >= 32 ? s.preloadUint(32) : null;
            const signed = op !== null ? this.payloadByOp.get(op) : undefined;
            if (signed) {
                const f: Record<string, unknown> = { ...signed(p.beginParse()) };
                const name = String(f.$$type ?? 'payload');
                delete f.$$type;
                fields.payload = { name: snake(name), op: op as number, fields: f } satisfies DecodedMessage;
            } else {
                const inner = this.decode(p);
                if (inner) fields.payload = inner;
            }
        }
        const st = fields.stateData as Cell | undefined;
        const loadState = ProxyW.loadClientStateData as unknown as Loader | undefined;
        if (st && typeof st.beginParse === 'function' && loadState) {
            const f: Record<string, unknown> = { ...loadState(st.beginParse()) };
            delete f.$$type;
            fields.stateData = f;
        }
    }
}

/** ERR_LOW_MSG_VALUE -> "low msg value" (the constant's name is the contracts' own wording). */
function constantMeaning(name: string): string {
    return name.replace(/^ERR_/, '').toLowerCase().replace(/_/g, ' ');
}

/**
 * Every contract's exit-code table as the Tact compiler generated it: `<Contract>_errors` (the compiler's
 * and TVM's codes with their messages, and the messages of `require`) and the `ERR_*` constants the
 * contracts throw (named in contracts/). Codes with the same name and meaning in several contracts are one row.
 */
export function exitCodes(): ExitCodeInfo[] {
    const perContract = new Map<string, { kind: string; code: number; name: string | null; meaning: string | null }>();
    const at = (kind: string, code: number) => {
        const key = `${kind} ${code}`;
        let e = perContract.get(key);
        if (!e) perContract.set(key, (e = { kind, code, name: null, meaning: null }));
        return e;
    };
    for (const [kind, mod] of MODULES) {
        for (const [key, value] of Object.entries(mod)) {
            if (/^ERR_[A-Z0-9_]+$/.test(key) && typeof value === 'bigint') {
                at(kind, Number(value)).name = key;
            } else if (/_errors$/.test(key) && value !== null && typeof value === 'object') {
                for (const [code, v] of Object.entries(value as object)) {
                    const message =
                        v !== null && typeof v === 'object' && Object.hasOwn(v, 'message') ? (v as { message: unknown }).message : null;
                    if (/^\d+$/.test(code) && typeof message === 'string') at(kind, Number(code)).meaning = message;
                }
            }
        }
    }
    const rows = new Map<string, ExitCodeInfo>();
    for (const e of perContract.values()) {
        const meaning = e.meaning ?? (e.name ? constantMeaning(e.name) : `exit code ${e.code}`);
        const key = `${e.code} ${e.name ?? ''} ${meaning}`;
        const row = rows.get(key);
        if (row) row.contracts.push(e.kind);
        else rows.set(key, { code: e.code, name: e.name, meaning, contracts: [e.kind] });
    }
    return [...rows.values()].sort((a, b) => a.code - b.code || a.meaning.localeCompare(b.meaning));
}

export const cocoonParsers: KindParsers = {
    root(data: Cell, address: string) {
        const r = RootW.parseRootState(data);
        const p = r.params;
        const config: RootConfig = {
            address,
            owner: r.owner.toRawString(),
            version: r.version,
            paramsVersion: p.paramsVersion,
            structVersion: p.structVersion,
            uniqueId: p.uniqueId,
            isTest: p.isTest,
            pricePerToken: p.pricePerToken.toString(),
            workerFeePerToken: p.workerFeePerToken.toString(),
            promptTokensPriceMultiplier: p.promptTokensPriceMultiplier,
            cachedTokensPriceMultiplier: p.cachedTokensPriceMultiplier,
            completionTokensPriceMultiplier: p.completionTokensPriceMultiplier,
            reasoningTokensPriceMultiplier: p.reasoningTokensPriceMultiplier,
            proxyDelayBeforeClose: p.proxyDelayBeforeClose,
            clientDelayBeforeClose: p.clientDelayBeforeClose,
            minProxyStake: p.minProxyStake.toString(),
            minClientStake: p.minClientStake.toString(),
            proxyCodeHash: p.proxyScCode ? p.proxyScCode.hash().toString('hex') : null,
            workerCodeHash: p.workerScCode ? p.workerScCode.hash().toString('hex') : null,
            clientCodeHash: p.clientScCode ? p.clientScCode.hash().toString('hex') : null,
            lastProxySeqno: r.registry.lastProxySeqno,
            registeredProxies: [...r.registry.registeredProxies]
                .map(([seqno, addr]) => ({ seqno, address: addr }))
                .sort((a, b) => a.seqno - b.seqno),
            proxyHashes: r.registry.proxyHashes.map(uint256Hex).sort(),
            workerHashes: r.registry.workerHashes.map(uint256Hex).sort(),
            modelHashes: r.registry.modelHashes.map(uint256Hex).sort(),
        };
        return { config };
    },
    proxy(data: Cell) {
        const d = ProxyW.parseProxyData(data);
        const p = parseParams(d.params);
        return {
            owner: d.ownerAddress.toRawString(),
            publicKey: uint256Hex(d.proxyPublicKey),
            root: d.rootAddress.toRawString(),
            state: Number(d.state),
            balance: d.balance,
            stake: d.stake,
            unlockTs: Number(d.unlockTs),
            paramsVersion: p.paramsVersion,
            pricePerToken: p.pricePerToken,
            workerFeePerToken: p.workerFeePerToken,
            minProxyStake: p.minProxyStake,
            minClientStake: p.minClientStake,
        };
    },
    client(data: Cell) {
        const d = ClientW.parseClientData(data);
        const c = d.constFields;
        const p = parseParams(d.params);
        return {
            owner: c.ownerAddress.toRawString(),
            proxy: c.proxyAddress.toRawString(),
            proxyPublicKey: uint256Hex(c.proxyPublicKey),
            state: Number(d.state),
            balance: d.balance,
            stake: d.stake,
            tokensUsed: d.tokensUsed,
            unlockTs: Number(d.unlockTs),
            secretHash: uint256Hex(d.secretHash),
            paramsVersion: p.paramsVersion,
            pricePerToken: p.pricePerToken,
        };
    },
    worker(data: Cell) {
        const d = WorkerW.parseWorkerData(data);
        const p = parseParams(d.params);
        return {
            owner: d.ownerAddress.toRawString(),
            proxy: d.proxyAddress.toRawString(),
            proxyPublicKey: uint256Hex(d.proxyPublicKey),
            state: Number(d.state),
            tokens: d.tokens,
            paramsVersion: p.paramsVersion,
            workerFeePerToken: p.workerFeePerToken,
        };
    },
    wallet(data: Cell) {
        const d = WalletW.parseWalletData(data);
        return { owner: d.ownerAddress.toRawString() };
    },
    registry(data: Cell) {
        const d = RegistryW.loadCocoonRegistry$Data(data.beginParse());
        return {
            owner: d.owner.toRawString(),
            root: d.root.toRawString(),
            status: Number(d.status),
            deposit: d.deposit,
            registeredAt: Number(d.registeredAt),
            updatedAt: Number(d.updatedAt),
            profile: d.profile ? gpuProfileOf(d.profile) : null,
        };
    },
    walletCodeHash: null,
    registryCodeHash: null,
};

/** A stored profile cell as the API serves it; null when it does not parse (the contract never stores one). */
export function gpuProfileOf(cell: Cell): GpuProfile | null {
    try {
        const p = RegistryW.parseProfileCell(cell);
        return { ...p, workerKeys: p.workerKeys.map(uint256Hex) };
    } catch {
        return null;
    }
}

let cached: ProtocolDescription | null = null;

/** cocoonProtocol() plus the cocoon wallet's code hash (the generated wrapper builds code asynchronously). */
export async function loadCocoonProtocol(): Promise<ProtocolDescription> {
    const p = cocoonProtocol();
    if (!p.parsers.walletCodeHash) {
        const wallet = await WalletW.cocoonWalletFor(new Address(0, Buffer.alloc(32)), Buffer.alloc(32));
        p.parsers.walletCodeHash = wallet.init!.code.hash().toString('hex');
    }
    if (!p.parsers.registryCodeHash) {
        const zero = new Address(0, Buffer.alloc(32));
        p.parsers.registryCodeHash = (await RegistryW.cocoonRegistryFor(zero, zero)).init!.code.hash().toString('hex');
    }
    return p;
}

/** The Cocoon protocol as the wrappers describe it (built once). */
export function cocoonProtocol(): ProtocolDescription {
    if (cached) return cached;
    const catalogue = new WrapperCatalogue();
    const rootOps = new Set(Object.keys(RootW.ROOT_OP).map((k) => `root_${snake(k)}`));
    cached = {
        catalogue,
        parsers: cocoonParsers,
        opcodes: catalogue.opcodes(),
        exitCodes: exitCodes(),
        isRootConfigChange: (name) => name !== null && rootOps.has(name),
        profileOf: gpuProfileOf,
    };
    return cached;
}
