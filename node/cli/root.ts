/**
 * `cocoon root show | deploy | <owner action>`: the root contract's state and its owner operations,
 * signed by a standard wallet key on any network. The actions and the params JSON are the Blueprint
 * scripts' (wrappers/rootAdmin.ts), so `npx blueprint run cocoonRootAdmin` and this command agree.
 */
import { beginCell, type Cell } from '@ton/core';
import { readRoot, type RootState } from '../chain/cocoon';
import { ChainError } from '../chain';
import { cocoonRootFor } from '../../wrappers/CocoonRoot';
import { ROOT_ACTIONS, paramsFromJson, type RootActionArgs } from '../../wrappers/rootAdmin';
import type { CocoonParams } from '../../wrappers/params';
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
import { friendly, KEY_OPTIONS, openSigner, requireWalletKey, sendChecked } from './wallet';
import { uint256FromHex, uint256Hex } from '../../wrappers/uint256';

const DEFAULT_ACTION_VALUE = 100_000_000n; // 0.1 TON: the root keeps its storage reserve and returns the rest
const DEFAULT_DEPLOY_VALUE = 1_000_000_000n;

const ROOT_OPTION: OptionSpec = {
    name: 'root',
    type: 'string',
    env: 'COCOON_ROOT_ADDRESS',
    help: 'root contract address (default none; show and owner actions need it)',
};
export const ROOT_OPTIONS: OptionSpec[] = [
    ROOT_OPTION,
    {
        name: 'params',
        type: 'string',
        env: 'COCOON_ROOT_PARAMS',
        help:
            "deploy: params JSON (keys as scripts/deployCocoonRoot.ts; absent keys take the original's test values; default: " +
            'all test values)',
    },
    {
        name: 'value',
        type: 'nano',
        env: 'COCOON_ROOT_VALUE',
        help:
            `TON attached to the message (default ${formatTon(DEFAULT_ACTION_VALUE)}; deploy ${formatTon(DEFAULT_DEPLOY_VALUE)}); ` +
            `the root returns the excess`,
    },
    { name: 'timeout', type: 'int', default: 60, env: 'COCOON_TIMEOUT', help: 'seconds to wait for each transaction' },
    ...KEY_OPTIONS,
    ...CHAIN_OPTIONS,
];

export function rootHelp(): string {
    const actions = Object.entries(ROOT_ACTIONS).map(([name, a]) => `  ${`${name} ${a.usage}`.padEnd(50)} ${a.summary}`);
    const usage = optionsHelp(
        'cocoon root <action> [values...] [options]',
        [
            'Reads and administers a CocoonRoot contract. Owner actions are signed by the wallet key given',
            '(--key-file | --mnemonic-file | COCOON_MNEMONIC), which must be the root owner.',
            '',
            'Actions:',
            `  ${'show'.padEnd(50)} print the root's parsed state as JSON (owner, versions, params, registry)`,
            `  ${'deploy'.padEnd(50)} deploy a root owned by the key's wallet, params from --params`,
            ...actions,
            '',
            'Hashes are 64 hex digits; prices, fees and stakes are integers in nanoTON; delays in seconds.',
        ].join('\n'),
        ROOT_OPTIONS,
    );
    return usage;
}

/** Strict reading of an action's values: each bad one names itself and the expected form. */
function cliActionArgs(action: string, values: string[]): RootActionArgs {
    const usage = `${action} ${ROOT_ACTIONS[action].usage}`.trim();
    const at = (i: number, what: string) => {
        const v = values[i];
        if (v === undefined || v === '') throw usageError(`missing ${what} (usage: cocoon root ${usage})`);
        return v;
    };
    return {
        text: at,
        hash: (i, what) => {
            const hash = uint256FromHex(at(i, what));
            if (hash === undefined) throw usageError(`${what}: expected 64 hex digits (a 256-bit hash), got '${values[i]}'`);
            return hash;
        },
        uint: (i, what) => {
            const v = at(i, what);
            if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw usageError(`${what}: expected an integer 0..4294967295, got '${v}'`);
            return Number(v);
        },
        coins: (i, what) => {
            const v = at(i, what);
            if (!/^\d+$/.test(v) || BigInt(v) >= 1n << 120n) throw usageError(`${what}: expected an integer amount in nanoTON, got '${v}'`);
            return BigInt(v);
        },
        address: (i, what) => parseAddress(at(i, what), what),
    };
}

/** Arity of an action from its usage string (`<a> <"b c">` = 2). */
const arity = (action: string) => (ROOT_ACTIONS[action].usage.match(/<[^>]*>/g) ?? []).length;

function showable(state: RootState, testOnly: boolean) {
    const p = state.params;
    const code = (c: Cell | null) => (c ? { hash: c.hash().toString('hex') } : null);
    return {
        address: state.address.toString({ testOnly }),
        owner: state.owner.toString({ testOnly }),
        version: state.version,
        balance: state.balance,
        balanceTon: formatTon(state.balance),
        params: {
            ...p,
            proxyScCode: code(p.proxyScCode),
            workerScCode: code(p.workerScCode),
            clientScCode: code(p.clientScCode),
        } satisfies Record<keyof CocoonParams, unknown>,
        registry: {
            proxyHashes: state.registry.proxyHashes.map(uint256Hex),
            workerHashes: state.registry.workerHashes.map(uint256Hex),
            modelHashes: state.registry.modelHashes.map(uint256Hex),
            registeredProxies: Object.fromEntries(state.registry.registeredProxies),
            lastProxySeqno: state.registry.lastProxySeqno,
        },
    };
}

async function deploy(values: Record<string, OptionValue>, io: CliIo): Promise<number> {
    const params = await paramsFromJson((values.params as string | undefined) ?? undefined).catch((e: Error) => {
        throw new CliError('BAD_PARAMS', `cannot read params ${String(values.params)}: ${e.message}`);
    });
    const key = await requireWalletKey(values, io);
    const client = chainClientOf(values);
    const wallet = await openSigner(client, key);
    const root = await cocoonRootFor(wallet.address, params);
    const testOnly = isTestnet(values);
    const acc = await client.account(root.address);
    if (acc.state === 'active') {
        const state = await readRoot(client, root.address);
        io.out(
            values.json
                ? toJson({ root: root.address.toString({ testOnly }), owner: state.owner.toString({ testOnly }), alreadyDeployed: true }) +
                      '\n'
                : `CocoonRoot already deployed at ${root.address.toString({ testOnly })} (owner ${state.owner.toString({ testOnly })})\n`,
        );
        return 0;
    }
    const value = (values.value as bigint | undefined) ?? DEFAULT_DEPLOY_VALUE;
    const timeoutMs = (values.timeout as number) * 1000;
    // A Tact deploy: empty body, hits the contract's `receive()`.
    const r = await sendChecked(
        client,
        wallet,
        { to: root.address, value, bounce: false, body: beginCell().endCell(), init: root.init! },
        { deliver: true, timeoutMs },
    );
    if (!r.delivered?.success)
        throw new CliError(
            'DEPLOY_FAILED',
            `the root's deploy transaction ${r.delivered?.hash} failed (exit code ${r.delivered?.exitCode ?? 'none'})`,
        );
    const state = await readRoot(client, root.address);
    const result = {
        root: root.address.toString({ testOnly }),
        owner: friendly(wallet.address, testOnly),
        alreadyDeployed: false,
        paramsVersion: state.params.paramsVersion,
        tx: r.delivered,
    };
    io.out(values.json ? toJson(result) + '\n' : `CocoonRoot deployed at ${result.root} (owner ${result.owner})\n`);
    return 0;
}

async function ownerAction(action: string, args: string[], values: Record<string, OptionValue>, io: CliIo): Promise<number> {
    const root = parseAddress(values.root as string | undefined, '--root (or COCOON_ROOT_ADDRESS): the root contract address');
    if (args.length > arity(action))
        throw usageError(
            `too many values for ${action} (usage: cocoon root ${action} ${ROOT_ACTIONS[action].usage}); quote values with spaces`,
        );
    const body = await ROOT_ACTIONS[action].build(cliActionArgs(action, args), root).catch((e: Error) => {
        if (e instanceof CliError) throw e;
        throw new CliError('BAD_VALUE', `${action}: ${e.message}`);
    });
    const key = await requireWalletKey(values, io);
    const client = chainClientOf(values);
    const before = await readRoot(client, root);
    const wallet = await openSigner(client, key);
    const testOnly = isTestnet(values);
    if (!before.owner.equals(wallet.address)) {
        throw new CliError(
            'NOT_OWNER',
            `wallet ${friendly(wallet.address, testOnly)} (${key.version}, from ${key.origin}) ` +
                `is not the owner of root ${root.toString({ testOnly })}; the owner is ${before.owner.toString({ testOnly })}`,
        );
    }
    const value = (values.value as bigint | undefined) ?? DEFAULT_ACTION_VALUE;
    const timeoutMs = (values.timeout as number) * 1000;
    const r = await sendChecked(client, wallet, { to: root, value, bounce: true, body }, { deliver: true, timeoutMs });
    const rootTx = r.delivered!;
    if (!rootTx.success) {
        throw new CliError(
            'ROOT_REJECTED',
            `the root rejected ${action}: transaction ${rootTx.hash} exited with code ${rootTx.exitCode ?? 'none'} ` +
                `(see docs/contracts.md for exit codes)`,
        );
    }
    const after = await readRoot(client, root);
    const result = {
        action,
        root: root.toString({ testOnly }),
        walletTx: r.wallet,
        rootTx,
        version: { before: before.version, after: after.version },
        paramsVersion: { before: before.params.paramsVersion, after: after.params.paramsVersion },
    };
    io.out(
        values.json
            ? toJson(result) + '\n'
            : `done: ${action}; root version ${before.version} -> ${after.version}, ` +
                  `params_version ${before.params.paramsVersion} -> ${after.params.paramsVersion} (tx ${rootTx.hash})\n`,
    );
    return 0;
}

export async function runRoot(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = stdio): Promise<number> {
    return runCommand('root', io, env, async () => {
        const parsed = parseCommandLine(ROOT_OPTIONS, argv, env);
        if (parsed === 'help' || parsed.positionals[0] === 'help') {
            io.out(rootHelp());
            return 0;
        }
        const [action, ...args] = parsed.positionals;
        const { values } = parsed;
        if (!action) {
            io.err(rootHelp());
            return 2;
        }
        if (action === 'show') {
            if (args.length) throw usageError(`show takes no values (got '${args.join(' ')}'); the root comes from --root`);
            const root = parseAddress(values.root as string | undefined, '--root (or COCOON_ROOT_ADDRESS): the root contract address');
            const state = await readRoot(chainClientOf(values), root).catch((e: unknown) => {
                if (e instanceof ChainError && e.code === 'NOT_FOUND') throw new CliError('NO_ROOT', e.message);
                throw e;
            });
            io.out(toJson(showable(state, isTestnet(values))) + '\n');
            return 0;
        }
        if (action === 'deploy') {
            if (args.length) throw usageError(`deploy takes no values (got '${args.join(' ')}'); pass the params file with --params`);
            return deploy(values, io);
        }
        if (!Object.prototype.hasOwnProperty.call(ROOT_ACTIONS, action)) {
            throw usageError(
                `unknown root action '${action}' (show, deploy, ${Object.keys(ROOT_ACTIONS).join(', ')}; see cocoon root --help)`,
            );
        }
        return ownerAction(action, args, values, io);
    });
}
