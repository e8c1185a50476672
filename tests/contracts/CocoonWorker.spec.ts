import { Blockchain, type SandboxContract, type TreasuryContract } from '@ton/sandbox';
import '@ton/test-utils';
import { beginCell, toNano, type Cell } from '@ton/core';
import { buildWorkerData, CocoonWorker, cocoonWorkerAt, cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { buildParamsCell, CODE_MASK } from '../../wrappers/params';
import { paymentPayload, signedMessage, signPayload, wrapSigned, SIGNED_OP } from '../../wrappers/signed';
import { OP, otherKey, proxyKey, proxyPublicKey, testParams } from './helpers';

describe('CocoonWorker', () => {
    let bc: Blockchain;
    let owner: SandboxContract<TreasuryContract>;
    let proxy: SandboxContract<TreasuryContract>;
    let anyone: SandboxContract<TreasuryContract>;
    let worker: SandboxContract<CocoonWorker>;
    const params = testParams();

    beforeEach(async () => {
        bc = await Blockchain.create();
        bc.now = 1_800_000_000;
        owner = await bc.treasury('owner');
        proxy = await bc.treasury('proxy');
        anyone = await bc.treasury('anyone');
        worker = bc.openContract(await cocoonWorkerFor(owner.address, proxy.address, proxyPublicKey, params));
        const r = await worker.send(owner.getSender(), { value: toNano('0.3') }, null);
        expect(r.transactions).toHaveTransaction({ to: worker.address, deploy: true, success: true });
    });

    const sendBody = (body: Cell, value = toNano('0.5'), from = anyone) => from.send({ to: worker.address, value, body });
    const payout = (
        tokens: bigint,
        op: typeof SIGNED_OP.workerPayout | typeof SIGNED_OP.workerLastPayout = SIGNED_OP.workerPayout,
        queryId = 7n,
    ) => signedMessage(op, queryId, tokens, worker.address, anyone.address, proxyKey.secretKey);

    it('stores init data exactly as the original layout (owner proxy key:256 state:2 tokens:64 ^params)', async () => {
        const expected = beginCell()
            .storeAddress(owner.address)
            .storeAddress(proxy.address)
            .storeUint(proxyPublicKey, 256)
            .storeUint(0, 2)
            .storeUint(0, 64)
            .storeRef(buildParamsCell(params, CODE_MASK.child))
            .endCell();
        expect(worker.init!.data.equals(expected)).toBe(true);
        const d = await worker.getGetCocoonWorkerData();
        expect(d).toMatchObject({ proxyPublicKey, state: 0n, tokens: 0n });
        expect(d.ownerAddress.equals(owner.address)).toBe(true);
    });

    it('pays out the token delta: worker part = delta * fee, proxy part = delta * (price - fee), forwarded to the proxy', async () => {
        const r = await sendBody(payout(1000n));
        expect(r.transactions).toHaveTransaction({ from: worker.address, to: proxy.address, op: OP.workerProxyRequest, success: true });
        const out = r.transactions.find((t) => t.inMessage?.info.src?.toString() === worker.address.toString())!;
        const s = out.inMessage!.body.beginParse();
        expect(s.loadUint(32)).toBe(OP.workerProxyRequest);
        expect(s.loadUintBig(64)).toBe(7n);
        expect(s.loadAddress().equals(owner.address)).toBe(true);
        expect(s.loadUint(2)).toBe(0);
        expect(s.loadUintBig(64)).toBe(1000n);
        const p = s.loadMaybeRef()!.beginParse();
        expect(p.loadUint(32)).toBe(0x08e7d036);
        expect(p.loadCoins()).toBe(1000n * 9_000n);
        expect(p.loadCoins()).toBe(1000n * 1_000n);
        expect(p.loadAddress().equals(anyone.address)).toBe(true);
        expect((await worker.getGetCocoonWorkerData()).tokens).toBe(1000n);
        // Next payout pays only the growth.
        await sendBody(payout(1500n, SIGNED_OP.workerPayout, 8n));
        expect((await worker.getGetCocoonWorkerData()).tokens).toBe(1500n);
    });

    it('rejects replays (1000), wrong key (1007), payload/op mismatch (1005), another contract (1015), low value (1003)', async () => {
        await sendBody(payout(1000n));
        expect((await sendBody(payout(1000n))).transactions).toHaveTransaction({ to: worker.address, success: false, exitCode: 1000 });
        expect((await sendBody(payout(999n))).transactions).toHaveTransaction({ to: worker.address, success: false, exitCode: 1000 });
        const forged = signedMessage(SIGNED_OP.workerPayout, 1n, 5000n, worker.address, anyone.address, otherKey.secretKey);
        expect((await sendBody(forged)).transactions).toHaveTransaction({ to: worker.address, success: false, exitCode: 1007 });
        const signed = signPayload(paymentPayload(SIGNED_OP.workerPayout, 1n, 5000n, worker.address), proxyKey.secretKey);
        expect((await sendBody(wrapSigned(SIGNED_OP.workerPayout, 2n, anyone.address, signed))).transactions).toHaveTransaction({
            to: worker.address,
            exitCode: 1005,
        });
        expect((await sendBody(wrapSigned(SIGNED_OP.workerLastPayout, 1n, anyone.address, signed))).transactions).toHaveTransaction({
            to: worker.address,
            exitCode: 1005,
        });
        const elsewhere = signedMessage(SIGNED_OP.workerPayout, 1n, 5000n, proxy.address, anyone.address, proxyKey.secretKey);
        expect((await sendBody(elsewhere)).transactions).toHaveTransaction({ to: worker.address, exitCode: 1015 });
        expect((await sendBody(payout(5000n), toNano('0.1'))).transactions).toHaveTransaction({ to: worker.address, exitCode: 1003 });
        expect((await worker.getGetCocoonWorkerData()).tokens).toBe(1000n);
    });

    it('last payout accepts an equal counter, closes the vault, and everything afterwards fails with 1006', async () => {
        await sendBody(payout(1000n));
        const r = await sendBody(payout(1000n, SIGNED_OP.workerLastPayout));
        expect(r.transactions).toHaveTransaction({ from: worker.address, to: proxy.address, op: OP.workerProxyRequest });
        expect((await worker.getGetCocoonWorkerData()).state).toBe(2n);
        expect((await sendBody(payout(2000n))).transactions).toHaveTransaction({ to: worker.address, exitCode: 1006 });
        const reg = await worker.send(
            owner.getSender(),
            { value: toNano('0.5') },
            { $$type: 'OwnerWorkerRegister', queryId: 1n, sendExcessesTo: owner.address },
        );
        expect(reg.transactions).toHaveTransaction({ to: worker.address, exitCode: 1006 });
    });

    it('owner register notifies the proxy with the state and returns excesses; others get 1010', async () => {
        const r = await worker.send(
            owner.getSender(),
            { value: toNano('0.5') },
            { $$type: 'OwnerWorkerRegister', queryId: 3n, sendExcessesTo: owner.address },
        );
        expect(r.transactions).toHaveTransaction({ from: worker.address, to: proxy.address, op: OP.workerProxyRequest, value: 1n });
        expect(r.transactions).toHaveTransaction({ from: worker.address, to: owner.address, op: OP.excesses });
        const bad = await worker.send(
            anyone.getSender(),
            { value: toNano('0.5') },
            { $$type: 'OwnerWorkerRegister', queryId: 3n, sendExcessesTo: anyone.address },
        );
        expect(bad.transactions).toHaveTransaction({ to: worker.address, exitCode: 1010 });
    });

    it('refuses to pay from damaged params (struct_version != 3: 1008)', async () => {
        const damaged = bc.openContract(
            await cocoonWorkerAt(
                buildWorkerData({
                    ownerAddress: owner.address,
                    proxyAddress: proxy.address,
                    proxyPublicKey,
                    state: 0n,
                    tokens: 0n,
                    params: buildParamsCell({ ...params, structVersion: 2 }, CODE_MASK.child),
                }),
            ),
        );
        await damaged.send(owner.getSender(), { value: toNano('0.3') }, null);
        const body = signedMessage(SIGNED_OP.workerPayout, 1n, 10n, damaged.address, anyone.address, proxyKey.secretKey);
        expect((await anyone.send({ to: damaged.address, value: toNano('0.5'), body })).transactions).toHaveTransaction({
            to: damaged.address,
            exitCode: 1008,
        });
    });

    it('ignores empty bodies and do_not_process notes; unknown ops fail with 1012', async () => {
        expect((await anyone.send({ to: worker.address, value: toNano('0.2') })).transactions).toHaveTransaction({
            to: worker.address,
            success: true,
        });
        const note = beginCell().storeUint(0x9a1247c0, 32).storeUint(0, 64).storeUint(0x53109c0f, 32).endCell();
        expect((await sendBody(note, toNano('0.05'))).transactions).toHaveTransaction({ to: worker.address, success: true });
        expect((await sendBody(beginCell().storeUint(0xdeadbeef, 32).storeUint(0, 64).endCell())).transactions).toHaveTransaction({
            to: worker.address,
            exitCode: 1012,
        });
    });
});
