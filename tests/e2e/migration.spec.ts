/** @jest-environment node */
/**
 * A params change at the root: the proxy commits its ledgers, moves to a new proxy contract and closes
 * the old one step by step (close request, refunds to old clients, last payouts to old workers, close
 * complete after the delay); workers and clients reconnect to the new contracts and keep working.
 */
import { Address, internal, toNano } from '@ton/core';
import { readClientContract, readProxyContract, readWorkerContract, CONTRACT_STATE } from '../../node/chain/cocoon';
import { rootMsg } from '../../wrappers/CocoonRoot';
import { startTestNetwork, type TestNetwork } from './helpers/network';
import { waitFor } from '../helpers/wait';

jest.setTimeout(240_000);

let net: TestNetwork;
beforeAll(async () => {
    net = await startTestNetwork({
        params: { pricePerToken: 1000n, workerFeePerToken: 800n, proxyDelayBeforeClose: 600, clientDelayBeforeClose: 300 },
    });
});
afterAll(async () => {
    await net?.close();
});

async function chat(): Promise<number> {
    const r = await fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
            model: 'cocoon/tiny-stories-1m',
            messages: [{ role: 'user', content: 'Tell me a story about a cat named Tom.' }],
            max_tokens: 12,
            temperature: 0,
        }),
    });
    await r.text();
    return r.status;
}

const until = (what: string, ok: () => boolean | Promise<boolean>, ms = 60_000) => waitFor(ok, what, ms, 100);

describe('params migration', () => {
    it('moves to a new proxy contract and closes the old one', async () => {
        expect(await chat()).toBe(200);
        const oldProxy = net.proxy.contract;
        const [oldClient] = net.proxy.clientAccounts();
        const [oldWorker] = net.proxy.workerAccounts();
        const tokens = oldClient.ledger.tokensMax;

        await net.wallets.owner.send([
            internal({ to: net.root, value: toNano('0.1'), bounce: true, body: rootMsg.changeFees(2000n, 1500n) }),
        ]);
        await net.proxy.refreshRoot();
        expect(net.proxy.contract.equals(oldProxy)).toBe(false);
        expect(net.proxy.root.params.pricePerToken).toBe(2000n);
        const [old] = net.proxy.outdatedContracts;
        expect(old.clients).toEqual([{ contract: oldClient.contract.toRawString(), tokens, done: expect.any(Boolean) }]);

        // Peers follow the root and reconnect to the new contracts.
        await net.client!.refreshRoot();
        await net.worker!.refreshRoot();
        await net.client!.waitReady(60_000);
        await until('the worker to reconnect', () => net.worker!.connectedProxies === 1);
        await until('the worker to register', () => net.proxy.workerConnections().length === 1);
        expect(await chat()).toBe(200);
        const [newClient] = net.proxy.clientAccounts();
        expect(newClient.contract.equals(oldClient.contract)).toBe(false);
        expect(newClient.ledger.tokensMax).toBeGreaterThan(0n);

        // The old contract closes step by step; close-complete waits for the close delay (chain time).
        await until('old clients refunded and workers paid', () => old.step === 'closing');
        const c = (await readClientContract(net.chain, oldClient.contract))!;
        expect(c.state).toBe(CONTRACT_STATE.closed);
        expect(c.tokensUsed).toBe(tokens);
        expect(c.balance).toBe(0n);
        const w = (await readWorkerContract(net.chain, oldWorker.contract))!;
        expect(w.tokens).toBe(tokens);
        expect(w.state).toBe(CONTRACT_STATE.closed);
        expect((await readProxyContract(net.chain, oldProxy))!.state).toBe(CONTRACT_STATE.closing);
        await fetch(`${net.local.url}/admin/time`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', authorization: `Bearer ${net.local.devToken}` },
            body: JSON.stringify({ shift: 700 }),
        });
        await until('the old proxy contract to close', () => old.step === 'closed');
        expect((await readProxyContract(net.chain, Address.parse(old.contract)))!.state).toBe(CONTRACT_STATE.closed);
    });
});
