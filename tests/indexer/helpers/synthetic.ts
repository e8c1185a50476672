/**
 * A synthetic Cocoon network for the benchmark: realistic traffic (deposits, charges, payouts, commission
 * withdrawals, save-state notes, failures) as real transaction BOCs, served newest-first by (lt, hash) like a
 * chain client. Bodies come from a BodyFactory, so the same traffic can carry the real message encodings.
 * Only BOC bytes are kept in memory; every page request parses them again, as a client would.
 */
import { Address, type Cell } from '@ton/core';
import { parseBoc, readTransaction } from '../../../node/chain/lean-boc';
import type { AccountKind } from '../../../indexer/api/types';
import type { Head, IngestChain, TxId } from '../../../indexer/ingest/ports';
import type { ChainTx } from '../../../indexer/ingest/types';
import { buildTransaction, type OutSpec } from './txbuild';
import { bufferToBigInt } from '../../../wrappers/uint256';

/** Message bodies of the flows the generator produces. */
export interface BodyFactory {
    clientTopUp(queryId: bigint, amount: bigint): Cell;
    clientCharge(queryId: bigint, newTokens: bigint, client: Address): Cell;
    clientToProxyNotify(queryId: bigint, owner: Address): Cell;
    workerPayout(queryId: bigint, newTokens: bigint, worker: Address): Cell;
    workerToProxyPayout(queryId: bigint, owner: Address, tokens: bigint, workerPart: bigint, proxyPart: bigint): Cell;
    proxyPayoutRequest(queryId: bigint): Cell;
    saveState(seqno: number): Cell;
    payout(queryId: bigint): Cell;
    excesses(queryId: bigint): Cell;
}

interface StoredTx {
    lt: bigint;
    hash: string;
    seqno: number;
    boc: Buffer;
}

interface SynthAccount {
    address: Address;
    raw: string;
    kind: AccountKind | null;
    txs: StoredTx[];
    parent: string | null;
}

export interface NetworkShape {
    proxies: number;
    clients: number;
    workers: number;
    /** Total transactions to generate on network contracts. */
    transactions: number;
    txPerBlock: number;
    startUtime: number;
    /** Seconds between blocks. */
    blockSeconds: number;
    seed: number;
}

export const DEFAULT_SHAPE: NetworkShape = {
    proxies: 20,
    clients: 2000,
    workers: 400,
    transactions: 100_000,
    txPerBlock: 40,
    startUtime: 1_767_225_600,
    blockSeconds: 5,
    seed: 7,
};

/** Deterministic PRNG (mulberry32), so runs generate the same network. */
function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const addrOf = (n: number) => Address.parseRaw(`0:${n.toString(16).padStart(64, '0')}`);

export class SyntheticChain implements IngestChain {
    readonly accounts = new Map<string, SynthAccount>();
    readonly root: SynthAccount;
    readonly proxies: SynthAccount[] = [];
    readonly clients: SynthAccount[] = [];
    readonly workers: SynthAccount[] = [];
    readonly wallets: SynthAccount[] = [];
    private byBlock = new Map<number, Set<string>>();
    seqno = 1;
    utime: number;
    private lt = 10_000_000n;
    private rand: () => number;
    private qid = 1n;
    private tokens = new Map<string, bigint>();
    private inBlock = 0;
    networkTxs = 0;
    /** Wall-clock time each block was produced (for head-lag measurement). */
    readonly blockTimes = new Map<number, number>();

    constructor(
        readonly shape: NetworkShape,
        private bodies: BodyFactory,
    ) {
        this.rand = rng(shape.seed);
        this.utime = shape.startUtime;
        this.root = this.add(1, 'root', null);
        for (let i = 0; i < shape.proxies; i++) this.proxies.push(this.add(1000 + i, 'proxy', this.root.raw));
        for (let i = 0; i < shape.clients; i++) this.clients.push(this.add(100_000 + i, 'client', this.proxies[i % shape.proxies].raw));
        for (let i = 0; i < shape.workers; i++) this.workers.push(this.add(200_000 + i, 'worker', this.proxies[i % shape.proxies].raw));
        for (let i = 0; i < shape.proxies + 10; i++) this.wallets.push(this.add(300_000 + i, null, null));
        this.blockTimes.set(this.seqno, Date.now());
    }

    private add(n: number, kind: AccountKind | null, parent: string | null): SynthAccount {
        const address = addrOf(n);
        const a: SynthAccount = { address, raw: address.toRawString(), kind, txs: [], parent };
        this.accounts.set(a.raw, a);
        return a;
    }

    kindOf(raw: string): AccountKind | null {
        return this.accounts.get(raw)?.kind ?? null;
    }

    parentOf(raw: string): string | null {
        return this.accounts.get(raw)?.parent ?? null;
    }

    private push(acc: SynthAccount, spec: { src?: Address; value?: bigint; body: Cell; success?: boolean; out?: OutSpec[] }): void {
        const prev = acc.txs[acc.txs.length - 1];
        this.lt += 1000n;
        const tx = buildTransaction({
            account: acc.address,
            lt: this.lt,
            now: this.utime,
            prevLt: prev?.lt ?? 0n,
            prevHash: prev ? bufferToBigInt(Buffer.from(prev.hash, 'hex')) : 0n,
            deploy: !prev,
            ...spec,
        });
        acc.txs.push({ lt: tx.lt, hash: tx.hash().toString('hex'), seqno: this.seqno, boc: tx.raw.toBoc({ idx: false, crc32: false }) });
        let set = this.byBlock.get(this.seqno);
        if (!set) this.byBlock.set(this.seqno, (set = new Set()));
        set.add(acc.raw);
        if (acc.kind) this.networkTxs++;
        if (++this.inBlock >= this.shape.txPerBlock) this.mine();
    }

    mine(): void {
        this.seqno++;
        this.utime += this.shape.blockSeconds;
        this.inBlock = 0;
        this.blockTimes.set(this.seqno, Date.now());
    }

    private pick<T>(items: T[]): T {
        return items[Math.floor(this.rand() * items.length)];
    }

    /** Adds one user-level action (one to three transactions). */
    step(): void {
        const r = this.rand();
        const fail = this.rand() < 0.03;
        const q = this.qid++;
        const b = this.bodies;
        if (r < 0.3) {
            const c = this.pick(this.clients);
            const proxy = this.accounts.get(c.parent!)!;
            const owner = this.wallets[this.clients.indexOf(c) % this.wallets.length];
            const amount = 1_000_000_000n + BigInt(Math.floor(this.rand() * 1e9));
            this.push(c, {
                src: owner.address,
                value: amount + 100_000_000n,
                body: b.clientTopUp(q, amount),
                success: !fail,
                out: [{ dest: proxy.address, value: amount, body: b.clientToProxyNotify(q, owner.address) }],
            });
            if (!fail)
                this.push(proxy, {
                    src: c.address,
                    value: amount,
                    body: b.clientToProxyNotify(q, owner.address),
                    out: [{ dest: owner.address, value: 1_000_000n, body: b.excesses(q), bounce: false }],
                });
        } else if (r < 0.65) {
            const c = this.pick(this.clients);
            const proxy = this.accounts.get(c.parent!)!;
            const next = (this.tokens.get(c.raw) ?? 0n) + 1000n + BigInt(Math.floor(this.rand() * 50_000));
            this.push(c, {
                value: 0n,
                body: b.clientCharge(q, next, c.address),
                success: !fail,
                out: [{ dest: proxy.address, value: 100_000_000n, body: b.clientToProxyNotify(q, c.address) }],
            });
            if (!fail) {
                this.tokens.set(c.raw, next);
                this.push(proxy, { src: c.address, value: 100_000_000n, body: b.clientToProxyNotify(q, c.address) });
            }
        } else if (r < 0.85) {
            const w = this.pick(this.workers);
            const proxy = this.accounts.get(w.parent!)!;
            const owner = this.wallets[this.workers.indexOf(w) % this.wallets.length];
            const prev = this.tokens.get(w.raw) ?? 0n;
            const next = prev + 10_000n + BigInt(Math.floor(this.rand() * 500_000));
            const delta = next - prev;
            this.push(w, {
                value: 500_000_000n,
                body: b.workerPayout(q, next, w.address),
                success: !fail,
                out: [
                    {
                        dest: proxy.address,
                        value: 400_000_000n,
                        body: b.workerToProxyPayout(q, owner.address, next, delta * 10n, delta * 10n),
                    },
                ],
            });
            if (!fail) {
                this.tokens.set(w.raw, next);
                this.push(proxy, {
                    src: w.address,
                    value: 400_000_000n,
                    body: b.workerToProxyPayout(q, owner.address, next, delta * 10n, delta * 10n),
                    out: [{ dest: owner.address, value: delta * 10n, body: b.payout(q), bounce: false }],
                });
            }
        } else if (r < 0.9) {
            const p = this.pick(this.proxies);
            const owner = this.wallets[this.proxies.indexOf(p)];
            this.push(p, {
                src: owner.address,
                value: 200_000_000n,
                body: b.proxyPayoutRequest(q),
                success: !fail,
                out: [{ dest: owner.address, value: 1_000_000_000n, body: b.payout(q), bounce: false }],
            });
        } else {
            const i = Math.floor(this.rand() * this.proxies.length);
            this.push(this.proxies[i], { src: this.wallets[i].address, value: 1n, body: b.saveState(Number(q)) });
        }
    }

    /** Generates traffic until `count` more network transactions exist, then closes the block. */
    generate(count: number): void {
        const target = this.networkTxs + count;
        while (this.networkTxs < target) this.step();
        this.mine();
    }

    // IngestChain

    async head(): Promise<Head> {
        return { seqno: this.seqno, utime: this.utime };
    }

    async lastTx(address: string, seqno: number): Promise<TxId | null> {
        const txs = this.accounts.get(address)?.txs ?? [];
        for (let i = txs.length - 1; i >= 0; i--) if (txs[i].seqno <= seqno) return { lt: txs[i].lt, hash: txs[i].hash };
        return null;
    }

    async transactions(address: string, from: TxId, limit: number): Promise<ChainTx[]> {
        const txs = this.accounts.get(address)?.txs ?? [];
        let i = txs.length - 1;
        while (i >= 0 && !(txs[i].lt === from.lt && txs[i].hash === from.hash)) i--;
        if (i < 0) throw new Error(`transaction ${from.lt}:${from.hash} not found on ${address}`);
        const out: ChainTx[] = [];
        for (let j = i; j >= 0 && out.length < limit; j--) {
            const s = txs[j];
            const tx = readTransaction(parseBoc(s.boc)[0]);
            out.push({ account: address, lt: s.lt, hash: s.hash, utime: tx.now, seqno: s.seqno, tx });
        }
        return out;
    }

    async blockAccounts(seqno: number): Promise<string[]> {
        return [...(this.byBlock.get(seqno) ?? [])];
    }
}
