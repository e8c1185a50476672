/**
 * The indexer end to end on the embedded local chain: a scripted network lifecycle (root with registry
 * changes, two proxies, three clients, three workers, deposits, signed charges, a rejected charge, signed
 * payouts, a commission withdrawal, a stake, a params change and a proxy of the new params version),
 * indexed over HTTP through node/chain with the wrappers' catalogue; then the database must equal the chain.
 */
import { Address, beginCell, external, internal, storeMessage, toNano, type Cell, type MessageRelaxed } from '@ton/core';
import { keyPairFromSeed, mnemonicToPrivateKey } from '@ton/crypto';
import { WalletContractV4 } from '@ton/ton';
import { sql } from 'drizzle-orm';
import { startLocalChain, type RunningLocalChain } from '../../node/localchain/server';
import { createChainClient } from '../../node/chain';
import { CocoonRoot, cocoonRootFor, rootMsg, ROOT_OP } from '../../wrappers/CocoonRoot';
import {
    CocoonProxy,
    childCodes,
    cocoonProxyFor,
    storeExtProxyIncreaseStake,
    storeExtProxyPayoutRequest,
} from '../../wrappers/CocoonProxy';
import { CocoonClient, cocoonClientFor, storeExtClientTopUp } from '../../wrappers/CocoonClient';
import { CocoonWorker, cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { cocoonWalletFor, walletExternal } from '../../wrappers/CocoonWallet';
import type { CocoonParams } from '../../wrappers/params';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import { openDatabase, rows, type Database } from '../../indexer/db/client';
import { IngestEngine } from '../../indexer/ingest/engine';
import { ChainClientSource, ChainClientStateReader } from '../../indexer/ingest/chain-client';
import { CatalogueDecoder } from '../../indexer/ingest/decoder';
import { derivedMismatches } from '../../indexer/ingest/derived';
import { exitCodes, loadCocoonProtocol } from '../../indexer/protocol';
import { ExitCodeTable } from '../../indexer/api/exitcodes';
import { modelHash } from '../../indexer/api/models';
import { silentLogger } from '../../node/common/log';
import { getTransaction } from '../../indexer/api/queries/activity';
import { freshDatabaseLocation } from './helpers/db';
import { bufferToBigInt, sha256BigInt } from '../../wrappers/uint256';

const EXITS = new ExitCodeTable(exitCodes());

const MODEL = 'Qwen/Qwen3-0.6B@e2e';

/** A funded v4 wallet of the local chain, sending signed externals in-process (one block per send). */
class LocalWallet {
    private seqno = 0;
    constructor(
        private running: RunningLocalChain,
        readonly wallet: WalletContractV4,
        private secretKey: Buffer,
    ) {}

    static async open(running: RunningLocalChain, index: number): Promise<LocalWallet> {
        const key = await mnemonicToPrivateKey(running.wallets[index].mnemonic);
        return new LocalWallet(running, WalletContractV4.create({ workchain: 0, publicKey: key.publicKey }), key.secretKey);
    }

    get address(): Address {
        return this.wallet.address;
    }

    async send(...messages: MessageRelaxed[]): Promise<void> {
        const st = (await this.running.chain.bc.getContract(this.address)).accountState;
        const body = this.wallet.createTransfer({ seqno: this.seqno++, secretKey: this.secretKey, messages });
        await this.running.chain.sendMessage(
            beginCell()
                .store(storeMessage(external({ to: this.address, init: st?.type === 'active' ? undefined : this.wallet.init, body })))
                .endCell(),
        );
    }
}

const deploy = (c: { address: Address; init?: { code: Cell; data: Cell } | null }, value: bigint) =>
    internal({ to: c.address, value, bounce: false, init: c.init ?? undefined });
const to = (address: Address, value: bigint, body: Cell) => internal({ to: address, value, bounce: true, body });

let running: RunningLocalChain;
let database: Database;
let cleanup: () => Promise<void>;
const addrs = { root: '', proxies: [] as string[], clients: [] as string[], workers: [] as string[], wallet: '', walletOwner: '' };
let params: CocoonParams;

beforeAll(async () => {
    running = await startLocalChain({ wallets: 3 });
    const [admin, operator, user] = await Promise.all([0, 1, 2].map((i) => LocalWallet.open(running, i)));
    const keys = [keyPairFromSeed(Buffer.alloc(32, 7)), keyPairFromSeed(Buffer.alloc(32, 8))];
    const pub = (k: (typeof keys)[number]) => bufferToBigInt(k.publicKey);
    const codes = await childCodes();
    params = {
        structVersion: 3,
        paramsVersion: 1,
        uniqueId: 17,
        isTest: true,
        pricePerToken: 10_000n,
        workerFeePerToken: 9_000n,
        promptTokensPriceMultiplier: 10000,
        cachedTokensPriceMultiplier: 10000,
        completionTokensPriceMultiplier: 20000,
        reasoningTokensPriceMultiplier: 10000,
        proxyDelayBeforeClose: 600,
        clientDelayBeforeClose: 300,
        minProxyStake: toNano('1'),
        minClientStake: toNano('1'),
        proxyScCode: codes.proxy,
        workerScCode: codes.worker,
        clientScCode: codes.client,
    };

    const root = await cocoonRootFor(admin.address, params);
    addrs.root = root.address.toRawString();
    await admin.send(deploy(root, toNano('1')));
    await admin.send(to(root.address, toNano('0.1'), rootMsg.hash(ROOT_OP.addModelType, sha256BigInt(MODEL))));
    await admin.send(
        to(root.address, toNano('0.1'), rootMsg.hash(ROOT_OP.addWorkerType, 0xabcn)),
        to(root.address, toNano('0.1'), rootMsg.registerProxy('127.0.0.1:8800')),
    );

    const proxies = await Promise.all(keys.map((k) => cocoonProxyFor(operator.address, pub(k), root.address, params)));
    for (const p of proxies) await operator.send(deploy(p, toNano('0.3')));
    await operator.send(
        to(
            proxies[0].address,
            toNano('1.2'),
            beginCell()
                .store(
                    storeExtProxyIncreaseStake({
                        $$type: 'ExtProxyIncreaseStake',
                        queryId: 1n,
                        grams: toNano('1'),
                        sendExcessesTo: operator.address,
                    }),
                )
                .endCell(),
        ),
    );
    addrs.proxies = proxies.map((p) => p.address.toRawString());

    // Clients: admin and user at proxy 0, user at proxy 1.
    const clientSpecs: [LocalWallet, number][] = [
        [admin, 0],
        [user, 0],
        [user, 1],
    ];
    const clients = await Promise.all(clientSpecs.map(([w, i]) => cocoonClientFor(w.address, proxies[i].address, pub(keys[i]), params)));
    for (let i = 0; i < clients.length; i++) {
        const [w] = clientSpecs[i];
        await w.send(deploy(clients[i], toNano('0.8')));
        const topUp = beginCell()
            .store(storeExtClientTopUp({ $$type: 'ExtClientTopUp', queryId: 2n, topUpAmount: toNano('5'), sendExcessesTo: w.address }))
            .endCell();
        await w.send(to(clients[i].address, toNano('5.7'), topUp));
    }
    addrs.clients = clients.map((c) => c.address.toRawString());

    // Workers: admin and user at proxy 0, operator at proxy 1.
    const workerSpecs: [LocalWallet, number][] = [
        [admin, 0],
        [user, 0],
        [operator, 1],
    ];
    const workers = await Promise.all(workerSpecs.map(([w, i]) => cocoonWorkerFor(w.address, proxies[i].address, pub(keys[i]), params)));
    for (let i = 0; i < workers.length; i++) await workerSpecs[i][0].send(deploy(workers[i], toNano('0.3')));
    addrs.workers = workers.map((w) => w.address.toRawString());

    // A cocoon wallet (the user's node wallet) tops up the third client: found through its message.
    const nodeKey = keyPairFromSeed(Buffer.alloc(32, 5));
    const cocoonWallet = await cocoonWalletFor(user.address, nodeKey.publicKey);
    await user.send(internal({ to: cocoonWallet.address, value: toNano('5'), bounce: false }));
    const topUpBody = beginCell()
        .store(
            storeExtClientTopUp({ $$type: 'ExtClientTopUp', queryId: 9n, topUpAmount: toNano('1'), sendExcessesTo: cocoonWallet.address }),
        )
        .endCell();
    await running.chain.sendMessage(
        walletExternal(
            cocoonWallet,
            {
                seqno: 0,
                validUntil: Math.floor(Date.now() / 1000) + 3600,
                messages: [{ mode: 0, message: internal({ to: clients[2].address, value: toNano('1.7'), body: topUpBody }) }],
            },
            nodeKey.secretKey,
            true,
        ),
    );
    addrs.wallet = cocoonWallet.address.toRawString();
    addrs.walletOwner = user.address.toRawString();

    const charge = (i: number, tokens: bigint, k: number) =>
        user.send(
            to(
                clients[i].address,
                toNano('0.7'),
                signedMessage(SIGNED_OP.clientCharge, 5n, tokens, clients[i].address, user.address, keys[k].secretKey),
            ),
        );
    await charge(0, 1000n, 0);
    await charge(0, 2500n, 0);
    await charge(0, 1000n, 0); // rejected: counters only grow (exit 1000)
    await charge(1, 500n, 0);
    await charge(2, 700n, 1);
    const payout = (i: number, tokens: bigint, k: number) =>
        operator.send(
            to(
                workers[i].address,
                toNano('0.5'),
                signedMessage(SIGNED_OP.workerPayout, 6n, tokens, workers[i].address, operator.address, keys[k].secretKey),
            ),
        );
    await payout(0, 800n, 0);
    await payout(1, 300n, 0);
    await payout(2, 400n, 1);
    await payout(0, 1200n, 0);
    await operator.send(
        to(
            proxies[0].address,
            toNano('0.2'),
            beginCell()
                .store(storeExtProxyPayoutRequest({ $$type: 'ExtProxyPayoutRequest', queryId: 7n, sendExcessesTo: operator.address }))
                .endCell(),
        ),
    );

    // Params change, then a proxy contract of the new params version.
    await admin.send(to(root.address, toNano('0.1'), rootMsg.changeFees(20_000n, 18_000n)));
    const v2 = await cocoonProxyFor(operator.address, pub(keys[0]), root.address, {
        ...params,
        paramsVersion: 2,
        pricePerToken: 20_000n,
        workerFeePerToken: 18_000n,
    });
    await operator.send(deploy(v2, toNano('0.3')));
    addrs.proxies.push(v2.address.toRawString());

    const loc = await freshDatabaseLocation();
    cleanup = loc.cleanup;
    database = await openDatabase(loc.databaseUrl ? { databaseUrl: loc.databaseUrl } : { dataDir: loc.dataDir });
    const client = createChainClient({ url: running.v4Url });
    const protocol = await loadCocoonProtocol();
    const engine = new IngestEngine({
        db: database.db,
        chain: new ChainClientSource(client),
        decoder: new CatalogueDecoder(protocol.catalogue),
        states: new ChainClientStateReader(client, protocol.parsers),
        rootAddress: addrs.root,
        log: silentLogger,
        batchSize: 7,
        pipelineWrites: database.kind === 'postgres',
        isRootConfigChange: protocol.isRootConfigChange,
    });
    for (let i = 0; i < 5; i++) if ((await engine.runOnce()).transactions === 0) break;
});

afterAll(async () => {
    await database?.close();
    await running?.close();
    await cleanup?.();
});

const q = <T>(query: ReturnType<typeof sql>) => rows<T>(database.db, query);

describe('indexer on the local chain', () => {
    it('discovers every contract by code hash and message, with its kind and parent', async () => {
        const acc = await q<{ address: string; kind: string; parent: string | null; params_version: number | null }>(
            sql`select address, kind, parent, params_version from accounts order by kind, address`,
        );
        const of = (kind: string) =>
            acc
                .filter((a) => a.kind === kind)
                .map((a) => a.address)
                .sort();
        expect(of('root')).toEqual([addrs.root]);
        expect(of('proxy')).toEqual([...addrs.proxies].sort());
        expect(of('client')).toEqual([...addrs.clients].sort());
        expect(of('worker')).toEqual([...addrs.workers].sort());
        for (const c of acc.filter((a) => a.kind === 'client' || a.kind === 'worker')) expect(addrs.proxies).toContain(c.parent);
        expect(of('wallet')).toEqual([addrs.wallet]);
        const [w] = await q<{ owner: string; discovered_via: string }>(
            sql`select owner, discovered_via from accounts where kind = 'wallet'`,
        );
        expect(w).toEqual({ owner: addrs.walletOwner, discovered_via: 'message' });
        const v2 = acc.find((a) => a.address === addrs.proxies[2])!;
        expect(v2.params_version).toBe(2);
    });

    it('stores every transaction of every followed contract exactly once', async () => {
        const stored = await q<{ account: string; n: string }>(sql`select account, count(*) as n from transactions group by account`);
        const byAccount = new Map(stored.map((r) => [r.account, Number(r.n)]));
        for (const a of [addrs.root, ...addrs.proxies, ...addrs.clients, ...addrs.workers, addrs.wallet]) {
            expect(byAccount.get(a)).toBe(running.chain.accountTransactions(Address.parse(a)).length);
        }
        const failed = await q<{ op_name: string; exit_code: number; type: string; success: boolean }>(
            sql`select t.op_name, t.exit_code, e.type, e.success from transactions t
                join events e on e.tx_lt = t.lt and e.tx_hash = t.hash where not t.success and t.account = ${addrs.clients[0]}`,
        );
        expect(failed).toEqual([{ op_name: 'ext_client_charge_signed', exit_code: 1000, type: 'charge', success: false }]);
    });

    it('keeps contract states equal to the get-methods', async () => {
        const bc = running.chain.bc;
        for (const a of addrs.clients) {
            const deposited = a === addrs.clients[2] ? toNano('6') : toNano('5');
            const d = await bc.openContract(CocoonClient.fromAddress(Address.parse(a))).getGetCocoonClientData();
            const [r] = await q<{
                balance: string;
                stake: string;
                tokens_used: string;
                state: number;
                tokens_charged: string;
                deposited: string;
            }>(sql`select balance, stake, tokens_used, state, tokens_charged, deposited from clients where address = ${a}`);
            expect(r).toEqual({
                balance: d.balance.toString(),
                stake: d.stake.toString(),
                tokens_used: d.tokensUsed.toString(),
                state: Number(d.state),
                tokens_charged: d.tokensUsed.toString(),
                deposited: deposited.toString(),
            });
        }
        for (const a of addrs.workers) {
            const d = await bc.openContract(CocoonWorker.fromAddress(Address.parse(a))).getGetCocoonWorkerData();
            const [r] = await q<{ tokens: string; tokens_paid: string; ton_earned: string }>(
                sql`select tokens, tokens_paid, ton_earned from workers where address = ${a}`,
            );
            expect(r).toEqual({
                tokens: d.tokens.toString(),
                tokens_paid: d.tokens.toString(),
                ton_earned: (d.tokens * 9_000n).toString(),
            });
        }
        for (const a of addrs.proxies) {
            const d = await bc.openContract(CocoonProxy.fromAddress(Address.parse(a))).getGetCocoonProxyData();
            const [r] = await q<{
                balance: string;
                stake: string;
                state: number;
                params_version: number;
                commission_earned: string;
                commission_withdrawn: string;
            }>(
                sql`select balance, stake, state, params_version, commission_earned, commission_withdrawn
                    from proxies where address = ${a}`,
            );
            expect({ balance: r.balance, stake: r.stake, state: r.state, params_version: r.params_version }).toEqual({
                balance: d.balance.toString(),
                stake: d.stake.toString(),
                state: Number(d.state),
                params_version: Number(d.paramsVersion),
            });
            // Commission still in the contract = earned - withdrawn.
            expect((BigInt(r.commission_earned) - BigInt(r.commission_withdrawn)).toString()).toBe(d.balance.toString());
        }
        const [p0] = await q<{ commission_withdrawn: string; tokens_charged: string; tokens_paid: string }>(
            sql`select commission_withdrawn, tokens_charged, tokens_paid from proxies where address = ${addrs.proxies[0]}`,
        );
        expect(BigInt(p0.commission_withdrawn)).toBeGreaterThan(0n);
        expect(p0).toMatchObject({ tokens_charged: '3000', tokens_paid: '1500' });
    });

    it('follows the root: current config, registry, params history, code hashes', async () => {
        const root = await running.chain.bc.openContract(CocoonRoot.fromAddress(Address.parse(addrs.root))).getGetCocoonData();
        const [r] = await q<{
            version: number;
            params_version: number;
            config: {
                pricePerToken: string;
                modelHashes: string[];
                registeredProxies: { seqno: number; address: string }[];
                workerHashes: string[];
            };
        }>(sql`select version, params_version, config from roots`);
        expect(r.version).toBe(Number(root.version));
        expect(r.params_version).toBe(2);
        expect(r.config.pricePerToken).toBe('20000');
        expect(r.config.modelHashes).toEqual([modelHash(MODEL)]);
        expect(r.config.workerHashes).toEqual([0xabcn.toString(16).padStart(64, '0')]);
        expect(r.config.registeredProxies).toEqual([{ seqno: 1, address: '127.0.0.1:8800' }]);
        const history = await q<{ params_version: number; change: string }>(
            sql`select params_version, change from root_config_history order by lt`,
        );
        expect(history.length).toBeGreaterThanOrEqual(1);
        expect(history[history.length - 1]).toMatchObject({ params_version: 2 });
        expect(history.map((h) => h.change).join(',')).toContain('root_change_fees');
        const codes = await q<{ kind: string }>(sql`select kind from code_hashes order by kind`);
        expect(codes.map((c) => c.kind)).toEqual(['client', 'proxy', 'worker']);
    });

    it('links message chains: a top-up on a client, its forward to the proxy, the excesses it sends', async () => {
        const [topUp] = await q<{ hash: string }>(
            sql`select hash from transactions where account = ${addrs.clients[0]} and op_name = 'ext_client_top_up' and success`,
        );
        const tx = (await getTransaction(database.db, topUp.hash, EXITS))!;
        // Sent by the admin's plain v4 wallet, which the indexer does not follow.
        expect(tx.parent).toBeNull();
        const toProxy = tx.outMessages.find((o) => o.dest === addrs.proxies[0])!;
        expect(toProxy.opName).toBe('client_proxy_request');
        expect(toProxy.child).not.toBeNull();
        const atProxy = (await getTransaction(database.db, toProxy.child!, EXITS))!;
        expect(atProxy.account).toBe(addrs.proxies[0]);
        expect(atProxy.parent).toEqual({ hash: tx.hash, account: addrs.clients[0], opName: 'ext_client_top_up' });
        expect(atProxy.outMessages.map((o) => o.opName)).toContain('excesses');
    });

    it('decodes the lifecycle into events whose totals match a recomputation', async () => {
        const types = await q<{ type: string; n: string }>(
            sql`select type, count(*) as n from events where success group by type order by type`,
        );
        const count = Object.fromEntries(types.map((t) => [t.type, Number(t.n)]));
        expect(count).toMatchObject({
            wallet_send: 1,
            wallet_receive: 1,
            deposit: 4,
            charge: 4,
            payout_request: 4,
            payout: 4,
            commission: 4,
            commission_withdrawal: 1,
            stake: 1,
            params_changed: 1,
            proxy_registered: 1,
        });
        expect(count.registry_change).toBe(2);
        expect(count.deploy).toBeGreaterThanOrEqual(10);
        expect(await derivedMismatches(database.db)).toEqual([]);
    });
});
