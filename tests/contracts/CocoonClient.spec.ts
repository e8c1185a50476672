import { Blockchain, type SandboxContract, type TreasuryContract } from '@ton/sandbox';
import '@ton/test-utils';
import { beginCell, toNano, type Cell } from '@ton/core';
import { CocoonClient, cocoonClientFor, clientConstData } from '../../wrappers/CocoonClient';
import { buildParamsCell, CODE_MASK } from '../../wrappers/params';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import { OP, otherKey, proxyKey, proxyPublicKey, testParams } from './helpers';

function payloadOf(body: Cell) {
    const s = body.beginParse();
    s.skip(32 + 64);
    s.loadAddress();
    const st = s.loadRef().beginParse();
    const state = {
        state: st.loadUint(2),
        balance: st.loadCoins(),
        stake: st.loadCoins(),
        tokensUsed: st.loadUintBig(64),
        secretHash: st.loadUintBig(256),
    };
    const payload = s.loadMaybeRef();
    return { state, payload: payload?.beginParse() ?? null };
}

describe('CocoonClient', () => {
    let bc: Blockchain;
    let owner: SandboxContract<TreasuryContract>;
    let proxy: SandboxContract<TreasuryContract>;
    let anyone: SandboxContract<TreasuryContract>;
    let client: SandboxContract<CocoonClient>;
    const params = testParams();
    const NOW = 1_800_000_000;

    beforeEach(async () => {
        bc = await Blockchain.create();
        bc.now = NOW;
        owner = await bc.treasury('owner');
        proxy = await bc.treasury('proxy');
        anyone = await bc.treasury('anyone');
        client = bc.openContract(await cocoonClientFor(owner.address, proxy.address, proxyPublicKey, params));
        await client.send(owner.getSender(), { value: toNano('0.8') }, null);
    });

    const topUp = (amount: bigint, from = anyone) =>
        client.send(
            from.getSender(),
            { value: amount + toNano('0.7') },
            { $$type: 'ExtClientTopUp', queryId: 1n, topUpAmount: amount, sendExcessesTo: from.address },
        );
    const signed = (
        op: typeof SIGNED_OP.clientCharge | typeof SIGNED_OP.clientGrantRefund,
        tokens: bigint,
        key = proxyKey.secretKey,
        target = client.address,
    ) => anyone.send({ to: client.address, value: toNano('0.7'), body: signedMessage(op, 5n, tokens, target, anyone.address, key) });
    const data = () => client.getGetCocoonClientData();
    const ownerOp = (msg: Parameters<typeof client.send>[2], from = owner) => client.send(from.getSender(), { value: toNano('0.7') }, msg);

    it('keeps the original init layout: state balance stake=min_client_stake tokens unlock secret ^const ^params', () => {
        const expected = beginCell()
            .storeUint(0, 2)
            .storeCoins(0)
            .storeCoins(params.minClientStake)
            .storeUint(0, 64)
            .storeUint(0, 32)
            .storeUint(0, 256)
            .storeRef(clientConstData(owner.address, proxy.address, proxyPublicKey))
            .storeRef(buildParamsCell(params, CODE_MASK.child))
            .endCell();
        expect(client.init!.data.equals(expected)).toBe(true);
    });

    it('tops up: balance grows, the coins and a top-up payload go to the proxy contract', async () => {
        const r = await topUp(toNano('10'));
        expect(r.transactions).toHaveTransaction({ from: client.address, to: proxy.address, op: OP.clientProxyRequest, success: true });
        const fwd = r.transactions.find((t) => t.inMessage?.info.src?.toString() === client.address.toString())!;
        expect((fwd.inMessage!.info as { value: { coins: bigint } }).value.coins).toBeGreaterThan(toNano('10'));
        const { state, payload } = payloadOf(fwd.inMessage!.body);
        expect(state.balance).toBe(toNano('10'));
        expect(payload!.loadUint(32)).toBe(0x5cfc6b87);
        expect(payload!.loadCoins()).toBe(toNano('10'));
        expect((await data()).balance).toBe(toNano('10'));
        expect(
            (
                await client.send(
                    anyone.getSender(),
                    { value: toNano('0.5') },
                    { $$type: 'ExtClientTopUp', queryId: 1n, topUpAmount: toNano('1'), sendExcessesTo: anyone.address },
                )
            ).transactions,
        ).toHaveTransaction({ to: client.address, exitCode: 1003 });
    });

    it('applies proxy-signed charges once: balance -= delta * price; replays, forgeries and other targets fail', async () => {
        await topUp(toNano('10'));
        const r = await signed(SIGNED_OP.clientCharge, 100_000n);
        expect(r.transactions).toHaveTransaction({ from: client.address, to: proxy.address, op: OP.clientProxyRequest, value: 1n });
        expect(r.transactions).toHaveTransaction({ from: client.address, to: anyone.address, op: OP.excesses });
        let d = await data();
        expect(d.tokensUsed).toBe(100_000n);
        expect(d.balance).toBe(toNano('10') - 100_000n * params.pricePerToken);
        expect((await signed(SIGNED_OP.clientCharge, 100_000n)).transactions).toHaveTransaction({ to: client.address, exitCode: 1000 });
        expect((await signed(SIGNED_OP.clientCharge, 200_000n, otherKey.secretKey)).transactions).toHaveTransaction({
            to: client.address,
            exitCode: 1007,
        });
        expect((await signed(SIGNED_OP.clientCharge, 200_000n, proxyKey.secretKey, proxy.address)).transactions).toHaveTransaction({
            to: client.address,
            exitCode: 1015,
        });
        // Charging more than the balance floors it at zero.
        await signed(SIGNED_OP.clientCharge, 10_000_000n);
        d = await data();
        expect(d.balance).toBe(0n);
    });

    it('withdraws what is above the stake (owner only, 1009 otherwise)', async () => {
        await topUp(toNano('5'));
        expect(
            (await ownerOp({ $$type: 'OwnerClientWithdraw', queryId: 2n, sendExcessesTo: anyone.address }, anyone)).transactions,
        ).toHaveTransaction({ to: client.address, exitCode: 1009 });
        const r = await ownerOp({ $$type: 'OwnerClientWithdraw', queryId: 2n, sendExcessesTo: owner.address });
        const fwd = r.transactions.find((t) => t.inMessage?.info.src?.toString() === client.address.toString())!;
        const { payload } = payloadOf(fwd.inMessage!.body);
        expect(payload!.loadUint(32)).toBe(0xc68ebc7b);
        expect(payload!.loadCoins()).toBe(toNano('4'));
        expect((await data()).balance).toBe(toNano('1'));
        expect(
            (await ownerOp({ $$type: 'OwnerClientWithdraw', queryId: 2n, sendExcessesTo: owner.address })).transactions,
        ).toHaveTransaction({ to: client.address, exitCode: 1001 });
    });

    it('closes cooperatively: a signed grant-refund charges the final tokens and refunds the rest', async () => {
        await topUp(toNano('5'));
        const r = await signed(SIGNED_OP.clientGrantRefund, 50_000n);
        const fwd = r.transactions.find((t) => t.inMessage?.info.src?.toString() === client.address.toString())!;
        const { payload } = payloadOf(fwd.inMessage!.body);
        expect(payload!.loadUint(32)).toBe(0xc68ebc7b);
        expect(payload!.loadCoins()).toBe(toNano('5') - 50_000n * params.pricePerToken);
        expect(await data()).toMatchObject({ state: 2n, balance: 0n, tokensUsed: 50_000n });
        expect((await topUp(toNano('1'))).transactions).toHaveTransaction({ to: client.address, exitCode: 1006 });
        expect((await signed(SIGNED_OP.clientGrantRefund, 60_000n)).transactions).toHaveTransaction({ to: client.address, exitCode: 1006 });
    });

    it('closes by force: request refund -> closing (excess refunded) -> after the delay, the rest from the proxy stake', async () => {
        await topUp(toNano('3'));
        const r1 = await ownerOp({ $$type: 'OwnerClientRequestRefund', queryId: 3n, sendExcessesTo: owner.address });
        expect(r1.transactions).toHaveTransaction({ from: client.address, to: proxy.address, op: OP.clientProxyRequest });
        expect(await data()).toMatchObject({ state: 1n, balance: toNano('1'), unlockTs: BigInt(NOW + params.clientDelayBeforeClose) });
        expect(
            (await ownerOp({ $$type: 'OwnerClientRequestRefund', queryId: 3n, sendExcessesTo: owner.address })).transactions,
        ).toHaveTransaction({ to: client.address, exitCode: 1011 });
        expect(
            (await ownerOp({ $$type: 'OwnerClientWithdraw', queryId: 2n, sendExcessesTo: owner.address })).transactions,
        ).toHaveTransaction({ to: client.address, exitCode: 1006 });
        bc.now = NOW + params.clientDelayBeforeClose + 1;
        const r2 = await ownerOp({ $$type: 'OwnerClientRequestRefund', queryId: 3n, sendExcessesTo: owner.address });
        const fwd = r2.transactions.find((t) => t.inMessage?.info.src?.toString() === client.address.toString())!;
        const { payload } = payloadOf(fwd.inMessage!.body);
        expect(payload!.loadUint(32)).toBe(0xf4c354c9);
        expect(payload!.loadCoins()).toBe(toNano('1'));
        expect(await data()).toMatchObject({ state: 2n, balance: 0n });
        expect(
            (await ownerOp({ $$type: 'OwnerClientRequestRefund', queryId: 3n, sendExcessesTo: owner.address })).transactions,
        ).toHaveTransaction({ to: client.address, exitCode: 1006 });
    });

    it('registers with a nonce, changes the secret hash, raises the stake (owner only, 1010)', async () => {
        const reg = await ownerOp({ $$type: 'OwnerClientRegister', queryId: 4n, nonce: 0xabcdefn, sendExcessesTo: owner.address });
        const fwd = reg.transactions.find(
            (t) =>
                t.inMessage?.info.src?.toString() === client.address.toString() &&
                t.inMessage?.info.dest?.toString() === proxy.address.toString(),
        )!;
        const { payload } = payloadOf(fwd.inMessage!.body);
        expect(payload!.loadUint(32)).toBe(0xa35cb580);
        expect(payload!.loadUintBig(64)).toBe(0xabcdefn);
        expect(
            (await ownerOp({ $$type: 'OwnerClientRegister', queryId: 4n, nonce: 1n, sendExcessesTo: anyone.address }, anyone)).transactions,
        ).toHaveTransaction({ to: client.address, exitCode: 1010 });
        await ownerOp({ $$type: 'OwnerClientChangeSecretHash', queryId: 5n, newSecretHash: 42n, sendExcessesTo: owner.address });
        expect((await data()).secretHash).toBe(42n);
        await client.send(
            owner.getSender(),
            { value: toNano('1.7') },
            {
                $$type: 'OwnerClientChangeSecretHashAndTopUp',
                queryId: 5n,
                topUpAmount: toNano('1'),
                newSecretHash: 43n,
                sendExcessesTo: owner.address,
            },
        );
        expect(await data()).toMatchObject({ secretHash: 43n, balance: toNano('1') });
        await ownerOp({ $$type: 'OwnerClientIncreaseStake', queryId: 6n, newStake: toNano('2'), sendExcessesTo: owner.address });
        expect((await data()).stake).toBe(toNano('2'));
        expect(
            (await ownerOp({ $$type: 'OwnerClientIncreaseStake', queryId: 6n, newStake: toNano('2'), sendExcessesTo: owner.address }))
                .transactions,
        ).toHaveTransaction({ to: client.address, exitCode: 1003 });
    });

    it('reopens a closing or closed contract with a top-up (owner only; the original declares but does not handle it)', async () => {
        await topUp(toNano('3'));
        await ownerOp({ $$type: 'OwnerClientRequestRefund', queryId: 3n, sendExcessesTo: owner.address });
        await signed(SIGNED_OP.clientGrantRefund, 10n);
        expect((await data()).state).toBe(2n);
        const reopen = (from = owner) =>
            client.send(
                from.getSender(),
                { value: toNano('2.7') },
                { $$type: 'OwnerClientTopUpReopen', queryId: 7n, topUpAmount: toNano('2'), sendExcessesTo: from.address },
            );
        expect((await reopen(anyone)).transactions).toHaveTransaction({ to: client.address, exitCode: 1010 });
        const r = await reopen();
        expect(r.transactions).toHaveTransaction({ from: client.address, to: proxy.address, op: OP.clientProxyRequest });
        expect(await data()).toMatchObject({ state: 0n, unlockTs: 0n, balance: toNano('2'), tokensUsed: 10n });
        expect((await signed(SIGNED_OP.clientCharge, 10n)).transactions).toHaveTransaction({ to: client.address, exitCode: 1000 });
    });

    it('ignores empty bodies and notes, rejects unknown ops with 1012', async () => {
        expect((await anyone.send({ to: client.address, value: toNano('0.2') })).transactions).toHaveTransaction({
            to: client.address,
            success: true,
        });
        expect(
            (
                await anyone.send({
                    to: client.address,
                    value: toNano('0.2'),
                    body: beginCell().storeUint(0x9a1247c0, 32).storeUint(0, 64).endCell(),
                })
            ).transactions,
        ).toHaveTransaction({ to: client.address, success: true });
        expect(
            (await anyone.send({ to: client.address, value: toNano('0.2'), body: beginCell().storeUint(0x12345678, 32).endCell() }))
                .transactions,
        ).toHaveTransaction({ to: client.address, exitCode: 1012 });
    });
});
