/**
 * Long-auth nonces seen on-chain: a client proves it owns its contract by having it forward an
 * owner_client_register with the nonce the proxy gave it (COCOON client_proxy_register). The contract
 * watcher reports each one; a client connection waits here for its own.
 */
import type { Address } from '@ton/core';
import type { RegisterSeen } from './watcher';

export class Registrations {
    private readonly seen = new Map<string, bigint>(); // `${contract}:${nonce}` -> lt
    private readonly waiters = new Map<string, () => void>();

    /** `poll` reads the proxy contract's new transactions now (a waiter should not sit out a poll period). */
    constructor(private readonly poll: () => Promise<unknown>) {}

    /** The watcher saw a registration. */
    onRegister(r: RegisterSeen): void {
        const k = key(r.clientContract, r.nonce);
        this.seen.set(k, r.lt);
        this.waiters.get(k)?.();
    }

    /** True once `contract` registered `nonce`; false after `timeoutMs` or when `signal` aborts. */
    wait(contract: Address, nonce: bigint, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
        const k = key(contract, nonce);
        if (this.seen.has(k)) return Promise.resolve(true);
        if (signal.aborted) return Promise.resolve(false);
        return new Promise((resolve) => {
            const done = (ok: boolean) => {
                clearTimeout(timer);
                signal.removeEventListener('abort', onAbort);
                this.waiters.delete(k);
                resolve(ok);
            };
            const onAbort = () => done(false);
            const timer = setTimeout(() => done(false), timeoutMs);
            timer.unref();
            signal.addEventListener('abort', onAbort);
            this.waiters.set(k, () => done(true));
            void this.poll().catch(() => undefined);
        });
    }

    /** Connections waiting for their nonce now. */
    get waiting(): number {
        return this.waiters.size;
    }
}

function key(contract: Address, nonce: bigint): string {
    return `${contract.toRawString()}:${nonce}`;
}
