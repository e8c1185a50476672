import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
