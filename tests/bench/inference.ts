/**
 * Inference benchmark: `npm run bench -- inference [--tokens N] [--runs N] [--requests N]`
 * - embedded engine decode and prefill tokens/s on one core, SIMD kernel vs the scalar kernel as the
 *   in-run baseline (docs/inference.md: reference pure-JS engine 440-630 tok/s, llama.cpp 1,380);
 * - the same generation streamed over HTTP from the embedded server (server + SSE cost);
 * - adapter overhead: a recorded SSE stream replayed by a loopback server, read with plain http
 *   (baseline) and through createBackend (pass-through + usage counting), per chunk;
 * - UsageCounter parse rate on SSE bytes;
 * - constrained decoding (JSON schema): in-process generation tok/s with and without the token mask,
 *   alternated in the same run: a string field held open for exactly --tokens tokens (the steady-state
 *   mask cost), a nested schema sampled at temperature 1 (many grammar states), and the one-off cost of
 *   compiling a schema and building the vocabulary trie.
 * Ends with one `RESULT {json}` line.
 */
import { request } from 'node:http';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createBackend } from '../../node/inference/adapter/backend';
import { UsageCounter } from '../../node/inference/adapter/usage-counter';
import { Engine } from '../../node/inference/engine/engine';
import { DEFAULT_MODEL_PATH, startEmbeddedServer } from '../../node/inference/server/server';
import { silentLogger } from '../../node/common/log';
import { constraintFor, OutputPlanner } from '../../node/inference/structured/plan';
import { parseStructuredRequest } from '../../node/inference/structured/request';

function arg(name: string, def: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : def;
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log('Usage: npm run bench -- inference [--tokens 200] [--runs 5] [--requests 200]');
    process.exit(0);
}

const TOKENS = arg('tokens', 200);
const RUNS = arg('runs', 5);
const REQUESTS = arg('requests', 200);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const best = (xs: number[]) => Math.max(...xs);

/** End-of-generation tokens banned, so every run decodes exactly TOKENS tokens. */
function noEnd(engine: Engine): Map<number, number> {
    return new Map([...engine.tokenizer.endOfGeneration].map((id) => [id, -100] as [number, number]));
}

/** Tokens per second of wall time, and per second of this process's CPU time (less sensitive to other jobs). */
function engineRates(useSimd: boolean): { decode: number[]; prefill: number[]; decodeCpu: number[] } {
    const engine = Engine.load(DEFAULT_MODEL_PATH, { useSimd, slots: 1 });
    const model = engine.model;
    const prompt = engine.tokenizer.encode('Once upon a time');
    const decode: number[] = [];
    const decodeCpu: number[] = [];
    const prefill: number[] = [];
    let generated: number[] = [];
    for (let r = 0; r < RUNS; r++) {
        const cache = model.newCache();
        let logits = model.forward(cache, prompt);
        const out: number[] = [];
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < TOKENS; i++) {
            let bestId = 0;
            for (let j = 1; j < logits.length; j++) if (logits[j] > logits[bestId]) bestId = j;
            out.push(bestId);
            logits = model.forward(cache, [bestId]);
        }
        decode.push(TOKENS / ((performance.now() - t0) / 1000));
        const cpu = process.cpuUsage(cpu0);
        decodeCpu.push(TOKENS / ((cpu.user + cpu.system) / 1e6));
        generated = out;
        const long = [...prompt, ...generated].slice(0, Math.min(model.cfg.contextLength - 1, TOKENS));
        const c2 = model.newCache();
        const t1 = performance.now();
        model.forward(c2, long);
        prefill.push(long.length / ((performance.now() - t1) / 1000));
    }
    return { decode, prefill, decodeCpu };
}

async function engineStream(engine: Engine): Promise<number> {
    const t0 = performance.now();
    const r = await engine.complete({
        prompt: engine.tokenizer.encode('Once upon a time'),
        maxTokens: TOKENS,
        sampling: { temperature: 0 },
        logitBias: noEnd(engine),
    });
    return r.usage.completionTokens / ((performance.now() - t0) / 1000);
}

async function httpStream(url: string, engine: Engine): Promise<number> {
    const t0 = performance.now();
    const body = JSON.stringify({
        prompt: 'Once upon a time',
        max_tokens: TOKENS,
        temperature: 0,
        stream: true,
        logit_bias: Object.fromEntries(noEnd(engine)),
    });
    const res = await fetch(`${url}/completions`, { method: 'POST', body });
    await res.text();
    return TOKENS / ((performance.now() - t0) / 1000);
}

/** A realistic SSE body: TOKENS content chunks, a finish chunk, a usage chunk, [DONE]. */
function recordedStream(): Buffer {
    const head = {
        id: 'chatcmpl-0123456789abcdef01234567',
        object: 'chat.completion.chunk',
        created: 1795331928,
        model: 'cocoon/tiny-stories-1m',
        system_fingerprint: 'fp_0123456789',
    };
    const lines = [];
    for (let i = 0; i < TOKENS; i++)
        lines.push({ ...head, choices: [{ index: 0, delta: { content: ' word' }, logprobs: null, finish_reason: null }], usage: null });
    lines.push({ ...head, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'length' }], usage: null });
    lines.push({
        ...head,
        choices: [],
        usage: { prompt_tokens: 20, completion_tokens: TOKENS, total_tokens: 20 + TOKENS, prompt_tokens_details: { cached_tokens: 19 } },
    });
    return Buffer.from(lines.map((l) => `data: ${JSON.stringify(l)}\n\n`).join('') + 'data: [DONE]\n\n');
}

async function adapterOverhead(): Promise<{ plainUs: number; adapterUs: number; perChunkUs: number }> {
    const body = recordedStream();
    // Written in token-sized pieces, as a real server would, so both clients see the same chunking.
    const pieces: Buffer[] = [];
    for (let at = 0, k = 0; at < body.length; k++) {
        const end = body.indexOf('\n\n', at) + 2;
        pieces.push(body.subarray(at, end));
        at = end;
    }
    const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
            res.writeHead(200, { 'content-type': 'text/event-stream' });
            res.end(Buffer.concat(pieces));
        });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const payload = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    const plain = () =>
        new Promise<void>((resolve, reject) => {
            const req = request(
                {
                    host: '127.0.0.1',
                    port,
                    path: '/v1/chat/completions',
                    method: 'POST',
                    agent,
                    headers: { 'content-type': 'application/json' },
                },
                (res) => {
                    res.on('data', () => undefined);
                    res.on('end', resolve);
                },
            );
            req.on('error', reject);
            req.end(payload);
        });
    const backend = createBackend({ baseUrl: `http://127.0.0.1:${port}/v1`, logger: silentLogger });
    const viaAdapter = async () => {
        const r = await backend.chatCompletions({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
        for await (const _ of r.body) void _;
        await r.usage;
    };
    const time = async (f: () => Promise<void>) => {
        for (let i = 0; i < 20; i++) await f();
        const t0 = performance.now();
        for (let i = 0; i < REQUESTS; i++) await f();
        return ((performance.now() - t0) * 1000) / REQUESTS;
    };
    const plainUs = median([await time(plain), await time(plain), await time(plain)]);
    const adapterUs = median([await time(viaAdapter), await time(viaAdapter), await time(viaAdapter)]);
    backend.close();
    agent.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    return { plainUs, adapterUs, perChunkUs: (adapterUs - plainUs) / (TOKENS + 3) };
}

function usageParseRate(): number {
    const body = recordedStream();
    const n = 300;
    let t0 = performance.now();
    for (let i = -50; i < n; i++) {
        if (i === 0) t0 = performance.now();
        const c = new UsageCounter({ format: 'sse' });
        for (let at = 0; at < body.length; at += 300) c.push(body.subarray(at, at + 300));
        if (!c.end().usage) throw new Error('usage not found');
    }
    return (body.length * n) / 1e6 / ((performance.now() - t0) / 1000);
}

const LONG_TEXT_SCHEMA = { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false };
const NESTED_SCHEMA = {
    type: 'object',
    properties: {
        name: { type: 'string' },
        age: { type: 'integer' },
        mood: { enum: ['happy', 'sad', 'sleepy'] },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
        owner: {
            anyOf: [
                {
                    type: 'object',
                    properties: { name: { type: 'string' }, height: { type: 'number' } },
                    required: ['name', 'height'],
                    additionalProperties: false,
                },
                { type: 'null' },
            ],
        },
    },
    required: ['name', 'age', 'mood', 'tags', 'owner'],
    additionalProperties: false,
};
const schemaRequest = (schema: object) =>
    parseStructuredRequest({
        messages: [{ role: 'user', content: 'json' }],
        response_format: { type: 'json_schema', json_schema: { name: 'b', strict: true, schema } },
    });

/** Decode tok/s with and without a JSON-schema constraint, alternated run by run on one engine. */
async function constrainedRates(engine: Engine) {
    const prompt = engine.tokenizer.encode('<|user|>\nTell me a story about a cat named Tom.<|end|>\n<|assistant|>\n');
    const coldT0 = performance.now();
    const planner = new OutputPlanner(engine.tokenizer);
    const longPlan = planner.plan(schemaRequest(LONG_TEXT_SCHEMA));
    const coldMs = performance.now() - coldT0;
    const warmT0 = performance.now();
    const nestedPlan = planner.plan(schemaRequest(NESTED_SCHEMA));
    const compileMs = performance.now() - warmT0;
    // Quotes banned too, so the string stays open until the budget forces `"}`: exactly TOKENS tokens.
    const bias = noEnd(engine);
    for (let id = 0; id < engine.tokenizer.vocabSize; id++)
        if (engine.tokenizer.isPlainText(id) && engine.tokenizer.bytesOf(id).includes(0x22)) bias.set(id, -100);
    const rate = async (
        constrained: boolean,
        plan: typeof longPlan,
        seed: number,
        temperature: number,
        maxTokens: number,
        logitBias: Map<number, number>,
    ) => {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const r = await engine.complete({
            prompt,
            maxTokens,
            sampling: { temperature, seed },
            logitBias,
            constraint: constrained ? constraintFor(plan).constraint : undefined,
        });
        const cpu = process.cpuUsage(cpu0);
        return { tokens: r.usage.completionTokens, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, text: r.text };
    };
    const plainLong: number[] = [];
    const maskedLong: number[] = [];
    // Per CPU-second as well: other jobs on the shared cores steal wall time, not CPU time.
    const plainLongCpu: number[] = [];
    const maskedLongCpu: number[] = [];
    for (let r = 0; r < RUNS; r++) {
        const a = await rate(false, longPlan, r, 0, TOKENS, bias);
        const b = await rate(true, longPlan, r, 0, TOKENS, bias);
        if (b.tokens !== TOKENS || !JSON.parse(b.text)) throw new Error(`constrained run produced ${b.tokens} tokens`);
        plainLong.push(a.tokens / (a.ms / 1000));
        maskedLong.push(b.tokens / (b.ms / 1000));
        plainLongCpu.push(a.tokens / (a.cpuMs / 1000));
        maskedLongCpu.push(b.tokens / (b.cpuMs / 1000));
    }
    const nested = { plain: { tokens: 0, ms: 0, cpuMs: 0 }, masked: { tokens: 0, ms: 0, cpuMs: 0 } };
    for (let seed = 0; seed < RUNS * 10; seed++) {
        const b = await rate(true, nestedPlan, seed, 1, 96, new Map());
        JSON.parse(b.text);
        // The unconstrained twin writes as many tokens as the constrained answer did, for the same prompt.
        const a = await rate(false, nestedPlan, seed, 1, b.tokens, noEnd(engine));
        nested.plain.tokens += a.tokens;
        nested.plain.ms += a.ms;
        nested.plain.cpuMs += a.cpuMs;
        nested.masked.cpuMs += b.cpuMs;
        nested.masked.tokens += b.tokens;
        nested.masked.ms += b.ms;
    }
    const stats = nestedPlan.kind === 'json' ? nestedPlan.masker.stats : { computed: 0, cached: 0 };
    return {
        coldMs,
        compileMs,
        plainLong,
        maskedLong,
        stats,
        longCpuRatio: median(maskedLongCpu) / median(plainLongCpu),
        nestedCpuRatio: nested.masked.tokens / nested.masked.cpuMs / (nested.plain.tokens / nested.plain.cpuMs),
        nestedPlain: nested.plain.tokens / (nested.plain.ms / 1000),
        nestedMasked: nested.masked.tokens / (nested.masked.ms / 1000),
        nestedTokens: nested.masked.tokens,
    };
}

async function main(): Promise<void> {
    console.log(`inference bench: model ${DEFAULT_MODEL_PATH}, ${TOKENS} tokens, ${RUNS} runs (1 core, greedy)`);
    const scalar = engineRates(false);
    const simd = engineRates(true);
    const row = (name: string, d: number[], p: number[]) =>
        console.log(
            `${name.padEnd(28)} decode median ${median(d).toFixed(0).padStart(6)} best ${best(d).toFixed(0).padStart(6)} tok/s ` +
                `| prefill median ${median(p).toFixed(0).padStart(6)} best ${best(p).toFixed(0).padStart(6)} tok/s`,
        );
    row('engine, scalar JS kernel', scalar.decode, scalar.prefill);
    row('engine, WASM SIMD kernel', simd.decode, simd.prefill);
    console.log(
        `decode per CPU-second (ignores time stolen by other jobs): SIMD ${median(simd.decodeCpu).toFixed(0)}, ` +
            `scalar ${median(scalar.decodeCpu).toFixed(0)} tok/s`,
    );
    console.log(
        `speed-up of the SIMD kernel: decode x${(median(simd.decode) / median(scalar.decode)).toFixed(2)}, ` +
            `prefill x${(median(simd.prefill) / median(scalar.prefill)).toFixed(2)}`,
    );

    const engine = Engine.load(DEFAULT_MODEL_PATH, { slots: 1 });
    const inproc: number[] = [];
    for (let r = 0; r < RUNS; r++) inproc.push(await engineStream(engine));
    const srv = await startEmbeddedServer({ engine, logger: silentLogger });
    const overHttp: number[] = [];
    for (let r = 0; r < RUNS; r++) overHttp.push(await httpStream(srv.url, engine));
    await srv.close();
    console.log(
        `generation incl. scheduler+sampler (in-process): ${median(inproc).toFixed(0)} tok/s; ` +
            `streamed over HTTP/SSE: ${median(overHttp).toFixed(0)} tok/s`,
    );

    const cr = await constrainedRates(engine);
    console.log(
        `JSON schema constraint: vocabulary trie + first schema ${cr.coldMs.toFixed(0)} ms, another schema ${cr.compileMs.toFixed(1)} ms`,
    );
    console.log(
        `  string held open ${TOKENS} tokens (greedy): unconstrained ${median(cr.plainLong).toFixed(0)} tok/s, ` +
            `constrained ${median(cr.maskedLong).toFixed(0)} tok/s (x${(median(cr.maskedLong) / median(cr.plainLong)).toFixed(2)})`,
    );
    console.log(
        `  nested schema, ${RUNS * 10} answers at temperature 1 (${cr.nestedTokens} tokens): ` +
            `unconstrained ${cr.nestedPlain.toFixed(0)} tok/s, constrained ${cr.nestedMasked.toFixed(0)} tok/s ` +
            `(x${(cr.nestedMasked / cr.nestedPlain).toFixed(2)}); mask tables computed ${cr.stats.computed}, ` +
            `served from cache ${cr.stats.cached}`,
    );
    console.log(
        `  per CPU-second (ignores time stolen by other jobs): constrained/unconstrained x${cr.longCpuRatio.toFixed(2)} ` +
            `(string), x${cr.nestedCpuRatio.toFixed(2)} (nested)`,
    );

    const ad = await adapterOverhead();
    console.log(
        `adapter: ${TOKENS + 3}-chunk SSE stream, plain http ${ad.plainUs.toFixed(0)} us/request, ` +
            `createBackend ${ad.adapterUs.toFixed(0)} us/request => ${ad.perChunkUs.toFixed(2)} us/chunk overhead`,
    );
    const parse = usageParseRate();
    console.log(`UsageCounter SSE parse: ${parse.toFixed(1)} MB/s`);
    const result = {
        decode_tok_s: Math.round(median(simd.decode)),
        decode_best_tok_s: Math.round(best(simd.decode)),
        decode_tok_per_cpu_s: Math.round(median(simd.decodeCpu)),
        prefill_tok_s: Math.round(median(simd.prefill)),
        baseline_scalar_decode_tok_s: Math.round(median(scalar.decode)),
        baseline_scalar_prefill_tok_s: Math.round(median(scalar.prefill)),
        generate_inprocess_tok_s: Math.round(median(inproc)),
        generate_http_sse_tok_s: Math.round(median(overHttp)),
        adapter_plain_us_per_request: Math.round(ad.plainUs),
        adapter_us_per_request: Math.round(ad.adapterUs),
        adapter_overhead_us_per_chunk: Number(ad.perChunkUs.toFixed(2)),
        usage_parse_mb_s: Number(parse.toFixed(1)),
        json_constraint_setup_ms: Math.round(cr.coldMs),
        json_schema_compile_ms: Number(cr.compileMs.toFixed(1)),
        unconstrained_decode_tok_s: Math.round(median(cr.plainLong)),
        json_schema_decode_tok_s: Math.round(median(cr.maskedLong)),
        json_schema_decode_ratio: Number((median(cr.maskedLong) / median(cr.plainLong)).toFixed(2)),
        nested_unconstrained_tok_s: Math.round(cr.nestedPlain),
        nested_json_schema_tok_s: Math.round(cr.nestedMasked),
        nested_json_schema_ratio: Number((cr.nestedMasked / cr.nestedPlain).toFixed(2)),
        json_schema_cpu_ratio: Number(cr.longCpuRatio.toFixed(2)),
        nested_json_schema_cpu_ratio: Number(cr.nestedCpuRatio.toFixed(2)),
        mask_tables_computed: cr.stats.computed,
        mask_tables_cached: cr.stats.cached,
        tokens: TOKENS,
        simd: engine.model.simd,
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
