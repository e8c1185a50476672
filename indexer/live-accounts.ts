/**
 * Balances of wallets the indexer does not follow (contract owners), read from the chain when their page is
 * opened. Answers are kept for a few seconds so a busy page does not turn into a stream of chain requests,
 * and a slow endpoint costs a page at most `timeoutMs`.
 */
import { Address } from '@ton/core';
import type { ChainClient } from '../node/chain';
import type { LiveAccount } from './domain';

export interface LiveAccountOptions {
    /** Answers are reused this long (default 5000 ms). */
    ttlMs?: number;
    /** A read slower than this answers with an error (default 3000 ms). */
    timeoutMs?: number;
    /** Addresses remembered at most (default 1000; the oldest are forgotten first). */
    maxEntries?: number;
}

export function liveAccountReader(client: ChainClient, opts: LiveAccountOptions = {}): (address: string) => Promise<LiveAccount> {
    const ttl = opts.ttlMs ?? 5000;
    const timeout = opts.timeoutMs ?? 3000;
    const max = opts.maxEntries ?? 1000;
    const cache = new Map<string, { at: number; value: Promise<LiveAccount> }>();
    const read = async (address: string): Promise<LiveAccount> => {
        const readAt = Math.floor(Date.now() / 1000);
        let timer: NodeJS.Timeout | undefined;
        try {
            const late = new Promise<never>((_ok, fail) => {
                timer = setTimeout(() => fail(new Error(`the chain did not answer within ${timeout} ms`)), timeout);
            });
            const a = await Promise.race([client.account(Address.parse(address)), late]);
            const status = a.state === 'uninit' && !a.last ? 'nonexist' : a.state;
            return { balance: a.balance.toString(), status, readAt, error: null };
        } catch (err) {
            return { balance: null, status: null, readAt, error: (err as Error).message };
        } finally {
            clearTimeout(timer);
        }
    };
    return (address) => {
        const hit = cache.get(address);
        if (hit && Date.now() - hit.at < ttl) return hit.value;
        cache.delete(address);
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        const value = read(address);
        cache.set(address, { at: Date.now(), value });
        return value;
    };
}
