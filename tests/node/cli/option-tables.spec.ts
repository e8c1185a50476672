/**
 * "Every option has a flag, an environment variable and a default": checked over every command's option
 * table, and against what each command's --help prints.
 */
import { COMMAND_NAMES } from '../../../node/cli/cocoon';
import { CLIENT_OPTIONS, runClient } from '../../../node/cli/client';
import { CLIENT_STATUS_OPTIONS } from '../../../node/cli/client-status';
import { EXPLORER_OPTIONS, runExplorer } from '../../../node/cli/explorer';
import { PROXY_OPTIONS, runProxy } from '../../../node/cli/proxy';
import { ROOT_OPTIONS, runRoot } from '../../../node/cli/root';
import { runUp, UP_OPTIONS } from '../../../node/cli/up';
import { runVerify, VERIFY_OPTIONS } from '../../../node/cli/verify';
import { runWallet, WALLET_OPTIONS } from '../../../node/cli/wallet';
import { runWorker, WORKER_OPTIONS } from '../../../node/cli/worker';
import { WORKER_SUBCOMMANDS, workerSubcommandOptions } from '../../../node/cli/worker-registry';
import { withConfig, type OptionSpec } from '../../../node/common/options';
import { main as model, PROBE_OPTIONS, SERVE_OPTIONS } from '../../../node/inference/cli';
import { CHAIN_CLI_OPTIONS, runChainCli } from '../../../node/localchain/main';
import { INDEXER_OPTIONS } from '../../../indexer/config';
import { main as indexer } from '../../../indexer/main';

interface Io {
    out(t: string): void;
    err(t: string): void;
}
type Run = (argv: string[], io: Io) => Promise<unknown>;

/** Runs a command's --help and returns what it printed, whether it writes to its io or to stdout. */
async function helpOf(run: Run, argv: string[]): Promise<string> {
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    const log = jest.spyOn(console, 'log').mockImplementation((s: unknown) => void out.push(String(s)));
    try {
        await run([...argv, '--help'], { out: (t) => void out.push(t), err: (t) => void out.push(t) });
    } finally {
        spy.mockRestore();
        log.mockRestore();
    }
    return out.join('');
}

const viaIo =
    (run: (argv: string[], env: NodeJS.ProcessEnv, io: Io) => Promise<number>): Run =>
    (argv, io) =>
        run(argv, {}, io);
const viaStdout =
    (run: (argv: string[]) => Promise<unknown>): Run =>
    (argv) =>
        run(argv);

/** Every command line that has its own option table: [words, table, how to run it]. */
const TABLES: [string[], OptionSpec[], Run][] = [
    [['up'], UP_OPTIONS, viaIo(runUp)],
    [['proxy'], PROXY_OPTIONS, viaIo(runProxy)],
    [['worker'], WORKER_OPTIONS, viaIo(runWorker)],
    ...WORKER_SUBCOMMANDS.map((sub): [string[], OptionSpec[], Run] => [['worker', sub], workerSubcommandOptions(sub), viaIo(runWorker)]),
    [['client'], CLIENT_OPTIONS, viaIo(runClient)],
    [['client', 'status'], CLIENT_STATUS_OPTIONS, viaIo(runClient)],
    [['chain'], CHAIN_CLI_OPTIONS, viaStdout(runChainCli)],
    [['model', 'serve'], SERVE_OPTIONS, viaStdout(model)],
    [['model', 'probe'], PROBE_OPTIONS, viaStdout(model)],
    [['indexer'], INDEXER_OPTIONS, viaStdout(indexer)],
    [['explorer'], EXPLORER_OPTIONS, viaIo(runExplorer)],
    ...[...WALLET_OPTIONS].map(([sub, table]): [string[], OptionSpec[], Run] => [['wallet', sub], table, viaIo(runWallet)]),
    [['verify'], VERIFY_OPTIONS, viaIo(runVerify)],
    [['root'], ROOT_OPTIONS, viaIo(runRoot)],
];

describe('option tables', () => {
    it('cover every cocoon command', () => {
        expect([...new Set(TABLES.map(([words]) => words[0]))].sort()).toEqual([...COMMAND_NAMES].sort());
    });

    it.each(TABLES.map(([words, table]) => [words.join(' '), table] as const))(
        'cocoon %s: every option has a flag, an env variable and a default (or is required, or says what unset means)',
        (_name, table) => {
            const specs = withConfig(table);
            const names = specs.map((s) => s.name);
            expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
            const bad = specs.filter(
                (s) =>
                    !/^[a-z][a-z0-9-]*$/.test(s.name) ||
                    !/^(COCOON_[A-Z0-9_]+|DATABASE_URL)$/.test(s.env) ||
                    (s.default === undefined && !s.required && !/\bdefault\b/i.test(s.help)),
            );
            expect(bad.map((s) => s.name)).toEqual([]);
        },
    );

    it.each(TABLES.map(([words, table, run]) => [words.join(' '), words, table, run] as const))(
        'cocoon %s --help shows every flag with its env variable',
        async (_name, words, table, run) => {
            const help = await helpOf(run, words.slice(1));
            expect(help).toMatch(/^Usage: cocoon /m);
            for (const s of withConfig(table)) {
                expect(help).toContain(`--${s.name}`);
                expect(help).toContain(`env ${s.env}`);
            }
        },
    );
});
