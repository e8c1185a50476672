/**
 * `cocoon model <command>`:
 *   serve   run the embedded OpenAI-compatible server (the tiny model by default)
 *   probe   check an OpenAI-compatible backend: models, a streamed completion, usage fields reported
 * Options are declared once (node/common/options.ts): flag > env > config file > default.
 */
import { optionsHelp, parseCommandLine, usageError, type OptionSpec, type OptionValue } from '../common/options';
import { createBackend } from './adapter/backend';
import { InferenceError } from './errors';
import { DEFAULT_MODEL_PATH, startEmbeddedServer } from './server/server';

const DEFAULT_BASE_URL = 'http://127.0.0.1:8000/v1';
const API_KEY: OptionSpec = {
    name: 'api-key',
    type: 'string',
    env: 'COCOON_INFERENCE_API_KEY',
    help: 'serve: require Authorization: Bearer <key>; probe: send it (default none)',
};

export const SERVE_OPTIONS: OptionSpec[] = [
    { name: 'model', type: 'string', env: 'COCOON_INFERENCE_MODEL', default: DEFAULT_MODEL_PATH, help: 'GGUF file (F32/F16 llama)' },
    { name: 'model-id', type: 'string', env: 'COCOON_INFERENCE_MODEL_ID', help: "served model id (default: the GGUF's general.name)" },
    { name: 'host', type: 'string', env: 'COCOON_INFERENCE_HOST', default: '127.0.0.1', help: 'listen address' },
    { name: 'port', type: 'port', env: 'COCOON_INFERENCE_PORT', default: 8000, help: 'listen port (0 = any free port)' },
    API_KEY,
    { name: 'slots', type: 'int', env: 'COCOON_INFERENCE_SLOTS', default: 4, help: 'concurrent generations' },
    { name: 'max-queue', type: 'int', env: 'COCOON_INFERENCE_MAX_QUEUE', default: 64, help: 'waiting requests before 503' },
];

export const PROBE_OPTIONS: OptionSpec[] = [
    {
        name: 'base-url',
        type: 'string',
        env: 'COCOON_INFERENCE_URL',
        default: DEFAULT_BASE_URL,
        help: 'the backend, e.g. http://127.0.0.1:8000/v1 (or give it as the positional <url>)',
    },
    API_KEY,
    { name: 'model', type: 'string', env: 'COCOON_PROBE_MODEL', help: 'model to ask (default: the first one listed)' },
    { name: 'timeout', type: 'int', env: 'COCOON_PROBE_TIMEOUT_MS', default: 30_000, help: 'header timeout, ms' },
];

const SUBCOMMANDS = {
    serve: {
        usage: 'cocoon model serve [options]',
        description: 'Runs the embedded OpenAI-compatible server (the tiny model by default).',
        options: SERVE_OPTIONS,
    },
    probe: {
        usage: 'cocoon model probe [<url>] [options]',
        description:
            'Exercises a backend the way the worker does (models, a streamed completion twice) and reports what its usage contains.',
        options: PROBE_OPTIONS,
    },
};
type Subcommand = keyof typeof SUBCOMMANDS;
const isSubcommand = (name: string): name is Subcommand => Object.hasOwn(SUBCOMMANDS, name);

function subcommandHelp(name: Subcommand): string {
    const c = SUBCOMMANDS[name];
    return optionsHelp(c.usage, c.description, c.options);
}

function help(): string {
    return ['Usage: cocoon model <serve|probe> [options]', '', ...(Object.keys(SUBCOMMANDS) as Subcommand[]).map(subcommandHelp)].join(
        '\n',
    );
}

async function serve(v: Record<string, OptionValue>): Promise<void> {
    const s = await startEmbeddedServer({
        modelPath: String(v.model),
        modelId: v['model-id'] as string | undefined,
        host: String(v.host),
        port: v.port as number,
        apiKey: v['api-key'] as string | undefined,
        slots: v.slots as number,
        maxQueue: v['max-queue'] as number,
    });
    const stop = () => void s.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
}

async function probe(v: Record<string, OptionValue>, baseUrl: string): Promise<void> {
    const backend = createBackend({
        baseUrl,
        apiKey: v['api-key'] as string | undefined,
        timeoutMs: v.timeout as number,
    });
    try {
        const health = await backend.health();
        console.log(JSON.stringify({ step: 'models', ...health }));
        if (!health.ok) process.exitCode = 1;
        const model = (v.model as string | undefined) ?? health.models[0];
        if (!health.ok || !model) return;
        const prompt = 'Tell me a story about a cat named Tom.';
        // The same request twice: the second should report cached prompt tokens if the server can.
        for (const round of [1, 2]) {
            const t0 = Date.now();
            const r = await backend.chatCompletions({
                model,
                messages: [{ role: 'user', content: prompt }],
                max_tokens: 16,
                temperature: 0,
                stream: true,
            });
            let bytes = 0;
            for await (const c of r.body) bytes += c.length;
            const report = await r.usage.catch((e) => (e as { report?: unknown; message: string }).report ?? { error: e.message });
            console.log(JSON.stringify({ step: `stream-${round}`, status: r.status, ms: Date.now() - t0, bytes, report }));
        }
        console.log(
            JSON.stringify({
                step: 'hint',
                msg:
                    'cachedTokens stays 0 on round 2 unless the server reports prefix-cache hits: ' +
                    'vLLM needs --enable-prompt-tokens-details, SGLang --enable-cache-report',
            }),
        );
    } finally {
        backend.close();
    }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
    const [cmd, ...rest] = argv;
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
        process.stdout.write(help());
        return;
    }
    if (!isSubcommand(cmd)) throw new InferenceError('INVALID_ARGS', `unknown command ${cmd} (serve, probe; see cocoon model --help)`);
    const parsed = parseCommandLine(SUBCOMMANDS[cmd].options, rest, env);
    if (parsed === 'help') {
        process.stdout.write(subcommandHelp(cmd));
        return;
    }
    const [url, ...extra] = parsed.positionals;
    if (cmd === 'serve' && url !== undefined)
        throw usageError(`unexpected '${parsed.positionals.join(' ')}': cocoon model serve takes options only`);
    if (extra.length) throw usageError(`unexpected '${extra.join(' ')}': cocoon model probe takes one <url> at most`);
    if (cmd === 'serve') return serve(parsed.values);
    // The positional URL and --base-url name the same thing; given both, they must agree.
    if (url !== undefined && parsed.sources['base-url'] === 'flag' && parsed.values['base-url'] !== url)
        throw usageError(`two backends given: <url> ${url} and --base-url ${String(parsed.values['base-url'])}; pass one`);
    return probe(parsed.values, url ?? String(parsed.values['base-url']));
}
