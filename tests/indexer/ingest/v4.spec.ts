/** The v4 reader against the embedded local chain's HTTP API. */
import { Address, toNano } from '@ton/core';
import { startLocalChain, type RunningLocalChain } from '../../../node/localchain/server';
import { LeanV4Client } from '../../../node/chain/lean-v4';
import { txFacts } from '../../../indexer/ingest/txfacts';

let running: RunningLocalChain;
const target = Address.parseRaw('0:' + '5a'.repeat(32));

beforeAll(async () => {
    running = await startLocalChain({ wallets: 0 });
    for (let i = 1; i <= 45; i++) await running.chain.fund(target, toNano('1') + BigInt(i));
});
afterAll(async () => {
    await running?.close();
});

describe('LeanV4Client (node/chain)', () => {
    it('pages every transaction back to the first, with hashes and block seqnos', async () => {
        const v4 = new LeanV4Client(running.v4Url);
        const head = await v4.head();
        expect(head.seqno).toBe(running.chain.lastBlock.seqno);
        const last = await v4.lastTx(target.toRawString(), head.seqno);
        expect(last).not.toBeNull();
        const seen = [];
        let from = last;
        while (from) {
            const page = await v4.transactions(target.toRawString(), from, 20);
            seen.push(...page);
            const oldest = page[page.length - 1].tx;
            from = oldest.prevTransactionLt
                ? { lt: oldest.prevTransactionLt, hash: oldest.prevTransactionHash.toString(16).padStart(64, '0') }
                : null;
        }
        expect(seen).toHaveLength(45);
        const expected = running.chain.accountTransactions(target);
        expect(seen.map((t) => t.hash).reverse()).toEqual(expected.map((t) => t.hash.toString('hex')));
        expect(seen.map((t) => t.seqno).reverse()).toEqual(expected.map((t) => t.block));
        expect(seen.map((t) => txFacts(t.tx).inValue).reverse()).toEqual(Array.from({ length: 45 }, (_, i) => toNano('1') + BigInt(i + 1)));
    });

    it('lists the accounts of a block and reads account state', async () => {
        const v4 = new LeanV4Client(running.v4Url);
        const head = await v4.head();
        expect(await v4.blockAccounts(head.seqno)).toContain(target.toRawString());
        const acc = await v4.account(target.toRawString(), head.seqno);
        expect(acc.balance).toBeGreaterThan(toNano('45'));
        expect(acc.last?.lt).toBe(running.chain.lastTransaction(target)!.lt);
    });

    it('fails with an actionable error when the endpoint is down', async () => {
        const v4 = new LeanV4Client('http://127.0.0.1:1', { retries: 0, timeoutMs: 500 });
        await expect(v4.head()).rejects.toThrow('check --chain-url');
    });
});
