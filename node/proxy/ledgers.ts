/**
 * The proxy's accounts: one per client owner and one per worker owner, each with its signed-payments
 * ledger, its contract address and the last on-chain state seen. They persist in the ProxyStore as
 * `client:<owner>` / `worker:<owner>` records; `dirty` marks what the next save-state seqno must write.
 */
import { Address } from '@ton/core';
import type { ClientContractState, WorkerContractState } from '../chain/cocoon';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import type { proxy_SignedPayment } from '../protocol';
import { SignedPaymentsLedger, type LedgerSnapshot } from './signed-payments';

interface AccountRecord {
    owner: string;
    contract: string;
    ledger: LedgerSnapshot;
}

abstract class Account<S> {
    dirty = false;
    chain: S | null = null;
    /** Connected sessions of this owner (a client or worker may hold several connections). */
    connections = 0;
    private signed: { tokens: bigint; tl: proxy_SignedPayment } | null = null;
    /**
     * The addresses' text forms, made once: every finished request writes them (journal line, payment
     * messages) and an address's text costs a hex or base64 encoding plus a CRC each time.
     */
    readonly ownerRaw: string;
    readonly contractRaw: string;
    readonly ownerFriendly: string;

    constructor(
        readonly owner: Address,
        readonly contract: Address,
        readonly ledger: SignedPaymentsLedger,
        private readonly op: typeof SIGNED_OP.clientCharge | typeof SIGNED_OP.workerPayout,
    ) {
        this.ownerRaw = owner.toRawString();
        this.contractRaw = contract.toRawString();
        this.ownerFriendly = owner.toString();
    }

    get key(): string {
        return `${this.kind}:${this.ownerRaw}`;
    }

    abstract get kind(): 'client' | 'worker';

    record(): AccountRecord {
        return { owner: this.ownerRaw, contract: this.contractRaw, ledger: this.ledger.snapshot() };
    }

    /**
     * The latest signable payment: only tokens committed to the blockchain are ever signed (§3.2). Cached
     * until that amount grows. The carried envelope names `excessesTo`; receivers repack it with their own.
     */
    signedPayment(secretKey: Buffer, excessesTo: Address): proxy_SignedPayment {
        const tokens = this.ledger.tokensCommittedToBlockchain;
        if (tokens === 0n) return { _: 'proxy.signedPaymentEmpty' };
        if (this.signed?.tokens !== tokens) {
            const body = signedMessage(this.op, 0n, tokens, this.contract, excessesTo, secretKey);
            this.signed = { tokens, tl: { _: 'proxy.signedPayment', data: body.toBoc() } };
        }
        return this.signed.tl;
    }
}

export class ClientAccount extends Account<ClientContractState> {
    reserved = 0n;
    running = 0;
    chargeInFlight = false;
    get kind(): 'client' {
        return 'client';
    }
    constructor(owner: Address, contract: Address, ledger = new SignedPaymentsLedger()) {
        super(owner, contract, ledger, SIGNED_OP.clientCharge);
    }
}

export class WorkerAccount extends Account<WorkerContractState> {
    payoutInFlight = false;
    /** Requests this worker reported more tokens for than they reserved (since this process started). */
    faults = 0;
    /** The tokens those reports claimed above the reservations (never billed). */
    overreportedTokens = 0n;
    get kind(): 'worker' {
        return 'worker';
    }
    constructor(owner: Address, contract: Address, ledger = new SignedPaymentsLedger()) {
        super(owner, contract, ledger, SIGNED_OP.workerPayout);
    }
}

export function accountFromRecord(key: string, value: unknown): ClientAccount | WorkerAccount | null {
    const r = value as AccountRecord;
    if (!r || typeof r.owner !== 'string' || typeof r.contract !== 'string' || !r.ledger) return null;
    const ledger = new SignedPaymentsLedger(r.ledger);
    if (key.startsWith('client:')) return new ClientAccount(Address.parse(r.owner), Address.parse(r.contract), ledger);
    if (key.startsWith('worker:')) return new WorkerAccount(Address.parse(r.owner), Address.parse(r.contract), ledger);
    return null;
}

/**
 * Every account the proxy keeps, by owner (raw address). One owner has one account per proxy contract: a
 * peer that shows up with another contract address (a new params version) starts a fresh account.
 */
export class ProxyAccounts {
    private readonly clientsByOwner = new Map<string, ClientAccount>();
    private readonly workersByOwner = new Map<string, WorkerAccount>();

    /** Puts back an account loaded from the store. */
    restore(a: ClientAccount | WorkerAccount): void {
        if (a instanceof ClientAccount) this.clientsByOwner.set(a.owner.toRawString(), a);
        else this.workersByOwner.set(a.owner.toRawString(), a);
    }

    /** The owner's account for `contract`, created (and marked for the next commit) when there is none. */
    client(owner: Address, contract: Address): ClientAccount {
        return openAccount(this.clientsByOwner, owner, contract, (o, c) => new ClientAccount(o, c));
    }

    worker(owner: Address, contract: Address): WorkerAccount {
        return openAccount(this.workersByOwner, owner, contract, (o, c) => new WorkerAccount(o, c));
    }

    /** Lookup by an owner address in any form; undefined for an unknown owner or a string that is no address. */
    findClient(owner: string): ClientAccount | undefined {
        return findByOwner(this.clientsByOwner, owner);
    }

    findWorker(owner: string): WorkerAccount | undefined {
        return findByOwner(this.workersByOwner, owner);
    }

    clients(): ClientAccount[] {
        return [...this.clientsByOwner.values()];
    }

    workers(): WorkerAccount[] {
        return [...this.workersByOwner.values()];
    }

    all(): (ClientAccount | WorkerAccount)[] {
        return [...this.clientsByOwner.values(), ...this.workersByOwner.values()];
    }

    /** Forgets every account (after a migration their ledgers live on in the outdated contract's record). */
    clear(): void {
        this.clientsByOwner.clear();
        this.workersByOwner.clear();
    }
}

function openAccount<A extends ClientAccount | WorkerAccount>(
    byOwner: Map<string, A>,
    owner: Address,
    contract: Address,
    create: (owner: Address, contract: Address) => A,
): A {
    let a = byOwner.get(owner.toRawString());
    if (!a || !a.contract.equals(contract)) {
        a = create(owner, contract);
        a.dirty = true;
        byOwner.set(owner.toRawString(), a);
    }
    return a;
}

function findByOwner<A>(byOwner: Map<string, A>, owner: string): A | undefined {
    try {
        return byOwner.get(Address.parse(owner).toRawString());
    } catch {
        return undefined;
    }
}
