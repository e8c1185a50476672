/**
 * The ingest loop. One cycle: read the head, find accounts with new transactions (block scan and/or
 * polling), page each account's new transactions back to its cursor, decode them, follow their message
 * peers to discover more accounts, and write everything in batches (store.ts) together with refreshed
 * states and cursors.
 */
import { Address } from '@ton/core';
import { eq, sql } from 'drizzle-orm';
import { rows, type Db } from '../db/client';
import { accounts, clients, codeHashes, cursors, proxies, workers } from '../db/schema';
import { IndexerError } from '../errors';
import type { Logger } from '../../node/common/log';
import type { AccountKind } from '../domain';
import { Progress } from './progress';
import type { Decoder, Head, IngestChain, StateReader, TxId } from './ports';
import { insertAccounts, writeBatch, writeSourceCursor, type Batch, type BatchTx } from './store';
import type { AccountState, KnownAccount, RootChange, TxMeta } from './types';
import { uint256Hex } from '../../wrappers/uint256';

export interface EngineOptions {
    db: Db;
    chain: IngestChain;
    decoder: Decoder;
    states: StateReader;
    rootAddress: string;
    log: Logger;
    /** Blocks behind the head before a transaction counts as final (TON masterchain blocks are final: 0). */
    confirmations?: number;
    /** Transactions per database transaction. */
    batchSize?: number;
    /** Transactions per chain request. */
    pageSize?: number;
    /** Scan blocks for new contracts (needs IngestChain.blockAccounts). */
    scanBlocks?: boolean;
    /** First block to scan when there is no cursor yet (mainnet/testnet start point). */
    startSeqno?: number;
    /** Ignore transactions older than this unix time when backfilling a new account (start point). */
    startUtime?: number;
    /** Max blocks scanned per cycle, so one cycle stays short and progress gets committed. */
    maxBlocksPerCycle?: number;
    /** Parallel chain requests while fetching accounts. */
    concurrency?: number;
    /** Called after each committed batch (the API's live stream listens). */
    onCommit?: () => void;
    /** Overlap writing a batch with decoding the next (PostgreSQL; PGlite runs on the same thread anyway). */
    pipelineWrites?: boolean;
    /** Is this a root message that changes the root configuration? (from the message catalogue) */
    isRootConfigChange?: (opName: string | null) => boolean;
}

export interface CycleResult {
    head: Head;
    finalSeqno: number;
    transactions: number;
    finalTransactions: number;
    events: number;
    newAccounts: number;
    accountsChecked: number;
}

/** A decoded transaction kept until its batch is written (the raw transaction is dropped early to bound memory). */
interface Pending {
    account: KnownAccount;
    chain: TxMeta;
    decoded: BatchTx['decoded'];
}

export class IngestEngine {
    private known = new Map<string, KnownAccount>();
    private codeKinds = new Map<string, { kind: AccountKind; paramsVersion: number }>();
    /** Rejected after a full check (as a message peer: child code, wallet code, parent linkage). */
    private notOurs = new Set<string>();
    /** Rejected by the block scan, which accepts known child code only; a message may still reveal a wallet. */
    private notChild = new Set<string>();
    private cursorOf = new Map<string, TxId>();
    /** Accounts with pending rows at the start of this cycle (only those need their pending rows replaced). */
    private withPending = new Set<string>();
    private cycles = 0;
    private stopped = false;
    private loop: Promise<void> | null = null;
    private wake: (() => void) | null = null;
    readonly opts: Required<Omit<EngineOptions, 'startSeqno' | 'startUtime' | 'onCommit' | 'isRootConfigChange' | 'pipelineWrites'>> &
        Pick<EngineOptions, 'startSeqno' | 'startUtime' | 'onCommit' | 'isRootConfigChange' | 'pipelineWrites'>;

    constructor(opts: EngineOptions) {
        this.opts = {
            confirmations: 0,
            batchSize: 2000,
            pageSize: 100,
            scanBlocks: true,
            maxBlocksPerCycle: 2000,
            concurrency: 4,
            ...opts,
            // Every address in the database is raw; accept any form from callers.
            rootAddress: Address.parse(opts.rootAddress).toRawString(),
        };
    }

    get knownAccounts(): ReadonlyMap<string, KnownAccount> {
        return this.known;
    }

    /** Loads what previous runs stored: known accounts, code hashes, cursors. */
    async init(): Promise<void> {
        const { db } = this.opts;
        this.known.clear();
        const prices = new Map<string, { price: bigint | null; fee: bigint | null }>();
        for (const p of await db.select({ a: proxies.address, price: proxies.pricePerToken, fee: proxies.workerFeePerToken }).from(proxies))
            prices.set(p.a, { price: p.price, fee: p.fee });
        for (const c of await db.select({ a: clients.address, price: clients.pricePerToken }).from(clients))
            prices.set(c.a, { price: c.price, fee: null });
        for (const w of await db.select({ a: workers.address, fee: workers.workerFeePerToken }).from(workers))
            prices.set(w.a, { price: null, fee: w.fee });
        for (const a of await db.select().from(accounts)) {
            const p = prices.get(a.address);
            this.known.set(a.address, {
                address: a.address,
                kind: a.kind as AccountKind,
                codeHash: a.codeHash,
                paramsVersion: a.paramsVersion,
                parent: a.parent,
                owner: a.owner,
                pricePerToken: p?.price ?? null,
                workerFeePerToken: p?.fee ?? null,
            });
        }
        for (const c of await db.select().from(codeHashes))
            this.codeKinds.set(c.codeHash, { kind: c.kind as AccountKind, paramsVersion: c.paramsVersion });
        for (const c of await db.select().from(cursors)) {
            if (c.source.startsWith('account:') && c.lt !== null && c.hash)
                this.cursorOf.set(c.source.slice(8), { lt: c.lt, hash: c.hash });
        }
        if (!this.known.has(this.opts.rootAddress)) {
            const root: KnownAccount = {
                address: this.opts.rootAddress,
                kind: 'root',
                codeHash: null,
                paramsVersion: null,
                parent: null,
                owner: null,
                pricePerToken: null,
                workerFeePerToken: null,
            };
            await insertAccounts(db, [{ ...root, discoveredVia: 'config' }]);
            this.known.set(root.address, root);
        }
    }

    /** One pass from the stored cursors to the current head. */
    async runOnce(): Promise<CycleResult> {
        const { db, chain, log, confirmations } = this.opts;
        if (this.cycles === 0 && this.known.size === 0) await this.init();
        const head = await chain.head();
        const finalSeqno = Math.max(0, head.seqno - confirmations);
        await writeSourceCursor(db, { source: 'head', seqno: head.seqno, utime: head.utime });

        const result: CycleResult = {
            head,
            finalSeqno,
            transactions: 0,
            finalTransactions: 0,
            events: 0,
            newAccounts: 0,
            accountsChecked: 0,
        };
        // Child code hashes must be known before the block scan judges unknown accounts.
        const root = this.known.get(this.opts.rootAddress)!;
        const rootState = await this.opts.states.read(root, head.seqno);
        this.learnCodes(rootState);
        const candidates = await this.candidates(head, result);
        // Root first (its params give child code hashes), then proxies (their messages reveal clients and workers).
        const rank: Record<AccountKind, number> = { root: 0, proxy: 1, client: 2, worker: 2, registry: 2, wallet: 3 };
        const queue = [...candidates].sort((a, b) => rank[this.known.get(a)!.kind] - rank[this.known.get(b)!.kind]);
        const queued = new Set(queue);

        let batch: Pending[] = [];
        let batchAccounts = new Set<string>();
        const withPending = this.withPending;
        // Pending rows of an account are replaced once per cycle, by the first batch that carries its transactions.
        const cleared = new Set<string>();
        let states: AccountState[] = [];
        let rootChanges: (RootChange & { root: string; pending: boolean })[] = [];
        // With PostgreSQL the database works in its own process: writing batch N while decoding batch N+1
        // overlaps the two. Batches still commit in order (one write in flight at a time).
        let inflight: Promise<void> | null = null;
        const flush = async () => {
            if (!batch.length && !states.length) return;
            const taken = batch;
            const b: Batch = {
                txs: taken.map((p) => ({
                    account: p.account,
                    chain: p.chain,
                    decoded: p.decoded,
                    pending: (p.chain.seqno ?? 0) > finalSeqno,
                })),
                accounts: [...batchAccounts].filter((a) => !cleared.has(a) && withPending.has(a)),
                states,
                rootChanges,
            };
            for (const a of b.accounts) cleared.add(a);
            batch = [];
            batchAccounts = new Set();
            states = [];
            rootChanges = [];
            if (inflight) await inflight;
            const write = (async () => {
                const r = await writeBatch(db, b);
                for (const p of taken)
                    if ((p.chain.seqno ?? 0) <= finalSeqno) this.cursorOf.set(p.account.address, { lt: p.chain.lt, hash: p.chain.hash });
                result.transactions += r.transactions;
                result.finalTransactions += r.final;
                result.events += r.events;
                progress.report(queue.length, accountsDone, result.transactions);
                this.opts.onCommit?.();
            })();
            if (this.opts.pipelineWrites) {
                inflight = write;
                // Reported when awaited (next flush or end of cycle); never left unhandled meanwhile.
                write.catch(() => undefined);
            } else {
                await write;
            }
        };

        const progress = new Progress(log, 'ingest');
        let accountsDone = 0;
        const prefetch = new Map<string, Promise<{ state: AccountState; txs: Pending[]; changes: RootChange[] } | null>>();
        const fetchAccount = (address: string) => {
            let p = prefetch.get(address);
            if (!p) prefetch.set(address, (p = this.fetchAccount(address, head, finalSeqno)));
            return p;
        };
        for (let i = 0; i < queue.length; i++) {
            // Keep a few accounts in flight so chain latency overlaps decoding and writing.
            for (let j = i + 1; j < Math.min(queue.length, i + this.opts.concurrency); j++)
                void fetchAccount(queue[j]).catch(() => undefined);
            const address = queue[i];
            const got = await fetchAccount(address);
            prefetch.delete(address);
            result.accountsChecked++;
            accountsDone = i + 1;
            progress.report(queue.length, accountsDone, result.transactions);
            if (!got) continue;
            const acc = this.known.get(address)!;
            const peers = new Set<string>();
            for (const p of got.txs)
                for (const peer of p.decoded.peers) if (!this.known.has(peer) && !this.notOurs.has(peer)) peers.add(peer);
            const found = await this.discover([...peers], head.seqno, true);
            result.newAccounts += found.length;
            for (const f of found) {
                if (!queued.has(f)) {
                    queued.add(f);
                    queue.push(f);
                }
            }
            for (const p of got.txs) {
                batch.push(p);
                if (batch.length >= this.opts.batchSize) {
                    batchAccounts.add(address);
                    await flush();
                }
            }
            batchAccounts.add(address);
            states.push(got.state);
            for (const c of got.changes) rootChanges.push({ ...c, root: address, pending: false });
            if (acc.kind === 'root') {
                this.learnCodes(got.state);
                for (const c of got.changes) this.learnCodesFrom(c.config);
            }
            if (batch.length >= this.opts.batchSize) await flush();
        }
        await flush();
        if (inflight) await inflight;
        progress.done(queue.length, result.transactions, head.seqno);
        await writeSourceCursor(db, { source: 'final', seqno: finalSeqno, utime: confirmations === 0 ? head.utime : null });
        this.cycles++;
        log.debug('cycle', { ...result, head: head.seqno });
        return result;
    }

    /** Accounts to look at this cycle. */
    private async candidates(head: Head, result: CycleResult): Promise<Set<string>> {
        const { db, chain, scanBlocks } = this.opts;
        const out = new Set<string>();
        const pendingRows = await rows<{ account: string }>(db, sql`select distinct account from transactions where pending`);
        this.withPending = new Set(pendingRows.map((r) => r.account));
        for (const r of pendingRows) out.add(r.account);
        out.add(this.opts.rootAddress);
        const canScan = scanBlocks && !!chain.blockAccounts;
        if (canScan) {
            const [c] = await db.select().from(cursors).where(eq(cursors.source, 'blocks'));
            let from = c?.seqno != null ? c.seqno + 1 : (this.opts.startSeqno ?? 1);
            const to = Math.min(head.seqno, from + this.opts.maxBlocksPerCycle - 1);
            const scanned = new Set<string>();
            let supported = true;
            for (; from <= to; from++) {
                const accts = await chain.blockAccounts!(from);
                if (accts === null) {
                    supported = false;
                    break;
                }
                for (const a of accts) scanned.add(a);
            }
            if (supported) {
                const unknown = [...scanned].filter((a) => !this.known.has(a) && !this.notOurs.has(a) && !this.notChild.has(a));
                result.newAccounts += (await this.discover(unknown, head.seqno, false)).length;
                for (const a of scanned) if (this.known.has(a)) out.add(a);
                await writeSourceCursor(db, { source: 'blocks', seqno: to, utime: to === head.seqno ? head.utime : null });
                // The first cycle checks everything: the scan only covers blocks after the cursor.
                if (this.cycles > 0) return out;
            }
        }
        for (const a of this.known.keys()) out.add(a);
        return out;
    }

    /** Classifies unknown addresses and stores the ones that are ours. */
    private async discover(addresses: string[], seqno: number, viaMessage: boolean): Promise<string[]> {
        if (!addresses.length) return [];
        const found: string[] = [];
        const ctx = { root: this.opts.rootAddress, codeKinds: this.codeKinds, known: this.known, viaMessage };
        const results = await mapLimit(addresses, this.opts.concurrency, (a) => this.opts.states.classify(a, seqno, ctx));
        const toInsert = [];
        for (let i = 0; i < addresses.length; i++) {
            const c = results[i];
            if (!c) {
                (viaMessage ? this.notOurs : this.notChild).add(addresses[i]);
                continue;
            }
            this.known.set(c.address, c);
            found.push(c.address);
            toInsert.push(c);
        }
        await insertAccounts(this.opts.db, toInsert);
        if (toInsert.length)
            this.opts.log.info('discovered', {
                count: toInsert.length,
                kinds: countBy(toInsert.map((t) => t.kind)),
                via: toInsert[0].discoveredVia,
            });
        return found;
    }

    private learnCodes(state: AccountState): void {
        if (state.kindState?.kind === 'root') this.learnCodesFrom(state.kindState.config);
    }

    private learnCodesFrom(config: {
        proxyCodeHash: string | null;
        workerCodeHash: string | null;
        clientCodeHash: string | null;
        paramsVersion: number;
    }): void {
        let added = false;
        const add = (h: string | null, kind: AccountKind) => {
            if (h && !this.codeKinds.has(h)) {
                this.codeKinds.set(h, { kind, paramsVersion: config.paramsVersion });
                added = true;
            }
        };
        add(config.proxyCodeHash, 'proxy');
        add(config.workerCodeHash, 'worker');
        add(config.clientCodeHash, 'client');
        // A new code hash may make earlier rejections wrong.
        if (added) {
            this.notOurs.clear();
            this.notChild.clear();
        }
    }

    /** New transactions of one account since its cursor (ascending), decoded, plus its state at the head. */
    private async fetchAccount(
        address: string,
        head: Head,
        finalSeqno: number,
    ): Promise<{ state: AccountState; txs: Pending[]; changes: RootChange[] } | null> {
        const { chain, states, decoder, pageSize } = this.opts;
        const acc = this.known.get(address);
        if (!acc) return null;
        const last = await chain.lastTx(address, head.seqno);
        const cursor = this.cursorOf.get(address);
        const hasPending = this.withPending.has(address);
        if (!last || (cursor && last.lt === cursor.lt && last.hash === cursor.hash && !hasPending)) {
            // Nothing new; a never-seen account still gets its state stored once.
            if (acc.kind !== 'root' && this.cycles > 0) return null;
            const state = await states.read(acc, head.seqno);
            this.applyState(acc, state);
            return { state, txs: [], changes: [] };
        }
        const newestFirst: Pending[] = [];
        let from: TxId | null = last;
        while (from) {
            const page = await chain.transactions(address, from, pageSize);
            if (!page.length) break;
            let reached = false;
            for (const t of page) {
                if (cursor && t.lt <= cursor.lt) {
                    reached = true;
                    break;
                }
                if (this.opts.startUtime !== undefined && t.utime < this.opts.startUtime) {
                    reached = true;
                    break;
                }
                newestFirst.push({
                    account: acc,
                    chain: { account: t.account, lt: t.lt, hash: t.hash, utime: t.utime, seqno: t.seqno },
                    decoded: decoder.decode(t, acc),
                });
            }
            const oldest = page[page.length - 1].tx;
            // Only the chain of prev links says where history ends: servers cap pages at their own size.
            if (reached || oldest.prevTransactionLt === 0n) break;
            from = { lt: oldest.prevTransactionLt, hash: uint256Hex(oldest.prevTransactionHash) };
        }
        if (cursor && newestFirst.length && newestFirst[newestFirst.length - 1].chain.lt <= cursor.lt) {
            throw new IndexerError('CURSOR_GAP', `account ${address}: paging passed the cursor`);
        }
        const txs = newestFirst.reverse();
        const state = await states.read(acc, head.seqno);
        this.applyState(acc, state);
        const changes: RootChange[] = [];
        if (acc.kind === 'root') {
            const changing = txs.filter(
                (p) =>
                    p.decoded.success &&
                    (p.chain.seqno ?? 0) <= finalSeqno &&
                    (!this.opts.isRootConfigChange || this.opts.isRootConfigChange(p.decoded.opName) || p.decoded.deployed),
            );
            const label = (p: Pending) => p.decoded.opName ?? (p.decoded.deployed ? 'deploy' : 'unknown');
            if (states.historical) {
                // The chain keeps old states: each change gets the configuration right after it.
                for (const p of changing) {
                    const at = await states.read(acc, p.chain.seqno ?? head.seqno);
                    if (at.kindState?.kind === 'root')
                        changes.push({
                            lt: p.chain.lt,
                            hash: p.chain.hash,
                            utime: p.chain.utime,
                            change: label(p),
                            config: at.kindState.config,
                        });
                }
            } else if (changing.length && state.kindState?.kind === 'root') {
                // Only the current state is readable (the local chain): changes seen in one cycle share one entry.
                const last = changing[changing.length - 1];
                changes.push({
                    lt: last.chain.lt,
                    hash: last.chain.hash,
                    utime: last.chain.utime,
                    change: changing.map(label).join(','),
                    config: state.kindState.config,
                });
            }
        }
        return { state, txs, changes };
    }

    /** Keeps the in-memory view (prices, parent, owner) in step with the state just read. */
    private applyState(acc: KnownAccount, state: AccountState): void {
        const k = state.kindState;
        if (!k) return;
        if (k.kind === 'proxy')
            Object.assign(acc, {
                owner: k.owner,
                parent: k.root,
                paramsVersion: k.paramsVersion,
                pricePerToken: k.pricePerToken,
                workerFeePerToken: k.workerFeePerToken,
            });
        if (k.kind === 'client')
            Object.assign(acc, { owner: k.owner, parent: k.proxy, paramsVersion: k.paramsVersion, pricePerToken: k.pricePerToken });
        if (k.kind === 'worker')
            Object.assign(acc, { owner: k.owner, parent: k.proxy, paramsVersion: k.paramsVersion, workerFeePerToken: k.workerFeePerToken });
        if (state.codeHash) acc.codeHash = state.codeHash;
    }

    /** Runs cycles until stop(): back-to-back while behind, every `pollMs` once caught up. */
    start(pollMs = 1000): void {
        if (this.loop) return;
        this.stopped = false;
        this.loop = (async () => {
            while (!this.stopped) {
                try {
                    const r = await this.runOnce();
                    if (r.transactions > 0)
                        this.opts.log.info('cycle', {
                            head: r.head.seqno,
                            final: r.finalSeqno,
                            tx: r.transactions,
                            events: r.events,
                            newAccounts: r.newAccounts,
                        });
                } catch (err) {
                    this.opts.log.error('ingest cycle failed; retrying', { err: (err as Error).message, code: (err as IndexerError).code });
                }
                if (this.stopped) break;
                await new Promise<void>((resolve) => {
                    const t = setTimeout(resolve, pollMs);
                    this.wake = () => {
                        clearTimeout(t);
                        resolve();
                    };
                });
                this.wake = null;
            }
        })();
    }

    async stop(): Promise<void> {
        this.stopped = true;
        this.wake?.();
        await this.loop;
        this.loop = null;
    }
}

function countBy(items: string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const i of items) out[i] = (out[i] ?? 0) + 1;
    return out;
}

export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const out = new Array<R>(items.length);
    let next = 0;
    const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await fn(items[i]);
        }
    });
    await Promise.all(workers);
    return out;
}
