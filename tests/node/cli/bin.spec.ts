import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(__dirname, '..', '..', '..');

/** Every `cocoon <command> [<subcommand>]` the README names in code spans, as a reader would type it. */
function readmeCommands(): string[][] {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const seen = new Map<string, string[]>();
    for (const span of readme.matchAll(/`([^`\n]*)`/g)) {
        for (const m of span[1].matchAll(/(?:^|\s)cocoon ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?/g)) {
            const words = [m[1], ...(m[2] ? [m[2]] : [])];
            seen.set(words.join(' '), words);
        }
    }
    return [...seen.values()];
}

describe('the cocoon command', () => {
    it('npx cocoon --help answers from the checkout, as the README says', async () => {
        const { stdout } = await run('npx', ['--offline', 'cocoon', '--help'], { cwd: root });
        expect(stdout).toMatch(/^Usage: cocoon <command> \[options\]/);
        expect(stdout).toContain('  up ');
    }, 300_000);

    it('bin/cocoon runs V8 with one GC thread on two CPUs or fewer, unless COCOON_PARALLEL_GC=1; COCOON_NODE_FLAGS adds', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'cocoon-flags-'));
        try {
            // A preloaded module that reports node's flags and stops before the CLI runs.
            const probe = join(dir, 'probe.js');
            writeFileSync(probe, 'process.stdout.write(JSON.stringify(process.execArgv)); process.exit(0);');
            const flags = async (env: NodeJS.ProcessEnv, cpus?: string): Promise<string[]> => {
                const bin = join(root, 'bin', 'cocoon');
                const [cmd, args] = cpus === undefined ? [bin, ['--help']] : ['taskset', ['-c', cpus, bin, '--help']];
                const { stdout } = await run(cmd, args, {
                    cwd: root,
                    env: { ...process.env, COCOON_NODE_FLAGS: `--require ${probe}`, ...env },
                });
                return JSON.parse(stdout) as string[];
            };
            const here = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
            expect(await flags({})).toEqual([...(here <= 2 ? ['--single-threaded-gc'] : []), '--require', probe]);
            expect(await flags({}, '0')).toEqual(['--single-threaded-gc', '--require', probe]);
            expect(await flags({ COCOON_PARALLEL_GC: '1' }, '0')).toEqual(['--require', probe]);
            if (here > 2) expect(await flags({}, '0-2')).toEqual(['--require', probe]);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    }, 60_000);

    it('every command the README names answers --help with its usage and exit code 0', async () => {
        const commands = readmeCommands();
        expect(commands.length).toBeGreaterThanOrEqual(10);
        const failures: string[] = [];
        for (const words of commands) {
            try {
                const { stdout } = await run(process.execPath, [join(root, 'bin', 'cocoon.js'), ...words, '--help'], { cwd: root });
                if (!/usage/i.test(stdout)) failures.push(`cocoon ${words.join(' ')} --help printed no usage: ${stdout.slice(0, 200)}`);
            } catch (e) {
                const err = e as { code?: number; stderr?: string };
                failures.push(`cocoon ${words.join(' ')} --help exited ${err.code}: ${(err.stderr ?? '').slice(0, 300)}`);
            }
        }
        expect(failures).toEqual([]);
    }, 600_000);
});
