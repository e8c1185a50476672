/**
 * The proxy's save state (COCOON §3.4): what is metered goes to the signed store under a growing seqno
 * (`max` -> `db`), each stored seqno is noted on-chain by a 1-nanoTON save-state note from the proxy's
 * wallet, and a seqno whose note the chain shows makes its amounts signable (`db` -> `committed`).
 *
 * Each run is a session with a random hash. A note from our wallet with another session hash, newer than
 * our session's first note, means another copy of this proxy (a clone or a restored backup) is signing
 * with the same key: the proxy stops (ProxyFatalError CLONE) so no amount is signed twice.
 *
 * Opening restores the accounts and outdated-contract records from the store and replays the settle
 * journal's requests that finished after the store's last commit.
 */
import { randomBytes } from 'crypto';
import { mkdirSync } from 'fs';
import { join } from 'path';
import { Address, internal } from '@ton/core';
import type { ChainWallet } from '../chain';
import type { Logger } from '../common/log';
import { saveStateNote } from '../../wrappers/signed';
import { ProxyFatalError } from './config';
import { SettleJournal } from './journal';
import { accountFromRecord, type ClientAccount, type ProxyAccounts, type WorkerAccount } from './ledgers';
import type { OldContractRecord } from './migration';
import { ProxyStore } from './store';
import type { SaveStateSeen } from './watcher';
import { bufferToBigInt } from '../../wrappers/uint256';

/** A save-state note is a message, not a payment: the least the chain carries. */
const NOTE_VALUE = 1n;
/** How long a commit may take to show on-chain before the proxy gives up (session start, migration). */
const COMMIT_TIMEOUT_MS = 120_000;
const COMMIT_POLL_MS = 200;

/** The `chain` record: what the chain had confirmed, and the journal line the store already holds. */
interface ChainMeta {
    committedSeqno: number;
    journalSeq?: number;
}

export interface RestoredState {
    store: ProxyStore;
    journal: SettleJournal | null;
    outdated: OldContractRecord[];
    committedSeqno: number;
    journalSeq: number;
}

/**
 * Opens the store (PGlite in `<dataDir>/db`, PostgreSQL with `databaseUrl`, in memory without either) and
 * the settle journal (only with a data directory), and puts the stored accounts back into `accounts`.
 */
export async function restoreState(
    opts: { dataDir?: string; databaseUrl?: string; key: { publicKey: Buffer; secretKey: Buffer }; journalFsync?: boolean },
    accounts: ProxyAccounts,
    log: Logger,
): Promise<RestoredState> {
    const dir = opts.dataDir;
    if (dir) mkdirSync(dir, { recursive: true });
    const { store, state } = await ProxyStore.open({
        databaseUrl: opts.databaseUrl,
        dataDir: dir && !opts.databaseUrl ? join(dir, 'db') : undefined,
        key: opts.key,
    });
    const outdated: OldContractRecord[] = [];
    let meta: ChainMeta = { committedSeqno: 0 };
    for (const [key, value] of state.records) {
        const a = accountFromRecord(key, value);
        if (a) accounts.restore(a);
        else if (key.startsWith('old:')) outdated.push(value as OldContractRecord);
        else if (key === 'chain') meta = value as ChainMeta;
    }
    const journalSeq = meta.journalSeq ?? 0;
    let journal: SettleJournal | null = null;
    if (dir) {
        const opened = SettleJournal.open(join(dir, 'settle.journal'), opts.key.secretKey, journalSeq, { fsync: opts.journalFsync });
        journal = opened.journal;
        for (const e of opened.pending) {
            const c = accounts.client(Address.parse(e.client.owner), Address.parse(e.client.contract));
            const w = accounts.worker(Address.parse(e.worker.owner), Address.parse(e.worker.contract));
            c.ledger.add(e.tokens);
            w.ledger.add(e.tokens);
            c.dirty = w.dirty = true;
        }
        if (opened.pending.length) log.info('replayed requests finished after the last store commit', { requests: opened.pending.length });
    }
    return { store, journal, outdated, committedSeqno: meta.committedSeqno, journalSeq };
}

export interface SaveStateDeps {
    accounts: ProxyAccounts;
    wallet: ChainWallet;
    /** The contract the notes go to (a migration changes it). */
    contract(): Address;
    /** A chain commit made more of `a`'s tokens signable: tell its connected peers. */
    onSignable(a: ClientAccount | WorkerAccount): void;
    /** Another copy of this proxy is signing. */
    onFatal(e: ProxyFatalError): void;
}

export class SaveState {
    readonly sessionHash = bufferToBigInt(randomBytes(32));
    private sessionStartLt = 0n;
    private notedSeqno = 0;
    private committedSeqno: number;
    private sessionSeqno = 0;
    private committing: Promise<void> = Promise.resolve();
    /** Records other than accounts (outdated contracts) to write with the next commit. */
    private readonly extra = new Map<string, unknown>();
    readonly store: ProxyStore;
    readonly journal: SettleJournal | null;

    constructor(
        private readonly deps: SaveStateDeps,
        restored: RestoredState,
    ) {
        this.store = restored.store;
        this.journal = restored.journal;
        this.committedSeqno = restored.committedSeqno;
    }

    get seqnos(): { db: number; noted: number; committed: number; session: number } {
        return { db: this.store.seqno, noted: this.notedSeqno, committed: this.committedSeqno, session: this.sessionSeqno };
    }

    /** Writes `value` under `key` with the next commit. */
    persist(key: string, value: unknown): void {
        this.extra.set(key, value);
    }

    /** Durable before the client sees the end of its request: a kill -9 after this replays it. */
    journalFinished(client: ClientAccount, worker: WorkerAccount, tokens: bigint): void {
        this.journal?.append({
            client: { owner: client.ownerRaw, contract: client.contractRaw },
            worker: { owner: worker.ownerRaw, contract: worker.contractRaw },
            tokens,
        });
    }

    /** Writes every dirty account (every account when `force`) under a new seqno, atomically (COCOON all_to_db). */
    commitDb(force = false): Promise<void> {
        const run = this.committing.then(async () => {
            const accounts = this.deps.accounts.all();
            const dirty = new Map<string, unknown>();
            const seqno = this.store.seqno + 1;
            for (const a of accounts) {
                const grew = a.ledger.committedToDb(seqno);
                if (grew || a.dirty || force) dirty.set(a.key, a.record());
            }
            for (const [k, v] of this.extra) dirty.set(k, v);
            this.extra.clear();
            if (!dirty.size && !force) return;
            const journalSeq = this.journal?.lastSeq ?? 0;
            dirty.set('chain', { committedSeqno: this.committedSeqno, journalSeq } satisfies ChainMeta);
            for (const a of accounts) a.dirty = false;
            await this.store.commit(seqno, dirty);
            this.journal?.compact(journalSeq);
        });
        this.committing = run.catch(() => undefined);
        return run;
    }

    /** Sends the save-state note for the latest stored seqno. */
    async noteOnChain(): Promise<void> {
        const seqno = this.store.seqno;
        if (seqno <= this.notedSeqno) return;
        const body = saveStateNote(seqno, this.sessionHash, bufferToBigInt(randomBytes(8)));
        const tx = await this.deps.wallet.send([internal({ to: this.deps.contract(), value: NOTE_VALUE, bounce: false, body })]);
        if (this.sessionStartLt === 0n) this.sessionStartLt = tx.lt;
        this.notedSeqno = seqno;
    }

    /**
     * Starts a session on the current contract: a new seqno in the store, noted on-chain; resolves once the
     * chain shows it (`poll` reads the contract's transactions). After a migration the new contract has
     * seen no note yet, so everything stored is noted again.
     */
    async startSession(poll: () => Promise<unknown>, fatal: () => ProxyFatalError | null): Promise<void> {
        this.notedSeqno = 0;
        this.sessionSeqno = this.store.seqno + 1;
        await this.commitDb(true);
        await this.noteOnChain();
        await this.waitCommitted(
            this.sessionSeqno,
            poll,
            fatal,
            'the session start note did not appear on-chain within 120 s: check the chain endpoint and the wallet balance',
        );
    }

    /** Commits everything and waits until the chain confirms it (before a migration moves the ledgers). */
    async commitOnChain(poll: () => Promise<unknown>, fatal: () => ProxyFatalError | null): Promise<void> {
        await this.commitDb(true);
        await this.noteOnChain();
        await this.waitCommitted(this.store.seqno, poll, fatal, 'could not commit the ledgers on-chain before migrating');
    }

    private async waitCommitted(
        seqno: number,
        poll: () => Promise<unknown>,
        fatal: () => ProxyFatalError | null,
        timeoutMessage: string,
    ): Promise<void> {
        const deadline = Date.now() + COMMIT_TIMEOUT_MS;
        while (this.committedSeqno < seqno) {
            const f = fatal();
            if (f) throw f;
            if (Date.now() > deadline) throw new ProxyFatalError('SESSION', timeoutMessage);
            await poll();
            if (this.committedSeqno < seqno) await new Promise((r) => setTimeout(r, COMMIT_POLL_MS));
        }
    }

    /** The watcher saw a save-state note on the proxy contract. */
    onSaveState(n: SaveStateSeen): void {
        if (!n.from.equals(this.deps.wallet.address)) return; // anyone can send 1 nanoTON with this body; only ours count
        if (n.sessionHash !== this.sessionHash) {
            if (this.sessionStartLt !== 0n && n.lt > this.sessionStartLt) {
                this.deps.onFatal(
                    new ProxyFatalError(
                        'CLONE',
                        `a save-state note of another session (seqno ${n.seqno}) appeared after this session started: ` +
                            `another copy of this proxy (a clone or a restored backup) is running with the same wallet; ` +
                            `stopping so no amount is signed twice`,
                    ),
                );
            }
            return;
        }
        if (n.seqno > this.store.seqno) {
            return this.deps.onFatal(
                new ProxyFatalError('CLONE', `save-state note for seqno ${n.seqno} but the store is at ${this.store.seqno}: stopping`),
            );
        }
        if (n.seqno <= this.committedSeqno) return;
        this.committedSeqno = n.seqno;
        for (const a of this.deps.accounts.all()) {
            if (a.ledger.committedToBlockchain(n.seqno)) {
                a.dirty = true;
                this.deps.onSignable(a);
            }
        }
    }

    /** Flushes the journal's file handle and the store's connection. */
    async close(): Promise<void> {
        await this.store.close().catch(() => undefined);
        this.journal?.close();
    }
}
