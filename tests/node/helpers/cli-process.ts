/** Runs `cocoon <args>` as a child process (as an operator would) and watches what it prints. */
import { spawn, type ChildProcess } from 'child_process';
import { join } from 'path';

const COCOON = join(__dirname, '..', '..', '..', 'node', 'cli', 'cocoon.ts');
/** `npx cocoon`: the launcher that picks node's flags, then the compiled CLI in dist/ when it is current. */
const COCOON_BIN = join(__dirname, '..', '..', '..', 'bin', 'cocoon');

export interface Daemon {
    child: ChildProcess;
    out(): string;
    err(): string;
    /** Resolves with the first match of `re` in stdout; fails early if the process exits first. */
    waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
    exited: Promise<number | null>;
}

/**
 * `nodeArgs` go to node itself (e.g. --cpu-prof, which NODE_OPTIONS refuses). `entry: 'launcher'` runs
 * `bin/cocoon` as `npx cocoon` does, with its node flags and the compiled CLI (benchmarks: no transpiler
 * in the process); tests run the sources.
 */
export function daemon(
    args: string[],
    env: NodeJS.ProcessEnv = {},
    nodeArgs: string[] = [],
    entry: 'sources' | 'launcher' = 'sources',
): Daemon {
    const [command, argv, launcherEnv] =
        entry === 'launcher'
            ? [COCOON_BIN, args, { COCOON_NODE_FLAGS: nodeArgs.join(' ') }]
            : [process.execPath, [...nodeArgs, '-r', 'ts-node/register/transpile-only', COCOON, ...args], {}];
    const child = spawn(command, argv, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_OPTIONS: '', COCOON_LOG_LEVEL: 'info', ...launcherEnv, ...env },
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return {
        child,
        exited,
        out: () => out,
        err: () => err,
        async waitFor(re, timeoutMs = 90_000) {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
                const m = re.exec(out);
                if (m) return m;
                if (child.exitCode !== null) throw new Error(`${args[0]} exited (${child.exitCode}) before ${re}: ${err.slice(-3000)}`);
                if (Date.now() > deadline) throw new Error(`${args[0]}: no ${re} within ${timeoutMs} ms: ${err.slice(-3000)}`);
                await new Promise((r) => setTimeout(r, 100));
            }
        },
    };
}
