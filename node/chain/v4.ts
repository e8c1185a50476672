/** ChainClient over ton-api-v4 (TonClient4): full get-method fidelity (tuples, optional structs). */
import { Address, Cell, type Contract, type StateInit, type TupleItem } from '@ton/core';
import { TonClient4 } from '@ton/ton';
import { chainTx, pageTransactions, waitForTransaction } from './common';
import { ChainError } from './errors';
import { withRetry, type RetryPolicy } from './retry';
import type { AccountState, AccountSummary, BlockTx, ChainClient, ChainTx, TxId } from './types';

export class V4ChainClient implements ChainClient {
    readonly kind = 'v4' as const;
    private readonly client: TonClient4;

    constructor(
        readonly url: string,
        opts: { timeoutMs?: number; retry?: RetryPolicy } = {},
    ) {
        this.client = new TonClient4({ endpoint: url, timeout: opts.timeoutMs ?? 15_000 });
        this.retry = opts.retry;
    }
    private readonly retry?: RetryPolicy;

    private call<T>(fn: (c: TonClient4) => Promise<T>): Promise<T> {
        return withRetry(this.url, () => fn(this.client), this.retry);
    }

    async head() {
        const b = await this.call((c) => c.getLastBlock());
        return { seqno: b.last.seqno, utime: b.now };
    }

    async account(address: Address): Promise<AccountState> {
        const { account } = await this.call(async (c) => c.getAccount((await c.getLastBlock()).last.seqno, address));
        const last = account.last ? { lt: BigInt(account.last.lt), hash: Buffer.from(account.last.hash, 'base64') } : null;
        const balance = BigInt(account.balance.coins);
        if (account.state.type === 'active') {
            return {
                state: 'active',
                balance,
                code: account.state.code ? Cell.fromBase64(account.state.code) : null,
                data: account.state.data ? Cell.fromBase64(account.state.data) : null,
                last,
            };
        }
        return { state: account.state.type === 'frozen' ? 'frozen' : 'uninit', balance, code: null, data: null, last };
    }

    async runGetMethod(address: Address, method: string, args: TupleItem[] = []) {
        const r = await this.call(async (c) => c.runMethod((await c.getLastBlock()).last.seqno, address, method, args));
        if (r.exitCode !== 0 && r.exitCode !== 1) {
            throw new ChainError(
                'GET_METHOD',
                `get-method ${method} on ${address.toString()} exited with code ${r.exitCode}`,
                undefined,
                r.exitCode,
            );
        }
        return r.reader;
    }

    provider(address: Address, init?: StateInit | null) {
        return this.client.provider(address, init ?? null);
    }

    open<T extends Contract>(contract: T) {
        return this.client.open(contract);
    }

    async sendExternal(message: Cell): Promise<void> {
        await this.call((c) => c.sendMessage(message.toBoc()));
    }

    async accountSummary(address: Address): Promise<AccountSummary> {
        // ton-api-v4's lite form: state, balance and last transaction, without the code and data cells.
        const { account } = await this.call(async (c) => c.getAccountLite((await c.getLastBlock()).last.seqno, address));
        return {
            state: account.state.type,
            balance: BigInt(account.balance.coins),
            last: account.last ? { lt: BigInt(account.last.lt), hash: Buffer.from(account.last.hash, 'base64') } : null,
        };
    }

    async transactions(address: Address, opts: { from?: TxId; limit: number }): Promise<ChainTx[]> {
        const from = opts.from ?? (await this.accountSummary(address)).last;
        if (!from) return [];
        return pageTransactions(
            async (cursor) => {
                const page = await this.call((c) => c.getAccountTransactions(address, cursor.lt, cursor.hash));
                return page.map((p) => chainTx(p.tx));
            },
            from,
            opts.limit,
        );
    }

    async blockTransactions(seqno: number): Promise<BlockTx[]> {
        const block = await this.call((c) => c.getBlock(seqno));
        return block.shards.flatMap((s) =>
            s.transactions.map((t) => ({
                account: Address.parse(t.account).toRawString(),
                lt: BigInt(t.lt),
                hash: Buffer.from(t.hash, 'base64'),
            })),
        );
    }

    waitForTransaction(
        address: Address,
        match: (tx: ChainTx) => boolean,
        opts?: { afterLt?: bigint; timeoutMs?: number; pollMs?: number },
    ) {
        return waitForTransaction(this, address, match, opts);
    }
}
