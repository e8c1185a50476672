import { Blockchain, type BlockchainTransaction, type SandboxContract } from '@ton/sandbox';
import '@ton/test-utils';
import { toNano, type Address } from '@ton/core';
import { childCodes, cocoonProxyFor, type CocoonProxy } from '../../wrappers/CocoonProxy';
import { cocoonClientFor } from '../../wrappers/CocoonClient';
import { cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import { proxyKey, proxyPublicKey, testParams } from './helpers';

/**
 * A whole network's money flow: a client deposits, is charged, a worker cashes out, the proxy withdraws
 * its commission, the client withdraws and closes, the proxy closes. Every nanoTON that entered the
 * Cocoon contracts left them as a payout/refund/excess or as fees, and the proxy ends empty.
 */
describe('lifecycle: money conservation', () => {
    it('deposits = worker payouts + commission + client refunds, and every transfer is accounted for', async () => {
        const bc = await Blockchain.create();
        const NOW = 1_800_000_000;
        bc.now = NOW;
        const [operator, root, alice, gpu, relayer] = await Promise.all(
            ['operator', 'root', 'alice', 'gpu', 'relayer'].map((n) => bc.treasury(n)),
        );
        const codes = await childCodes();
        const params = testParams({ workerScCode: codes.worker, clientScCode: codes.client, proxyScCode: codes.proxy });
        const proxy: SandboxContract<CocoonProxy> = bc.openContract(
            await cocoonProxyFor(operator.address, proxyPublicKey, root.address, params),
        );
        const client = bc.openContract(await cocoonClientFor(alice.address, proxy.address, proxyPublicKey, params));
        const worker = bc.openContract(await cocoonWorkerFor(gpu.address, proxy.address, proxyPublicKey, params));
        const contracts = [proxy.address, client.address, worker.address];
        const isOurs = (a?: Address | null) => !!a && contracts.some((c) => c.equals(a));

        // Ledger of value crossing the boundary of the three contracts, and of fees paid inside it.
        let inflow = 0n,
            outflow = 0n,
            fees = 0n;
        const payouts = new Map<string, bigint>();
        const track = (txs: BlockchainTransaction[]) => {
            for (const t of txs) {
                const info = t.inMessage?.info;
                if (info?.type !== 'internal') continue;
                if (isOurs(info.dest)) {
                    fees += t.totalFees.coins;
                    if (!isOurs(info.src)) inflow += info.value.coins;
                }
                if (isOurs(info.src) && !isOurs(info.dest)) {
                    outflow += info.value.coins;
                    const k = info.dest.toString();
                    payouts.set(k, (payouts.get(k) ?? 0n) + info.value.coins);
                }
            }
            for (const t of txs) {
                // Forward fees of messages between our contracts and out of them are paid by our contracts.
                const info = t.inMessage?.info;
                if (info?.type === 'internal' && isOurs(info.src)) fees += info.forwardFee;
            }
        };
        const balances = async () =>
            (await Promise.all(contracts.map(async (a) => (await bc.getContract(a)).balance))).reduce((s, b) => s + b, 0n);

        track((await proxy.send(operator.getSender(), { value: toNano('0.3') }, null)).transactions);
        track((await client.send(alice.getSender(), { value: toNano('0.8') }, null)).transactions);
        track((await worker.send(gpu.getSender(), { value: toNano('0.3') }, null)).transactions);
        track(
            (
                await proxy.send(
                    operator.getSender(),
                    { value: toNano('2.2') },
                    { $$type: 'ExtProxyIncreaseStake', queryId: 0n, grams: toNano('2'), sendExcessesTo: operator.address },
                )
            ).transactions,
        );

        const deposit = toNano('20');
        track(
            (
                await client.send(
                    alice.getSender(),
                    { value: deposit + toNano('0.7') },
                    { $$type: 'ExtClientTopUp', queryId: 1n, topUpAmount: deposit, sendExcessesTo: alice.address },
                )
            ).transactions,
        );
        // 1.2M adjusted tokens at 0.00001 TON = 12 TON charged; the worker earns 90 %.
        const tokens = 1_200_000n;
        const signedTo = (target: Address, op: Parameters<typeof signedMessage>[0], n: bigint | null) =>
            relayer.send({ to: target, value: toNano('0.7'), body: signedMessage(op, 1n, n, target, relayer.address, proxyKey.secretKey) });
        track((await signedTo(client.address, SIGNED_OP.clientCharge, tokens)).transactions);
        track((await signedTo(worker.address, SIGNED_OP.workerPayout, tokens)).transactions);
        track(
            (
                await proxy.send(
                    relayer.getSender(),
                    { value: toNano('0.2') },
                    { $$type: 'ExtProxyPayoutRequest', queryId: 2n, sendExcessesTo: relayer.address },
                )
            ).transactions,
        );
        track(
            (
                await client.send(
                    alice.getSender(),
                    { value: toNano('0.7') },
                    { $$type: 'OwnerClientWithdraw', queryId: 3n, sendExcessesTo: alice.address },
                )
            ).transactions,
        );
        track((await signedTo(client.address, SIGNED_OP.clientGrantRefund, tokens)).transactions);
        track((await signedTo(proxy.address, SIGNED_OP.proxyClose, null)).transactions);
        bc.now = NOW + params.proxyDelayBeforeClose;
        track((await signedTo(proxy.address, SIGNED_OP.proxyCloseComplete, null)).transactions);

        const charged = tokens * params.pricePerToken;
        const workerPart = tokens * params.workerFeePerToken;
        const commission = charged - workerPart;
        // Who got what, in payout messages (values exact where the contracts send exact amounts).
        expect(payouts.get(gpu.address.toString())).toBe(workerPart);
        expect(await client.getGetCocoonClientData()).toMatchObject({ state: 2n, balance: 0n, tokensUsed: tokens });
        const proxyData = await proxy.getGetCocoonProxyData();
        expect(proxyData).toMatchObject({ state: 2n, balance: 0n, stake: 0n });
        // Client: 20 deposited, 12 charged -> 1 (above stake) withdrawn, then the rest (7) refunded on close.
        const aliceRefunds = payouts.get(alice.address.toString())!;
        expect(aliceRefunds).toBeGreaterThanOrEqual(deposit - charged);
        // Conservation: what came in = what went out + fees + what is still held (storage reserves).
        const held = await balances();
        expect(inflow).toBe(outflow + fees + held);
        // The proxy keeps only its storage reserve; the operator got commission + stake + leftovers.
        expect((await bc.getContract(proxy.address)).balance).toBeLessThanOrEqual(toNano('0.01'));
        expect(payouts.get(operator.address.toString())!).toBeGreaterThanOrEqual(commission + toNano('2'));
    });
});
