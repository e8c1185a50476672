/**
 * No money vanishes on-chain (issue 23, section 2; docs/contracts.md "Money safety"): refused payouts and
 * refunds are restored, forced refunds are not capped by the proxy's stake, out-of-range prices and
 * amounts are rejected before anything is committed, signed messages do not replay across contracts or
 * out of order, and years of storage fees freeze no child and eat no deposit.
 */
import { Blockchain, type SandboxContract, type TreasuryContract } from '@ton/sandbox';
import '@ton/test-utils';
import { toNano, type Address } from '@ton/core';
import {
    childCodes,
    CocoonProxy,
    cocoonProxyFor,
    ERR_AMOUNT_OUT_OF_RANGE,
    ERR_BAD_PARAMS,
    ERR_CLOSED,
    ERR_EXPECTED_MY_ADDRESS,
    ERR_LOW_MSG_VALUE,
    ERR_OLD_MESSAGE,
} from '../../wrappers/CocoonProxy';
import { CocoonClient, cocoonClientFor } from '../../wrappers/CocoonClient';
import { buildWorkerData, CocoonWorker, cocoonWorkerAt, cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { cocoonRootFor, rootMsg } from '../../wrappers/CocoonRoot';
import { buildParamsCell, CODE_MASK, type CocoonParams } from '../../wrappers/params';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import { OP, proxyKey, proxyPublicKey, testParams } from './helpers';

const NOW = 1_800_000_000;

describe('money safety', () => {
    let bc: Blockchain;
    let operator: SandboxContract<TreasuryContract>;
    let root: SandboxContract<TreasuryContract>;
    let gpu: SandboxContract<TreasuryContract>;
    let anyone: SandboxContract<TreasuryContract>;
    let users: SandboxContract<TreasuryContract>[];
    let params: CocoonParams;
    let proxy: SandboxContract<CocoonProxy>;
    let worker: SandboxContract<CocoonWorker>;

    const clientOf = async (u: SandboxContract<TreasuryContract>, p = params, px: Address = proxy.address) => {
        const c = bc.openContract(await cocoonClientFor(u.address, px, proxyPublicKey, p));
        await c.send(u.getSender(), { value: toNano('0.5') }, null);
        return c;
    };
    const topUp = (c: SandboxContract<CocoonClient>, u: SandboxContract<TreasuryContract>, amount: bigint) =>
        c.send(
            u.getSender(),
            { value: amount + toNano('0.2') },
            { $$type: 'ExtClientTopUp', queryId: 1n, topUpAmount: amount, sendExcessesTo: u.address },
        );
    const signedTo = (target: Address, op: number, tokens: bigint | null, queryId = 1n) =>
        anyone.send({
            to: target,
            value: toNano('0.5'),
            body: signedMessage(op, queryId, tokens, target, anyone.address, proxyKey.secretKey),
        });
    const closeProxy = async () => {
        await proxy.send(
            operator.getSender(),
            { value: toNano('0.2') },
            { $$type: 'OwnerProxyClose', queryId: 1n, sendExcessesTo: operator.address },
        );
        bc.now = NOW + params.proxyDelayBeforeClose;
        await signedTo(proxy.address, SIGNED_OP.proxyCloseComplete, null);
    };

    beforeEach(async () => {
        bc = await Blockchain.create();
        bc.now = NOW;
        [operator, root, gpu, anyone] = await Promise.all(['operator', 'root', 'gpu', 'anyone'].map((n) => bc.treasury(n)));
        users = await Promise.all(['u1', 'u2', 'u3'].map((n) => bc.treasury(n)));
        const codes = await childCodes();
        params = testParams({ workerScCode: codes.worker, clientScCode: codes.client, proxyScCode: codes.proxy });
        proxy = bc.openContract(await cocoonProxyFor(operator.address, proxyPublicKey, root.address, params));
        await proxy.send(operator.getSender(), { value: toNano('2') }, null);
        worker = bc.openContract(await cocoonWorkerFor(gpu.address, proxy.address, proxyPublicKey, params));
        await worker.send(gpu.getSender(), { value: toNano('0.5') }, null);
    });

    it('a worker payout the proxy cannot pay (short of TON) comes back: the counter is restored and paid later', async () => {
        // 1e6 tokens * 9000 = 9 TON for the worker: more than the proxy holds.
        const r = await signedTo(worker.address, SIGNED_OP.workerPayout, 1_000_000n);
        expect(r.transactions).toHaveTransaction({ from: proxy.address, to: worker.address, op: OP.refused, success: true });
        expect(r.transactions).not.toHaveTransaction({ to: gpu.address, op: OP.payout });
        expect(r.transactions).toHaveTransaction({ from: worker.address, to: anyone.address, op: OP.excesses });
        expect((await worker.getGetCocoonWorkerData()).tokens).toBe(0n);
        // Once clients have deposited, the same signed amount pays in full.
        const c = await clientOf(users[0]);
        await topUp(c, users[0], toNano('20'));
        const again = await signedTo(worker.address, SIGNED_OP.workerPayout, 1_000_000n, 2n);
        expect(again.transactions).toHaveTransaction({
            from: proxy.address,
            to: gpu.address,
            op: OP.payout,
            value: 1_000_000n * params.workerFeePerToken,
        });
        expect((await worker.getGetCocoonWorkerData()).tokens).toBe(1_000_000n);
    });

    it('a last payout to a closed proxy is refused: the vault reopens with its counter', async () => {
        await closeProxy();
        const r = await signedTo(worker.address, SIGNED_OP.workerLastPayout, 1_000n);
        expect(r.transactions).toHaveTransaction({ from: proxy.address, to: worker.address, op: OP.refused, success: true });
        expect(await worker.getGetCocoonWorkerData()).toMatchObject({ state: 0n, tokens: 0n });
    });

    it('a granted refund sent after the proxy closed comes back onto the client balance (closing, no delay left)', async () => {
        const c = await clientOf(users[0]);
        await topUp(c, users[0], toNano('5'));
        await closeProxy();
        const r = await signedTo(c.address, SIGNED_OP.clientGrantRefund, 0n);
        expect(r.transactions).toHaveTransaction({ from: proxy.address, to: c.address, op: OP.refused, success: true });
        expect(await c.getGetCocoonClientData()).toMatchObject({ state: 1n, unlockTs: 0n, balance: toNano('5') });
    });

    it('three clients forcing refunds beyond the proxy stake each get their whole balance; the stake records the use', async () => {
        await proxy.send(
            anyone.getSender(),
            { value: toNano('1.2') },
            { $$type: 'ExtProxyIncreaseStake', queryId: 1n, grams: toNano('1'), sendExcessesTo: anyone.address },
        );
        const clients = [];
        for (const u of users) {
            const c = await clientOf(u);
            await topUp(c, u, toNano('3'));
            // Closing: the part above the client's stake (1 TON) is refunded at once.
            const first = await c.send(
                u.getSender(),
                { value: toNano('0.2') },
                { $$type: 'OwnerClientRequestRefund', queryId: 2n, sendExcessesTo: u.address },
            );
            expect(first.transactions).toHaveTransaction({ from: proxy.address, to: u.address, op: OP.payout, value: toNano('2') });
            clients.push(c);
        }
        bc.now = NOW + params.clientDelayBeforeClose + 1;
        for (const [i, c] of clients.entries()) {
            const r = await c.send(
                users[i].getSender(),
                { value: toNano('0.2') },
                { $$type: 'OwnerClientRequestRefund', queryId: 3n, sendExcessesTo: users[i].address },
            );
            // The original paid min(balance, proxy stake): the second and third client would get 0 here.
            expect(r.transactions).toHaveTransaction({ from: proxy.address, to: users[i].address, op: OP.payout, value: toNano('1') });
            expect(await c.getGetCocoonClientData()).toMatchObject({ state: 2n, balance: 0n });
        }
        expect((await proxy.getGetCocoonProxyData()).stake).toBe(0n);
    });

    const sourceChecksTitle =
        'rejects at the source: worker fee above the price or a price above the bound (root), payout parts beyond Coins (worker)';
    it(sourceChecksTitle, async () => {
        const admin = bc.openContract(await cocoonRootFor(operator.address, params));
        await admin.send(operator.getSender(), { value: toNano('1') }, null);
        const change = (price: bigint, fee: bigint) =>
            operator.send({ to: admin.address, value: toNano('0.1'), body: rootMsg.changeFees(price, fee) });
        expect((await change(10n, 11n)).transactions).toHaveTransaction({ to: admin.address, exitCode: Number(ERR_BAD_PARAMS) });
        expect((await change(2n ** 56n, 1n)).transactions).toHaveTransaction({ to: admin.address, exitCode: Number(ERR_BAD_PARAMS) });
        expect((await change(2n ** 56n - 1n, 2n ** 56n - 1n)).transactions).toHaveTransaction({ to: admin.address, success: true });
        // A worker contract deployed by hand with params no root would accept: refused before the counter moves.
        const deployBad = async (p: CocoonParams) => {
            const w = bc.openContract(
                await cocoonWorkerAt(
                    buildWorkerData({
                        ownerAddress: gpu.address,
                        proxyAddress: proxy.address,
                        proxyPublicKey,
                        state: 0n,
                        tokens: 0n,
                        params: buildParamsCell(p, CODE_MASK.child),
                    }),
                ),
            );
            await w.send(gpu.getSender(), { value: toNano('0.5') }, null);
            return w;
        };
        const huge = await deployBad({ ...params, pricePerToken: 2n ** 119n, workerFeePerToken: 2n ** 119n });
        expect((await signedTo(huge.address, SIGNED_OP.workerPayout, 2n)).transactions).toHaveTransaction({
            to: huge.address,
            exitCode: Number(ERR_AMOUNT_OUT_OF_RANGE),
        });
        expect((await huge.getGetCocoonWorkerData()).tokens).toBe(0n);
        const inverted = await deployBad({ ...params, pricePerToken: 10n, workerFeePerToken: 11n });
        expect((await signedTo(inverted.address, SIGNED_OP.workerPayout, 2n)).transactions).toHaveTransaction({
            to: inverted.address,
            exitCode: Number(ERR_BAD_PARAMS),
        });
        expect((await inverted.getGetCocoonWorkerData()).tokens).toBe(0n);
    });

    it('signed messages do not replay on the next params version, out of order, or after a refund grant', async () => {
        const c = await clientOf(users[0]);
        await topUp(c, users[0], toNano('5'));
        // Same owner, same proxy key, params version 2: another contract, so version 1's signature is bound elsewhere.
        const v2 = { ...params, paramsVersion: 2 };
        const proxy2 = await cocoonProxyFor(operator.address, proxyPublicKey, root.address, v2);
        const c2 = await clientOf(users[0], v2, proxy2.address);
        const forV1 = signedMessage(SIGNED_OP.clientCharge, 1n, 10n, c.address, anyone.address, proxyKey.secretKey);
        expect((await anyone.send({ to: c2.address, value: toNano('0.5'), body: forV1 })).transactions).toHaveTransaction({
            to: c2.address,
            exitCode: Number(ERR_EXPECTED_MY_ADDRESS),
        });
        // Payouts out of order: the older counter is refused, nothing paid twice.
        await signedTo(worker.address, SIGNED_OP.workerPayout, 200n);
        expect((await signedTo(worker.address, SIGNED_OP.workerPayout, 100n)).transactions).toHaveTransaction({
            to: worker.address,
            exitCode: Number(ERR_OLD_MESSAGE),
        });
        expect((await worker.getGetCocoonWorkerData()).tokens).toBe(200n);
        // A charge racing a refund grant: the grant closed the contract, the late charge fails and moves nothing.
        await signedTo(c.address, SIGNED_OP.clientGrantRefund, 50n);
        const late = await signedTo(c.address, SIGNED_OP.clientCharge, 60n);
        expect(late.transactions).toHaveTransaction({ to: c.address, exitCode: Number(ERR_CLOSED) });
        expect(await c.getGetCocoonClientData()).toMatchObject({ state: 2n, balance: 0n, tokensUsed: 50n });
    });

    it('an external top-up below its costs is refused with 1003, as the original', async () => {
        const c = await clientOf(users[0]);
        const r = await c.send(
            users[0].getSender(),
            { value: toNano('0.5') },
            { $$type: 'ExtClientTopUp', queryId: 1n, topUpAmount: toNano('0.5'), sendExcessesTo: users[0].address },
        );
        expect(r.transactions).toHaveTransaction({ to: c.address, exitCode: Number(ERR_LOW_MSG_VALUE) });
        expect((await c.getGetCocoonClientData()).balance).toBe(0n);
    });

    it('years of storage fees freeze no child and eat no deposit', async () => {
        const c = await clientOf(users[0]);
        await topUp(c, users[0], toNano('5'));
        bc.now = NOW + 10 * 365 * 86400;
        for (const a of [c.address, worker.address, proxy.address]) expect((await bc.getContract(a)).accountState?.type).toBe('active');
        const w = await c.send(
            users[0].getSender(),
            { value: toNano('0.2') },
            { $$type: 'OwnerClientWithdraw', queryId: 1n, sendExcessesTo: users[0].address },
        );
        // Everything above the client's stake, in full: the storage debt was paid from the message value.
        expect(w.transactions).toHaveTransaction({ from: proxy.address, to: users[0].address, op: OP.payout, value: toNano('4') });
        const p = await signedTo(worker.address, SIGNED_OP.workerPayout, 1_000n);
        expect(p.transactions).toHaveTransaction({
            from: proxy.address,
            to: gpu.address,
            op: OP.payout,
            value: 1_000n * params.workerFeePerToken,
        });
        for (const a of [c.address, worker.address]) expect((await bc.getContract(a)).balance).toBeGreaterThanOrEqual(toNano('0.1'));
    });
});
