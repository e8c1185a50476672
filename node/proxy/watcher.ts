/**
 * Follows the proxy contract's transactions (oldest first, each once) and reports what the proxy runner
 * waits for on-chain: its own save-state notes (COCOON §3.4) and client registrations carrying the long-auth
 * nonce (client_proxy_register, forwarded by a client contract inside client_proxy_request).
 */
import type { Address } from '@ton/core';
import type { ChainClient, ChainTx } from '../chain';
import { loadClientProxyRegister, loadClientProxyRequest } from '../../wrappers/CocoonProxy';
import { parseSaveStateNote } from '../../wrappers/signed';

export interface SaveStateSeen {
    lt: bigint;
    from: Address;
    seqno: number;
    sessionHash: bigint;
}

export interface RegisterSeen {
    lt: bigint;
    clientContract: Address;
    owner: Address;
    nonce: bigint;
}

const CLIENT_PROXY_REQUEST = 0x65448ff4;
const CLIENT_PROXY_REGISTER = 0xa35cb580;

export class ContractWatcher {
    private lastLt: bigint | null = null;

    constructor(
        private readonly chain: ChainClient,
        private readonly address: Address,
        private readonly on: { saveState(n: SaveStateSeen): void; register(r: RegisterSeen): void },
    ) {}

    /** Starts from the contract's current last transaction: history before the runner started is not replayed. */
    async init(): Promise<void> {
        this.lastLt = (await this.chain.accountSummary(this.address)).last?.lt ?? 0n;
    }

    /**
     * Reads every transaction after the last one seen and reports it; returns how many were new. A poll that
     * finds nothing new costs one light account query: the proxy polls every 2 s and on every wait, and
     * fetching and hashing a page of transactions each time was a quarter of its allocations under load.
     */
    async poll(): Promise<number> {
        if (this.lastLt === null) await this.init();
        const newest = (await this.chain.accountSummary(this.address)).last;
        if (!newest || newest.lt <= this.lastLt!) return 0;
        const fresh: ChainTx[] = [];
        let from: ChainTx['prev'] | undefined = newest;
        for (;;) {
            const page = await this.chain.transactions(this.address, { from, limit: 32 });
            let done = page.length === 0;
            for (const t of page) {
                if (t.lt <= this.lastLt!) {
                    done = true;
                    break;
                }
                fresh.push(t);
            }
            const last = page[page.length - 1];
            if (done || !last || last.prev.lt === 0n) break;
            from = last.prev;
        }
        fresh.reverse();
        for (const t of fresh) {
            this.lastLt = t.lt;
            this.inspect(t);
        }
        return fresh.length;
    }

    private inspect(t: ChainTx): void {
        const msg = t.tx.inMessage;
        if (!msg || msg.info.type !== 'internal') return;
        const body = msg.body;
        const save = parseSaveStateNote(body);
        if (save) return this.on.saveState({ lt: t.lt, from: msg.info.src, ...save });
        const s = body.beginParse();
        if (s.remainingBits < 32 || s.preloadUint(32) !== CLIENT_PROXY_REQUEST) return;
        try {
            const req = loadClientProxyRequest(s);
            if (!req.payload) return;
            const p = req.payload.beginParse();
            if (p.remainingBits < 32 || p.preloadUint(32) !== CLIENT_PROXY_REGISTER) return;
            this.on.register({ lt: t.lt, clientContract: msg.info.src, owner: req.ownerAddress, nonce: loadClientProxyRegister(p).nonce });
        } catch {
            // Not a well-formed request: the contract rejected it too; nothing to report.
        }
    }
}
