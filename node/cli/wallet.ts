/**
 * `cocoon wallet new | address | balance | send`: a standard TON wallet (v4 or v5r1) from a 24-word
 * mnemonic, on any network through node/chain. `root` and the other chain commands sign with the same
 * key options (loadWalletKey / openSigner).
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'fs';
import { Address, comment, internal, type Cell, type MessageRelaxed, type Transaction } from '@ton/core';
import { mnemonicNew, mnemonicToPrivateKey, mnemonicValidate, type KeyPair } from '@ton/crypto';
import { WalletContractV4, WalletContractV5R1 } from '@ton/ton';
import { openWallet, type ChainClient, type ChainTx, type ChainWallet } from '../chain';
import {
    CHAIN_OPTIONS,
    chainClientOf,
    CliError,
    isTestnet,
    optionsHelp,
    parseAddress,
    parseCommandLine,
    runCommand,
    stdio,
    toJson,
    usageError,
    type CliIo,
    type OptionSpec,
    type OptionValue,
} from './chain-args';
import { formatTon } from '../common/ton';

export type WalletVersion = 'v4' | 'v5r1';
export const WALLET_VERSIONS: readonly WalletVersion[] = ['v4', 'v5r1'];

/**
 * What the wallet needs besides the message value: the fee of a simple transfer is ~0.003-0.006 TON
 * (more on the first one, which deploys the wallet); below this the transfer would be skipped silently.
 */
export const FEE_RESERVE = 10_000_000n;

export const KEY_OPTIONS: OptionSpec[] = [
    {
        name: 'key-file',
        type: 'string',
        env: 'COCOON_KEY_FILE',
        help:
            "JSON key file (`cocoon wallet new --out`, or the local chain's wallets.json; default: none, then --mnemonic-file, " +
            '--mnemonic)',
    },
    {
        name: 'key-name',
        type: 'string',
        env: 'COCOON_KEY_NAME',
        help: 'which wallet of a key file holding several (e.g. wallet1 in wallets.json; default the first)',
    },
    { name: 'mnemonic-file', type: 'string', env: 'COCOON_MNEMONIC_FILE', help: 'text file with the 24-word mnemonic (default none)' },
    {
        name: 'mnemonic',
        type: 'string',
        env: 'COCOON_MNEMONIC',
        help: 'the 24 words themselves (prefer the env var or a file: flags show in `ps`; default none)',
    },
    { name: 'wallet-version', type: 'string', env: 'COCOON_WALLET_VERSION', help: "v4 | v5r1 (default: the key file's version, else v4)" },
];

export interface WalletKey {
    mnemonic: string[];
    keyPair: KeyPair;
    version: WalletVersion;
    /** Where the key came from, for messages. */
    origin: string;
}

/** The key file `wallet new --out` writes (0600). */
export interface KeyFile {
    version: WalletVersion;
    mnemonic: string[];
    publicKey: string;
    addresses: Record<WalletVersion, string>;
}

function walletVersionOf(raw: unknown, origin: string): WalletVersion | undefined {
    if (raw === undefined || raw === null || raw === '') return undefined;
    if (!WALLET_VERSIONS.includes(raw as WalletVersion))
        throw usageError(`${origin}: wallet version must be ${WALLET_VERSIONS.join(' or ')}, got '${String(raw)}'`);
    return raw as WalletVersion;
}

function readText(path: string, what: string): string {
    try {
        return readFileSync(path, 'utf8');
    } catch (e) {
        throw new CliError('NO_KEY', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
}

function warnIfReadable(path: string, io: CliIo): void {
    try {
        if ((statSync(path).mode & 0o077) !== 0) io.err(`warning: ${path} is readable by other users; chmod 600 it\n`);
    } catch {
        // The read below reports a missing file.
    }
}

/** The mnemonic and wallet version from --key-file, --mnemonic-file or --mnemonic; null when none is given. */
export async function loadWalletKey(values: Record<string, OptionValue>, io: CliIo = stdio): Promise<WalletKey | null> {
    const flagVersion = walletVersionOf(values['wallet-version'], '--wallet-version');
    let words: string[];
    let fileVersion: WalletVersion | undefined;
    let origin: string;
    if (values['key-file']) {
        const path = String(values['key-file']);
        warnIfReadable(path, io);
        let json: unknown;
        try {
            json = JSON.parse(readText(path, 'key file'));
        } catch (e) {
            if (e instanceof CliError) throw e;
            throw new CliError('BAD_KEY', `key file ${path} is not valid JSON: ${(e as Error).message}`);
        }
        type Entry = { name?: string; mnemonic?: string[] | string; version?: string };
        const entries: Entry[] = Array.isArray(json) ? (json as Entry[]) : [json as Entry];
        const name = values['key-name'] as string | undefined;
        const entry = name ? entries.find((e) => e?.name === name) : entries[0];
        if (!entry)
            throw new CliError(
                'NO_KEY',
                name
                    ? `key file ${path} has no wallet named '${name}' (names: ${entries.map((e) => e?.name).join(', ')})`
                    : `key file ${path} holds no wallet`,
            );
        if (!entry.mnemonic) throw new CliError('BAD_KEY', `key file ${path}: the wallet entry has no "mnemonic"`);
        words = Array.isArray(entry.mnemonic) ? entry.mnemonic.map(String) : String(entry.mnemonic).trim().split(/\s+/);
        fileVersion = walletVersionOf(entry.version, `key file ${path}`);
        origin = `key file ${path}${name ? ` (${name})` : ''}`;
    } else if (values['mnemonic-file']) {
        const path = String(values['mnemonic-file']);
        warnIfReadable(path, io);
        words = readText(path, 'mnemonic file').trim().split(/\s+/);
        origin = `mnemonic file ${path}`;
    } else if (values.mnemonic) {
        words = String(values.mnemonic).trim().split(/\s+/);
        origin = '--mnemonic';
    } else {
        return null;
    }
    if (words.length !== 24 || !(await mnemonicValidate(words))) {
        throw new CliError('BAD_KEY', `${origin} does not hold a valid 24-word TON mnemonic (${words.length} words read)`);
    }
    return { mnemonic: words, keyPair: await mnemonicToPrivateKey(words), version: flagVersion ?? fileVersion ?? 'v4', origin };
}

export async function requireWalletKey(values: Record<string, OptionValue>, io: CliIo = stdio): Promise<WalletKey> {
    const key = await loadWalletKey(values, io);
    if (!key) throw usageError('no wallet key: pass --key-file, --mnemonic-file or set COCOON_MNEMONIC');
    return key;
}

export function walletAddress(publicKey: Buffer, version: WalletVersion): Address {
    return version === 'v5r1'
        ? WalletContractV5R1.create({ workchain: 0, publicKey }).address
        : WalletContractV4.create({ workchain: 0, publicKey }).address;
}

/** Wallets print non-bounceable (UQ..., or 0Q... on testnet), as wallet apps show them. */
export const friendly = (a: Address, testOnly: boolean) => a.toString({ bounceable: false, testOnly });

export async function openSigner(client: ChainClient, key: WalletKey): Promise<ChainWallet> {
    return openWallet(client, { mnemonic: key.mnemonic, version: key.version });
}

export interface TxOutcome {
    hash: string;
    lt: string;
    /** null when the compute phase was skipped (e.g. no funds, no state). */
    exitCode: number | null;
    success: boolean;
    aborted: boolean;
    messagesCreated: number;
    /** Why the compute phase did not run ('no-state': an account without code just took the value). */
    skipped: string | null;
}

export function txOutcome(t: ChainTx): TxOutcome {
    const d = t.tx.description;
    const base = { hash: t.hash.toString('hex'), lt: t.lt.toString() };
    if (d.type !== 'generic')
        return { ...base, exitCode: null, success: true, aborted: false, messagesCreated: t.tx.outMessagesCount, skipped: null };
    const exitCode = d.computePhase.type === 'vm' ? d.computePhase.exitCode : null;
    const computeOk = d.computePhase.type === 'vm' && d.computePhase.success;
    const skipped = d.computePhase.type === 'skipped' ? d.computePhase.reason : null;
    return {
        ...base,
        exitCode,
        success: computeOk && !d.aborted && (d.actionPhase?.success ?? true),
        aborted: d.aborted,
        messagesCreated: d.actionPhase?.messagesCreated ?? 0,
        skipped,
    };
}

function firstOutMessage(tx: Transaction) {
    const m = tx.outMessages.get(0);
    return m && m.info.type === 'internal' ? m.info : null;
}

export interface SendResult {
    wallet: TxOutcome;
    /** The recipient's transaction for the message, when waited for. */
    delivered?: TxOutcome & { bounced: boolean };
}

/**
 * Sends one internal message from the wallet after checking it can pay for it, confirms the wallet
 * actually emitted it, and (with `deliver`) waits for the recipient's transaction.
 */
export async function sendChecked(
    client: ChainClient,
    wallet: ChainWallet,
    msg: { to: Address; value: bigint; bounce: boolean; body?: Cell; init?: { code: Cell; data: Cell } },
    opts: { deliver: boolean; timeoutMs: number },
): Promise<SendResult> {
    const [from, dest] = await Promise.all([client.account(wallet.address), client.account(msg.to)]);
    if (from.balance < msg.value + FEE_RESERVE) {
        throw new CliError(
            'INSUFFICIENT_BALANCE',
            `insufficient balance: wallet ${wallet.address.toString({ bounceable: false })} has ${formatTon(from.balance)} ` +
                `TON; sending ${formatTon(msg.value)} TON needs about ${formatTon(msg.value + FEE_RESERVE)} TON with fees`,
        );
    }
    const message: MessageRelaxed = internal({ to: msg.to, value: msg.value, bounce: msg.bounce, body: msg.body, init: msg.init });
    const tx = await wallet.send([message], { timeoutMs: opts.timeoutMs });
    const out = txOutcome(tx);
    const info = firstOutMessage(tx.tx);
    if (!info || out.messagesCreated === 0) {
        throw new CliError(
            'NOT_SENT',
            `the wallet's transaction ${out.hash} did not send the message (balance too low for the amount plus fees?)`,
        );
    }
    if (!opts.deliver) return { wallet: out };
    const got = await client.waitForTransaction(
        msg.to,
        (t) =>
            t.tx.inMessage?.info.type === 'internal' &&
            t.tx.inMessage.info.src.equals(wallet.address) &&
            t.tx.inMessage.info.createdLt === info.createdLt,
        { afterLt: dest.last?.lt ?? 0n, timeoutMs: opts.timeoutMs },
    );
    const o = txOutcome(got);
    const bounced = got.tx.outMessages.values().some((m) => m.info.type === 'internal' && m.info.bounced);
    // A non-bounceable transfer to an account without code is credited with no computation: delivered.
    const credited = !bounced && o.skipped === 'no-state';
    return { wallet: out, delivered: { ...o, success: o.success || credited, bounced } };
}

const VERSION_OPTION = KEY_OPTIONS.find((o) => o.name === 'wallet-version')!;

const USAGE = 'cocoon wallet <new|address|balance|send> [options]';
const SUBCOMMANDS = `Subcommands:
  new                       generate a 24-word mnemonic; print it with its v4 and v5r1 addresses,
                            or write it to a key file (--out, mode 0600) and print the addresses
  address                   the addresses of a key (--key-file | --mnemonic-file | COCOON_MNEMONIC)
  balance [address]         balance and state of an address (default: the key's wallet)
  send --to A --amount TON  transfer from the key's wallet; --wait also waits for the recipient`;

export const WALLET_OPTIONS = new Map<string, OptionSpec[]>(
    Object.entries({
        new: [
            {
                name: 'out',
                type: 'string',
                env: 'COCOON_KEY_OUT',
                help: 'write the key to this file (mode 0600; refuses to overwrite; default none: print the mnemonic)',
            },
            VERSION_OPTION,
            ...CHAIN_OPTIONS,
        ],
        address: [...KEY_OPTIONS, ...CHAIN_OPTIONS],
        balance: [...KEY_OPTIONS, ...CHAIN_OPTIONS],
        send: [
            { name: 'to', type: 'string', env: 'COCOON_SEND_TO', help: 'recipient address', required: true },
            { name: 'amount', type: 'nano', env: 'COCOON_SEND_AMOUNT', help: 'amount in TON (e.g. 1.5)', required: true },
            {
                name: 'body-text',
                type: 'string',
                env: 'COCOON_SEND_BODY_TEXT',
                help: 'text comment attached to the transfer (default none)',
            },
            {
                name: 'bounce',
                type: 'bool',
                env: 'COCOON_SEND_BOUNCE',
                help: 'bounce flag (default: from the address form; raw 0:... bounces only to a deployed contract)',
            },
            {
                name: 'wait',
                type: 'bool',
                env: 'COCOON_SEND_WAIT',
                default: false,
                help: "also wait for the recipient's transaction and report its result",
            },
            { name: 'timeout', type: 'int', default: 60, env: 'COCOON_TIMEOUT', help: 'seconds to wait for each transaction' },
            ...KEY_OPTIONS,
            ...CHAIN_OPTIONS,
        ],
    }),
);

export function walletHelp(sub?: string): string {
    const specs = sub === undefined ? undefined : WALLET_OPTIONS.get(sub);
    if (sub && specs) {
        const what = new Map(
            Object.entries({
                new: 'Generates a new wallet key (24-word mnemonic) and shows its v4 and v5r1 addresses. Offline.',
                address: 'Shows the v4 and v5r1 addresses (and public key) of a key. Offline.',
                balance: "Shows the balance and state of an address, or of the key's wallet.",
                send: "Sends TON from the key's wallet (deploying the wallet on its first transfer) and waits for its transaction.",
            }),
        );
        return optionsHelp(`cocoon wallet ${sub}${sub === 'balance' ? ' [address]' : ''} [options]`, what.get(sub) ?? '', specs);
    }
    return [
        `Usage: ${USAGE}`,
        '',
        'Standard TON wallets (v4, v5r1) on the local chain, testnet or mainnet.',
        '',
        SUBCOMMANDS,
        '',
        'Run `cocoon wallet <subcommand> --help` for its options. Every option also reads COCOON_* env',
        'variables and a JSON config file (--config).',
        '',
    ].join('\n');
}

function addressesOf(publicKey: Buffer, testOnly: boolean) {
    return Object.fromEntries(
        WALLET_VERSIONS.map((v) => {
            const a = walletAddress(publicKey, v);
            return [v, { address: friendly(a, testOnly), raw: a.toRawString() }];
        }),
    ) as Record<WalletVersion, { address: string; raw: string }>;
}

async function walletNew(values: Record<string, OptionValue>, io: CliIo): Promise<number> {
    const version = walletVersionOf(values['wallet-version'], '--wallet-version') ?? 'v4';
    const testOnly = isTestnet(values);
    const mnemonic = await mnemonicNew(24);
    const { publicKey } = await mnemonicToPrivateKey(mnemonic);
    const addresses = addressesOf(publicKey, testOnly);
    const out = values.out as string | undefined;
    if (out) {
        const file: KeyFile = {
            version,
            mnemonic,
            publicKey: publicKey.toString('hex'),
            addresses: { v4: addresses.v4.address, v5r1: addresses.v5r1.address },
        };
        try {
            writeFileSync(out, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            throw new CliError(
                code === 'EEXIST' ? 'KEY_FILE_EXISTS' : 'CANNOT_WRITE',
                code === 'EEXIST'
                    ? `${out} already exists; not overwriting a key (pick another --out)`
                    : `cannot write ${out}: ${code ?? (e as Error).message}`,
            );
        }
        chmodSync(out, 0o600); // `mode` is masked by the umask only towards fewer bits, but be explicit
    }
    const result = { version, publicKey: publicKey.toString('hex'), addresses, ...(out ? { keyFile: out } : { mnemonic }) };
    if (values.json) io.out(toJson(result) + '\n');
    else {
        io.out(
            [
                ...(out
                    ? [`key written to ${out} (mode 0600)`]
                    : [`mnemonic (keep it secret, it is the only way to the funds):`, `  ${mnemonic.join(' ')}`]),
                `public key:    ${result.publicKey}`,
                `address v4:    ${addresses.v4.address}${version === 'v4' ? '   (default)' : ''}`,
                `address v5r1:  ${addresses.v5r1.address}${version === 'v5r1' ? '   (default)' : ''}`,
                '',
            ].join('\n'),
        );
    }
    return 0;
}

async function walletAddressCmd(values: Record<string, OptionValue>, io: CliIo): Promise<number> {
    const key = await requireWalletKey(values, io);
    const addresses = addressesOf(key.keyPair.publicKey, isTestnet(values));
    const selected = addresses[key.version];
    if (values.json)
        io.out(
            toJson({ version: key.version, address: selected.address, publicKey: key.keyPair.publicKey.toString('hex'), addresses }) + '\n',
        );
    else
        io.out(
            `${selected.address}\n  version ${key.version}, public key ${key.keyPair.publicKey.toString('hex')}\n  ` +
                `v4 ${addresses.v4.address}\n  v5r1 ${addresses.v5r1.address}\n`,
        );
    return 0;
}

async function walletBalance(values: Record<string, OptionValue>, positionals: string[], io: CliIo): Promise<number> {
    if (positionals.length > 1) throw usageError(`balance takes one address, got ${positionals.length}`);
    let address: Address;
    if (positionals[0]) address = parseAddress(positionals[0], 'address');
    else {
        const key = await loadWalletKey(values, io);
        if (!key)
            throw usageError('balance needs an address, or a key (--key-file | --mnemonic-file | COCOON_MNEMONIC) for its own wallet');
        address = walletAddress(key.keyPair.publicKey, key.version);
    }
    const client = chainClientOf(values);
    const acc = await client.account(address);
    const shown = address.toString({ testOnly: isTestnet(values), bounceable: acc.state === 'active' });
    if (values.json)
        io.out(
            toJson({
                address: shown,
                raw: address.toRawString(),
                state: acc.state,
                balance: acc.balance,
                balanceTon: formatTon(acc.balance),
                lastLt: acc.last?.lt ?? null,
            }) + '\n',
        );
    else io.out(`${formatTon(acc.balance)} TON  ${shown} (${acc.state})\n`);
    return 0;
}

async function walletSend(values: Record<string, OptionValue>, positionals: string[], io: CliIo): Promise<number> {
    if (positionals.length) throw usageError(`send takes no positional values (got '${positionals.join(' ')}'): use --to and --amount`);
    const to = parseAddress(values.to as string, '--to');
    const amount = values.amount as bigint;
    const key = await requireWalletKey(values, io);
    const client = chainClientOf(values);
    const wallet = await openSigner(client, key);
    let bounce = values.bounce as boolean | undefined;
    if (bounce === undefined) {
        const raw = String(values.to).trim();
        bounce = Address.isFriendly(raw) ? Address.parseFriendly(raw).isBounceable : (await client.account(to)).state === 'active';
    }
    const body = values['body-text'] !== undefined ? comment(String(values['body-text'])) : undefined;
    const timeoutMs = (values.timeout as number) * 1000;
    const r = await sendChecked(client, wallet, { to, value: amount, bounce, body }, { deliver: Boolean(values.wait), timeoutMs });
    const testOnly = isTestnet(values);
    const result = {
        from: friendly(wallet.address, testOnly),
        to: to.toString({ bounceable: bounce, testOnly }),
        amount,
        amountTon: formatTon(amount),
        bounce,
        walletTx: r.wallet,
        delivered: r.delivered ?? null,
    };
    if (values.json) io.out(toJson(result) + '\n');
    else {
        io.out(`sent ${result.amountTon} TON from ${result.from} to ${result.to}: wallet tx ${r.wallet.hash} (lt ${r.wallet.lt})\n`);
        if (r.delivered) {
            const d = r.delivered;
            const how = d.exitCode !== null ? `, exit code ${d.exitCode}` : d.skipped ? `, no code run: ${d.skipped}` : '';
            io.out(
                `${d.bounced ? 'bounced by' : d.success ? 'delivered to' : 'failed at'} the recipient: tx ${d.hash} (lt ${d.lt}${how})\n`,
            );
        }
    }
    return r.delivered && (r.delivered.bounced || !r.delivered.success) ? 1 : 0;
}

export async function runWallet(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = stdio): Promise<number> {
    return runCommand('wallet', io, env, async () => {
        const [sub, ...rest] = argv;
        if (!sub || sub === '-h' || sub === '--help' || sub === 'help') {
            io.out(walletHelp());
            return sub ? 0 : 2;
        }
        const specs = WALLET_OPTIONS.get(sub);
        if (!specs) throw usageError(`unknown wallet subcommand '${sub}' (new, address, balance, send; see cocoon wallet --help)`);
        const parsed = parseCommandLine(specs, rest, env);
        if (parsed === 'help') {
            io.out(walletHelp(sub));
            return 0;
        }
        const { values, positionals } = parsed;
        if (sub === 'new' || sub === 'address') {
            if (positionals.length) throw usageError(`${sub} takes no positional values (got '${positionals.join(' ')}')`);
            return sub === 'new' ? walletNew(values, io) : walletAddressCmd(values, io);
        }
        if (sub === 'balance') return walletBalance(values, positionals, io);
        return walletSend(values, positionals, io);
    });
}
