import { Blockchain, type SandboxContract, type TreasuryContract } from '@ton/sandbox';
import '@ton/test-utils';
import { beginCell, toNano, type Cell } from '@ton/core';
import { CocoonProxy, childCodes, cocoonProxyFor } from '../../wrappers/CocoonProxy';
import { CocoonClient, cocoonClientFor } from '../../wrappers/CocoonClient';
import { CocoonWorker, cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import type { CocoonParams } from '../../wrappers/params';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import { OP, otherKey, proxyKey, proxyPublicKey, testParams } from './helpers';
import { bufferToBigInt } from '../../wrappers/uint256';

describe('CocoonProxy', () => {
    let bc: Blockchain;
    let operator: SandboxContract<TreasuryContract>;
    let root: SandboxContract<TreasuryContract>;
    let alice: SandboxContract<TreasuryContract>;
    let gpu: SandboxContract<TreasuryContract>;
    let anyone: SandboxContract<TreasuryContract>;
    let proxy: SandboxContract<CocoonProxy>;
    let client: SandboxContract<CocoonClient>;
    let worker: SandboxContract<CocoonWorker>;
    let params: CocoonParams;
    const NOW = 1_800_000_000;

    beforeEach(async () => {
        bc = await Blockchain.create();
        bc.now = NOW;
        [operator, root, alice, gpu, anyone] = await Promise.all(['operator', 'root', 'alice', 'gpu', 'anyone'].map((n) => bc.treasury(n)));
        const codes = await childCodes();
        params = testParams({ workerScCode: codes.worker, clientScCode: codes.client, proxyScCode: codes.proxy });
        proxy = bc.openContract(await cocoonProxyFor(operator.address, proxyPublicKey, root.address, params));
        await proxy.send(operator.getSender(), { value: toNano('0.3') }, null);
        client = bc.openContract(await cocoonClientFor(alice.address, proxy.address, proxyPublicKey, params));
        await client.send(alice.getSender(), { value: toNano('0.8') }, null);
        worker = bc.openContract(await cocoonWorkerFor(gpu.address, proxy.address, proxyPublicKey, params));
        await worker.send(gpu.getSender(), { value: toNano('0.3') }, null);
    });

    const data = () => proxy.getGetCocoonProxyData();
    const topUp = (amount: bigint) =>
        client.send(
            alice.getSender(),
            { value: amount + toNano('0.7') },
            { $$type: 'ExtClientTopUp', queryId: 1n, topUpAmount: amount, sendExcessesTo: alice.address },
        );
    const signedTo = (
        target: typeof client | typeof worker | typeof proxy,
        op: Parameters<typeof signedMessage>[0],
        tokens: bigint | null,
        key = proxyKey.secretKey,
    ) =>
        anyone.send({ to: target.address, value: toNano('0.7'), body: signedMessage(op, 9n, tokens, target.address, anyone.address, key) });

    it('reports its data with the params fields (get_cocoon_proxy_data)', async () => {
        expect(await data()).toMatchObject({
            proxyPublicKey,
            state: 0n,
            balance: 0n,
            stake: 0n,
            unlockTs: 0n,
            pricePerToken: 10_000n,
            workerFeePerToken: 9_000n,
            minClientStake: toNano('1'),
            paramsVersion: 1n,
        });
    });

    it('keeps client top-ups from its own client contract and refunds them on withdraw', async () => {
        const before = (await bc.getContract(proxy.address)).balance;
        const r = await topUp(toNano('10'));
        expect(r.transactions).toHaveTransaction({ from: client.address, to: proxy.address, success: true });
        expect(r.transactions).toHaveTransaction({ from: proxy.address, to: alice.address, op: OP.excesses });
        expect((await bc.getContract(proxy.address)).balance - before).toBeGreaterThanOrEqual(toNano('10'));
        const w = await client.send(
            alice.getSender(),
            { value: toNano('0.7') },
            { $$type: 'OwnerClientWithdraw', queryId: 2n, sendExcessesTo: alice.address },
        );
        expect(w.transactions).toHaveTransaction({ from: proxy.address, to: alice.address, op: OP.payout, value: toNano('9') });
    });

    it('rejects requests from contracts that are not its children (1014)', async () => {
        // A look-alike client contract for another proxy key cannot touch this proxy's money.
        const fake = bc.openContract(await cocoonClientFor(alice.address, proxy.address, bufferToBigInt(otherKey.publicKey), params));
        await fake.send(alice.getSender(), { value: toNano('0.8') }, null);
        const r = await fake.send(
            alice.getSender(),
            { value: toNano('2') },
            { $$type: 'ExtClientTopUp', queryId: 1n, topUpAmount: toNano('1'), sendExcessesTo: alice.address },
        );
        expect(r.transactions).toHaveTransaction({ from: fake.address, to: proxy.address, success: false, exitCode: 1014 });
        // The rejected forward bounces back to the look-alike, which ignores bounces.
        expect(r.transactions).toHaveTransaction({ from: proxy.address, to: fake.address, inMessageBounced: true, success: true });
        const direct = beginCell()
            .storeUint(OP.workerProxyRequest, 32)
            .storeUint(0, 64)
            .storeAddress(gpu.address)
            .storeUint(0, 2)
            .storeUint(10, 64)
            .storeMaybeRef(
                beginCell().storeUint(0x08e7d036, 32).storeCoins(toNano('5')).storeCoins(0).storeAddress(anyone.address).endCell(),
            )
            .endCell();
        expect((await anyone.send({ to: proxy.address, value: toNano('0.5'), body: direct })).transactions).toHaveTransaction({
            to: proxy.address,
            exitCode: 1014,
        });
    });

    it('pays workers their part and accrues the commission; the owner withdraws it', async () => {
        await topUp(toNano('10'));
        const r = await signedTo(worker, SIGNED_OP.workerPayout, 100_000n);
        expect(r.transactions).toHaveTransaction({ from: proxy.address, to: gpu.address, op: OP.payout, value: 100_000n * 9_000n });
        expect((await data()).balance).toBe(100_000n * 1_000n);
        const w = await proxy.send(
            anyone.getSender(),
            { value: toNano('0.2') },
            { $$type: 'ExtProxyPayoutRequest', queryId: 3n, sendExcessesTo: anyone.address },
        );
        expect(w.transactions).toHaveTransaction({ from: proxy.address, to: operator.address, op: OP.payout, value: 100_000n * 1_000n });
        expect((await data()).balance).toBe(0n);
    });

    it('increases the stake and pays forced client refunds from it, capped', async () => {
        await proxy.send(
            anyone.getSender(),
            { value: toNano('1.2') },
            { $$type: 'ExtProxyIncreaseStake', queryId: 1n, grams: toNano('1'), sendExcessesTo: anyone.address },
        );
        expect((await data()).stake).toBe(toNano('1'));
        await topUp(toNano('3'));
        await client.send(
            alice.getSender(),
            { value: toNano('0.7') },
            { $$type: 'OwnerClientRequestRefund', queryId: 1n, sendExcessesTo: alice.address },
        );
        bc.now = NOW + params.clientDelayBeforeClose + 1;
        const r = await client.send(
            alice.getSender(),
            { value: toNano('0.7') },
            { $$type: 'OwnerClientRequestRefund', queryId: 1n, sendExcessesTo: alice.address },
        );
        expect(r.transactions).toHaveTransaction({ from: proxy.address, to: alice.address, op: OP.payout, value: toNano('1') });
        expect((await data()).stake).toBe(0n);
    });

    it('closes in two steps (owner or signed): closing, then after the delay everything goes to the owner', async () => {
        await topUp(toNano('5'));
        expect(
            (
                await proxy.send(
                    anyone.getSender(),
                    { value: toNano('0.2') },
                    { $$type: 'OwnerProxyClose', queryId: 1n, sendExcessesTo: anyone.address },
                )
            ).transactions,
        ).toHaveTransaction({ to: proxy.address, exitCode: 1010 });
        expect((await signedTo(proxy, SIGNED_OP.proxyClose, null, otherKey.secretKey)).transactions).toHaveTransaction({
            to: proxy.address,
            exitCode: 1007,
        });
        expect((await signedTo(proxy, SIGNED_OP.proxyCloseComplete, null)).transactions).toHaveTransaction({
            to: proxy.address,
            exitCode: 1006,
        });
        await signedTo(proxy, SIGNED_OP.proxyClose, null);
        expect(await data()).toMatchObject({ state: 1n, unlockTs: BigInt(NOW + params.proxyDelayBeforeClose) });
        expect((await signedTo(proxy, SIGNED_OP.proxyClose, null)).transactions).toHaveTransaction({ to: proxy.address, exitCode: 1006 });
        expect((await signedTo(proxy, SIGNED_OP.proxyCloseComplete, null)).transactions).toHaveTransaction({
            to: proxy.address,
            exitCode: 1011,
        });
        // A top-up while closing is refused back to the client contract, which takes it off the balance and
        // pays it to its owner (the original paid it from the proxy and left the client's balance counting it).
        const before = (await client.getGetCocoonClientData()).balance;
        const late = await topUp(toNano('1'));
        expect(late.transactions).toHaveTransaction({ from: proxy.address, to: client.address, op: OP.refused, success: true });
        // Sent with mode 0: the forward fee comes out of the refund.
        expect(late.transactions).toHaveTransaction({
            from: client.address,
            to: alice.address,
            op: OP.payout,
            value: (v?: bigint) => v! > toNano('0.99') && v! <= toNano('1'),
        });
        expect((await client.getGetCocoonClientData()).balance).toBe(before);
        bc.now = NOW + params.proxyDelayBeforeClose;
        const done = await signedTo(proxy, SIGNED_OP.proxyCloseComplete, null);
        expect(done.transactions).toHaveTransaction({ from: proxy.address, to: operator.address, op: OP.payout });
        expect(await data()).toMatchObject({ state: 2n, balance: 0n, stake: 0n });
        expect((await bc.getContract(proxy.address)).balance).toBeLessThanOrEqual(toNano('0.011'));
        // A closed proxy pays nothing: the payout is refused back (exit code 1006 in the refusal) and the worker keeps its counter.
        const refusedPayout = await signedTo(worker, SIGNED_OP.workerPayout, 10n);
        expect(refusedPayout.transactions).toHaveTransaction({
            from: proxy.address,
            to: worker.address,
            op: OP.refused,
            body: (b?: Cell) =>
                !!b &&
                b
                    .beginParse()
                    .skip(32 + 64)
                    .loadUint(16) === 1006,
        });
        expect((await worker.getGetCocoonWorkerData()).tokens).toBe(0n);
    });

    it('text commands: "c" closes and "w" withdraws the commission (owner only); other text 1013', async () => {
        const text = (t: string, from = operator) =>
            from.send({ to: proxy.address, value: toNano('0.2'), body: beginCell().storeUint(0, 32).storeStringTail(t).endCell() });
        expect((await text('w', anyone)).transactions).toHaveTransaction({ to: proxy.address, exitCode: 1010 });
        expect((await text('w')).transactions).toHaveTransaction({ from: proxy.address, to: operator.address, op: OP.payout });
        expect((await text('x')).transactions).toHaveTransaction({ to: proxy.address, exitCode: 1013 });
        await text('c');
        expect((await data()).state).toBe(1n);
        expect(
            (await anyone.send({ to: proxy.address, value: toNano('0.2'), body: beginCell().storeUint(0xabcdef01, 32).endCell() }))
                .transactions,
        ).toHaveTransaction({ to: proxy.address, exitCode: 1012 });
    });
});
