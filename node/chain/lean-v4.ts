/**
 * A lean ton-api-v4 reader (the local chain, or a mainnet/testnet v4 server): head, last transaction,
 * account state, transaction pages and block listings, without @ton/ton. Pages arrive as one multi-root
 * BOC and are read with the lean BOC reader (lean-boc.ts); each transaction's hash comes from its
 * successor's prev-hash link, so no cell is hashed here. Hashes are lowercase hex, addresses raw.
 * The indexer reads the chain through it with `--reader lean-v4`.
 */
import { Address } from '@ton/core';
import { ChainError } from './errors';
import { parseBoc, readTransaction, type LeanCell, type TxLike } from './lean-boc';
import { uint256Hex } from '../../wrappers/uint256';

export interface LeanTxId {
    lt: bigint;
    /** lowercase hex */
    hash: string;
}

/** One transaction of a page: where it sits, and its lean-parsed body. */
export interface LeanChainTx {
    /** Raw address of the account. */
    account: string;
    lt: bigint;
    /** lowercase hex */
    hash: string;
    utime: number;
    /** Block seqno the server lists for the transaction (null when it does not say). */
    seqno: number | null;
    tx: TxLike;
    /** The BOC the transaction was read from and its root index (lets another thread re-read it). */
    source?: { boc: Uint8Array; root: number };
}

export interface LeanV4Account {
    status: 'active' | 'uninit' | 'frozen' | 'nonexist';
    balance: bigint;
    code: LeanCell | null;
    data: LeanCell | null;
    /** Base64 BOCs as served (for the wrappers' parsers). */
    codeBoc: string | null;
    dataBoc: string | null;
    last: LeanTxId | null;
}

export interface LeanV4Options {
    /** Per-request timeout (ms). */
    timeoutMs?: number;
    /** Retries of a failed request (network errors and 5xx), with backoff. */
    retries?: number;
}

const b64ToHex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');
const hexToUrlB64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

export class LeanV4Client {
    readonly url: string;

    constructor(
        url: string,
        private readonly opts: LeanV4Options = {},
    ) {
        this.url = url.replace(/\/+$/, '');
    }

    private async get<T>(path: string): Promise<T> {
        const retries = this.opts.retries ?? 3;
        let lastErr: unknown;
        for (let attempt = 0; attempt <= retries; attempt++) {
            try {
                const res = await fetch(this.url + path, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000) });
                const text = await res.text();
                if (res.status >= 500) throw new ChainError('SERVER', `${path}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status);
                if (!res.ok)
                    throw new ChainError(
                        res.status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST',
                        `${this.url}${path}: HTTP ${res.status} ${text.slice(0, 200)}`,
                        res.status,
                    );
                return JSON.parse(text) as T;
            } catch (err) {
                lastErr = err;
                if (err instanceof ChainError && !err.transient) throw err;
                if (attempt < retries) await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
            }
        }
        const e = lastErr as Error;
        throw new ChainError(
            'UNREACHABLE',
            `chain endpoint ${this.url} failed: ${e?.message ?? e}; check --chain-url`,
            undefined,
            undefined,
            { cause: lastErr },
        );
    }

    async head(): Promise<{ seqno: number; utime: number }> {
        const r = await this.get<{ last: { seqno: number }; now: number }>('/block/latest');
        return { seqno: r.last.seqno, utime: r.now };
    }

    async account(address: string, seqno: number): Promise<LeanV4Account> {
        const r = await this.get<{
            account: {
                state: { type: 'active'; code: string | null; data: string | null } | { type: 'uninit' } | { type: 'frozen' };
                balance: { coins: string };
                last: { lt: string; hash: string } | null;
            };
        }>(`/block/${seqno}/${address}`);
        const a = r.account;
        const code = a.state.type === 'active' && a.state.code ? a.state.code : null;
        const data = a.state.type === 'active' && a.state.data ? a.state.data : null;
        return {
            status: a.state.type === 'active' ? 'active' : a.state.type === 'frozen' ? 'frozen' : a.last ? 'uninit' : 'nonexist',
            balance: BigInt(a.balance.coins),
            code: code ? parseBoc(Buffer.from(code, 'base64'))[0] : null,
            data: data ? parseBoc(Buffer.from(data, 'base64'))[0] : null,
            codeBoc: code,
            dataBoc: data,
            last: a.last ? { lt: BigInt(a.last.lt), hash: b64ToHex(a.last.hash) } : null,
        };
    }

    /** Code hash (hex) of an account, from the lite endpoint (no code download). */
    async codeHash(address: string, seqno: number): Promise<string | null> {
        const r = await this.get<{ account: { state: { type: string; codeHash?: string } } }>(`/block/${seqno}/${address}/lite`);
        return r.account.state.type === 'active' && r.account.state.codeHash ? b64ToHex(r.account.state.codeHash) : null;
    }

    async lastTx(address: string, seqno: number): Promise<LeanTxId | null> {
        const r = await this.get<{ account: { last: { lt: string; hash: string } | null } }>(`/block/${seqno}/${address}/lite`);
        return r.account.last ? { lt: BigInt(r.account.last.lt), hash: b64ToHex(r.account.last.hash) } : null;
    }

    /** One page of the account's transactions, newest first, from `from` inclusive (the server's page size). */
    async transactions(address: string, from: LeanTxId, _limit?: number): Promise<LeanChainTx[]> {
        const r = await this.get<{ blocks: { seqno: number; workchain: number }[]; boc: string }>(
            `/account/${address}/tx/${from.lt}/${hexToUrlB64(from.hash)}`,
        );
        if (!r.boc) return [];
        const boc = Buffer.from(r.boc, 'base64');
        const roots = parseBoc(boc);
        const out: LeanChainTx[] = [];
        let hash = from.hash;
        for (let i = 0; i < roots.length; i++) {
            const tx = readTransaction(roots[i]);
            if (i === 0 && tx.lt !== from.lt)
                throw new ChainError('SERVER', `${this.url}: page for ${address} starts at lt ${tx.lt}, asked for ${from.lt}`);
            out.push({ account: address, lt: tx.lt, hash, utime: tx.now, seqno: r.blocks[i]?.seqno ?? null, tx, source: { boc, root: i } });
            hash = uint256Hex(tx.prevTransactionHash);
        }
        return out;
    }

    /** Raw addresses of the accounts with transactions in masterchain block `seqno` (all its shards). */
    async blockAccounts(seqno: number): Promise<string[] | null> {
        const r = await this.get<{ exist: boolean; block?: { shards: { transactions: { account: string }[] }[] } }>(`/block/${seqno}`);
        if (!r.exist || !r.block) return [];
        const out = new Set<string>();
        for (const s of r.block.shards) for (const t of s.transactions) out.add(Address.parse(t.account).toRawString());
        return [...out];
    }
}
