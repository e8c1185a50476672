/**
 * IngestChain over a ton-api-v4 endpoint (the local chain, or a mainnet/testnet v4 server): head, last
 * transaction, account state, transaction pages and block listings. Pages arrive as one multi-root BOC
 * and are read with the lean reader; each transaction's hash comes from its successor's prev-hash link,
 * so no cell is hashed here.
 */
import { Address } from '@ton/core';
import { IndexerError } from '../errors';
import { parseBoc, readTransaction, type LeanCell } from './lean';
import type { Head, IngestChain, TxId } from './ports';
import type { ChainTx } from './types';

export interface V4Account {
    status: 'active' | 'uninit' | 'frozen' | 'nonexist';
    balance: bigint;
    code: LeanCell | null;
    data: LeanCell | null;
    /** Base64 BOCs as served (for the wrappers' parsers). */
    codeBoc: string | null;
    dataBoc: string | null;
    last: TxId | null;
}

export interface V4Options {
    /** Per-request timeout (ms). */
    timeoutMs?: number;
    /** Retries of a failed request (network errors and 5xx), with backoff. */
    retries?: number;
}

const b64ToHex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');
const hexToUrlB64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

export class V4Chain implements IngestChain {
    private readonly base: string;

    constructor(
        url: string,
        private readonly opts: V4Options = {},
    ) {
        this.base = url.replace(/\/+$/, '');
    }

    private async get<T>(path: string): Promise<T> {
        const retries = this.opts.retries ?? 3;
        let lastErr: unknown;
        for (let attempt = 0; attempt <= retries; attempt++) {
            try {
                const res = await fetch(this.base + path, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000) });
                const text = await res.text();
                if (res.status >= 500) throw new IndexerError('CHAIN_HTTP', `${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
                if (!res.ok) throw new IndexerError('CHAIN_HTTP_CLIENT', `${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
                return JSON.parse(text) as T;
            } catch (err) {
                lastErr = err;
                if ((err as IndexerError).code === 'CHAIN_HTTP_CLIENT') break;
                await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
            }
        }
        const e = lastErr as Error;
        throw new IndexerError('CHAIN_UNREACHABLE', `chain endpoint ${this.base} failed: ${e?.message ?? e}; check --chain-url`, lastErr);
    }

    async head(): Promise<Head> {
        const r = await this.get<{ last: { seqno: number }; now: number }>('/block/latest');
        return { seqno: r.last.seqno, utime: r.now };
    }

    async account(address: string, seqno: number): Promise<V4Account> {
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

    async lastTx(address: string, seqno: number): Promise<TxId | null> {
        const r = await this.get<{ account: { last: { lt: string; hash: string } | null } }>(`/block/${seqno}/${address}/lite`);
        return r.account.last ? { lt: BigInt(r.account.last.lt), hash: b64ToHex(r.account.last.hash) } : null;
    }

    async transactions(address: string, from: TxId, _limit: number): Promise<ChainTx[]> {
        const r = await this.get<{ blocks: { seqno: number; workchain: number }[]; boc: string }>(`/account/${address}/tx/${from.lt}/${hexToUrlB64(from.hash)}`);
        if (!r.boc) return [];
        const roots = parseBoc(Buffer.from(r.boc, 'base64'));
        const out: ChainTx[] = [];
        let hash = from.hash;
        for (let i = 0; i < roots.length; i++) {
            const tx = readTransaction(roots[i]);
            if (i === 0 && tx.lt !== from.lt) throw new IndexerError('CHAIN_PAGE', `page for ${address} starts at lt ${tx.lt}, asked for ${from.lt}`);
            out.push({ account: address, lt: tx.lt, hash, utime: tx.now, seqno: r.blocks[i]?.seqno ?? null, tx });
            hash = tx.prevTransactionHash.toString(16).padStart(64, '0');
        }
        return out;
    }

    async blockAccounts(seqno: number): Promise<string[] | null> {
        const r = await this.get<{ exist: boolean; block?: { shards: { transactions: { account: string }[] }[] } }>(`/block/${seqno}`);
        if (!r.exist || !r.block) return [];
        const out = new Set<string>();
        for (const s of r.block.shards) for (const t of s.transactions) out.add(Address.parse(t.account).toRawString());
        return [...out];
    }
}
