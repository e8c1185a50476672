import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Address, toNano } from '@ton/core';
import { createChainClient } from '../../../node/chain';
import { startLocalChain, type RunningLocalChain } from '../../../node/localchain/server';
import { parseCommandLine, parseTon, chainUrlOf, CHAIN_OPTIONS } from '../../../node/cli/chain-args';
import { formatTon } from '../../../node/common/ton';
import { runWallet } from '../../../node/cli/wallet';
import { cocoon } from '../../../node/cli/cocoon';
import { captureIo } from '../helpers/cli-io';

jest.setTimeout(120_000);

describe('cocoon wallet', () => {
    let chain: RunningLocalChain;
    let dir: string;
    let walletsFile: string;
    let env: NodeJS.ProcessEnv;

    const run = async (argv: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
        const c = captureIo();
        const code = await runWallet(argv, { ...env, ...extraEnv }, c.io);
        return { code, out: c.out(), err: c.err() };
    };
    const balanceOf = async (a: string) => (await createChainClient({ url: chain.v4Url }).account(Address.parse(a))).balance;

    beforeAll(async () => {
        chain = await startLocalChain({ wallets: 2 });
        dir = mkdtempSync(join(tmpdir(), 'cocoon-wallet-'));
        walletsFile = join(dir, 'wallets.json');
        writeFileSync(walletsFile, JSON.stringify(chain.wallets), { mode: 0o600 });
        env = { COCOON_CHAIN_URL: chain.v4Url };
    });
    afterAll(async () => {
        await chain?.close();
        rmSync(dir, { recursive: true, force: true });
    });

    it('parses TON amounts exactly and layers flags over env over the config file over defaults', () => {
        expect(parseTon('1.5', 'x')).toBe(1_500_000_000n);
        expect(parseTon('0.000000001', 'x')).toBe(1n);
        expect(() => parseTon('1.0000000001', 'x')).toThrow(/not a TON amount/);
        expect(() => parseTon('-1', 'x')).toThrow(/not a TON amount/);
        expect(formatTon(1_500_000_000n)).toBe('1.5');
        expect(formatTon(2_000_000_000n)).toBe('2');

        const cfg = join(dir, 'cfg.json');
        writeFileSync(cfg, JSON.stringify({ network: 'testnet', endpoint: 'http://from-config:1', toncenterApiKey: 'k-config' }));
        // The toncenter key is --toncenter-api-key: --api-key / COCOON_API_KEY guard the client's own API.
        const p = parseCommandLine(CHAIN_OPTIONS, ['--config', cfg, '--endpoint', 'http://from-flag:1'], {
            COCOON_TONCENTER_API_KEY: 'k-env',
            COCOON_API_KEY: 'not-toncenter',
        });
        if (p === 'help') throw new Error('unexpected help');
        expect(p.values).toMatchObject({ network: 'testnet', endpoint: 'http://from-flag:1', 'toncenter-api-key': 'k-env', json: false });
        expect(p.sources).toMatchObject({ network: 'config', endpoint: 'flag', 'toncenter-api-key': 'env', json: 'default' });
        expect(p.values['api-key']).toBeUndefined();
        expect(() => parseCommandLine(CHAIN_OPTIONS, ['--api-key', 'k'], {})).toThrow(/unknown option --api-key/);
        // Names from the command line are never looked up on Object.prototype.
        expect(() => chainUrlOf({ network: 'constructor' })).toThrow(/unknown network 'constructor'/);
        expect(() => chainUrlOf({ network: 'toString' })).toThrow(/unknown network 'toString'/);
        expect(chainUrlOf({ network: 'testnet' })).toBe('https://testnet-v4.tonhubapi.com');
        const q = parseCommandLine(CHAIN_OPTIONS, ['--json', 'balance', '--no-json'], { COCOON_CONFIG: cfg });
        expect(q !== 'help' && q.values.json).toBe(false);
        expect(q !== 'help' && q.positionals).toEqual(['balance']);
        expect(q !== 'help' && q.values.endpoint).toBe('http://from-config:1');
    });

    it('creates a key file (0600, never overwritten) whose addresses `wallet address` reproduces for v4 and v5r1', async () => {
        const keyFile = join(dir, 'key.json');
        const made = await run(['new', '--out', keyFile, '--wallet-version', 'v5r1', '--json']);
        expect(made.code).toBe(0);
        expect(statSync(keyFile).mode & 0o777).toBe(0o600);
        const printed = JSON.parse(made.out) as {
            version: string;
            mnemonic?: string[];
            addresses: Record<string, { address: string; raw: string }>;
        };
        expect(printed.mnemonic).toBeUndefined(); // the secret stays in the file
        const file = JSON.parse(readFileSync(keyFile, 'utf8')) as {
            version: string;
            mnemonic: string[];
            addresses: Record<string, string>;
        };
        expect(file.version).toBe('v5r1');
        expect(file.mnemonic).toHaveLength(24);
        expect(file.addresses.v4).toBe(printed.addresses.v4.address);
        expect(file.addresses.v4).not.toBe(file.addresses.v5r1);

        const fromKey = JSON.parse((await run(['address', '--key-file', keyFile, '--json'])).out) as { version: string; address: string };
        expect(fromKey).toMatchObject({ version: 'v5r1', address: file.addresses.v5r1 });
        const words = join(dir, 'words.txt');
        writeFileSync(words, file.mnemonic.join(' ') + '\n', { mode: 0o600 });
        const fromWords = JSON.parse((await run(['address', '--mnemonic-file', words, '--json'])).out) as {
            version: string;
            address: string;
        };
        expect(fromWords).toMatchObject({ version: 'v4', address: file.addresses.v4 });
        const fromEnv = await run(['address'], { COCOON_MNEMONIC: file.mnemonic.join(' '), COCOON_WALLET_VERSION: 'v5r1' });
        expect(fromEnv.out.split('\n')[0]).toBe(file.addresses.v5r1);
        // The funded local-chain wallets are reachable by name in the chain's wallets.json.
        const w1 = await run(['address', '--key-file', walletsFile, '--key-name', 'wallet1']);
        expect(w1.out.split('\n')[0]).toBe(chain.wallets[1].address);

        const again = await run(['new', '--out', keyFile]);
        expect(again.code).toBe(1);
        expect(again.err).toMatch(/already exists; not overwriting/);
        expect(JSON.parse(readFileSync(keyFile, 'utf8')).mnemonic).toEqual(file.mnemonic);

        const text = await run(['new', '--network', 'testnet']);
        expect(text.code).toBe(0);
        expect(text.out).toMatch(/mnemonic .*\n {2}(\w+ ){23}\w+\n/);
        expect(text.out).toMatch(/address v4: {4}0Q/); // test-only, non-bounceable
    });

    it('sends TON over v4 and v5r1 wallets, on the v4 and the toncenter v2 API, and the balances move', async () => {
        const keyFile = join(dir, 'v5.json');
        await run(['new', '--out', keyFile, '--wallet-version', 'v5r1']);
        const v5 = (JSON.parse(readFileSync(keyFile, 'utf8')) as { addresses: { v5r1: string } }).addresses.v5r1;

        const sent = await run([
            'send',
            '--key-file',
            walletsFile,
            '--key-name',
            'wallet0',
            '--to',
            v5,
            '--amount',
            '3',
            '--body-text',
            'hello',
            '--wait',
            '--json',
        ]);
        expect(sent.err).toBe('');
        expect(sent.code).toBe(0);
        const r = JSON.parse(sent.out) as { amount: string; bounce: boolean; delivered: { success: boolean; skipped: string } };
        expect(r).toMatchObject({ amount: toNano('3').toString(), bounce: false, delivered: { success: true, skipped: 'no-state' } });
        expect(await balanceOf(v5)).toBeGreaterThan(toNano('2.999'));

        // The v5r1 wallet deploys itself on its first transfer; this one goes through toncenter v2.
        const before = await balanceOf(chain.wallets[1].address);
        const back = await run([
            'send',
            '--key-file',
            keyFile,
            '--to',
            chain.wallets[1].address,
            '--amount',
            '1.25',
            '--wait',
            '--endpoint',
            chain.v2Url,
        ]);
        expect(back.err).toBe('');
        expect(back.code).toBe(0);
        expect(back.out).toMatch(/^sent 1\.25 TON from .* to .*: wallet tx [0-9a-f]{64}/);
        expect(back.out).toMatch(/delivered to the recipient/);
        const after = await balanceOf(chain.wallets[1].address);
        // The recipient pays its storage fee (a few nanoTON) out of what arrives.
        expect(after - before).toBeLessThanOrEqual(toNano('1.25'));
        expect(after - before).toBeGreaterThan(toNano('1.25') - 10_000n);
        const left = await balanceOf(v5);
        expect(left).toBeLessThan(toNano('1.75'));
        expect(left).toBeGreaterThan(toNano('1.7')); // fees of a deploying v5r1 transfer stay well under FEE_RESERVE

        const bal = JSON.parse((await run(['balance', '--key-file', keyFile, '--json'])).out) as { state: string; balance: string };
        expect(bal).toMatchObject({ state: 'active', balance: left.toString() });
        expect((await run(['balance', chain.wallets[1].address])).out).toMatch(new RegExp(`^${formatTon(after).replace('.', '\\.')} TON `));
    });

    it('reports user errors in one line with a non-zero exit code', async () => {
        const empty = join(dir, 'empty.json');
        await run(['new', '--out', empty]);
        const cases: [string[], number, RegExp][] = [
            [
                ['send', '--key-file', walletsFile, '--to', 'not-an-address', '--amount', '1'],
                2,
                /--to: 'not-an-address' is not a TON address/,
            ],
            [
                ['send', '--key-file', walletsFile, '--to', chain.wallets[1].address, '--amount', 'lots'],
                2,
                /--amount: 'lots' is not a TON amount/,
            ],
            [['send', '--key-file', walletsFile, '--amount', '1'], 2, /missing --to/],
            [
                ['send', '--key-file', empty, '--to', chain.wallets[1].address, '--amount', '1'],
                1,
                /insufficient balance: wallet \S+ has 0 TON; sending 1 TON needs about 1\.01 TON/,
            ],
            [['send', '--key-file', walletsFile, '--to', chain.wallets[1].address, '--amount', '2000000'], 1, /insufficient balance/],
            [['send', '--to', chain.wallets[1].address, '--amount', '1'], 2, /no wallet key/],
            [
                ['balance', chain.wallets[1].address, '--endpoint', 'http://127.0.0.1:1'],
                1,
                /UNREACHABLE: cannot reach http:\/\/127\.0\.0\.1:1/,
            ],
            [['balance', chain.wallets[1].address, '--network', 'moon'], 2, /unknown network 'moon'/],
            [['balance', chain.wallets[1].address, '--bogus'], 2, /unknown option --bogus/],
            [['address', '--mnemonic', 'one two three'], 1, /not hold a valid 24-word TON mnemonic \(3 words read\)/],
            [['address', '--key-file', join(dir, 'missing.json')], 1, /cannot read key file .*ENOENT/],
            [['address', '--key-file', walletsFile, '--key-name', 'nobody'], 1, /no wallet named 'nobody' \(names: wallet0, wallet1\)/],
            [['balance', '--config', join(dir, 'missing-config.json')], 1, /cannot read config file/],
            [['fly'], 2, /unknown wallet subcommand 'fly'/],
        ];
        for (const [argv, code, message] of cases) {
            const r = await run(argv);
            expect({ argv, code: r.code }).toEqual({ argv, code });
            expect(r.err).toMatch(message);
            expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
            expect(r.err.trim().split('\n')).toHaveLength(1);
        }
    });

    it('has --help for the command and each subcommand, reachable from the cocoon dispatcher', async () => {
        for (const sub of ['new', 'address', 'balance', 'send']) {
            const r = await run([sub, '--help']);
            expect(r.code).toBe(0);
            expect(r.out).toMatch(new RegExp(`Usage: cocoon wallet ${sub}`));
            expect(r.out).toMatch(/--network <value>/);
            expect(r.out).toMatch(/COCOON_CONFIG/);
        }
        expect((await run(['send', '--help'])).out).toMatch(/--amount <TON>[\s\S]*env COCOON_SEND_AMOUNT, required/);
        const out: string[] = [];
        const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
        try {
            expect(await cocoon(['wallet', '--help'])).toBe(0);
            expect(await cocoon(['--help'])).toBe(0);
            expect(await cocoon(['constructor'])).toBe(2);
            for (const sub of ['constructor', 'toString', '__proto__']) {
                const r = await run([sub]);
                expect(r.code).toBe(2);
                expect(r.err).toMatch(new RegExp(`unknown wallet subcommand '${sub}'`));
            }
            expect(await cocoon(['__proto__'])).toBe(2);
        } finally {
            spy.mockRestore();
        }
        expect(out.join('')).toMatch(/Usage: cocoon wallet <new\|address\|balance\|send>/);
        expect(out.join('')).toMatch(/\n {2}wallet +TON wallets/);
        expect(out.join('')).toMatch(/\n {2}root +the root contract/);
        expect(out.join('')).toMatch(/\n {2}explorer +serve the indexer API/);
    });
});
