import { mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import { networkInterfaces, tmpdir } from 'os';
import { join } from 'path';
import { Address, beginCell, Cell, internal, storeMessage, toNano, SendMode } from '@ton/core';
import { mnemonicToPrivateKey } from '@ton/crypto';
import { TonClient, TonClient4, WalletContractV4 } from '@ton/ton';
import { isLoopbackAddress } from '../../../node/common/loopback';
import { startLocalChain, type RunningLocalChain } from '../../../node/localchain/server';

jest.setTimeout(180_000);

async function walletOf(chain: RunningLocalChain, i: number) {
    const key = await mnemonicToPrivateKey(chain.wallets[i].mnemonic);
    return { key, wallet: WalletContractV4.create({ workchain: 0, publicKey: key.publicKey }) };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
    const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

describe('local chain with the real TON clients', () => {
    let dir: string;
    let chain: RunningLocalChain;

    beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'cocoon-chain-'));
        chain = await startLocalChain({ dataDir: dir, wallets: 2 });
    });
    afterAll(async () => {
        await chain?.close();
        rmSync(dir, { recursive: true, force: true });
    });

    it('serves funded wallets to TonClient4 and TonClient (v2)', async () => {
        const c4 = new TonClient4({ endpoint: chain.v4Url });
        const c2 = new TonClient({ endpoint: chain.v2Url });
        const addr = Address.parse(chain.wallets[0].address);
        const last = await c4.getLastBlock();
        const acc = await c4.getAccount(last.last.seqno, addr);
        expect(BigInt(acc.account.balance.coins)).toBe(toNano('1000000'));
        expect(await c2.getBalance(addr)).toBe(toNano('1000000'));
        expect((await c2.getContractState(addr)).state).toBe('uninitialized');
        expect((await c2.getMasterchainInfo()).latestSeqno).toBe(last.last.seqno);
    });

    it('deploys a wallet and transfers through TonClient4 (send + get-methods)', async () => {
        const c4 = new TonClient4({ endpoint: chain.v4Url });
        const { key, wallet } = await walletOf(chain, 0);
        const opened = c4.open(wallet);
        expect(await opened.getSeqno()).toBe(0);
        const to = Address.parse(chain.wallets[1].address);
        await opened.sendTransfer({
            seqno: 0,
            secretKey: key.secretKey,
            messages: [internal({ to, value: toNano('5'), bounce: false, body: 'hello' })],
            sendMode: SendMode.PAY_GAS_SEPARATELY,
        });
        expect(await opened.getSeqno()).toBe(1);
        const latest = await c4.getLastBlock();
        const acc = await c4.getAccount(latest.last.seqno, to);
        // The recipient pays a tiny storage fee on receipt.
        expect(BigInt(acc.account.balance.coins)).toBeGreaterThan(toNano('1000004.999'));
        const lite = await c4.getAccountLite(latest.last.seqno, wallet.address);
        expect(lite.account.state.type).toBe('active');
        // The block lists the transactions of that message chain.
        const block = await c4.getBlock(latest.last.seqno);
        const accounts = block.shards[0].transactions.map((t) => Address.parse(t.account).toRawString());
        expect(accounts).toEqual(expect.arrayContaining([wallet.address.toRawString(), to.toRawString()]));
    });

    it('rejects an external message that is not accepted (bad seqno) with an error', async () => {
        const c2 = new TonClient({ endpoint: chain.v2Url });
        const { key, wallet } = await walletOf(chain, 0);
        const opened = c2.open(wallet);
        await expect(
            opened.sendTransfer({
                seqno: 0,
                secretKey: key.secretKey,
                messages: [internal({ to: wallet.address, value: 1n })],
                sendMode: SendMode.PAY_GAS_SEPARATELY,
            }),
        ).rejects.toThrow();
    });

    it('pages over 1,000+ transactions without gaps or duplicates (v2 and v4)', async () => {
        const target = Address.parse(chain.wallets[1].address);
        const N = 1010;
        for (let i = 0; i < N; i++) await chain.chain.fund(target, 1n);
        const c4 = new TonClient4({ endpoint: chain.v4Url });
        const latest = await c4.getLastBlock();
        const acc = await c4.getAccount(latest.last.seqno, target);
        let cursor = { lt: BigInt(acc.account.last!.lt), hash: Buffer.from(acc.account.last!.hash, 'base64') };
        const seen4: string[] = [];
        for (;;) {
            const page = await c4.getAccountTransactions(target, cursor.lt, cursor.hash);
            for (const t of page) seen4.push(t.tx.hash().toString('hex'));
            const tail = page[page.length - 1].tx;
            if (tail.prevTransactionLt === 0n) break;
            cursor = { lt: tail.prevTransactionLt, hash: Buffer.from(tail.prevTransactionHash.toString(16).padStart(64, '0'), 'hex') };
        }
        expect(new Set(seen4).size).toBe(seen4.length);
        expect(seen4.length).toBeGreaterThanOrEqual(N + 1);

        const c2 = new TonClient({ endpoint: chain.v2Url });
        const seen2: string[] = [];
        let from: { lt: string; hash: string } | undefined;
        for (;;) {
            const page = await c2.getTransactions(target, { limit: 100, ...(from ?? {}), archival: true });
            if (page.length === 0) break;
            for (const t of page) seen2.push(t.hash().toString('hex'));
            const last = page[page.length - 1];
            if (last.prevTransactionLt === 0n) break;
            // TonClient pages exclusively: it asks for limit+1 from the given tx and drops that tx.
            from = { lt: last.lt.toString(), hash: last.hash().toString('base64') };
        }
        expect(seen2).toEqual(seen4);
    });

    it("answers malformed requests with the real APIs' error shapes", async () => {
        const bad = await post(chain.v2Url, { method: 'getAddressInformation', params: { address: 'nope' } });
        expect(bad.status).toBe(422);
        expect(bad.json).toMatchObject({ ok: false, code: 422 });
        expect(String(bad.json.error)).toMatch(/invalid address/);
        const unknown = await post(chain.v2Url, { method: 'noSuchMethod', params: {} });
        expect(unknown.status).toBe(404);
        const notJson = await post(chain.v2Url, '{oops');
        expect(notJson.status).toBe(400);
        expect(notJson.json.ok).toBe(false);
        const badBoc = await post(`${chain.url}/api/v2/sendBoc`, { boc: 'AAAA' });
        expect(badBoc.status).toBe(422);
        const v4 = await fetch(`${chain.v4Url}/block/99999999/${chain.wallets[0].address}`);
        expect(v4.status).toBe(404);
        expect(((await v4.json()) as { error: string }).error).toMatch(/not found/);
        const v4send = await post(`${chain.v4Url}/send`, { nope: 1 });
        expect(v4send.status).toBe(400);
        const faucet = await post(`${chain.url}/faucet`, { address: 'x' }, dev());
        expect(faucet.status).toBe(400);
        // A method name is never looked up on Object.prototype.
        for (const method of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
            expect((await post(chain.v2Url, { method, params: {} })).status).toBe(404);
            expect((await fetch(`${chain.url}/api/v2/${method}`)).status).toBe(404);
        }
    });

    const dev = () => ({ authorization: `Bearer ${chain.devToken}` });

    it('accepts only external messages on its send endpoints, like a real TON endpoint', async () => {
        // A forged internal message "from" wallet 0 to wallet 1: it would move TON nobody signed for.
        const from = Address.parse(chain.wallets[0].address);
        const to = Address.parse(chain.wallets[1].address);
        const forged = beginCell()
            .store(
                storeMessage({
                    info: {
                        type: 'internal',
                        ihrDisabled: true,
                        bounce: false,
                        bounced: false,
                        src: from,
                        dest: to,
                        value: { coins: toNano('500') },
                        ihrFee: 0n,
                        forwardFee: 0n,
                        createdLt: 0n,
                        createdAt: 0,
                    },
                    body: Cell.EMPTY,
                }),
            )
            .endCell()
            .toBoc()
            .toString('base64');
        const block = chain.chain.lastBlock.seqno;
        const message =
            "only external messages can be sent (got an internal message): sign it as a wallet's external message, " +
            'as on a real TON endpoint; contracts send internal messages to each other';
        const v4 = await post(`${chain.v4Url}/send`, { boc: forged });
        expect(v4).toEqual({ status: 400, json: { error: message } });
        for (const method of ['sendBoc', 'sendBocReturnHash']) {
            const v2 = await post(chain.v2Url, { method, params: { boc: forged } });
            expect(v2.status).toBe(400);
            expect(v2.json).toMatchObject({ ok: false, code: 400, error: message });
        }
        expect(chain.chain.lastBlock.seqno).toBe(block);
    });

    it('guards the dev endpoints with the dev token (kept in the data dir, 0600)', async () => {
        const addr = chain.wallets[1].address;
        for (const [path, body] of [
            ['/faucet', { address: addr }],
            ['/admin/time', { shift: 1 }],
        ] as const) {
            const none = await post(`${chain.url}${path}`, body);
            expect(none.status).toBe(401);
            expect(none.json.error).toBe(
                `${path} needs the chain's dev token: send Authorization: Bearer <token> (printed by cocoon chain, ` +
                    `kept in <data-dir>/dev-token)`,
            );
            expect((await post(`${chain.url}${path}`, body, { authorization: 'Bearer wrong' })).status).toBe(401);
        }
        expect(readFileSync(join(dir, 'dev-token'), 'utf8').trim()).toBe(chain.devToken);
        expect(statSync(join(dir, 'dev-token')).mode & 0o777).toBe(0o600);
        const paid = await post(`${chain.url}/faucet`, { address: addr, amount: '5' }, dev());
        expect(paid).toMatchObject({ status: 200, json: { ok: true, result: { amount: '5' } } });
    });

    it('serves the dev endpoints to loopback callers only', async () => {
        expect([
            isLoopbackAddress('127.0.0.1'),
            isLoopbackAddress('::1'),
            isLoopbackAddress('::ffff:127.0.0.2'),
            isLoopbackAddress('10.0.0.1'),
            isLoopbackAddress('::ffff:10.0.0.1'),
            isLoopbackAddress(undefined),
        ]).toEqual([true, true, true, false, false, false]);
        const external = Object.values(networkInterfaces())
            .flat()
            .find((a) => a && !a.internal && a.family === 'IPv4')?.address;
        if (!external) return; // no non-loopback interface on this machine to call from
        const wide = await startLocalChain({ host: '0.0.0.0', wallets: 0 });
        try {
            const auth = { authorization: `Bearer ${wide.devToken}` };
            const remote = await post(`http://${external}:${wide.port}/admin/time`, { shift: 1 }, auth);
            expect(remote).toEqual({
                status: 403,
                json: {
                    ok: false,
                    code: 403,
                    error:
                        '/admin/time is a dev endpoint, served to loopback callers only (start the chain with --dev-remote to ' +
                        'serve it to other hosts)',
                },
            });
            expect((await post(`http://127.0.0.1:${wide.port}/admin/time`, { shift: 1 }, auth)).status).toBe(200);
            // The public APIs stay open to everyone.
            expect((await fetch(`http://${external}:${wide.port}/status`)).status).toBe(200);
        } finally {
            await wide.close();
        }
    });

    it('shifts time forward for close-delay demos', async () => {
        const before = chain.chain.now();
        const r = await post(`${chain.url}/admin/time`, { shift: 3600 }, dev());
        expect(r.status).toBe(200);
        expect(chain.chain.now()).toBeGreaterThanOrEqual(before + 3600);
    });

    it('restarts from its data directory with the same state, history and blocks', async () => {
        const addr = Address.parse(chain.wallets[1].address);
        const c4 = new TonClient4({ endpoint: chain.v4Url });
        const lastBefore = await c4.getLastBlock();
        const accBefore = await c4.getAccount(lastBefore.last.seqno, addr);
        const offset = chain.chain.timeOffset;
        await chain.close();
        const token = chain.devToken;
        chain = await startLocalChain({ dataDir: dir, wallets: 2 });
        expect(chain.devToken).toBe(token);
        const c4b = new TonClient4({ endpoint: chain.v4Url });
        const lastAfter = await c4b.getLastBlock();
        expect(lastAfter.last.seqno).toBe(lastBefore.last.seqno);
        const accAfter = await c4b.getAccount(lastAfter.last.seqno, addr);
        expect(accAfter.account).toEqual(accBefore.account);
        expect(chain.chain.timeOffset).toBe(offset);
        // The chain continues: a new payment lands in the next block.
        await chain.chain.fund(addr, toNano('1'));
        expect((await c4b.getLastBlock()).last.seqno).toBe(lastBefore.last.seqno + 1);
    });
});
