/** @jest-environment node */
/**
 * The whole network on the local chain: a client deposits, sends streamed and non-streamed requests
 * through a proxy to a worker on the embedded model (RA-TLS, fake attestation, root-checked hashes);
 * the ledgers are committed on-chain, the client is charged, the worker paid, the proxy withdraws its
 * commission, the client withdraws and closes, and every nanoTON is accounted for.
 */
import OpenAI from 'openai';
import { toNano } from '@ton/core';
import { readClientContract, readProxyContract, readWorkerContract, CONTRACT_STATE } from '../../node/chain/cocoon';
import { startTestNetwork, type TestNetwork } from './helpers/network';
import { waitFor } from '../helpers/wait';

jest.setTimeout(180_000);

const PRICE = 1000n;
const FEE = 800n;
let net: TestNetwork;

beforeAll(async () => {
    net = await startTestNetwork({ params: { pricePerToken: PRICE, workerFeePerToken: FEE } });
});
afterAll(async () => {
    await net?.close();
});

async function balanceOf(a: import('@ton/core').Address): Promise<bigint> {
    return (await net.chain.account(a)).balance;
}

/** Waits until the proxy's save-state notes made everything signable. */
async function committed(): Promise<void> {
    await waitFor(
        () =>
            [...net.proxy.clientAccounts(), ...net.proxy.workerAccounts()].every(
                (a) => a.ledger.tokensCommittedToBlockchain === a.ledger.tokensMax,
            ),
        'the ledgers committed on-chain',
        20_000,
        100,
    );
}

describe('end-to-end on the local chain', () => {
    it('serves, meters, settles and closes with every nanoTON accounted for', async () => {
        const openai = new OpenAI({ baseURL: net.apiUrl, apiKey: 'unused' });
        const models = await openai.models.list();
        expect(models.data.map((m) => m.id)).toContain('cocoon/tiny-stories-1m');

        const prompt = [{ role: 'user' as const, content: 'Tell me a story about a cat named Tom.' }];
        const plain = await openai.chat.completions.create({
            model: 'cocoon/tiny-stories-1m',
            messages: prompt,
            max_tokens: 24,
            temperature: 0,
        });
        expect(plain.choices[0].message.content!.length).toBeGreaterThan(0);
        expect(plain.usage!.completion_tokens).toBeGreaterThan(0);

        const stream = await openai.chat.completions.create({
            model: 'cocoon/tiny-stories-1m',
            messages: prompt,
            max_tokens: 24,
            temperature: 0,
            stream: true,
        });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        expect(text).toBe(plain.choices[0].message.content);

        // Ledgers: the proxy metered both requests for the client and the worker alike.
        const [clientAcc] = net.proxy.clientAccounts();
        const [workerAcc] = net.proxy.workerAccounts();
        const tokens = clientAcc.ledger.tokensMax;
        expect(tokens).toBeGreaterThan(0n);
        expect(workerAcc.ledger.tokensMax).toBe(tokens);
        const receipts = net.client!.receipts;
        expect(receipts).toHaveLength(2);
        expect(receipts.every((r) => r.receiptValid)).toBe(true);
        expect(receipts.reduce((s, r) => s + r.tokens, 0n)).toBe(tokens);

        await committed();
        const clientSc = clientAcc.contract;
        const workerSc = workerAcc.contract;
        const proxySc = net.proxy.contract;

        // The client charges itself with the proxy-signed amount.
        await net.client!.charge();
        const c1 = (await readClientContract(net.chain, clientSc))!;
        expect(c1.tokensUsed).toBe(tokens);
        expect(c1.balance).toBe(toNano('5') - tokens * PRICE);

        // The worker cashes out: its owner gets tokens x worker fee; the proxy accrues the rest as commission.
        const workerOwnerBefore = await balanceOf(net.wallets.worker.address);
        await net.worker!.payoutAll(true);
        const w1 = (await readWorkerContract(net.chain, workerSc))!;
        expect(w1.tokens).toBe(tokens);
        const p1 = (await readProxyContract(net.chain, proxySc))!;
        expect(p1.balance).toBe(tokens * (PRICE - FEE));
        const workerOwnerAfter = await balanceOf(net.wallets.worker.address);
        // The owner paid fees for the payout message (0.5 TON sent, excess back) and received the payout.
        expect(workerOwnerAfter - workerOwnerBefore).toBeGreaterThan(tokens * FEE - toNano('0.1'));

        // The proxy withdraws its commission.
        const withdrawn = await net.proxy.withdraw();
        expect(withdrawn.amount).toBe(tokens * (PRICE - FEE));
        expect((await readProxyContract(net.chain, proxySc))!.balance).toBe(0n);

        // The client withdraws above the stake, then closes; the proxy grants the refund cooperatively.
        const w = await net.client!.withdraw();
        expect(w.withdrawn).toBe(toNano('5') - tokens * PRICE - c1.stake);
        const closing = await net.client!.requestClose();
        expect(closing.state).toBe(CONTRACT_STATE.closing);
        await net.proxy.settle();
        const c2 = (await readClientContract(net.chain, clientSc))!;
        expect(c2.state).toBe(CONTRACT_STATE.closed);
        expect(c2.balance).toBe(0n);
        expect(c2.tokensUsed).toBe(tokens);
    });
});
