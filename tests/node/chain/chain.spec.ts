import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { Address, internal, toNano } from '@ton/core';
import { WalletContractV4 } from '@ton/ton';
import { mnemonicToPrivateKey } from '@ton/crypto';
import { apiKindOf, ChainError, createChainClient, openWallet, type ChainClient } from '../../../node/chain';
import { startLocalChain, type RunningLocalChain } from '../../../node/localchain/server';

jest.setTimeout(180_000);

describe('node/chain over the local chain', () => {
    let chain: RunningLocalChain;
    beforeAll(async () => {
        chain = await startLocalChain({ wallets: 2 });
    });
    afterAll(async () => chain?.close());

    it('picks the API from the URL and rejects what is not a URL', () => {
        expect(apiKindOf('http://x:1')).toBe('v4');
        expect(apiKindOf('https://toncenter.com/api/v2/jsonRPC')).toBe('v2');
        expect(createChainClient({ url: 'testnet' }).url).toBe('https://testnet-v4.tonhubapi.com');
        expect(() => createChainClient({ url: 'nope' })).toThrow(/chain URL must be/);
    });

    describe.each(['v4', 'v2'] as const)('%s client', (kind) => {
        let client: ChainClient;
        beforeAll(() => {
            client = createChainClient({ url: kind === 'v4' ? chain.v4Url : chain.v2Url });
        });

        it('reads accounts, sends through a wallet and waits for the transaction, runs get-methods', async () => {
            expect(client.kind).toBe(kind);
            const funded = Address.parse(chain.wallets[kind === 'v4' ? 0 : 1].address);
            const acc = await client.account(funded);
            expect(acc.balance).toBeGreaterThan(toNano('100'));
            const wallet = await openWallet(client, { mnemonic: chain.wallets[kind === 'v4' ? 0 : 1].mnemonic });
            expect(wallet.address.equals(funded)).toBe(true);
            const to = Address.parse(chain.wallets[kind === 'v4' ? 1 : 0].address);
            const tx = await wallet.send([internal({ to, value: toNano('1'), bounce: false })]);
            expect(tx.tx.inMessage?.info.type).toBe('external-in');
            const key = await mnemonicToPrivateKey(chain.wallets[kind === 'v4' ? 0 : 1].mnemonic);
            const opened = client.open(WalletContractV4.create({ workchain: 0, publicKey: key.publicKey }));
            expect(await opened.getSeqno()).toBeGreaterThanOrEqual(1);
            const reader = await client.runGetMethod(funded, 'seqno');
            expect(reader.readNumber()).toBeGreaterThanOrEqual(1);
            await expect(client.runGetMethod(funded, 'no_such_method')).rejects.toMatchObject({ code: 'GET_METHOD' });
            // The wallet's transaction is in a block the client can scan.
            const head = await client.head();
            const blockTxs = await client.blockTransactions(head.seqno);
            expect(blockTxs.length).toBeGreaterThan(0);
        });

        it('pages 300+ transactions newest first without gaps or duplicates', async () => {
            const target = Address.parse(`0:${(kind === 'v4' ? 'aa' : 'bb').repeat(32)}`);
            for (let i = 0; i < 305; i++) await chain.chain.fund(target, 1n);
            const all = await client.transactions(target, { limit: 1000 });
            expect(all.length).toBe(305);
            expect(new Set(all.map((t) => t.hash.toString('hex'))).size).toBe(305);
            for (let i = 1; i < all.length; i++) expect(all[i].lt).toBeLessThan(all[i - 1].lt);
            const tail = await client.transactions(target, { from: { lt: all[100].lt, hash: all[100].hash }, limit: 50 });
            expect(tail.map((t) => t.lt)).toEqual(all.slice(100, 150).map((t) => t.lt));
        });

        it('summarises an account as account() does, without its code and data', async () => {
            const target = Address.parse(`0:${(kind === 'v4' ? 'a1' : 'b1').repeat(32)}`);
            expect(await client.accountSummary(target)).toEqual({ state: 'uninit', balance: 0n, last: null });
            for (let i = 0; i < 3; i++) await chain.chain.fund(target, 1n);
            const [newest] = await client.transactions(target, { limit: 1 });
            const summary = await client.accountSummary(target);
            expect(summary).toEqual({ state: 'uninit', balance: 3n, last: { lt: newest.lt, hash: newest.hash } });
            const funded = Address.parse(chain.wallets[0].address);
            const { state, balance, last } = await client.account(funded);
            expect(await client.accountSummary(funded)).toEqual({ state, balance, last });
            expect(state).toBe('active');
        });
    });
});

describe('node/chain failure handling', () => {
    const servers: Server[] = [];
    afterAll(() => servers.forEach((s) => s.close()));

    async function stub(handler: (n: number, res: import('http').ServerResponse) => void): Promise<string> {
        let n = 0;
        const s = createServer((_req, res) => handler(++n, res));
        servers.push(s);
        await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
        return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    }

    it('reports an endpoint that is down as UNREACHABLE after bounded retries', async () => {
        const client = createChainClient({ url: 'http://127.0.0.1:1', retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
        const started = Date.now();
        const err = await client.head().catch((e) => e);
        expect(err).toBeInstanceOf(ChainError);
        expect(err.code).toBe('UNREACHABLE');
        expect(err.message).toMatch(/cannot reach http:\/\/127.0.0.1:1/);
        expect(Date.now() - started).toBeLessThan(5000);
    });

    it('waits out HTTP 429 as Retry-After says, then succeeds', async () => {
        const url = await stub((n, res) => {
            if (n === 1) {
                res.writeHead(429, { 'Retry-After': '0' });
                return void res.end('{"error":"slow down"}');
            }
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(
                JSON.stringify({
                    last: { seqno: 7, shard: '-9223372036854775808', workchain: -1, fileHash: '', rootHash: '' },
                    init: { fileHash: '', rootHash: '' },
                    stateRootHash: '',
                    now: 1,
                }),
            );
        });
        const client = createChainClient({ url, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 } });
        expect(await client.head()).toEqual({ seqno: 7, utime: 1 });
    });

    it('gives up on a silent endpoint with TIMEOUT, and does not retry client errors', async () => {
        const silent = await stub(() => undefined);
        const client = createChainClient({ url: silent, timeoutMs: 200, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
        await expect(client.head()).rejects.toMatchObject({ code: 'TIMEOUT' });
        let calls = 0;
        const bad = await stub((_n, res) => {
            calls++;
            res.writeHead(400, { 'Content-Type': 'application/json' });
            res.end('{"error":"bad seqno"}');
        });
        await expect(createChainClient({ url: bad }).head()).rejects.toMatchObject({ code: 'BAD_REQUEST' });
        expect(calls).toBe(1);
    });
});
