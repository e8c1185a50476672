/** A CliIo that keeps what a command printed, for tests of the `cocoon` subcommands. */
import type { CliIo } from '../../../node/cli/chain-args';

export function captureIo(): { io: CliIo; out: () => string; err: () => string } {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (s) => void out.push(s), err: (s) => void err.push(s) }, out: () => out.join(''), err: () => err.join('') };
}
