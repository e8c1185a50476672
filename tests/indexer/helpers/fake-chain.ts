/**
 * An in-memory chain for engine tests: accounts with real transaction cells, blocks with seqnos, paging
 * newest-first by (lt, hash) like the v4 API. Which accounts belong to the network is the test's choice.
 */
import { Address, beginCell, type Cell } from '@ton/core';
import type { AccountKind } from '../../../indexer/api/types';
import type { Head, IngestChain, TxId } from '../../../indexer/ingest/ports';
import type { ChainTx } from '../../../indexer/ingest/types';
import { fromCoreTransaction } from '../../../indexer/ingest/txfacts';
import { buildTransaction, type OutSpec } from './txbuild';
import { bufferToBigInt } from '../../../wrappers/uint256';

interface FakeAccount {
    address: Address;
    kind: AccountKind | null;
    txs: ChainTx[];
}

export class FakeChain implements IngestChain {
    readonly accounts = new Map<string, FakeAccount>();
    private byBlock = new Map<number, Set<string>>();
    seqno = 1;
    utime = 1_767_225_600;
    private lt = 1_000_000n;
    calls = 0;
    /** Throws on the n-th chain call (simulates a crash mid-backfill); null = never. */
    failAt: number | null = null;

    account(n: number, kind: AccountKind | null): Address {
        const address = Address.parseRaw(`0:${n.toString(16).padStart(64, '0')}`);
        this.accounts.set(address.toRawString(), { address, kind, txs: [] });
        return address;
    }

    /** Appends a transaction to the current block. */
    send(
        to: Address,
        body: Cell,
        opts: { src?: Address; value?: bigint; success?: boolean; out?: OutSpec[]; deploy?: boolean } = {},
    ): ChainTx {
        const acc = this.accounts.get(to.toRawString())!;
        const prev = acc.txs[acc.txs.length - 1];
        this.lt += 1000n;
        const tx = buildTransaction({
            account: to,
            lt: this.lt,
            now: this.utime,
            prevLt: prev?.lt ?? 0n,
            prevHash: prev ? bufferToBigInt(Buffer.from(prev.hash, 'hex')) : 0n,
            src: opts.src,
            value: opts.value,
            body,
            success: opts.success,
            out: opts.out,
            deploy: opts.deploy ?? !prev,
        });
        const chainTx: ChainTx = {
            account: to.toRawString(),
            lt: tx.lt,
            hash: tx.hash().toString('hex'),
            utime: tx.now,
            seqno: this.seqno,
            tx: fromCoreTransaction(tx),
        };
        acc.txs.push(chainTx);
        let inBlock = this.byBlock.get(this.seqno);
        if (!inBlock) this.byBlock.set(this.seqno, (inBlock = new Set()));
        inBlock.add(chainTx.account);
        return chainTx;
    }

    mine(): void {
        this.seqno++;
        this.utime += 5;
    }

    private tick(): void {
        this.calls++;
        if (this.failAt !== null && this.calls >= this.failAt) throw new Error('simulated crash');
    }

    async head(): Promise<Head> {
        this.tick();
        return { seqno: this.seqno, utime: this.utime };
    }

    async lastTx(address: string, seqno: number): Promise<TxId | null> {
        this.tick();
        const txs = this.accounts.get(address)?.txs ?? [];
        for (let i = txs.length - 1; i >= 0; i--) if ((txs[i].seqno ?? 0) <= seqno) return { lt: txs[i].lt, hash: txs[i].hash };
        return null;
    }

    async transactions(address: string, from: TxId, limit: number): Promise<ChainTx[]> {
        this.tick();
        const txs = this.accounts.get(address)?.txs ?? [];
        let i = txs.length - 1;
        // Pages walk backwards, so the starting transaction is usually near the end.
        while (i >= 0 && !(txs[i].lt === from.lt && txs[i].hash === from.hash)) i--;
        if (i < 0) throw new Error(`tx ${from.lt}:${from.hash} not found on ${address}`);
        return txs.slice(Math.max(0, i - limit + 1), i + 1).reverse();
    }

    async blockAccounts(seqno: number): Promise<string[]> {
        this.tick();
        return [...(this.byBlock.get(seqno) ?? [])];
    }

    totalTxs(filter: (kind: AccountKind | null) => boolean = (k) => k !== null): number {
        let n = 0;
        for (const acc of this.accounts.values()) if (filter(acc.kind)) n += acc.txs.length;
        return n;
    }
}

export const body = (op: number, value = 0n): Cell => beginCell().storeUint(op, 32).storeUint(0, 64).storeUint(value, 64).endCell();
