import { Blockchain, type SandboxContract, type TreasuryContract } from '@ton/sandbox';
import '@ton/test-utils';
import { beginCell, toNano, type Cell } from '@ton/core';
import { CocoonRoot, cocoonRootFor, parseRootState, ROOT_OP, rootMsg } from '../../wrappers/CocoonRoot';
import { childCodes } from '../../wrappers/CocoonProxy';
import { OP, testParams } from './helpers';
import { bufferToBigInt } from '../../wrappers/uint256';

describe('CocoonRoot', () => {
    let bc: Blockchain;
    let owner: SandboxContract<TreasuryContract>;
    let stranger: SandboxContract<TreasuryContract>;
    let root: SandboxContract<CocoonRoot>;

    beforeEach(async () => {
        bc = await Blockchain.create();
        owner = await bc.treasury('owner');
        stranger = await bc.treasury('stranger');
        const codes = await childCodes();
        root = bc.openContract(
            await cocoonRootFor(
                owner.address,
                testParams({ proxyScCode: codes.proxy, workerScCode: codes.worker, clientScCode: codes.client }),
            ),
        );
        await root.send(owner.getSender(), { value: toNano('1') }, null);
    });

    const send = (body: Cell, from = owner) => from.send({ to: root.address, value: toNano('0.1'), body });
    const state = async () =>
        parseRootState(
            (await bc.getContract(root.address)).accountState!.type === 'active'
                ? ((await bc.getContract(root.address)).accountState as { state: { data: Cell } }).state.data
                : beginCell().endCell(),
        );

    it('manages image and model hash sets; each change bumps version and returns excesses to the owner', async () => {
        const r = await send(rootMsg.hash(ROOT_OP.addWorkerType, 0xaan));
        expect(r.transactions).toHaveTransaction({ from: root.address, to: owner.address, op: OP.excesses });
        await send(rootMsg.hash(ROOT_OP.addModelType, 0xbbn));
        await send(rootMsg.hash(ROOT_OP.addProxyType, 0xccn));
        expect(await root.getWorkerHashIsValid(0xaan)).toBe(-1n);
        expect(await root.getModelHashIsValid(0xbbn)).toBe(-1n);
        expect(await root.getProxyHashIsValid(0xccn)).toBe(-1n);
        expect(await root.getProxyHashIsValid(0xaan)).toBe(0n);
        await send(rootMsg.hash(ROOT_OP.delWorkerType, 0xaan));
        await send(rootMsg.hash(ROOT_OP.delModelType, 0xbbn));
        await send(rootMsg.hash(ROOT_OP.delProxyType, 0xccn));
        expect(await root.getWorkerHashIsValid(0xaan)).toBe(0n);
        const s = await state();
        expect(s.version).toBe(6);
        expect(s.registry).toMatchObject({ proxyHashes: [], workerHashes: [], modelHashes: [] });
    });

    it('registers, updates and unregisters proxies by seqno; validates descriptors (1004) and seqnos (2000)', async () => {
        await send(rootMsg.registerProxy('10.0.0.1:11001'));
        await send(rootMsg.registerProxy('10.0.0.2:11001 10.0.0.2:11002'));
        expect(await root.getLastProxySeqno()).toBe(2n);
        await send(rootMsg.updateProxy(1, '10.0.0.9:11001'));
        let s = await state();
        expect([...s.registry.registeredProxies]).toEqual([
            [1, '10.0.0.9:11001'],
            [2, '10.0.0.2:11001 10.0.0.2:11002'],
        ]);
        expect((await send(rootMsg.updateProxy(7, '1.1.1.1:1'))).transactions).toHaveTransaction({ to: root.address, exitCode: 2000 });
        const bad = beginCell().storeUint(ROOT_OP.registerProxy, 32).storeUint(0, 64).storeUint(1, 1).storeUint(0, 7).endCell();
        expect((await send(bad)).transactions).toHaveTransaction({ to: root.address, exitCode: 1004 });
        await send(rootMsg.unregisterProxy(1));
        s = await state();
        expect([...s.registry.registeredProxies.keys()]).toEqual([2]);
        expect(s.registry.lastProxySeqno).toBe(2);
    });

    it('changes prices and params (params_version + 1 each) and child codes', async () => {
        await send(rootMsg.changeFees(20n, 18n));
        let d = await root.getGetCocoonData();
        expect(d).toMatchObject({ paramsVersion: 2n, pricePerToken: 20n, workerFeePerToken: 18n, uniqueId: 17n, isTest: 1n });
        await send(
            rootMsg.changeParams({ price: 30n, workerFee: 25n, proxyDelay: 100, clientDelay: 50, minProxyStake: 5n, minClientStake: 6n }),
        );
        const p = await root.getGetCurParams();
        expect(p).toMatchObject({
            paramsVersion: 3n,
            pricePerToken: 30n,
            workerFeePerToken: 25n,
            proxyDelayBeforeClose: 100n,
            clientDelayBeforeClose: 50n,
            minProxyStake: 5n,
            minClientStake: 6n,
        });
        const code = beginCell().storeUint(1, 8).endCell();
        await send(rootMsg.upgradeContracts(code, code, code));
        const p2 = await root.getGetCurParams();
        expect(p2.paramsVersion).toBe(4n);
        expect(p2.workerCodeHash).toBe(bufferToBigInt(code.hash()));
        // change_params_full (declared but unhandled upstream) replaces every field, including multipliers.
        await send(rootMsg.changeParamsFull(testParams({ promptTokensPriceMultiplier: 12000, uniqueId: 99 })));
        const s = await state();
        expect(s.params).toMatchObject({ paramsVersion: 5, promptTokensPriceMultiplier: 12000, uniqueId: 99 });
        d = await root.getGetCocoonData();
        expect(d.version).toBe(4n);
    });

    it('resets the registry (keeping last_proxy_seqno), changes owner; strangers get 1010, unknown ops 1012', async () => {
        await send(rootMsg.registerProxy('1.2.3.4:5'));
        await send(rootMsg.hash(ROOT_OP.addWorkerType, 1n));
        await send(rootMsg.reset());
        const s = await state();
        expect(s.registry).toMatchObject({ workerHashes: [], lastProxySeqno: 1 });
        expect(s.registry.registeredProxies.size).toBe(0);
        expect((await send(rootMsg.hash(ROOT_OP.addWorkerType, 1n), stranger)).transactions).toHaveTransaction({
            to: root.address,
            exitCode: 1010,
        });
        await send(rootMsg.changeOwner(stranger.address));
        expect((await send(rootMsg.hash(ROOT_OP.addWorkerType, 1n))).transactions).toHaveTransaction({ to: root.address, exitCode: 1010 });
        expect((await send(rootMsg.hash(ROOT_OP.addWorkerType, 1n), stranger)).transactions).toHaveTransaction({
            to: root.address,
            success: true,
        });
        expect((await send(beginCell().storeUint(0x1234, 32).storeUint(0, 64).endCell(), stranger)).transactions).toHaveTransaction({
            to: root.address,
            exitCode: 1012,
        });
    });

    it('upgrades its code (no version bump) and fully replaces data and code', async () => {
        const before = await state();
        const sameCode = root.init!.code;
        const r = await send(rootMsg.upgrade(sameCode));
        expect(r.transactions).toHaveTransaction({ from: root.address, to: owner.address, op: OP.excesses });
        expect((await state()).version).toBe(before.version);
        const newData = beginCell()
            .storeAddress(stranger.address)
            .storeUint(42, 32)
            .storeRef(root.init!.data.refs[0])
            .storeRef(root.init!.data.refs[1])
            .endCell();
        const full = await send(rootMsg.upgradeFull(newData, sameCode));
        expect(full.transactions).toHaveTransaction({ to: root.address, success: true });
        expect(full.transactions).toHaveTransaction({ from: root.address, to: owner.address, op: OP.excesses });
        const after = await state();
        expect(after.version).toBe(42);
        expect(after.owner.equals(stranger.address)).toBe(true);
    });
});
