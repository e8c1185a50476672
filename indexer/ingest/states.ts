/**
 * Account states and classification over the v4 reader. Data layouts are parsed by the contracts'
 * wrappers (passed in as KindParsers), so this file only decides *which* parser applies and what a parsed
 * state means for discovery (parent, owner, params version, prices).
 */
import type { Cell } from '@ton/core';
import type { AccountKind } from '../domain';
import type { Classification, ClassifyContext, StateReader } from './ports';
import type { AccountState, KindState, KnownAccount } from './types';
import { toCell } from '../../node/chain/lean-boc';
import type { LeanV4Client } from '../../node/chain/lean-v4';

type Parsed<K extends KindState['kind']> = Omit<Extract<KindState, { kind: K }>, 'kind'>;

/** Data-cell parsers per contract kind (from the wrappers); each returns null when the data is not that kind's. */
export interface KindParsers {
    root?(data: Cell, address: string): Parsed<'root'> | null;
    proxy?(data: Cell): Parsed<'proxy'> | null;
    client?(data: Cell): Parsed<'client'> | null;
    worker?(data: Cell): Parsed<'worker'> | null;
    wallet?(data: Cell): Parsed<'wallet'> | null;
    registry?(data: Cell): Parsed<'registry'> | null;
    /** Code hash (hex) of the cocoon wallet contract. */
    walletCodeHash?: string | null;
    /** Code hash (hex) of the GPU owners' registry contract (one code for every owner and root). */
    registryCodeHash?: string | null;
}

function safe<T>(fn: (() => T) | undefined): T | null {
    if (!fn) return null;
    try {
        return fn();
    } catch {
        // A data cell that does not parse as this kind simply is not this kind.
        return null;
    }
}

/** Parses data cells with the wrappers' parsers and decides what an unknown account is. */
export class KindParsing {
    constructor(readonly parsers: KindParsers) {}

    parse(kind: AccountKind, data: Cell | null, address: string): KindState | undefined {
        if (!data) return undefined;
        const p = this.parsers;
        switch (kind) {
            case 'root': {
                const r = safe(p.root && (() => p.root!(data, address)));
                return r ? { kind: 'root', ...r } : undefined;
            }
            case 'proxy': {
                const r = safe(p.proxy && (() => p.proxy!(data)));
                return r ? { kind: 'proxy', ...r } : undefined;
            }
            case 'client': {
                const r = safe(p.client && (() => p.client!(data)));
                return r ? { kind: 'client', ...r } : undefined;
            }
            case 'worker': {
                const r = safe(p.worker && (() => p.worker!(data)));
                return r ? { kind: 'worker', ...r } : undefined;
            }
            case 'wallet': {
                const r = safe(p.wallet && (() => p.wallet!(data)));
                return r ? { kind: 'wallet', ...r } : undefined;
            }
            case 'registry': {
                const r = safe(p.registry && (() => p.registry!(data)));
                return r ? { kind: 'registry', ...r } : undefined;
            }
        }
    }

    /** Needs the data only when the code hash alone does not settle it (see classify()). */
    isCandidate(codeHash: string | null, ctx: ClassifyContext): boolean {
        return !!codeHash && (ctx.codeKinds.has(codeHash) || ctx.viaMessage || codeHash === this.parsers.registryCodeHash);
    }

    classify(address: string, codeHash: string, data: Cell | null, ctx: ClassifyContext): Classification | null {
        const known = ctx.codeKinds.get(codeHash);
        const isWallet = !!this.parsers.walletCodeHash && codeHash === this.parsers.walletCodeHash;
        if (!known && this.parsers.registryCodeHash && codeHash === this.parsers.registryCodeHash)
            return this.registry(address, codeHash, data, ctx);
        if (!known && !ctx.viaMessage) return null;
        const base = {
            address,
            codeHash,
            owner: null as string | null,
            parent: null as string | null,
            paramsVersion: null as number | null,
            pricePerToken: null as bigint | null,
            workerFeePerToken: null as bigint | null,
        };
        const via = ctx.viaMessage && !known ? 'message' : 'code_hash';
        const as = (kind: AccountKind): Classification | null => {
            const k = this.parse(kind, data, address);
            if (!k) return kind === 'wallet' ? { ...base, kind, discoveredVia: via } : null;
            switch (k.kind) {
                case 'proxy':
                    return {
                        ...base,
                        kind,
                        owner: k.owner,
                        parent: k.root,
                        paramsVersion: k.paramsVersion,
                        pricePerToken: k.pricePerToken,
                        workerFeePerToken: k.workerFeePerToken,
                        discoveredVia: via,
                    };
                case 'client':
                    return {
                        ...base,
                        kind,
                        owner: k.owner,
                        parent: k.proxy,
                        paramsVersion: k.paramsVersion,
                        pricePerToken: k.pricePerToken,
                        discoveredVia: via,
                    };
                case 'worker':
                    return {
                        ...base,
                        kind,
                        owner: k.owner,
                        parent: k.proxy,
                        paramsVersion: k.paramsVersion,
                        workerFeePerToken: k.workerFeePerToken,
                        discoveredVia: via,
                    };
                case 'wallet':
                    return { ...base, kind, owner: k.owner, discoveredVia: via };
                default:
                    return null;
            }
        };
        if (known) return as(known.kind);
        if (isWallet) return as('wallet');
        // Code of a params version we never saw (history before the start point): accept the contract when
        // its data names a parent we follow, exactly as the parent itself would check it.
        const proxy = as('proxy');
        if (proxy && proxy.parent === ctx.root) return { ...proxy, discoveredVia: 'parent' };
        for (const kind of ['client', 'worker'] as const) {
            const c = as(kind);
            if (c?.parent && ctx.known.get(c.parent)?.kind === 'proxy') return { ...c, discoveredVia: 'parent' };
        }
        return null;
    }

    /** A registry is followed when its data names the root this indexer follows (any owner may deploy one). */
    private registry(address: string, codeHash: string, data: Cell | null, ctx: ClassifyContext): Classification | null {
        const k = this.parse('registry', data, address);
        if (k?.kind !== 'registry' || k.root !== ctx.root) return null;
        return {
            address,
            codeHash,
            kind: 'registry',
            owner: k.owner,
            parent: k.root,
            paramsVersion: null,
            pricePerToken: null,
            workerFeePerToken: null,
            discoveredVia: 'code_hash',
        };
    }
}

export class V4StateReader implements StateReader {
    /** The v4 API serves account state at old seqnos only on archive nodes, and never on the local chain. */
    readonly historical: boolean;
    private kinds: KindParsing;

    constructor(
        private chain: LeanV4Client,
        parsers: KindParsers,
        opts: { historical?: boolean } = {},
    ) {
        this.historical = opts.historical ?? false;
        this.kinds = new KindParsing(parsers);
    }

    async read(acc: KnownAccount, seqno: number): Promise<AccountState> {
        const a = await this.chain.account(acc.address, seqno);
        const data = a.data ? toCell(a.data) : null;
        return {
            address: acc.address,
            status: a.status,
            balance: a.balance,
            codeHash: a.code ? toCell(a.code).hash().toString('hex') : null,
            seqno,
            lastLt: a.last?.lt ?? null,
            kindState: this.kinds.parse(acc.kind, data, acc.address),
        };
    }

    async classify(address: string, seqno: number, ctx: ClassifyContext): Promise<Classification | null> {
        const codeHash = await this.chain.codeHash(address, seqno);
        if (!codeHash || !this.kinds.isCandidate(codeHash, ctx)) return null;
        const a = await this.chain.account(address, seqno);
        return this.kinds.classify(address, codeHash, a.data ? toCell(a.data) : null, ctx);
    }
}
