import type { Transaction } from '@ton/core';
import { ChainError } from './errors';
import type { ChainClient, ChainTx, TxId } from './types';
import type { Address } from '@ton/core';
import { uint256Bytes } from '../../wrappers/uint256';

export function chainTx(tx: Transaction): ChainTx {
    return {
        lt: tx.lt,
        hash: tx.hash(),
        utime: tx.now,
        cell: tx.raw,
        tx,
        prev: { lt: tx.prevTransactionLt, hash: uint256Bytes(tx.prevTransactionHash) },
    };
}

/**
 * Pages newest-first from `from` (inclusive) following each page's last `prev` link, until `limit`
 * transactions or the account's first one: no gaps, no duplicates, whatever page size the server uses.
 */
export async function pageTransactions(fetchPage: (from: TxId) => Promise<ChainTx[]>, from: TxId, limit: number): Promise<ChainTx[]> {
    const out: ChainTx[] = [];
    let cursor: TxId | null = from;
    while (cursor && out.length < limit) {
        const page = await fetchPage(cursor);
        if (page.length === 0) break;
        if (page[0].lt !== cursor.lt || !page[0].hash.equals(cursor.hash)) {
            throw new ChainError('SERVER', `transaction page does not start at the requested ${cursor.lt}:${cursor.hash.toString('hex')}`);
        }
        for (const t of page) {
            if (out.length >= limit) break;
            out.push(t);
        }
        const tail: ChainTx = page[page.length - 1];
        cursor = tail.prev.lt === 0n ? null : tail.prev;
    }
    return out;
}

export async function waitForTransaction(
    client: ChainClient,
    address: Address,
    match: (tx: ChainTx) => boolean,
    opts: { afterLt?: bigint; timeoutMs?: number; pollMs?: number } = {},
): Promise<ChainTx> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    const afterLt = opts.afterLt ?? 0n;
    for (;;) {
        const acc = await client.account(address);
        if (acc.last && acc.last.lt > afterLt) {
            const recent = await client.transactions(address, { from: acc.last, limit: 50 });
            for (const t of recent.filter((x) => x.lt > afterLt).reverse()) if (match(t)) return t;
        }
        if (Date.now() > deadline) {
            throw new ChainError(
                'WAIT_TIMEOUT',
                `no matching transaction on ${address.toString()} after lt ${afterLt} within ${opts.timeoutMs ?? 60_000} ms`,
            );
        }
        await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
    }
}
