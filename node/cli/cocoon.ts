/**
 * The `cocoon` command: one entry point for every role. Subcommands delegate to the runnable module of
 * the part they start (local chain, inference server, indexer, ...); each has its own --help.
 */
import { CliError } from '../common/options';

interface Subcommand {
    summary: string;
    run(argv: string[]): Promise<number | void>;
}

const commands = new Map<string, Subcommand>(
    Object.entries({
        up: {
            summary: 'start the whole local network (chain, root, proxy, worker + model, client API, indexer + explorer)',
            run: async (argv) => (await import('./up')).runUp(argv),
        },
        proxy: {
            summary: "run a proxy: routes and meters clients' requests to attested workers, settles on-chain",
            run: async (argv) => (await import('./proxy')).runProxy(argv),
        },
        worker: {
            summary: "run a worker: serves a model from an OpenAI-compatible backend to the root's proxies",
            run: async (argv) => (await import('./worker')).runWorker(argv),
        },
        client: {
            summary: 'run a client: keeps a deposit and serves the OpenAI-compatible API through a proxy (status: its money)',
            run: async (argv) => (await import('./client')).runClient(argv),
        },
        chain: {
            summary: 'run the embedded local TON chain (toncenter v2 + ton-api-v4 APIs, faucet, funded wallets)',
            run: async (argv) => (await import('../localchain/main')).runChainCli(argv),
        },
        model: {
            summary: 'inference: `model serve` runs the embedded OpenAI-compatible model server; `model probe` checks a backend',
            run: async (argv) => (await import('../inference/cli')).main(argv),
        },
        indexer: {
            summary: 'run the indexer (chain -> database) and its query API + explorer; `indexer migrate|verify|rebuild`',
            run: async (argv) => (await import('../../indexer/main')).main(argv),
        },
        explorer: {
            summary: 'serve the indexer API + explorer over an existing database (read-only unless --ingest)',
            run: async (argv) => (await import('./explorer')).runExplorer(argv),
        },
        wallet: {
            summary: 'TON wallets (v4, v5r1): `wallet new|address|balance|send` on local, testnet or mainnet',
            run: async (argv) => (await import('./wallet')).runWallet(argv),
        },
        verify: {
            summary: "verify an answer: its receipt, the worker's attested key and quote, the root's allowlists on-chain",
            run: async (argv) => (await import('./verify')).runVerify(argv),
        },
        root: {
            summary: 'the root contract: `root show`, `root deploy`, owner actions (hashes, proxies, params, owner, code)',
            run: async (argv) => (await import('./root')).runRoot(argv),
        },
    } satisfies Record<string, Subcommand>),
);

/** The command names, in the order --help lists them. */
export const COMMAND_NAMES: readonly string[] = [...commands.keys()];

function help(): string {
    const width = Math.max(...[...commands.keys()].map((c) => c.length));
    return [
        'Usage: cocoon <command> [options]     (from a checkout: npx cocoon <command>)',
        '',
        'Cocoon: confidential AI inference on TON. Commands:',
        ...[...commands].map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
        '',
        'Run `cocoon <command> --help` for the options of a command. Every option also has an environment',
        'variable (COCOON_*), shown in that help.',
        '',
    ].join('\n');
}

export async function cocoon(argv: string[]): Promise<number> {
    const [name, ...rest] = argv;
    if (!name || name === '-h' || name === '--help' || name === 'help') {
        process.stdout.write(help());
        return name ? 0 : 1;
    }
    const cmd = commands.get(name);
    if (!cmd) {
        process.stderr.write(`cocoon: unknown command '${name}'\n\n${help()}`);
        return 2;
    }
    const code = await cmd.run(rest);
    return typeof code === 'number' ? code : 0;
}

/** Runs the command line and exits the way a shell expects (the `cocoon` bin calls this). */
export function main(argv: string[]): void {
    const [name] = argv;
    cocoon(argv).then(
        (code) => {
            if (code !== 0) process.exitCode = code;
            // A stopped daemon has closed what it owns; do not wait on stray timers of libraries.
            if (['up', 'proxy', 'worker', 'client', 'indexer', 'explorer'].includes(name)) process.exit(code);
        },
        (e: Error) => {
            // A usage mistake (bad flag or value) is one line and exit 2; the indexer's and the model
            // server's errors carry a code as well.
            const code = (e as { code?: unknown }).code;
            const tag = !(e instanceof CliError) && typeof code === 'string' ? `${code}: ` : '';
            process.stderr.write(`cocoon ${name}: ${tag}${e.message}\n`);
            process.exit(e instanceof CliError ? e.exitCode : 1);
        },
    );
}

if (require.main === module) main(process.argv.slice(2));
