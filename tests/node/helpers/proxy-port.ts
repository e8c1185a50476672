/**
 * The proxy as an inbound connection sees it (ClientPort & WorkerPort), without a chain: the root is a
 * value the test sets, client contracts are a map the test fills, long-auth registrations are reported by
 * the test (as the contract watcher would). Everything else is the real thing: accounts, relay, payment
 * signing with a real key, and wire-protocol connections on loopback.
 */
import { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { CONTRACT_STATE, type ClientContractState, type RootState } from '../../../node/chain/cocoon';
import { defaultParams } from '../../../node/cli/network';
import { RateCounterSet } from '../../../node/common/rate-set';
import { OUR_RANGES, connect, listen, type proxy_params, type RpcConnection, type RpcServer } from '../../../node/protocol';
import { silentLogger } from '../../../node/common/log';
import type { ClientPort, WorkerPort } from '../../../node/proxy/handshake';
import { ProxyAccounts } from '../../../node/proxy/ledgers';
import type { ProxyClientInfo, ProxyWorkerInfo } from '../../../node/proxy/peers';
import { Registrations } from '../../../node/proxy/registrations';
import { QueryRelay } from '../../../node/proxy/relay';
import { sha256BigInt } from '../../../wrappers/uint256';

export const MODEL = 'cocoon/tiny-stories-1m@local:0';
/** A plaintext peer has no attestation: its image hash is all zeros. */
export const PLAINTEXT_IMAGE = 0n;

/** A point a fake chain read stops at until the test opens it: to act while the proxy is mid-check. */
export class Gate {
    private release!: () => void;
    private arrive!: () => void;
    private readonly opened = new Promise<void>((r) => (this.release = r));
    /** Resolves when the proxy reaches the gate. */
    readonly reached = new Promise<void>((r) => (this.arrive = r));

    async pass(): Promise<void> {
        this.arrive();
        await this.opened;
    }

    open(): void {
        this.release();
    }
}

export interface FakeProxy {
    port: ClientPort & WorkerPort;
    root: RootState;
    accounts: ProxyAccounts;
    relay: QueryRelay<ProxyClientInfo, ProxyWorkerInfo>;
    stats: RateCounterSet;
    registrations: Registrations;
    /** Client contracts on the fake chain, by raw address. */
    clientContracts: Map<string, ClientContractState>;
    /** Every address a client contract was read for, in order. */
    clientReads: Address[];
    /** The next client contract read waits here. */
    gate: Gate | null;
    refreshRootCalls: number;
    /** Root the next refreshRoot installs (null: the root stays as it is). */
    nextRoot: RootState | null;
    /** Timeouts the connections asked waitRegister for. */
    registerTimeouts: number[];
    /** Overrides the long-auth timeout (ms) so a refusal by timeout does not take 300 s. */
    longAuthTimeoutMs: number | null;
    /** The port's cap on concurrent long-auth waits. */
    maxLongAuthWaits: number;
    /** Resolves when a connection starts waiting for its long-auth registration. */
    registerWaitStarted(): Promise<void>;
    publicKey: Buffer;
    owner: Address;
    contract: Address;
}

export async function fakeProxy(opts: { checkWorkerHashes?: boolean } = {}): Promise<FakeProxy> {
    const key = keyPairFromSeed(Buffer.alloc(32, 7));
    const owner = Address.parse('0:' + '11'.repeat(32));
    const contract = Address.parse('0:' + '22'.repeat(32));
    const params = await defaultParams();
    const root: RootState = {
        address: Address.parse('0:' + '33'.repeat(32)),
        owner,
        version: 4,
        balance: 0n,
        params,
        registry: {
            proxyHashes: [],
            workerHashes: [PLAINTEXT_IMAGE],
            modelHashes: [sha256BigInt(MODEL)],
            registeredProxies: new Map(),
            lastProxySeqno: 0,
        },
    };
    let waitStarted: (() => void) | null = null;
    const accounts = new ProxyAccounts();
    const stats = new RateCounterSet(['queries', 'success', 'failed', 'tokens']);
    const relay = new QueryRelay<ProxyClientInfo, ProxyWorkerInfo>({ pricePerToken: params.pricePerToken });
    const registrations = new Registrations(async () => waitStarted?.());
    let ids = 0;
    const fake: FakeProxy = {
        root,
        accounts,
        relay,
        stats,
        registrations,
        publicKey: key.publicKey,
        owner,
        contract,
        clientContracts: new Map(),
        clientReads: [],
        gate: null,
        refreshRootCalls: 0,
        nextRoot: null,
        registerTimeouts: [],
        longAuthTimeoutMs: null,
        maxLongAuthWaits: 64,
        registerWaitStarted: () => new Promise<void>((r) => (waitStarted = r)),
        port: {
            log: silentLogger,
            accounts,
            relay,
            stats,
            owner,
            publicKey: key.publicKey,
            contract,
            get root() {
                return fake.root;
            },
            checkWorkerHashes: opts.checkWorkerHashes ?? true,
            sign: (a) => a.signedPayment(key.secretKey, owner),
            nextLinkId: (kind) => `${kind}${++ids}`,
            async refreshRoot() {
                fake.refreshRootCalls++;
                if (fake.nextRoot) fake.root = fake.nextRoot;
            },
            async readClientContract(c) {
                fake.clientReads.push(c);
                const gate = fake.gate;
                fake.gate = null;
                if (gate) await gate.pass();
                return fake.clientContracts.get(c.toRawString()) ?? null;
            },
            longAuthWaits: () => registrations.waiting,
            get maxLongAuthWaits() {
                return fake.maxLongAuthWaits;
            },
            waitRegister(c, nonce, timeoutMs, signal) {
                fake.registerTimeouts.push(timeoutMs);
                return registrations.wait(c, nonce, fake.longAuthTimeoutMs ?? timeoutMs, signal);
            },
        },
    };
    return fake;
}

/** The proxy.params a connectToProxy answer must carry from this proxy (test root, highest protocol version). */
export function expectedProxyParams(fake: FakeProxy): proxy_params {
    return {
        _: 'proxy.params',
        flags: 3,
        proxy_public_key: fake.publicKey,
        proxy_owner_address: fake.owner.toString(),
        proxy_sc_address: fake.contract.toString(),
        is_test: true,
        proto_version: OUR_RANGES.proxy.max,
    };
}

/** A client contract as the chain would show it: normal, funded, with `secret`'s hash when given (short auth). */
export function clientContract(address: Address, opts: { secret?: string; state?: number; balance?: bigint } = {}): ClientContractState {
    const secretHash = opts.secret === undefined ? 0n : sha256BigInt(opts.secret);
    return {
        address,
        balance: opts.balance ?? 10n ** 12n,
        stake: 10n ** 9n,
        tokensUsed: 0n,
        state: opts.state ?? CONTRACT_STATE.normal,
        unlockTs: 0,
        secretHash,
        accountBalance: 10n ** 9n,
    };
}

/** A loopback server whose connections `accept` wraps, and a way to dial it and get both ends. */
export interface Loopback<T> {
    dial(): Promise<{ peer: RpcConnection; inbound: T }>;
    close(): Promise<void>;
}

export async function loopback<T>(accept: (conn: RpcConnection) => T): Promise<Loopback<T>> {
    const waiting: ((t: T) => void)[] = [];
    const server: RpcServer = await listen({
        port: 0,
        pow: false,
        logger: silentLogger,
        onConnection: (conn) => waiting.shift()?.(accept(conn)),
    });
    const open: RpcConnection[] = [];
    return {
        async dial() {
            const inbound = new Promise<T>((r) => waiting.push(r));
            const peer = await connect({ host: '127.0.0.1', port: server.port, pow: false, logger: silentLogger });
            open.push(peer);
            return { peer, inbound: await inbound };
        },
        async close() {
            for (const c of open) c.close();
            await server.close();
        },
    };
}

/** Resolves once `conn` (either end) has closed and every close listener registered before ran. */
export function closed(conn: RpcConnection): Promise<void> {
    return conn.closed ? Promise.resolve() : new Promise((r) => conn.once('close', () => r()));
}
