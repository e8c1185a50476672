/** Runs tests/e2e/fixtures/runner-process.ts as a child process and waits for its READY line. */
import { spawn, type ChildProcess } from 'child_process';
import { join } from 'path';

export interface RunnerProcess {
    child: ChildProcess;
    ready: Promise<Record<string, unknown>>;
    /** Everything the process wrote to stderr (for failure messages). */
    stderr(): string;
    kill(signal?: NodeJS.Signals): void;
    exited: Promise<number | null>;
}

export function spawnRunner(role: 'proxy' | 'worker', config: Record<string, unknown>): RunnerProcess {
    const child = spawn(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', 'fixtures', 'runner-process.ts'), role, JSON.stringify(config)],
        {
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { ...process.env, NODE_OPTIONS: '' },
        },
    );
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /READY (\{.*\})\n/.exec(out);
            if (m) resolve(JSON.parse(m[1]) as Record<string, unknown>);
        });
        void exited.then((code) => reject(new Error(`${role} process exited (${code}) before READY: ${err.slice(-2000)}`)));
    });
    ready.catch(() => undefined);
    return {
        child,
        ready,
        stderr: () => err,
        kill: (s = 'SIGKILL') => {
            if (child.exitCode === null) child.kill(s);
        },
        exited,
    };
}
