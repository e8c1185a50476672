/**
 * ChainClient over toncenter v2 (TonClient). Note: TonClient cannot decode tuple results or pass tuple
 * arguments (a client-side limitation); prefer v4 endpoints for services that read Tact structs.
 */
import { Address, Cell, type Contract, type StateInit, type TupleItem } from '@ton/core';
import { TonClient } from '@ton/ton';
import { chainTx, pageTransactions, waitForTransaction } from './common';
import { ChainError } from './errors';
import { withRetry, type RetryPolicy } from './retry';
import type { AccountState, AccountSummary, BlockTx, ChainClient, ChainTx, TxId } from './types';

export class V2ChainClient implements ChainClient {
    readonly kind = 'v2' as const;
    private readonly client: TonClient;
    private readonly retry?: RetryPolicy;

    constructor(
        readonly url: string,
        opts: { apiKey?: string; timeoutMs?: number; retry?: RetryPolicy } = {},
    ) {
        this.client = new TonClient({ endpoint: url, apiKey: opts.apiKey, timeout: opts.timeoutMs ?? 15_000 });
        this.retry = opts.retry;
    }

    private call<T>(fn: (c: TonClient) => Promise<T>): Promise<T> {
        return withRetry(this.url, () => fn(this.client), this.retry);
    }

    async head() {
        const info = await this.call((c) => c.getMasterchainInfo());
        return { seqno: info.latestSeqno, utime: Math.floor(Date.now() / 1000) };
    }

    async account(address: Address): Promise<AccountState> {
        const s = await this.call((c) => c.getContractState(address));
        const last = s.lastTransaction ? { lt: BigInt(s.lastTransaction.lt), hash: Buffer.from(s.lastTransaction.hash, 'base64') } : null;
        const lastOrNull = last && last.lt !== 0n ? last : null;
        if (s.state === 'active') {
            return {
                state: 'active',
                balance: s.balance,
                code: s.code ? Cell.fromBoc(s.code)[0] : null,
                data: s.data ? Cell.fromBoc(s.data)[0] : null,
                last: lastOrNull,
            };
        }
        return { state: s.state === 'frozen' ? 'frozen' : 'uninit', balance: s.balance, code: null, data: null, last: lastOrNull };
    }

    async runGetMethod(address: Address, method: string, args: TupleItem[] = []) {
        try {
            return (await this.call((c) => c.runMethod(address, method, args))).stack;
        } catch (e) {
            const m = /exit_code: (-?\d+)/.exec((e as Error).message);
            if (m)
                throw new ChainError(
                    'GET_METHOD',
                    `get-method ${method} on ${address.toString()} exited with code ${m[1]}`,
                    undefined,
                    Number(m[1]),
                );
            throw e;
        }
    }

    provider(address: Address, init?: StateInit | null) {
        return this.client.provider(address, init ?? null);
    }

    open<T extends Contract>(contract: T) {
        return this.client.open(contract);
    }

    async sendExternal(message: Cell): Promise<void> {
        await this.call((c) => c.sendFile(message.toBoc()));
    }

    async accountSummary(address: Address): Promise<AccountSummary> {
        const { state, balance, last } = await this.account(address);
        return { state, balance, last };
    }

    async transactions(address: Address, opts: { from?: TxId; limit: number }): Promise<ChainTx[]> {
        const from = opts.from ?? (await this.accountSummary(address)).last;
        if (!from) return [];
        return pageTransactions(
            async (cursor) => {
                const page = await this.call((c) =>
                    c.getTransactions(address, {
                        limit: 100,
                        lt: cursor.lt.toString(),
                        hash: cursor.hash.toString('base64'),
                        inclusive: true,
                        archival: true,
                    }),
                );
                return page.map(chainTx);
            },
            from,
            opts.limit,
        );
    }

    async blockTransactions(seqno: number): Promise<BlockTx[]> {
        const shards = await this.call((c) => c.getWorkchainShards(seqno));
        const out: BlockTx[] = [];
        for (const s of shards) {
            const txs = await this.call((c) => c.getShardTransactions(s.workchain, s.seqno, s.shard));
            for (const t of txs) out.push({ account: t.account.toRawString(), lt: BigInt(t.lt), hash: Buffer.from(t.hash, 'base64') });
        }
        return out;
    }

    waitForTransaction(
        address: Address,
        match: (tx: ChainTx) => boolean,
        opts?: { afterLt?: bigint; timeoutMs?: number; pollMs?: number },
    ) {
        return waitForTransaction(this, address, match, opts);
    }
}
