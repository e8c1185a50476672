/**
 * The ingest ports over node/chain's ChainClient (ton-api-v4 or toncenter v2, whatever the URL says).
 * ChainClient serves the latest account state only and no block number per transaction, so block numbers
 * come from the block scan when it saw the transaction (needed for --confirmations), and states are current.
 */
import { Address } from '@ton/core';
import type { ChainClient } from '../../node/chain';
import type { Classification, ClassifyContext, Head, IngestChain, StateReader, TxId } from './ports';
import { KindParsing, type KindParsers } from './states';
import { fromCoreTransaction } from './txfacts';
import type { AccountState, ChainTx, KnownAccount } from './types';

const hex = (b: Buffer) => b.toString('hex');

export class ChainClientSource implements IngestChain {
    /** Block of each transaction seen by the block scan (hash hex -> seqno), bounded. */
    private blockOf = new Map<string, number>();
    private static readonly REMEMBER = 200_000;

    constructor(readonly client: ChainClient) {}

    head(): Promise<Head> {
        return this.client.head();
    }

    async lastTx(address: string): Promise<TxId | null> {
        const a = await this.client.account(Address.parse(address));
        return a.last ? { lt: a.last.lt, hash: hex(a.last.hash) } : null;
    }

    async transactions(address: string, from: TxId, limit: number): Promise<ChainTx[]> {
        const page = await this.client.transactions(Address.parse(address), {
            from: { lt: from.lt, hash: Buffer.from(from.hash, 'hex') },
            limit,
        });
        return page.map((t) => ({
            account: address,
            lt: t.lt,
            hash: hex(t.hash),
            utime: t.utime,
            seqno: this.blockOf.get(hex(t.hash)) ?? null,
            tx: fromCoreTransaction(t.tx),
        }));
    }

    async blockAccounts(seqno: number): Promise<string[] | null> {
        const txs = await this.client.blockTransactions(seqno);
        for (const t of txs) this.blockOf.set(hex(t.hash), seqno);
        if (this.blockOf.size > ChainClientSource.REMEMBER) {
            // Oldest entries first (Map keeps insertion order); their transactions are final by now.
            const drop = this.blockOf.size - ChainClientSource.REMEMBER;
            let i = 0;
            for (const k of this.blockOf.keys()) {
                if (i++ >= drop) break;
                this.blockOf.delete(k);
            }
        }
        return [...new Set(txs.map((t) => t.account))];
    }
}

export class ChainClientStateReader implements StateReader {
    readonly historical = false;
    private kinds: KindParsing;

    constructor(
        private client: ChainClient,
        parsers: KindParsers,
    ) {
        this.kinds = new KindParsing(parsers);
    }

    async read(acc: KnownAccount, seqno: number): Promise<AccountState> {
        const a = await this.client.account(Address.parse(acc.address));
        return {
            address: acc.address,
            status: a.state === 'uninit' && !a.last ? 'nonexist' : a.state,
            balance: a.balance,
            codeHash: a.code ? hex(a.code.hash()) : null,
            seqno,
            lastLt: a.last?.lt ?? null,
            kindState: this.kinds.parse(acc.kind, a.data, acc.address),
        };
    }

    async classify(address: string, _seqno: number, ctx: ClassifyContext): Promise<Classification | null> {
        const a = await this.client.account(Address.parse(address));
        const codeHash = a.code ? hex(a.code.hash()) : null;
        if (!codeHash || !this.kinds.isCandidate(codeHash, ctx)) return null;
        return this.kinds.classify(address, codeHash, a.data, ctx);
    }
}
