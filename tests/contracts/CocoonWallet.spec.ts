import { Blockchain, type SandboxContract, type TreasuryContract } from '@ton/sandbox';
import '@ton/test-utils';
import { beginCell, internal, toNano } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { CocoonWallet, cocoonWalletFor, walletExternal, type WalletTransfer } from '../../wrappers/CocoonWallet';
import { OP } from './helpers';
import { bufferToBigInt } from '../../wrappers/uint256';

describe('CocoonWallet', () => {
    const key = keyPairFromSeed(Buffer.alloc(32, 3));
    const wrongKey = keyPairFromSeed(Buffer.alloc(32, 4));
    const NOW = 1_800_000_000;
    let bc: Blockchain;
    let owner: SandboxContract<TreasuryContract>;
    let target: SandboxContract<TreasuryContract>;
    let stranger: SandboxContract<TreasuryContract>;
    let wallet: SandboxContract<CocoonWallet>;

    beforeEach(async () => {
        bc = await Blockchain.create();
        bc.now = NOW;
        [owner, target, stranger] = await Promise.all(['owner', 'target', 'stranger'].map((n) => bc.treasury(n)));
        wallet = bc.openContract(await cocoonWalletFor(owner.address, key.publicKey));
        await owner.send({ to: wallet.address, value: toNano('5'), bounce: false, init: wallet.init });
    });

    const transfer = (over: Partial<WalletTransfer> = {}): WalletTransfer => ({
        seqno: 0,
        validUntil: NOW + 3600,
        messages: [{ mode: 0, message: internal({ to: target.address, value: toNano('1'), bounce: false }) }],
        ...over,
    });
    const ext = (t: WalletTransfer, sk = key.secretKey) => bc.sendMessage(walletExternal(wallet, t, sk, false));
    const text = (t: string, from = owner) =>
        from.send({ to: wallet.address, value: toNano('0.05'), body: beginCell().storeUint(0, 32).storeStringTail(t).endCell() });

    it('deploys with the runner layout and answers seqno/get_public_key/get_owner_address', async () => {
        expect(
            wallet.init!.data.equals(
                beginCell()
                    .storeUint(0, 32)
                    .storeUint(0, 32)
                    .storeBuffer(key.publicKey)
                    .storeUint(0, 32)
                    .storeAddress(owner.address)
                    .endCell(),
            ),
        ).toBe(true);
        // Deployed by the first external (seqno 0) carrying the StateInit... here the owner's funding deployed it.
        expect(await wallet.getSeqno()).toBe(0n);
        expect(await wallet.getGetPublicKey()).toBe(bufferToBigInt(key.publicKey));
        expect((await wallet.getGetOwnerAddress()).equals(owner.address)).toBe(true);
    });

    it('runs signed externals with up to 4 messages and bumps the seqno', async () => {
        const msgs = [1, 2, 3, 4].map(() => ({ mode: 1, message: internal({ to: target.address, value: toNano('0.1'), bounce: false }) }));
        const r = await ext(transfer({ messages: msgs }));
        expect(r.transactions.filter((t) => t.inMessage?.info.dest?.toString() === target.address.toString())).toHaveLength(4);
        expect(await wallet.getSeqno()).toBe(1n);
    });

    const refusalsTitle =
        'refuses replays (1032), expired (1030), wrong subwallet (1033), bad signature (1034), under 2 TON (1035), blocked (1031)';
    it(refusalsTitle, async () => {
        await ext(transfer());
        await expect(ext(transfer())).rejects.toThrow(/1032/);
        await expect(ext(transfer({ seqno: 1, validUntil: NOW }))).rejects.toThrow(/1030/);
        await expect(ext(transfer({ seqno: 1, subwallet: 5 }))).rejects.toThrow(/1033/);
        await expect(ext(transfer({ seqno: 1 }), wrongKey.secretKey)).rejects.toThrow(/1034/);
        await text('b');
        await expect(ext(transfer({ seqno: 1 }))).rejects.toThrow(/1031/);
        await text('u');
        await ext(
            transfer({ seqno: 1, messages: [{ mode: 0, message: internal({ to: target.address, value: toNano('2.5'), bounce: false }) }] }),
        );
        await expect(ext(transfer({ seqno: 2 }))).rejects.toThrow(/1035/);
    });

    it('owner: send_message through the wallet, "w" withdraws all but 0.01 TON; strangers 1040, unknown text 1041', async () => {
        const msgCell = beginCell()
            .storeUint(0x18, 6)
            .storeAddress(target.address)
            .storeCoins(toNano('1'))
            .storeUint(0, 1 + 4 + 4 + 64 + 32 + 1 + 1)
            .endCell();
        const r = await wallet.send(
            owner.getSender(),
            { value: toNano('0.05') },
            { $$type: 'OwnerWalletSendMessage', queryId: 0n, mode: 1n, message: msgCell },
        );
        expect(r.transactions).toHaveTransaction({ from: wallet.address, to: target.address, value: toNano('1') });
        expect(
            (
                await wallet.send(
                    stranger.getSender(),
                    { value: toNano('0.05') },
                    { $$type: 'OwnerWalletSendMessage', queryId: 0n, mode: 1n, message: msgCell },
                )
            ).transactions,
        ).toHaveTransaction({ to: wallet.address, exitCode: 1040 });
        expect((await text('w', stranger)).transactions).toHaveTransaction({ to: wallet.address, exitCode: 1040 });
        expect((await text('x')).transactions).toHaveTransaction({ to: wallet.address, exitCode: 1041 });
        const w = await text('w');
        expect(w.transactions).toHaveTransaction({ from: wallet.address, to: owner.address });
        expect((await bc.getContract(wallet.address)).balance).toBeLessThanOrEqual(toNano('0.01'));
    });

    it('accepts payments (excesses, payout, do_not_process, empty) from anyone', async () => {
        for (const op of [OP.excesses, OP.payout, 0x9a1247c0]) {
            const r = await stranger.send({
                to: wallet.address,
                value: toNano('0.05'),
                body: beginCell().storeUint(op, 32).storeUint(0, 64).endCell(),
            });
            expect(r.transactions).toHaveTransaction({ to: wallet.address, success: true });
        }
        expect((await stranger.send({ to: wallet.address, value: toNano('0.05') })).transactions).toHaveTransaction({
            to: wallet.address,
            success: true,
        });
    });
});
