/**
 * Streaming at scale, for `npm run bench -- proxy`: N answers streamed at once, each token 20 ms after the
 * previous one (COCOON's benchmark delay_ms), through the three-process network and directly against the
 * backend at the same N. What the proxy path adds to the time between tokens (p99 over every gap of every
 * stream, network minus direct at the same N) decides the largest N it carries; the proxy process's CPU
 * per 1,000 tokens relayed and its resident memory per open stream are measured at each N.
 */
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface StreamsJob {
    kind: 'streams';
    url: string;
    streams: number;
    body: string;
}

export interface StreamsResult {
    streams: number;
    completed: number;
    errors: number;
    firstError: string | null;
    /** SSE events received in all streams. */
    events: number;
    gap_p50_ms: number;
    gap_p99_ms: number;
    seconds: number;
}

const DATA = 'data: ';

/** Opens `streams` streaming requests at once and times every SSE event of every answer. */
export async function runStreams(job: StreamsJob): Promise<StreamsResult> {
    const agent = new Agent({ keepAlive: false, maxSockets: job.streams });
    const u = new URL(job.url + '/chat/completions');
    const payload = Buffer.from(job.body);
    const gaps: number[] = [];
    const result: StreamsResult = {
        streams: job.streams,
        completed: 0,
        errors: 0,
        firstError: null,
        events: 0,
        gap_p50_ms: NaN,
        gap_p99_ms: NaN,
        seconds: 0,
    };
    const fail = (why: string) => {
        result.errors++;
        result.firstError ??= why;
    };
    const one = () =>
        new Promise<void>((resolve) => {
            let last = -1;
            // The tail of the previous chunk, so a `data: ` split across two chunks is still counted once.
            let carry = '';
            const req = request(
                {
                    host: u.hostname,
                    port: u.port,
                    path: u.pathname,
                    method: 'POST',
                    agent,
                    headers: { 'content-type': 'application/json', 'content-length': payload.length },
                },
                (res) => {
                    if (res.statusCode !== 200) {
                        fail(`HTTP ${res.statusCode}`);
                        res.resume();
                        res.on('end', resolve);
                        return;
                    }
                    res.setEncoding('utf8');
                    res.on('data', (chunk: string) => {
                        const now = performance.now();
                        const text = carry + chunk;
                        let n = 0;
                        for (let i = text.indexOf(DATA); i >= 0; i = text.indexOf(DATA, i + DATA.length)) n++;
                        carry = text.slice(-(DATA.length - 1));
                        for (let k = 0; k < n; k++) {
                            // Events that arrive together: the first waited the whole gap, the others none.
                            if (last >= 0) gaps.push(k === 0 ? now - last : 0);
                            result.events++;
                        }
                        if (n > 0) last = now;
                    });
                    res.on('end', () => {
                        result.completed++;
                        resolve();
                    });
                    res.on('error', (e) => {
                        fail(e.message);
                        resolve();
                    });
                },
            );
            req.on('error', (e) => {
                fail(e.message);
                resolve();
            });
            req.end(payload);
        });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: job.streams }, one));
    result.seconds = (performance.now() - t0) / 1000;
    agent.destroy();
    const sorted = Float64Array.from(gaps).sort();
    const pct = (q: number) =>
        sorted.length ? Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(3)) : NaN;
    result.gap_p50_ms = pct(0.5);
    result.gap_p99_ms = pct(0.99);
    return result;
}

/** Resident memory of a process in KiB (Linux /proc; 0 once it is gone). */
export function rssKib(pid: number): number {
    try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        return m ? Number(m[1]) : 0;
    } catch {
        return 0;
    }
}

export interface StreamsLevel {
    streams: number;
    direct: StreamsResult;
    network: StreamsResult;
    added_gap_p99_ms: number;
    proxy_cpu_ms_per_1k_tokens: number;
    proxy_rss_kib_per_stream: number;
    ok: boolean;
}

export const STREAMS_TARGET_ADDED_GAP_P99_MS = 5;

/**
 * Ramps the number of simultaneous streams; at each level the direct run and the network run alternate.
 * Stops after the first level where more than 5% of the streams fail (the next levels would only fail more).
 */
export async function rampStreams(opts: {
    levels: number[];
    backendUrl: string;
    apiUrl: string;
    proxyPid: number;
    body: string;
    tokensPerAnswer: number;
    load: (job: StreamsJob) => Promise<StreamsResult>;
    cpuUs: (pid: number) => number;
}): Promise<StreamsLevel[]> {
    const out: StreamsLevel[] = [];
    for (const n of opts.levels) {
        const direct = await opts.load({ kind: 'streams', url: opts.backendUrl, streams: n, body: opts.body });
        const idleRss = rssKib(opts.proxyPid);
        let peakRss = idleRss;
        const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssKib(opts.proxyPid))), 100);
        const cpu0 = opts.cpuUs(opts.proxyPid);
        const network = await opts.load({ kind: 'streams', url: opts.apiUrl, streams: n, body: opts.body });
        const cpu1 = opts.cpuUs(opts.proxyPid);
        clearInterval(sampler);
        const tokens = network.completed * opts.tokensPerAnswer;
        const added = Number((network.gap_p99_ms - direct.gap_p99_ms).toFixed(3));
        const level: StreamsLevel = {
            streams: n,
            direct,
            network,
            added_gap_p99_ms: added,
            proxy_cpu_ms_per_1k_tokens: tokens ? Number(((cpu1 - cpu0) / 1000 / (tokens / 1000)).toFixed(3)) : NaN,
            proxy_rss_kib_per_stream: Number(((peakRss - idleRss) / n).toFixed(1)),
            ok: network.errors === 0 && direct.errors === 0 && added <= STREAMS_TARGET_ADDED_GAP_P99_MS,
        };
        out.push(level);
        console.log(
            `streams ${String(n).padStart(5)}: gap p99 direct ${direct.gap_p99_ms.toFixed(2)} ms, ` +
                `network ${network.gap_p99_ms.toFixed(2)} ms (added ${added.toFixed(2)} ms), ` +
                `errors ${network.errors}${network.firstError ? ` (${network.firstError})` : ''}, ` +
                `proxy CPU ${level.proxy_cpu_ms_per_1k_tokens} ms/1k tokens, proxy RSS ${level.proxy_rss_kib_per_stream} ` +
                `KiB/stream: ${level.ok ? 'ok' : 'over'}`,
        );
        if (network.errors > n * 0.05) break;
    }
    return out;
}
