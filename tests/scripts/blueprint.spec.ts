import { execFile } from 'child_process';
import { promisify } from 'util';
import { join } from 'path';
import { Address } from '@ton/core';
import { TonClient4 } from '@ton/ton';
import { startLocalChain, type RunningLocalChain } from '../../node/localchain/server';
import { CocoonRoot, parseRootState } from '../../wrappers/CocoonRoot';

jest.setTimeout(240_000);
const exec = promisify(execFile);

/** Unmodified `npx blueprint run <script> --custom <url>` against the local chain (v2 and v4). */
describe('Blueprint scripts on the local chain', () => {
    let chain: RunningLocalChain;
    beforeAll(async () => {
        chain = await startLocalChain({ wallets: 1 });
    });
    afterAll(async () => chain?.close());

    const blueprint = async (args: string[], api: 'v2' | 'v4') => {
        const url = api === 'v2' ? chain.v2Url : chain.v4Url;
        const { stdout } = await exec(
            process.execPath,
            [
                join(__dirname, '../../node_modules/@ton/blueprint/dist/cli/cli.js'),
                'run',
                ...args,
                '--custom',
                url,
                '--custom-version',
                api,
                '--custom-type',
                'custom',
                '--mnemonic',
            ],
            {
                cwd: join(__dirname, '../..'),
                env: { ...process.env, WALLET_MNEMONIC: chain.wallets[0].mnemonic.join(' '), WALLET_VERSION: 'v4', NODE_OPTIONS: '' },
                timeout: 120_000,
            },
        );
        return stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    };

    it('deploys the root (v2), registers a proxy and deploys a proxy contract (v4)', async () => {
        const out = await blueprint(['deployCocoonRoot'], 'v2');
        const m = /CocoonRoot deployed at (\S+)/.exec(out);
        expect(m).not.toBeNull();
        const root = Address.parse(m![1]);
        await blueprint(['cocoonRootAdmin', root.toString(), 'register-proxy', '127.0.0.1:11001'], 'v4');
        const c4 = new TonClient4({ endpoint: chain.v4Url });
        const acc = await c4.getAccount((await c4.getLastBlock()).last.seqno, root);
        const st = acc.account.state as { type: string; data?: string };
        const state = parseRootState((await import('@ton/core')).Cell.fromBase64(st.data!));
        expect([...state.registry.registeredProxies]).toEqual([[1, '127.0.0.1:11001']]);
        expect(state.version).toBe(1);
        const out2 = await blueprint(['deployCocoonProxy', root.toString(), 'ab'.repeat(32)], 'v4');
        expect(out2).toMatch(/CocoonProxy \(params_version 1\) deployed at/);
        expect(await c4.open(CocoonRoot.fromAddress(root)).getLastProxySeqno()).toBe(1n);
    });
});
