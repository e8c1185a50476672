/**
 * The embedded local chain: one @ton/sandbox Blockchain, with transactions grouped into numbered blocks
 * and an index of its own (sandbox's getTransactions reverses its array in place and matches hashes by
 * reference, so it is never used). Time follows the wall clock plus an adjustable offset.
 */
import { createHash } from 'crypto';
import { Address, Cell, loadMessage, loadTransaction, type Transaction } from '@ton/core';
import { Blockchain, type BlockchainTransaction } from '@ton/sandbox';
import { ChainStore, type StoredBlock } from './persist';
import { uint256Bytes } from '../../wrappers/uint256';

export interface TxRecord {
    lt: bigint;
    hash: Buffer;
    /** Raw address "0:hex" of the account the transaction belongs to. */
    account: string;
    now: number;
    block: number;
    /** Transaction cell (the account's transaction, as on a real chain). */
    cell: Cell;
}

export interface BlockRecord {
    seqno: number;
    utime: number;
    txs: TxRecord[];
    rootHash: Buffer;
    fileHash: Buffer;
}

export class LocalChainError extends Error {
    constructor(
        readonly code: number,
        message: string,
    ) {
        super(message);
    }
}

export class LocalChain {
    private blocks: BlockRecord[] = [];
    private byAccount = new Map<string, TxRecord[]>(); // ascending lt
    private byHash = new Map<string, TxRecord>();
    private queue: Promise<unknown> = Promise.resolve();
    /** Seconds added to the wall clock (for close-delay demos). */
    timeOffset = 0;

    private constructor(
        readonly bc: Blockchain,
        private readonly store: ChainStore | null,
    ) {}

    static async open(opts: { dataDir?: string } = {}): Promise<LocalChain> {
        const bc = await Blockchain.create();
        bc.verbosity = { print: false, blockchainLogs: false, vmLogs: 'none', debugLogs: false };
        const store = opts.dataDir ? new ChainStore(opts.dataDir) : null;
        const chain = new LocalChain(bc, store);
        if (store) {
            const loaded = await store.load();
            if (loaded) {
                await bc.loadFrom(loaded.snapshot);
                chain.timeOffset = loaded.timeOffset;
                for (const b of loaded.blocks) chain.indexBlock(b);
            }
        }
        if (chain.blocks.length === 0) {
            const genesis: StoredBlock = { seqno: 1, utime: chain.now(), txs: [] };
            chain.indexBlock(genesis);
            await chain.persist(genesis);
        }
        return chain;
    }

    now(): number {
        return Math.floor(Date.now() / 1000) + this.timeOffset;
    }

    get lastBlock(): BlockRecord {
        return this.blocks[this.blocks.length - 1];
    }

    get firstBlock(): BlockRecord {
        return this.blocks[0];
    }

    block(seqno: number): BlockRecord | undefined {
        const first = this.blocks[0].seqno;
        return this.blocks[seqno - first];
    }

    /** Latest block whose time is <= utime. */
    blockByUtime(utime: number): BlockRecord | undefined {
        let lo = 0,
            hi = this.blocks.length - 1,
            found: BlockRecord | undefined;
        while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            if (this.blocks[mid].utime <= utime) {
                found = this.blocks[mid];
                lo = mid + 1;
            } else hi = mid - 1;
        }
        return found;
    }

    /** Serialises every state change: sandbox executes one message chain at a time. */
    private exclusive<T>(fn: () => Promise<T>): Promise<T> {
        const run = this.queue.then(fn, fn);
        this.queue = run.catch(() => undefined);
        return run;
    }

    /**
     * Runs an external (or internal) message and its whole chain of transactions, then seals them as
     * one block. Throws LocalChainError when an external message is not accepted.
     */
    sendMessage(message: Cell): Promise<BlockRecord> {
        return this.exclusive(async () => {
            this.bc.now = this.now();
            let txs: BlockchainTransaction[];
            try {
                txs = (await this.bc.sendMessage(message)).transactions;
            } catch (e) {
                throw new LocalChainError(500, `cannot apply external message to current state: ${(e as Error).message}`);
            } finally {
                this.dropSandboxTxLog();
            }
            return this.seal(txs);
        });
    }

    /**
     * What the public send endpoints (v4 `/send`, v2 `sendBoc`) accept: an external-in message, as a real
     * TON endpoint does. An internal message would run as if another contract had sent it (a forged root
     * owner action, a payout nobody signed); only in-process callers may inject those.
     */
    sendExternal(message: Cell): Promise<BlockRecord> {
        let type: string;
        try {
            type = loadMessage(message.beginParse()).info.type;
        } catch {
            return Promise.reject(new LocalChainError(400, 'boc is not a valid serialized message'));
        }
        if (type !== 'external-in') {
            return Promise.reject(
                new LocalChainError(
                    400,
                    `only external messages can be sent (got an ${type} message): sign it as a wallet's external message, ` +
                        `as on a real TON endpoint; contracts send internal messages to each other`,
                ),
            );
        }
        return this.sendMessage(message);
    }

    /** Funds an address from the sandbox treasury (the faucet). */
    fund(to: Address, amount: bigint, bounce = false): Promise<BlockRecord> {
        return this.exclusive(async () => {
            this.bc.now = this.now();
            const treasury = await this.bc.treasury('faucet', { balance: 10n ** 18n });
            const res = await treasury.send({ to, value: amount, bounce });
            this.dropSandboxTxLog();
            return this.seal(res.transactions);
        });
    }

    /** Moves chain time forward and seals an empty block at the new time, so readers see the new clock. */
    shiftTime(seconds: number): Promise<void> {
        return this.exclusive(async () => {
            this.timeOffset += seconds;
            this.bc.now = this.now();
            await this.seal([]);
        });
    }

    private async seal(txs: BlockchainTransaction[]): Promise<BlockRecord> {
        const seqno = this.lastBlock.seqno + 1;
        const stored: StoredBlock = {
            seqno,
            utime: this.bc.now ?? this.now(),
            txs: txs.map((tx) => ({ boc: tx.raw.toBoc().toString('base64') })),
        };
        const block = this.indexBlock(stored);
        await this.persist(stored);
        return block;
    }

    private async persist(block?: StoredBlock): Promise<void> {
        if (!this.store) return;
        if (block) await this.store.appendBlock(block);
        this.store.scheduleSnapshot(() =>
            this.exclusive(async () => ({ snapshot: this.bc.snapshot(), timeOffset: this.timeOffset, lastSeqno: this.lastBlock.seqno })),
        );
    }

    /** Sandbox keeps every transaction with its VM logs in memory; this chain keeps its own compact index. */
    private dropSandboxTxLog(): void {
        // `transactions` is protected in Blockchain's typings; clearing it is the only way to bound memory.
        (this.bc as unknown as { transactions: unknown[] }).transactions = [];
    }

    private indexBlock(b: StoredBlock): BlockRecord {
        const txs: TxRecord[] = b.txs.map((t) => {
            const cell = Cell.fromBase64(t.boc);
            const tx: Transaction = loadTransaction(cell.beginParse());
            return {
                lt: tx.lt,
                hash: cell.hash(),
                account: new Address(0, uint256Bytes(tx.address)).toRawString(),
                now: tx.now,
                block: b.seqno,
                cell,
            };
        });
        const header = Buffer.from(`${b.seqno}:${b.utime}:${txs.map((t) => t.hash.toString('hex')).join(',')}`);
        // Block hashes only need to be stable and unique: clients echo them back, nothing verifies them.
        const rootHash = createHash('sha256').update(header).digest();
        const fileHash = createHash('sha256').update(rootHash).digest();
        const rec: BlockRecord = { seqno: b.seqno, utime: b.utime, txs, rootHash, fileHash };
        this.blocks.push(rec);
        for (const t of txs) {
            let list = this.byAccount.get(t.account);
            if (!list) this.byAccount.set(t.account, (list = []));
            list.push(t);
            this.byHash.set(t.hash.toString('hex'), t);
        }
        return rec;
    }

    /** Transactions of an account, newest first, starting at (lt, hash) inclusive (or the newest). */
    transactions(account: Address, limit: number, from?: { lt: bigint; hash?: Buffer }): TxRecord[] {
        const list = this.byAccount.get(account.toRawString()) ?? [];
        let i = list.length - 1;
        if (from) {
            i = lastIndexAtOrBelow(list, from.lt);
            if (i < 0 || list[i].lt !== from.lt) return [];
            if (from.hash && !list[i].hash.equals(from.hash)) {
                throw new LocalChainError(
                    404,
                    `transaction ${from.lt}:${from.hash.toString('hex')} not found for ${account.toRawString()}`,
                );
            }
        }
        const out: TxRecord[] = [];
        for (; i >= 0 && out.length < limit; i--) out.push(list[i]);
        return out;
    }

    lastTransaction(account: Address): TxRecord | undefined {
        const list = this.byAccount.get(account.toRawString());
        return list?.[list.length - 1];
    }

    transactionByHash(hash: Buffer): TxRecord | undefined {
        return this.byHash.get(hash.toString('hex'));
    }

    /** All transactions of an account in lt order (for tryLocate*). */
    accountTransactions(account: Address): readonly TxRecord[] {
        return this.byAccount.get(account.toRawString()) ?? [];
    }

    async close(): Promise<void> {
        await this.queue;
        if (this.store) await this.store.flush();
    }
}

function lastIndexAtOrBelow(list: TxRecord[], lt: bigint): number {
    let lo = 0,
        hi = list.length - 1,
        ans = -1;
    while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].lt <= lt) {
            ans = mid;
            lo = mid + 1;
        } else hi = mid - 1;
    }
    return ans;
}
