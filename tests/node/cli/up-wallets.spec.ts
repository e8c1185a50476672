/** @jest-environment node */
/**
 * `cocoon up` on a chain data dir made by `cocoon chain` (3 wallets in .cocoon/chain; up needs 4): the
 * chain used to hand back the 3 saved wallets, the client role got none, and its every connection attempt
 * failed with "Cannot read properties of undefined (reading 'address')" until up gave up after 120 s
 * (issue 22 item 10). The missing wallets are now added and funded.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Address, toNano } from '@ton/core';
import { createChainClient } from '../../../node/chain';
import { startLocalChain } from '../../../node/localchain/server';

jest.setTimeout(120_000);

let dir: string;
beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cocoon-up-wallets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a data dir saved with fewer wallets than asked gets the missing ones, funded; the saved ones are kept', async () => {
    const chainDir = join(dir, 'chain');
    const first = await startLocalChain({ dataDir: chainDir, port: 0, wallets: 3, walletBalance: toNano('50') });
    const saved = first.wallets.map((w) => w.mnemonic.join(' '));
    await first.close();

    const again = await startLocalChain({ dataDir: chainDir, port: 0, wallets: 4, walletBalance: toNano('50') });
    try {
        expect(again.wallets).toHaveLength(4);
        expect(again.wallets.slice(0, 3).map((w) => w.mnemonic.join(' '))).toEqual(saved);
        expect(again.wallets[3].name).toBe('wallet3');
        const acc = await createChainClient({ url: again.v4Url }).account(Address.parse(again.wallets[3].address));
        expect(acc.balance).toBe(toNano('50'));
    } finally {
        await again.close();
    }
    const third = await startLocalChain({ dataDir: chainDir, port: 0, wallets: 4 });
    try {
        expect(third.wallets.map((w) => w.address)).toEqual(again.wallets.map((w) => w.address));
    } finally {
        await third.close();
    }
});
