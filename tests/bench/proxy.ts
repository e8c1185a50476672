/**
 * Proxy benchmark (COCOON's benchmark/ method):
 *   npm run bench -- proxy [--seconds N] [--rounds N] [--warmup N] [--chunks N] [--bytes N] [--delay-ms N]
 *     [--concurrency 1,30] [--plaintext] [--no-tls] [--no-processes] [--no-floor] [--modes tls,plaintext,processes,floor]
 *     [--streams 100,...,2000] [--no-streams] [--cpu-prof DIR]
 * A fake OpenAI-compatible backend streams 50 SSE chunks (128-byte deltas) plus a usage chunk and [DONE]
 * for every POST /v1/chat/completions with stream:true, as COCOON's benchmark/server.go does; by default
 * all at once (its delay_ms=0, a CPU-bound baseline), with --delay-ms N one chunk every N ms (its delay_ms,
 * tokens arriving as a model generates them). A load generator keeps 1 and then 30 requests in flight
 * for a fixed time:
 *   (a) directly against the backend over HTTP (the baseline, measured in the same run);
 *   (b) through the whole network: client OpenAI HTTP API -> proxy -> worker -> the same backend, over
 *       RA-TLS as the product runs it (startTestNetwork: local chain, root, proxy, worker, client);
 *       with --plaintext also over plain TCP;
 *   (c) the same network as operators run it: `cocoon proxy`, `cocoon worker` and `cocoon client` as three
 *       OS processes against a local chain served over HTTP (skip with --no-processes); with --cpu-prof DIR
 *       each writes a V8 CPU profile into DIR/proxy, DIR/worker and DIR/client when it exits;
 *   (d) the transport floor (relay-floor.ts): the same API -> proxy -> worker -> backend hops over TLS on
 *       the main thread, forwarding bytes and nothing else (skip with --no-floor). What it adds to the
 *       direct baseline is what any relay of this shape costs here; the network above it is the product.
 * The backend and the load generator run in their own threads (they are separate processes in
 * production and in COCOON's benchmark); in (b) the client, proxy and worker share the main thread.
 * Prints requests/s and p50/p90/p99 of the full response time and of the time to first body byte,
 * the added latency at p50 and the throughput ratio against direct, then the targets, each against the
 * floor measured in the same run: three processes at c=30 spend <= 2x the floor's runner CPU per request;
 * three processes at c=1 add <= 0.5 ms p50 over the floor. Then (e) streaming at scale (proxy-streams.ts,
 * skip with --no-streams): the largest number of simultaneous streams with an added p99 time between
 * tokens <= 5 ms and no errors (target >= 1,000), proxy CPU per 1,000 tokens, proxy RSS per stream (<= 64 KiB).
 * Ends with one `RESULT {json}` line. Not a pass/fail test: the targets are reported either way.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
    rampStreams,
    runStreams,
    STREAMS_TARGET_ADDED_GAP_P99_MS,
    type StreamsJob,
    type StreamsLevel,
    type StreamsResult,
} from './proxy-streams';

function arg(name: string, def: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const MODEL_BASE = 'cocoon/tiny-stories-1m';
// Three processes against the transport floor measured in the same run (issue: half the original's CPU).
const TARGET_CPU_RATIO_TO_FLOOR_C30 = 2;
const TARGET_ADDED_P50_OVER_FLOOR_MS_C1 = 0.5;
const TARGET_STREAMS = 1000;
const TARGET_RSS_KIB_PER_STREAM = 64;
const STREAM_TOKENS = 200;
const STREAM_DELAY_MS = 20;

// ------------------------------------------------------------------------------------------------ threads

/** Starts this file in a worker thread in the given role (ts-node registered there too). */
function spawnThread(role: 'backend' | 'load', data: Record<string, unknown> = {}): Worker {
    const code = `require('ts-node').register({ transpileOnly: true }); require(${JSON.stringify(__filename)});`;
    return new Worker(code, { eval: true, workerData: { role, ...data } });
}

/** The fake backend (thread): COCOON's server.go as an SSE stream (delayMs between chunks, its delay_ms). */
async function backendThread(chunks: number, bytes: number, delayMs: number): Promise<void> {
    const { fakeServer, sse } = await import('../node/inference/fake-server');
    const head = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1795331928, model: MODEL_BASE };
    const events: string[] = [];
    for (let i = 0; i < chunks; i++) {
        events.push(
            JSON.stringify({
                ...head,
                choices: [
                    { index: 0, delta: { content: String(i).padStart(bytes, '0') }, finish_reason: i === chunks - 1 ? 'stop' : null },
                ],
            }),
        );
    }
    events.push(
        JSON.stringify({
            ...head,
            choices: [],
            usage: {
                prompt_tokens: 34,
                completion_tokens: 100,
                total_tokens: 134,
                prompt_tokens_details: { cached_tokens: 11 },
                completion_tokens_details: { reasoning_tokens: 10 },
            },
        }),
    );
    events.push('[DONE]');
    const server = await fakeServer((req, res) => {
        server.requests.length = 0; // the recorder is for tests; do not grow for the whole run
        if (req.method === 'GET' && req.url?.endsWith('/models')) {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ object: 'list', data: [{ id: MODEL_BASE, object: 'model', created: 0, owned_by: 'bench' }] }));
            return;
        }
        sse(res, events, { delayMs });
    });
    parentPort!.postMessage({ url: server.url });
}

interface LoadJob {
    url: string;
    concurrency: number;
    seconds: number;
    warmup: number;
    body: string;
}

interface LoadResult {
    count: number;
    errors: number;
    firstError: string | null;
    seconds: number;
    bytesPerResponse: number;
    total: number[];
    ttfb: number[];
    cpuUsPerRequest?: number;
    mainCpuUsPerRequest?: number;
}

/** utime + stime in microseconds of a /proc stat file (Linux; 0 elsewhere or once the process is gone). */
function procCpuUs(statPath: string): number {
    try {
        const stat = require('fs').readFileSync(statPath, 'utf8') as string;
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // clock ticks of 1/100 s
    } catch {
        return 0;
    }
}

/** CPU time of the main thread in microseconds. */
const mainThreadCpuUs = () => procCpuUs(`/proc/self/task/${process.pid}/stat`);

/** The load generator (thread): `concurrency` loops on a keep-alive agent, timing each response. */
function loadThread(): void {
    parentPort!.on('message', (job: LoadJob | StreamsJob) => {
        if ('kind' in job) void runStreams(job).then((r) => parentPort!.postMessage({ streams: r }));
        else void runLoad(job).then((r) => parentPort!.postMessage(r));
    });
}

async function runLoad(job: LoadJob): Promise<LoadResult> {
    const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
    const u = new URL(job.url + '/chat/completions');
    const payload = Buffer.from(job.body);
    const res: LoadResult = { count: 0, errors: 0, firstError: null, seconds: 0, bytesPerResponse: 0, total: [], ttfb: [] };
    let bytes = 0;
    const once = () =>
        new Promise<{ total: number; ttfb: number; bytes: number; status: number }>((resolve, reject) => {
            const t0 = performance.now();
            let first = -1;
            let n = 0;
            const req = request(
                {
                    host: u.hostname,
                    port: u.port,
                    path: u.pathname,
                    method: 'POST',
                    agent,
                    headers: { 'content-type': 'application/json', 'content-length': payload.length },
                },
                (r) => {
                    r.on('data', (c: Buffer) => {
                        if (first < 0) first = performance.now();
                        n += c.length;
                    });
                    r.on('end', () => resolve({ total: performance.now() - t0, ttfb: first - t0, bytes: n, status: r.statusCode ?? 0 }));
                    r.on('error', reject);
                },
            );
            req.on('error', reject);
            req.end(payload);
        });
    const loop = async (until: number, record: boolean) => {
        while (performance.now() < until) {
            try {
                const r = await once();
                if (!record) continue;
                if (r.status !== 200) {
                    res.errors++;
                    res.firstError ??= `HTTP ${r.status}`;
                    continue;
                }
                res.count++;
                bytes += r.bytes;
                res.total.push(r.total);
                res.ttfb.push(r.ttfb);
            } catch (e) {
                if (!record) continue;
                res.errors++;
                res.firstError ??= (e as Error).message;
            }
        }
    };
    const loops = (seconds: number, record: boolean) => {
        const until = performance.now() + seconds * 1000;
        return Promise.all(Array.from({ length: job.concurrency }, () => loop(until, record)));
    };
    await loops(job.warmup, false);
    parentPort!.postMessage({ start: true });
    const t0 = performance.now();
    await loops(job.seconds, true);
    res.seconds = (performance.now() - t0) / 1000;
    res.bytesPerResponse = res.count ? Math.round(bytes / res.count) : 0;
    agent.destroy();
    return res;
}

// ------------------------------------------------------------------------------------------------ main

interface Figures {
    rps: number;
    p50: number;
    p90: number;
    p99: number;
    ttfb_p50: number;
    ttfb_p90: number;
    ttfb_p99: number;
    errors: number;
    bytes: number;
    cpu_us_per_req: number;
    main_thread_cpu_us_per_req: number;
}

function pct(sorted: number[], q: number): number {
    if (!sorted.length) return NaN;
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function figures(r: LoadResult): Figures {
    const t = Float64Array.from(r.total).sort();
    const f = Float64Array.from(r.ttfb).sort();
    const a = Array.from(t);
    const b = Array.from(f);
    const round = (x: number) => Number(x.toFixed(3));
    return {
        rps: Number((r.count / r.seconds).toFixed(1)),
        p50: round(pct(a, 0.5)),
        p90: round(pct(a, 0.9)),
        p99: round(pct(a, 0.99)),
        ttfb_p50: round(pct(b, 0.5)),
        ttfb_p90: round(pct(b, 0.9)),
        ttfb_p99: round(pct(b, 0.99)),
        errors: r.errors,
        bytes: r.bytesPerResponse,
        cpu_us_per_req: Math.round(r.cpuUsPerRequest ?? 0),
        main_thread_cpu_us_per_req: Math.round(r.mainCpuUsPerRequest ?? 0),
    };
}

function merge(rs: LoadResult[]): LoadResult {
    const count = rs.reduce((s, r) => s + r.count, 0);
    const weighted = (f: (r: LoadResult) => number | undefined) => (count ? rs.reduce((s, r) => s + (f(r) ?? 0) * r.count, 0) / count : 0);
    return {
        cpuUsPerRequest: weighted((r) => r.cpuUsPerRequest),
        mainCpuUsPerRequest: weighted((r) => r.mainCpuUsPerRequest),
        count: rs.reduce((s, r) => s + r.count, 0),
        errors: rs.reduce((s, r) => s + r.errors, 0),
        firstError: rs.find((r) => r.firstError)?.firstError ?? null,
        seconds: rs.reduce((s, r) => s + r.seconds, 0),
        bytesPerResponse: rs[0]?.bytesPerResponse ?? 0,
        total: rs.flatMap((r) => r.total),
        ttfb: rs.flatMap((r) => r.ttfb),
    };
}

type Mode = 'tls' | 'plaintext' | 'processes' | 'floor';

/** A running client -> proxy -> worker network for the load generator. */
interface BenchNetwork {
    apiUrl: string;
    /** CPU of the client, proxy and worker so far, in microseconds. */
    runnerCpuUs(): number;
    /** True when the runners are child processes (their CPU is not in this process's). */
    childProcesses: boolean;
    /** The proxy's process (three-process mode only). */
    proxyPid?: number;
    /** Frames on the proxy's connections so far (in-process only). */
    frames?: () => { fromWorkers: number; toClients: number };
    close(): Promise<void>;
}

/** (b) The runners in this process, on its main thread (startTestNetwork: embedded chain, RA-TLS or plain TCP). */
async function inProcessNetwork(backendUrl: string, tls: boolean): Promise<BenchNetwork> {
    const { toNano } = await import('@ton/core');
    const { startTestNetwork } = await import('../e2e/helpers/network');
    const { DEFAULT_PROXY_INTERVALS } = await import('../../node/proxy/runner');
    // Production commit/poll intervals: the test network's 100-300 ms ones keep the in-process chain emulator busy.
    // --journal-fsync off: the settle journal without fdatasync, to measure what the fsync costs.
    const journalFsync = !(process.argv.includes('--journal-fsync') && process.argv[process.argv.indexOf('--journal-fsync') + 1] === 'off');
    const net = await startTestNetwork({ full: false, tls, proxy: { intervals: DEFAULT_PROXY_INTERVALS, journalFsync } });
    await net.startWorker({ backendUrl, maxActiveRequests: 64, intervals: { statusMs: 15_000 } });
    await net.startClient({ deposit: toNano('100'), intervals: { statusMs: 15_000 } });
    type Srv = { connections: Set<{ tcp: { stats: { framesIn: number; framesOut: number } } }> } | undefined;
    return {
        apiUrl: net.apiUrl!,
        runnerCpuUs: mainThreadCpuUs,
        childProcesses: false,
        frames: () => {
            const p = net.proxy as unknown as { workerServer: Srv; clientServer: Srv };
            const sum = (srv: Srv, k: 'framesIn' | 'framesOut') => [...(srv?.connections ?? [])].reduce((s, c) => s + c.tcp.stats[k], 0);
            return { fromWorkers: sum(p.workerServer, 'framesIn'), toClients: sum(p.clientServer, 'framesOut') };
        },
        close: () => net.close(),
    };
}

/** (d) The transport floor (relay-floor.ts): the same hops over TLS on the main thread, doing nothing but forwarding. */
async function floorNetwork(backendUrl: string): Promise<BenchNetwork> {
    const { startRelayFloor } = await import('./relay-floor');
    const floor = await startRelayFloor(backendUrl);
    return { apiUrl: floor.apiUrl, runnerCpuUs: mainThreadCpuUs, childProcesses: false, close: () => floor.close() };
}

/**
 * (c) The daemons an operator runs, `cocoon proxy|worker|client`, as three processes over RA-TLS (fake
 * attestation) against a local chain served over HTTP from this process, with their production defaults
 * (intervals, proof of work off for speed of setup only).
 */
async function processNetwork(backendUrl: string, probeBody: string, maxActiveRequests = 64): Promise<BenchNetwork> {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { Address, toNano } = await import('@ton/core');
    const { startLocalChain } = await import('../../node/localchain/server');
    const { configureRoot, ensureRoot } = await import('../../node/cli/network');
    const { createChainClient, openWallet } = await import('../../node/chain');
    const { imageHash, zeroMeasurements } = await import('../../node/attestation');
    const { daemon } = await import('../node/helpers/cli-process');
    const { MODEL } = await import('../e2e/helpers/network');

    const dir = mkdtempSync(join(tmpdir(), 'cocoon-bench-'));
    const chain = await startLocalChain({ port: 0, wallets: 4, walletBalance: toNano('1000') });
    const running: ReturnType<typeof daemon>[] = [];
    // --cpu-prof DIR: each daemon writes a V8 CPU profile into DIR/<role>/ when it exits (after the run).
    const pi = process.argv.indexOf('--cpu-prof');
    const prof = (role: string) => (pi >= 0 ? ['--cpu-prof', `--cpu-prof-dir=${join(process.argv[pi + 1], role)}`] : []);
    // The daemons run as `npx cocoon` runs them (bin/cocoon: its node flags, the compiled CLI): bring
    // dist/ up to date first (incremental, seconds when nothing changed).
    const { execFileSync } = await import('node:child_process');
    const tsc = require.resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(__dirname, '..', '..', 'tsconfig.build.json')], { stdio: 'inherit' });
    const close = async () => {
        for (const d of running) if (d.child.exitCode === null) d.child.kill('SIGTERM');
        await Promise.all(running.map((d) => Promise.race([d.exited, new Promise((r) => setTimeout(r, 10_000))])));
        for (const d of running) if (d.child.exitCode === null) d.child.kill('SIGKILL');
        await chain.close();
        rmSync(dir, { recursive: true, force: true });
    };
    try {
        const walletsFile = join(dir, 'wallets.json');
        writeFileSync(walletsFile, JSON.stringify(chain.wallets), { mode: 0o600 });
        const root = (await ensureRoot({ dataDir: dir, chainUrl: chain.v4Url, ownerMnemonic: chain.wallets[0].mnemonic })).root;
        const common = ['--endpoint', chain.v4Url, '--root', root, '--key-file', walletsFile, '--log-level', 'warn', '--http-port', '0'];
        const proxy = daemon(
            [
                'proxy',
                ...common,
                '--key-name',
                'wallet1',
                '--data-dir',
                join(dir, 'proxy'),
                '--worker-port',
                '0',
                '--client-port',
                '0',
                '--pow-difficulty',
                '0',
            ],
            {},
            prof('proxy'),
            'launcher',
        );
        running.push(proxy);
        const reg = await proxy.waitFor(/register-proxy "([^"]+)"/);
        await proxy.waitFor(/^proxy (\S+) serving/m);
        const client = createChainClient({ url: chain.v4Url });
        const owner = await openWallet(client, { mnemonic: chain.wallets[0].mnemonic });
        const fake = imageHash(zeroMeasurements());
        await configureRoot(client, owner, Address.parse(root), {
            proxyHashes: [fake],
            workerHashes: [fake],
            models: [MODEL],
            proxy: reg[1],
        });
        const worker = daemon(
            [
                'worker',
                ...common,
                '--key-name',
                'wallet2',
                '--data-dir',
                join(dir, 'worker'),
                '--model',
                MODEL,
                '--backend',
                backendUrl,
                '--max-active-requests',
                String(maxActiveRequests),
            ],
            {},
            prof('worker'),
            'launcher',
        );
        running.push(worker);
        await worker.waitFor(/^worker \S+ serving/m);
        const clientD = daemon(
            ['client', ...common, '--key-name', 'wallet3', '--data-dir', join(dir, 'client'), '--deposit', '100'],
            {},
            prof('client'),
            'launcher',
        );
        running.push(clientD);
        const apiUrl = (await clientD.waitFor(/OpenAI API (\S+),/))[1];
        // Ready once a completion goes through: the worker reaches the proxy on its own schedule.
        const deadline = Date.now() + 120_000;
        for (;;) {
            const res = await fetch(`${apiUrl}/chat/completions`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: probeBody,
            });
            const text = await res.text();
            if (res.status === 200) break;
            if (Date.now() > deadline)
                throw new Error(
                    `the process network did not serve within 120 s: ` +
                        `HTTP ${res.status} ${text.slice(0, 300)}\nworker: ${worker.err().slice(-1500)}\n` +
                        `proxy: ${proxy.err().slice(-1500)}`,
                );
            await new Promise((r) => setTimeout(r, 250));
        }
        const pids = running.map((d) => d.child.pid!);
        return {
            apiUrl,
            runnerCpuUs: () => pids.reduce((s, pid) => s + procCpuUs(`/proc/${pid}/stat`), 0),
            childProcesses: true,
            proxyPid: proxy.child.pid!,
            close,
        };
    } catch (e) {
        await close();
        throw e;
    }
}

async function main(): Promise<void> {
    if (process.argv.includes('--help') || process.argv.includes('-h')) {
        console.log(
            'Usage: npm run bench -- proxy [--seconds 4] [--rounds 2] [--warmup 1] [--chunks 50] [--bytes 128] [--delay-ms 0] ' +
                '[--concurrency 1,30] [--plaintext] [--no-tls] [--no-processes] [--no-floor] [--modes ' +
                'tls,plaintext,processes,floor] [--streams 100,250,500,1000,1500,2000] [--no-streams] [--cpu-prof DIR]',
        );
        process.exit(0);
    }
    const SECONDS = arg('seconds', 4);
    const ROUNDS = arg('rounds', 2);
    const WARMUP = arg('warmup', 1);
    const CHUNKS = arg('chunks', 50);
    const BYTES = arg('bytes', 128);
    const DELAY_MS = arg('delay-ms', 0);
    const ci = process.argv.indexOf('--concurrency');
    const LEVELS = ci >= 0 ? process.argv[ci + 1].split(',').map(Number) : [1, 30];
    const modes: Mode[] = [];
    if (!process.argv.includes('--no-tls')) modes.push('tls');
    if (process.argv.includes('--plaintext') || process.argv.includes('--no-tls')) modes.push('plaintext');
    if (!process.argv.includes('--no-processes')) modes.push('processes');
    if (!process.argv.includes('--no-floor')) modes.push('floor');
    const mi = process.argv.indexOf('--modes');
    if (mi >= 0) {
        modes.length = 0;
        for (const m of process.argv[mi + 1].split(',')) {
            if (m !== 'tls' && m !== 'plaintext' && m !== 'processes' && m !== 'floor')
                throw new Error(`--modes: unknown mode '${m}' (tls, plaintext, processes, floor)`);
            modes.push(m);
        }
    }

    const backendThreadW = spawnThread('backend', { chunks: CHUNKS, bytes: BYTES, delayMs: DELAY_MS });
    const backendUrl = await new Promise<string>((resolve, reject) => {
        backendThreadW.once('message', (m: { url: string }) => resolve(m.url));
        backendThreadW.once('error', reject);
    });
    const loader = spawnThread('load');
    loader.on('error', (e) => {
        console.error('load generator failed:', e);
        process.exit(1);
    });
    // CPU per request: of everything (this process's threads plus the runner processes, if any) and of the
    // runners alone (the main thread in-process, the three processes otherwise): steadier than req/s when
    // other jobs share the cores.
    let net: BenchNetwork | null = null;
    const cpu = () => {
        const own = process.cpuUsage();
        const runners = net?.runnerCpuUs() ?? mainThreadCpuUs();
        return { all: own.user + own.system + (net?.childProcesses ? runners : 0), runners };
    };
    const load = (job: LoadJob) =>
        new Promise<LoadResult>((resolve) => {
            let c0 = cpu();
            const onMessage = (m: LoadResult | { start: true }) => {
                if ('start' in m) {
                    c0 = cpu();
                    return;
                }
                loader.off('message', onMessage);
                const c1 = cpu();
                m.cpuUsPerRequest = m.count ? (c1.all - c0.all) / m.count : 0;
                m.mainCpuUsPerRequest = m.count ? (c1.runners - c0.runners) / m.count : 0;
                resolve(m);
            };
            loader.on('message', onMessage);
            loader.postMessage(job);
        });
    const body = JSON.stringify({
        model: MODEL_BASE,
        messages: [{ role: 'user', content: 'Tell me a story about a cat named Tom.' }],
        stream: true,
        max_tokens: 200,
    });

    console.log(
        `proxy bench: fake backend ${CHUNKS} SSE chunks x ${BYTES} B${DELAY_MS ? ` ${DELAY_MS} ms apart` : ''} + usage ` +
            `chunk, ${ROUNDS} rounds x ${SECONDS} s per point (+${WARMUP} s warm-up), ` +
            `concurrency 1 and 30, ${require('os').cpus().length} cores`,
    );
    const runs: Record<string, LoadResult[]> = {};
    const framesPerRequest: Record<string, { worker_to_proxy: number; proxy_to_client: number }> = {};
    const add = (k: string, r: LoadResult) => (runs[k] ??= []).push(r);
    for (const mode of modes) {
        const t0 = performance.now();
        net =
            mode === 'processes'
                ? await processNetwork(backendUrl, body)
                : mode === 'floor'
                  ? await floorNetwork(backendUrl)
                  : await inProcessNetwork(backendUrl, mode === 'tls');
        console.log(`network (${mode}) up in ${((performance.now() - t0) / 1000).toFixed(1)} s: client API ${net.apiUrl}`);
        try {
            for (let round = 0; round < ROUNDS; round++) {
                for (const c of LEVELS) {
                    // Direct and through alternate in every mode, so slow drifts of the machine hit both alike.
                    add(`direct:${c}`, await load({ url: backendUrl, concurrency: c, seconds: SECONDS, warmup: WARMUP, body }));
                    const f0 = net.frames?.();
                    const r = await load({ url: net.apiUrl, concurrency: c, seconds: SECONDS, warmup: WARMUP, body });
                    const f1 = net.frames?.();
                    const n = r.count + r.errors || 1;
                    if (f0 && f1)
                        framesPerRequest[`${mode}:${c}`] = {
                            worker_to_proxy: Number(((f1.fromWorkers - f0.fromWorkers) / n).toFixed(1)),
                            proxy_to_client: Number(((f1.toClients - f0.toClients) / n).toFixed(1)),
                        };
                    add(`${mode}:${c}`, r);
                }
            }
        } finally {
            await net.close();
            net = null;
        }
    }
    const streams: StreamsLevel[] = [];
    if (!process.argv.includes('--no-streams')) {
        const si = process.argv.indexOf('--streams');
        const levels = si >= 0 ? process.argv[si + 1].split(',').map(Number) : [100, 250, 500, 1000, 1500, 2000];
        if (levels.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000))
            throw new Error(`--streams: a list of stream counts 1-10000, got '${process.argv[si + 1]}'`);
        const streamsBackend = spawnThread('backend', { chunks: STREAM_TOKENS, bytes: 4, delayMs: STREAM_DELAY_MS });
        const streamsUrl = await new Promise<string>((resolve, reject) => {
            streamsBackend.once('message', (m: { url: string }) => resolve(m.url));
            streamsBackend.once('error', reject);
        });
        const streamsBody = JSON.stringify({
            model: MODEL_BASE,
            messages: [{ role: 'user', content: 'Tell me a story.' }],
            stream: true,
            max_tokens: STREAM_TOKENS,
        });
        const t0 = performance.now();
        const snet = await processNetwork(streamsUrl, streamsBody, Math.max(...levels) + 64);
        console.log(
            `\nstreaming at scale: ${STREAM_TOKENS} tokens ${STREAM_DELAY_MS} ms apart per answer, ` +
                `three processes up in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
        const loadStreams = (job: StreamsJob) =>
            new Promise<StreamsResult>((resolve) => {
                const onMessage = (m: { streams?: StreamsResult }) => {
                    if (!m.streams) return;
                    loader.off('message', onMessage);
                    resolve(m.streams);
                };
                loader.on('message', onMessage);
                loader.postMessage(job);
            });
        try {
            streams.push(
                ...(await rampStreams({
                    levels,
                    backendUrl: streamsUrl,
                    apiUrl: snet.apiUrl,
                    proxyPid: snet.proxyPid!,
                    body: streamsBody,
                    tokensPerAnswer: STREAM_TOKENS,
                    load: loadStreams,
                    cpuUs: (pid) => procCpuUs(`/proc/${pid}/stat`),
                })),
            );
        } finally {
            await snet.close();
            await streamsBackend.terminate();
        }
    }
    await loader.terminate();
    await backendThreadW.terminate();

    const fig: Record<string, Figures> = {};
    for (const [k, rs] of Object.entries(runs)) {
        const m = merge(rs);
        fig[k] = figures(m);
        if (m.firstError) console.log(`${k}: ${m.errors} errors, first: ${m.firstError}`);
    }
    const ms = (x: number) => x.toFixed(2).padStart(7);
    console.log(
        `\n${'path'.padEnd(26)} ${'req/s'.padStart(8)} | total p50     p90     p99 ms | first byte p50 p90  p99 ms | ` +
            `bytes/resp errors | CPU us/req: all, runners`,
    );
    for (const [k, f] of Object.entries(fig)) {
        const [path, c] = k.split(':');
        const name =
            `${path === 'direct' ? 'direct backend' : path === 'floor' ? 'bare TLS relay (floor)' : `network (${path})`} c=${c}`.padEnd(26);
        console.log(
            `${name} ${f.rps.toFixed(1).padStart(8)} | ${ms(f.p50)} ${ms(f.p90)} ${ms(f.p99)} ` +
                `| ${ms(f.ttfb_p50)} ${ms(f.ttfb_p90)} ${ms(f.ttfb_p99)} ` +
                `| ${String(f.bytes).padStart(9)} ${String(f.errors).padStart(6)} ` +
                `| ${String(f.cpu_us_per_req).padStart(6)} ${String(f.main_thread_cpu_us_per_req).padStart(6)}`,
        );
    }
    // Every point measured is in the result as <path>_c<concurrency>; the comparisons need both levels.
    const result: Record<string, unknown> = {
        chunks: CHUNKS,
        chunk_bytes: BYTES,
        delay_ms: DELAY_MS,
        seconds_per_point: SECONDS * ROUNDS,
        cores: require('os').cpus().length,
    };
    for (const [k, f] of Object.entries(fig)) {
        const [path, c] = k.split(':');
        result[`${path}_c${c}`] = f;
    }
    for (const [k, f] of Object.entries(framesPerRequest))
        console.log(`frames per request (${k}, warm-up included): worker->proxy ${f.worker_to_proxy}, proxy->client ${f.proxy_to_client}`);
    result.frames_per_request = framesPerRequest;
    console.log('');
    for (const mode of modes) {
        const [f1, f30, d1, d30] = [fig[`${mode}:1`], fig[`${mode}:30`], fig['direct:1'], fig['direct:30']];
        if (f1 && d1) {
            const added = f1.p50 - d1.p50;
            const addedTtfb = f1.ttfb_p50 - d1.ttfb_p50;
            console.log(
                `${mode}: added p50 latency c=1 ${added.toFixed(3)} ms (first byte ${addedTtfb.toFixed(3)} ms), ` +
                    `throughput ratio c=1 ${(f1.rps / d1.rps).toFixed(3)}x`,
            );
            Object.assign(result, {
                [`${mode}_added_p50_ms_c1`]: Number(added.toFixed(3)),
                [`${mode}_added_ttfb_p50_ms_c1`]: Number(addedTtfb.toFixed(3)),
                [`${mode}_throughput_ratio_c1`]: Number((f1.rps / d1.rps).toFixed(3)),
            });
        }
        if (f30 && d30) {
            const ratio = f30.rps / d30.rps;
            console.log(`${mode}: added p50 latency c=30 ${(f30.p50 - d30.p50).toFixed(3)} ms, throughput ratio c=30 ${ratio.toFixed(3)}x`);
            Object.assign(result, {
                [`${mode}_added_p50_ms_c30`]: Number((f30.p50 - d30.p50).toFixed(3)),
                [`${mode}_throughput_ratio_c30`]: Number(ratio.toFixed(3)),
            });
        }
    }
    const [p1, p30, fl1, fl30] = [fig['processes:1'], fig['processes:30'], fig['floor:1'], fig['floor:30']];
    if (p30 && fl30) {
        // Runner CPU: the three processes' against the floor's main thread (its only runner).
        const ratio = Number((p30.main_thread_cpu_us_per_req / fl30.main_thread_cpu_us_per_req).toFixed(3));
        result.processes_cpu_ratio_to_floor_c30 = ratio;
        console.log(
            `three processes, c=30: runner CPU ${p30.main_thread_cpu_us_per_req} us/req = ${ratio}x the ` +
                `floor's ${fl30.main_thread_cpu_us_per_req}; ` +
                `target <= ${TARGET_CPU_RATIO_TO_FLOOR_C30}x: ${ratio <= TARGET_CPU_RATIO_TO_FLOOR_C30 ? 'MET' : 'NOT MET'}`,
        );
    }
    if (p1 && fl1) {
        const over = Number((p1.p50 - fl1.p50).toFixed(3));
        result.processes_added_p50_over_floor_ms_c1 = over;
        console.log(
            `three processes, c=1: p50 ${p1.p50} ms = floor + ${over} ms; ` +
                `target <= floor + ${TARGET_ADDED_P50_OVER_FLOOR_MS_C1} ` +
                `ms: ${over <= TARGET_ADDED_P50_OVER_FLOOR_MS_C1 ? 'MET' : 'NOT MET'}`,
        );
    }
    if (streams.length) {
        const passing = streams.filter((l) => l.ok);
        const best = passing.at(-1) ?? null;
        const max = best?.streams ?? 0;
        // Memory per stream: the largest figure over the levels. Each level is measured from the proxy's RSS
        // just before it, and a level reuses the heap the previous one left, so the last level alone can
        // show almost nothing (0.2 KiB at 2,000 in one run); the worst level is the honest bound.
        const top = streams.reduce((a, l) => (l.proxy_rss_kib_per_stream > a.proxy_rss_kib_per_stream ? l : a));
        Object.assign(result, {
            streams_max_concurrency: max,
            streams_cpu_ms_per_1k_tokens: (best ?? top).proxy_cpu_ms_per_1k_tokens,
            streams_rss_kib_per_stream: top.proxy_rss_kib_per_stream,
            streams_levels: streams.map((l) => ({
                streams: l.streams,
                added_gap_p99_ms: l.added_gap_p99_ms,
                direct_gap_p99_ms: l.direct.gap_p99_ms,
                network_gap_p99_ms: l.network.gap_p99_ms,
                errors: l.network.errors,
                proxy_cpu_ms_per_1k_tokens: l.proxy_cpu_ms_per_1k_tokens,
                proxy_rss_kib_per_stream: l.proxy_rss_kib_per_stream,
            })),
        });
        console.log(
            `streams: largest concurrency with added p99 time-between-tokens <= ${STREAMS_TARGET_ADDED_GAP_P99_MS} ms and no ` +
                `errors: ${max}; target >= ${TARGET_STREAMS}: ${max >= TARGET_STREAMS ? 'MET' : 'NOT MET'}`,
        );
        console.log(
            `streams: proxy RSS ${top.proxy_rss_kib_per_stream} KiB per open stream at ${top.streams}; ` +
                `target ` +
                `<= ${TARGET_RSS_KIB_PER_STREAM}: ${top.proxy_rss_kib_per_stream <= TARGET_RSS_KIB_PER_STREAM ? 'MET' : 'NOT MET'}`,
        );
    }
    Object.assign(result, {
        target_processes_cpu_ratio_to_floor_c30: TARGET_CPU_RATIO_TO_FLOOR_C30,
        target_processes_added_p50_over_floor_ms_c1: TARGET_ADDED_P50_OVER_FLOOR_MS_C1,
        target_streams_added_gap_p99_ms: STREAMS_TARGET_ADDED_GAP_P99_MS,
        target_streams_max_concurrency: TARGET_STREAMS,
        target_streams_rss_kib_per_stream: TARGET_RSS_KIB_PER_STREAM,
    });
    console.log(`RESULT ${JSON.stringify(result)}`);
}

if (isMainThread) {
    main().then(
        () => process.exit(0),
        (e) => {
            console.error(e);
            process.exit(1);
        },
    );
} else if (workerData?.role === 'backend') {
    void backendThread(workerData.chunks as number, workerData.bytes as number, workerData.delayMs as number);
} else if (workerData?.role === 'load') {
    loadThread();
}
