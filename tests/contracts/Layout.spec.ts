/**
 * Storage compatibility with the original contracts, for every state: each contract is deployed from init
 * data built here BY HAND in the original's bit layout (docs/contracts.md, "Storage layouts"), never through
 * a wrapper's builder, then every message it handles is sent and its stored data compared with the cell the
 * original would hold. The getters are read from the same hand-built state.
 */
import { Blockchain, type SandboxContract, type TreasuryContract } from '@ton/sandbox';
import '@ton/test-utils';
import { beginCell, contractAddress, Dictionary, internal, storeMessageRelaxed, toNano, type Address, type Cell } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { childCodes, cocoonProxyAt, cocoonProxyFor } from '../../wrappers/CocoonProxy';
import { cocoonClientAt, cocoonClientFor } from '../../wrappers/CocoonClient';
import { cocoonWorkerAt, cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { cocoonWalletAt, cocoonWalletFor, walletExternal } from '../../wrappers/CocoonWallet';
import { CocoonRoot, cocoonRootAt, cocoonRootFor, encodeProxyDesc, ROOT_OP, rootMsg } from '../../wrappers/CocoonRoot';
import { buildParamsCell, CODE_MASK, type CocoonParams } from '../../wrappers/params';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import { OP, proxyKey, proxyPublicKey, testParams } from './helpers';
import { bufferToBigInt } from '../../wrappers/uint256';

const NOW = 1_800_000_000;

// --- The original layouts, written out field by field ---
interface P {
    state: number;
    balance: bigint;
    stake: bigint;
    unlockTs: number;
}
interface C {
    state: number;
    balance: bigint;
    stake: bigint;
    tokensUsed: bigint;
    unlockTs: number;
    secretHash: bigint;
}
interface W {
    state: number;
    tokens: bigint;
}

const proxyCell = (owner: Address, root: Address, params: Cell, p: P) =>
    beginCell()
        .storeAddress(owner)
        .storeUint(proxyPublicKey, 256)
        .storeAddress(root)
        .storeUint(p.state, 2)
        .storeCoins(p.balance)
        .storeCoins(p.stake)
        .storeUint(p.unlockTs, 32)
        .storeRef(params)
        .endCell();
const clientCell = (owner: Address, proxy: Address, params: Cell, c: C) =>
    beginCell()
        .storeUint(c.state, 2)
        .storeCoins(c.balance)
        .storeCoins(c.stake)
        .storeUint(c.tokensUsed, 64)
        .storeUint(c.unlockTs, 32)
        .storeUint(c.secretHash, 256)
        .storeRef(beginCell().storeAddress(owner).storeAddress(proxy).storeUint(proxyPublicKey, 256).endCell())
        .storeRef(params)
        .endCell();
const workerCell = (owner: Address, proxy: Address, params: Cell, w: W) =>
    beginCell()
        .storeAddress(owner)
        .storeAddress(proxy)
        .storeUint(proxyPublicKey, 256)
        .storeUint(w.state, 2)
        .storeUint(w.tokens, 64)
        .storeRef(params)
        .endCell();

async function storedData(bc: Blockchain, a: Address): Promise<Cell> {
    const s = (await bc.getContract(a)).accountState;
    if (s?.type !== 'active') throw new Error(`${a.toString()} is not active`);
    return s.state.data!;
}

/** Cells compared through their printed tree, so a mismatch shows which bits differ. */
async function expectData(bc: Blockchain, a: Address, expected: Cell): Promise<void> {
    expect((await storedData(bc, a)).toString()).toBe(expected.toString());
}

describe('storage layouts (hand-built, every state)', () => {
    let bc: Blockchain;
    let operator: SandboxContract<TreasuryContract>;
    let root: SandboxContract<TreasuryContract>;
    let alice: SandboxContract<TreasuryContract>;
    let gpu: SandboxContract<TreasuryContract>;
    let anyone: SandboxContract<TreasuryContract>;
    let params: CocoonParams;

    beforeEach(async () => {
        bc = await Blockchain.create();
        bc.now = NOW;
        [operator, root, alice, gpu, anyone] = await Promise.all(['operator', 'root', 'alice', 'gpu', 'anyone'].map((n) => bc.treasury(n)));
        const codes = await childCodes();
        params = testParams({ workerScCode: codes.worker, clientScCode: codes.client, proxyScCode: codes.proxy });
    });

    const originalLayoutsTitle =
        'proxy, client and worker: hand-built init data deploys at the original addresses, and every message leaves the original bits';
    it(originalLayoutsTitle, async () => {
        const codes = await childCodes();
        const proxyParams = buildParamsCell(params, CODE_MASK.proxyContract);
        const childParams = buildParamsCell(params, CODE_MASK.child);
        const p: P = { state: 0, balance: 0n, stake: 0n, unlockTs: 0 };
        const proxyData = proxyCell(operator.address, root.address, proxyParams, p);
        const proxy = bc.openContract(await cocoonProxyAt(proxyData));
        // The address is the one original code derives from (code, data), and the wrapper agrees.
        expect(proxy.address.equals(contractAddress(0, { code: codes.proxy, data: proxyData }))).toBe(true);
        expect(proxy.address.equals((await cocoonProxyFor(operator.address, proxyPublicKey, root.address, params)).address)).toBe(true);

        const c: C = { state: 0, balance: 0n, stake: params.minClientStake, tokensUsed: 0n, unlockTs: 0, secretHash: 0n };
        const client = bc.openContract(await cocoonClientAt(clientCell(alice.address, proxy.address, childParams, c)));
        expect(client.address.equals((await cocoonClientFor(alice.address, proxy.address, proxyPublicKey, params)).address)).toBe(true);
        const w: W = { state: 0, tokens: 0n };
        const worker = bc.openContract(await cocoonWorkerAt(workerCell(gpu.address, proxy.address, childParams, w)));
        expect(worker.address.equals((await cocoonWorkerFor(gpu.address, proxy.address, proxyPublicKey, params)).address)).toBe(true);

        const check = async () => {
            await expectData(bc, proxy.address, proxyCell(operator.address, root.address, proxyParams, p));
            await expectData(bc, client.address, clientCell(alice.address, proxy.address, childParams, c));
            await expectData(bc, worker.address, workerCell(gpu.address, proxy.address, childParams, w));
        };
        // Notifications to the proxy carry 1 nanoTON and are not executed there: those check the sender.
        const ok = async (r: Promise<{ transactions: unknown }>, to: Address) =>
            expect((await r).transactions).toHaveTransaction({ to, success: true });
        const signedTo = (target: Address, op: number, tokens: bigint | null, queryId: bigint) =>
            anyone.send({
                to: target,
                value: toNano('0.5'),
                body: signedMessage(op, queryId, tokens, target, anyone.address, proxyKey.secretKey),
            });

        await ok(proxy.send(operator.getSender(), { value: toNano('2') }, null), proxy.address);
        await ok(client.send(alice.getSender(), { value: toNano('1') }, null), client.address);
        await ok(worker.send(gpu.getSender(), { value: toNano('1') }, null), worker.address);
        await check();

        // Getters answer from the hand-built data.
        expect(await proxy.getGetCocoonProxyData()).toMatchObject({
            proxyPublicKey,
            state: 0n,
            balance: 0n,
            stake: 0n,
            unlockTs: 0n,
            pricePerToken: params.pricePerToken,
            workerFeePerToken: params.workerFeePerToken,
            minProxyStake: params.minProxyStake,
            minClientStake: params.minClientStake,
            paramsVersion: 1n,
        });
        expect(await client.getGetCocoonClientData()).toMatchObject({
            proxyPublicKey,
            state: 0n,
            balance: 0n,
            stake: params.minClientStake,
            tokensUsed: 0n,
            unlockTs: 0n,
            secretHash: 0n,
        });
        expect(await worker.getGetCocoonWorkerData()).toMatchObject({ proxyPublicKey, state: 0n, tokens: 0n });

        const note = beginCell().storeUint(OP.doNotProcess, 32).storeUint(1, 64).endCell();
        for (const a of [proxy.address, client.address, worker.address])
            await ok(anyone.send({ to: a, value: toNano('0.05'), body: note }), a);
        await check();

        await ok(
            proxy.send(
                anyone.getSender(),
                { value: toNano('3.2') },
                { $$type: 'ExtProxyIncreaseStake', queryId: 1n, grams: toNano('3'), sendExcessesTo: anyone.address },
            ),
            proxy.address,
        );
        p.stake = toNano('3');
        await check();

        await ok(
            client.send(
                anyone.getSender(),
                { value: toNano('10.2') },
                { $$type: 'ExtClientTopUp', queryId: 2n, topUpAmount: toNano('10'), sendExcessesTo: anyone.address },
            ),
            proxy.address,
        );
        c.balance = toNano('10');
        await check();

        await ok(
            client.send(
                alice.getSender(),
                { value: toNano('1.2') },
                {
                    $$type: 'OwnerClientChangeSecretHashAndTopUp',
                    queryId: 3n,
                    topUpAmount: toNano('1'),
                    newSecretHash: 0x1234n,
                    sendExcessesTo: alice.address,
                },
            ),
            proxy.address,
        );
        c.balance += toNano('1');
        c.secretHash = 0x1234n;
        await check();

        await ok(
            client.send(
                alice.getSender(),
                { value: toNano('0.2') },
                { $$type: 'OwnerClientRegister', queryId: 4n, nonce: 77n, sendExcessesTo: alice.address },
            ),
            client.address,
        );
        await ok(
            client.send(
                alice.getSender(),
                { value: toNano('0.2') },
                { $$type: 'OwnerClientChangeSecretHash', queryId: 5n, newSecretHash: 0x5678n, sendExcessesTo: alice.address },
            ),
            client.address,
        );
        c.secretHash = 0x5678n;
        await ok(
            client.send(
                alice.getSender(),
                { value: toNano('0.2') },
                { $$type: 'OwnerClientIncreaseStake', queryId: 6n, newStake: toNano('2'), sendExcessesTo: alice.address },
            ),
            client.address,
        );
        c.stake = toNano('2');
        await check();

        await ok(signedTo(client.address, SIGNED_OP.clientCharge, 100_000n, 7n), client.address);
        c.tokensUsed = 100_000n;
        c.balance -= 100_000n * params.pricePerToken;
        await check();

        await ok(
            client.send(
                alice.getSender(),
                { value: toNano('0.2') },
                { $$type: 'OwnerClientWithdraw', queryId: 8n, sendExcessesTo: alice.address },
            ),
            proxy.address,
        );
        c.balance = c.stake;
        await check();

        await ok(signedTo(worker.address, SIGNED_OP.workerPayout, 50_000n, 9n), proxy.address);
        w.tokens = 50_000n;
        p.balance += 50_000n * (params.pricePerToken - params.workerFeePerToken);
        await check();
        await ok(
            proxy.send(
                anyone.getSender(),
                { value: toNano('0.2') },
                { $$type: 'ExtProxyPayoutRequest', queryId: 10n, sendExcessesTo: anyone.address },
            ),
            proxy.address,
        );
        p.balance = 0n;
        await check();
        await ok(signedTo(worker.address, SIGNED_OP.workerPayout, 55_000n, 11n), proxy.address);
        w.tokens = 55_000n;
        p.balance += 5_000n * (params.pricePerToken - params.workerFeePerToken);
        await check();
        await ok(
            operator.send({ to: proxy.address, value: toNano('0.2'), body: beginCell().storeUint(0, 32).storeStringTail('w').endCell() }),
            proxy.address,
        );
        p.balance = 0n;
        await ok(
            worker.send(
                gpu.getSender(),
                { value: toNano('0.2') },
                { $$type: 'OwnerWorkerRegister', queryId: 12n, sendExcessesTo: gpu.address },
            ),
            worker.address,
        );
        await check();

        // Client close: closing (nothing above the stake to refund), then closed with a forced refund.
        await ok(
            client.send(
                alice.getSender(),
                { value: toNano('0.2') },
                { $$type: 'OwnerClientRequestRefund', queryId: 13n, sendExcessesTo: alice.address },
            ),
            client.address,
        );
        c.state = 1;
        c.unlockTs = NOW + params.clientDelayBeforeClose;
        await check();
        bc.now = NOW + params.clientDelayBeforeClose + 1;
        await ok(
            client.send(
                alice.getSender(),
                { value: toNano('0.2') },
                { $$type: 'OwnerClientRequestRefund', queryId: 14n, sendExcessesTo: alice.address },
            ),
            proxy.address,
        );
        p.stake -= c.balance;
        c.state = 2;
        c.balance = 0n;
        await check();

        // Reopen (this implementation's handler for the original's declared top-up-reopen), then a granted refund.
        await ok(
            client.send(
                alice.getSender(),
                { value: toNano('1.2') },
                { $$type: 'OwnerClientTopUpReopen', queryId: 15n, topUpAmount: toNano('1'), sendExcessesTo: alice.address },
            ),
            proxy.address,
        );
        Object.assign(c, { state: 0, unlockTs: 0, balance: toNano('1') });
        await check();
        await ok(signedTo(client.address, SIGNED_OP.clientGrantRefund, 100_000n, 16n), proxy.address);
        Object.assign(c, { state: 2, unlockTs: 0, balance: 0n });
        await check();

        await ok(signedTo(worker.address, SIGNED_OP.workerLastPayout, 60_000n, 17n), proxy.address);
        Object.assign(w, { state: 2, tokens: 60_000n });
        p.balance += 5_000n * (params.pricePerToken - params.workerFeePerToken);
        await check();

        // Proxy close: closing, a refused top-up (the client's balance comes back down), closed.
        await ok(
            proxy.send(
                operator.getSender(),
                { value: toNano('0.2') },
                { $$type: 'OwnerProxyClose', queryId: 18n, sendExcessesTo: operator.address },
            ),
            proxy.address,
        );
        Object.assign(p, { state: 1, unlockTs: Number(bc.now) + params.proxyDelayBeforeClose });
        await check();
        const refused = await client.send(
            alice.getSender(),
            { value: toNano('1.2') },
            { $$type: 'OwnerClientTopUpReopen', queryId: 19n, topUpAmount: toNano('1'), sendExcessesTo: alice.address },
        );
        expect(refused.transactions).toHaveTransaction({ from: proxy.address, to: client.address, op: OP.refused, success: true });
        Object.assign(c, { state: 0, unlockTs: 0 });
        await check();
        bc.now = p.unlockTs;
        await ok(signedTo(proxy.address, SIGNED_OP.proxyCloseComplete, null, 20n), proxy.address);
        Object.assign(p, { state: 2, unlockTs: 0, balance: 0n, stake: 0n });
        await check();
        expect(await proxy.getGetCocoonProxyData()).toMatchObject({ state: 2n, balance: 0n, stake: 0n, unlockTs: 0n });
        expect(await client.getGetCocoonClientData()).toMatchObject({
            state: 0n,
            balance: 0n,
            stake: toNano('2'),
            tokensUsed: 100_000n,
            secretHash: 0x5678n,
        });
        expect(await worker.getGetCocoonWorkerData()).toMatchObject({ state: 2n, tokens: 60_000n });
    });

    it('proxy: "c" and the signed close request write closing the same way', async () => {
        const proxyParams = buildParamsCell(params, CODE_MASK.proxyContract);
        for (const how of ['c', 'signed'] as const) {
            const p: P = { state: 0, balance: 0n, stake: toNano('1'), unlockTs: 0 };
            const proxy = bc.openContract(
                await cocoonProxyAt(proxyCell(operator.address, how === 'c' ? root.address : anyone.address, proxyParams, p)),
            );
            await proxy.send(operator.getSender(), { value: toNano('2') }, null);
            const r =
                how === 'c'
                    ? await operator.send({
                          to: proxy.address,
                          value: toNano('0.2'),
                          body: beginCell().storeUint(0, 32).storeStringTail('c').endCell(),
                      })
                    : await anyone.send({
                          to: proxy.address,
                          value: toNano('0.2'),
                          body: signedMessage(SIGNED_OP.proxyClose, 1n, null, proxy.address, anyone.address, proxyKey.secretKey),
                      });
            expect(r.transactions).toHaveTransaction({ to: proxy.address, success: true });
            await expectData(
                bc,
                proxy.address,
                proxyCell(operator.address, how === 'c' ? root.address : anyone.address, proxyParams, {
                    ...p,
                    state: 1,
                    unlockTs: NOW + params.proxyDelayBeforeClose,
                }),
            );
        }
    });

    it('wallet: hand-built data, getters, externals and owner commands', async () => {
        const key = keyPairFromSeed(Buffer.alloc(32, 3));
        const walletCell = (seqno: number, status: number) =>
            beginCell()
                .storeUint(seqno, 32)
                .storeUint(0, 32)
                .storeBuffer(key.publicKey)
                .storeUint(status, 32)
                .storeAddress(operator.address)
                .endCell();
        const wallet = bc.openContract(await cocoonWalletAt(walletCell(0, 0)));
        expect(wallet.address.equals((await cocoonWalletFor(operator.address, key.publicKey)).address)).toBe(true);
        await operator.send({ to: wallet.address, value: toNano('5'), bounce: false, init: wallet.init });
        expect(await wallet.getSeqno()).toBe(0n);
        expect(await wallet.getGetPublicKey()).toBe(bufferToBigInt(key.publicKey));
        expect((await wallet.getGetOwnerAddress()).equals(operator.address)).toBe(true);
        await bc.sendMessage(
            walletExternal(
                wallet,
                { seqno: 0, validUntil: NOW + 60, messages: [{ mode: 1, message: internal({ to: anyone.address, value: 1n }) }] },
                key.secretKey,
                false,
            ),
        );
        await expectData(bc, wallet.address, walletCell(1, 0));
        const text = (t: string) =>
            operator.send({ to: wallet.address, value: toNano('0.05'), body: beginCell().storeUint(0, 32).storeStringTail(t).endCell() });
        await text('b');
        await expectData(bc, wallet.address, walletCell(1, 1));
        await text('u');
        await expectData(bc, wallet.address, walletCell(1, 0));
        await wallet.send(
            operator.getSender(),
            { value: toNano('0.1') },
            {
                $$type: 'OwnerWalletSendMessage',
                queryId: 0n,
                mode: 1n,
                message: beginCell()
                    .store(storeMessageRelaxed(internal({ to: anyone.address, value: 1n })))
                    .endCell(),
            },
        );
        await text('w');
        await expectData(bc, wallet.address, walletCell(1, 0));
    });

    it('root: hand-built data, getters, and every owner operation leaves the original bits', async () => {
        const hashSet = (hs: bigint[]) => {
            const d = Dictionary.empty(Dictionary.Keys.BigUint(256), { serialize: (_v: null, _b) => undefined, parse: () => null });
            for (const h of hs) d.set(h, null);
            return d;
        };
        type Reg = { proxies: bigint[]; registered: Map<number, string>; last: number; workers: bigint[]; models: bigint[] };
        const registryCell = (r: Reg) => {
            const d = Dictionary.empty(Dictionary.Keys.Uint(32), {
                serialize: (v: string, b) => b.storeSlice(encodeProxyDesc(v).beginParse()),
                parse: () => '',
            });
            for (const [k, v] of r.registered) d.set(k, v);
            return beginCell()
                .storeDict(hashSet(r.proxies))
                .storeDict(d)
                .storeUint(r.last, 32)
                .storeDict(hashSet(r.workers))
                .storeDict(hashSet(r.models))
                .endCell();
        };
        const rootCell = (owner: Address, version: number, r: Reg, p: CocoonParams) =>
            beginCell()
                .storeAddress(owner)
                .storeUint(version, 32)
                .storeRef(registryCell(r))
                .storeRef(buildParamsCell(p, CODE_MASK.root))
                .endCell();
        const reg: Reg = { proxies: [], registered: new Map(), last: 0, workers: [], models: [] };
        let version = 0;
        let owner = operator.address;
        let p = { ...params };
        const rootC = bc.openContract(await cocoonRootAt(rootCell(owner, version, reg, p)));
        expect(rootC.address.equals((await cocoonRootFor(operator.address, params)).address)).toBe(true);
        await rootC.send(operator.getSender(), { value: toNano('1') }, null);
        const op = async (body: Cell, change: () => void, from: SandboxContract<TreasuryContract> = operator) => {
            expect((await from.send({ to: rootC.address, value: toNano('0.1'), body })).transactions).toHaveTransaction({
                to: rootC.address,
                success: true,
            });
            change();
            await expectData(bc, rootC.address, rootCell(owner, version, reg, p));
        };
        await op(rootMsg.hash(ROOT_OP.addWorkerType, 0xaan), () => {
            reg.workers = [0xaan];
            version++;
        });
        await op(rootMsg.hash(ROOT_OP.addModelType, 0xbbn), () => {
            reg.models = [0xbbn];
            version++;
        });
        await op(rootMsg.hash(ROOT_OP.addProxyType, 0xccn), () => {
            reg.proxies = [0xccn];
            version++;
        });
        await op(rootMsg.registerProxy('10.0.0.1:8080'), () => {
            reg.last = 1;
            reg.registered.set(1, '10.0.0.1:8080');
            version++;
        });
        await op(rootMsg.registerProxy('10.0.0.2:8080'), () => {
            reg.last = 2;
            reg.registered.set(2, '10.0.0.2:8080');
            version++;
        });
        await op(rootMsg.updateProxy(1, '10.0.0.9:1'), () => {
            reg.registered.set(1, '10.0.0.9:1');
            version++;
        });
        await op(rootMsg.unregisterProxy(2), () => {
            reg.registered.delete(2);
            version++;
        });
        expect(await rootC.getLastProxySeqno()).toBe(2n);
        expect(await rootC.getWorkerHashIsValid(0xaan)).toBe(-1n);
        expect(await rootC.getModelHashIsValid(0xbbn)).toBe(-1n);
        expect(await rootC.getProxyHashIsValid(0xccn)).toBe(-1n);
        await op(rootMsg.hash(ROOT_OP.delWorkerType, 0xaan), () => {
            reg.workers = [];
            version++;
        });
        await op(rootMsg.hash(ROOT_OP.delModelType, 0xbbn), () => {
            reg.models = [];
            version++;
        });
        await op(rootMsg.hash(ROOT_OP.delProxyType, 0xccn), () => {
            reg.proxies = [];
            version++;
        });
        await op(rootMsg.changeFees(20_000n, 15_000n), () => {
            p = { ...p, pricePerToken: 20_000n, workerFeePerToken: 15_000n, paramsVersion: p.paramsVersion + 1 };
            version++;
        });
        const cp = {
            price: 30_000n,
            workerFee: 20_000n,
            proxyDelay: 100,
            clientDelay: 50,
            minProxyStake: toNano('2'),
            minClientStake: toNano('3'),
        };
        await op(rootMsg.changeParams(cp), () => {
            p = {
                ...p,
                pricePerToken: cp.price,
                workerFeePerToken: cp.workerFee,
                proxyDelayBeforeClose: cp.proxyDelay,
                clientDelayBeforeClose: cp.clientDelay,
                minProxyStake: cp.minProxyStake,
                minClientStake: cp.minClientStake,
                paramsVersion: p.paramsVersion + 1,
            };
            version++;
        });
        const full = { ...p, uniqueId: 99, isTest: false, cachedTokensPriceMultiplier: 5000, paramsVersion: 1234 };
        await op(rootMsg.changeParamsFull(full), () => {
            p = { ...full, paramsVersion: p.paramsVersion + 1 };
            version++;
        });
        const codes = await childCodes();
        await op(rootMsg.upgradeContracts(codes.worker, codes.client, codes.proxy), () => {
            p = {
                ...p,
                proxyScCode: codes.worker,
                workerScCode: codes.client,
                clientScCode: codes.proxy,
                paramsVersion: p.paramsVersion + 1,
            };
            version++;
        });
        expect(await rootC.getGetCocoonData()).toMatchObject({
            version: BigInt(version),
            lastProxySeqno: 2n,
            paramsVersion: BigInt(p.paramsVersion),
            uniqueId: 99n,
            isTest: 0n,
            pricePerToken: p.pricePerToken,
        });
        expect(await rootC.getGetCurParams()).toMatchObject({
            cachedMult: 5000n,
            proxyCodeHash: bufferToBigInt(codes.worker.hash()),
        });
        await op(rootMsg.reset(), () => {
            reg.registered.clear();
            version++;
        });
        await op(rootMsg.changeOwner(anyone.address), () => {
            owner = anyone.address;
            version++;
        });
        await op(rootMsg.upgrade((await CocoonRoot.init()).code), () => undefined, anyone);
        const replaced = rootCell(operator.address, 7, reg, params);
        await op(
            rootMsg.upgradeFull(replaced, (await CocoonRoot.init()).code),
            () => {
                owner = operator.address;
                version = 7;
                p = { ...params };
            },
            anyone,
        );
    });
});
