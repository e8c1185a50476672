/**
 * `npm run inference -- <command>`:
 *   serve   run the embedded OpenAI-compatible server (the tiny model by default)
 *   probe   check an OpenAI-compatible backend: models, a streamed completion, usage fields reported
 * Every option has an environment variable; flags win over the environment.
 */
import { createLogger } from '../common/log';
import { createBackend } from './adapter/backend';
import { InferenceError } from './errors';
import { DEFAULT_MODEL_PATH, startEmbeddedServer } from './server/server';

const HELP = `usage: npm run inference -- <serve|probe> [options]

serve: run the embedded OpenAI-compatible server
  --model <path>      GGUF file (F32/F16 llama)   env COCOON_INFERENCE_MODEL   default ${DEFAULT_MODEL_PATH}
  --model-id <id>     served model id            env COCOON_INFERENCE_MODEL_ID default: the GGUF's general.name
  --host <addr>       listen address             env COCOON_INFERENCE_HOST    default 127.0.0.1
  --port <n>          listen port (0 = any)      env COCOON_INFERENCE_PORT    default 8000
  --api-key <key>     require Bearer <key>       env COCOON_INFERENCE_API_KEY default none
  --slots <n>         concurrent generations     env COCOON_INFERENCE_SLOTS   default 4
  --max-queue <n>     waiting requests before 503 env COCOON_INFERENCE_MAX_QUEUE default 64

probe: exercise a backend the way the worker does and report what its usage contains
  --base-url <url>    e.g. http://127.0.0.1:8000/v1  env COCOON_INFERENCE_URL  default http://127.0.0.1:8000/v1
  --api-key <key>                                 env COCOON_INFERENCE_API_KEY
  --model <id>        model to ask (default: the first one listed)
  --timeout <ms>      header timeout              default 30000
`;

function args(argv: string[]): { cmd: string | undefined; flags: Map<string, string> } {
    const flags = new Map<string, string>();
    let cmd: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--help' || a === '-h') flags.set('help', '1');
        else if (a.startsWith('--')) {
            const [k, v] = a.includes('=') ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a.slice(2), argv[++i]];
            if (v === undefined) throw new InferenceError('INVALID_ARGS', `--${k} needs a value (see --help)`);
            flags.set(k, v);
        } else if (!cmd) cmd = a;
        else throw new InferenceError('INVALID_ARGS', `unexpected argument ${a} (see --help)`);
    }
    return { cmd, flags };
}

function int(v: string | undefined, name: string): number | undefined {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InferenceError('INVALID_ARGS', `${name} must be a non-negative integer, got ${v}`);
    return n;
}

async function serve(f: Map<string, string>, env: NodeJS.ProcessEnv): Promise<void> {
    const s = await startEmbeddedServer({
        modelPath: f.get('model') ?? env.COCOON_INFERENCE_MODEL,
        modelId: f.get('model-id') ?? env.COCOON_INFERENCE_MODEL_ID,
        host: f.get('host') ?? env.COCOON_INFERENCE_HOST ?? '127.0.0.1',
        port: int(f.get('port') ?? env.COCOON_INFERENCE_PORT, 'port') ?? 8000,
        apiKey: f.get('api-key') ?? env.COCOON_INFERENCE_API_KEY,
        slots: int(f.get('slots') ?? env.COCOON_INFERENCE_SLOTS, 'slots'),
        maxQueue: int(f.get('max-queue') ?? env.COCOON_INFERENCE_MAX_QUEUE, 'max-queue'),
    });
    const stop = () => void s.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
}

async function probe(f: Map<string, string>, env: NodeJS.ProcessEnv): Promise<void> {
    const backend = createBackend({
        baseUrl: f.get('base-url') ?? env.COCOON_INFERENCE_URL ?? 'http://127.0.0.1:8000/v1',
        apiKey: f.get('api-key') ?? env.COCOON_INFERENCE_API_KEY,
        timeoutMs: int(f.get('timeout'), 'timeout'),
    });
    try {
        const health = await backend.health();
        console.log(JSON.stringify({ step: 'models', ...health }));
        if (!health.ok) process.exitCode = 1;
        const model = f.get('model') ?? health.models[0];
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
                msg: 'cachedTokens stays 0 on round 2 unless the server reports prefix-cache hits: vLLM needs --enable-prompt-tokens-details, SGLang --enable-cache-report',
            }),
        );
    } finally {
        backend.close();
    }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
    const { cmd, flags } = args(argv);
    if (flags.has('help') || !cmd) {
        process.stdout.write(HELP);
        return;
    }
    if (cmd === 'serve') return serve(flags, env);
    if (cmd === 'probe') return probe(flags, env);
    throw new InferenceError('INVALID_ARGS', `unknown command ${cmd} (serve, probe; see --help)`);
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((e) => {
        createLogger('inference.cli').error('failed', { err: e });
        process.exit(1);
    });
}
