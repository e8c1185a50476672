/**
 * Benchmark dispatcher: `npm run bench -- <name> [args]` runs tests/bench/<file> for that name.
 * Each benchmark prints its figures and ends with one `RESULT {json}` line.
 */
import path from 'node:path';

const BENCHES: Record<string, { file: string; about: string }> = {
    protocol: { file: 'protocol.ts', about: 'TL+framing msgs/s over loopback plaintext vs RA-TLS, query rate, handshake and PoW time' },
    inference: {
        file: 'inference.ts',
        about:
            'embedded engine decode/prefill tok/s (SIMD vs scalar), HTTP/SSE generation, adapter overhead per chunk, ' +
            'decode with vs without a JSON-schema constraint',
    },
    explorer: {
        file: 'explorer.ts',
        about: 'explorer: p50/p95 latency of the API calls behind each page over 100k transactions, first contentful paint',
    },
    chain: {
        file: 'chain.ts',
        about: 'local chain: transfers/s through HTTP sendBoc (v2) and /send (v4) vs in-process, page latency p50/p95',
    },
    proxy: {
        file: 'proxy.ts',
        about:
            'client API -> proxy -> worker -> fake backend (50 SSE chunks) vs the backend directly and vs a bare TLS relay of the ' +
            'same shape: req/s, p50/p90/p99, added latency, c=1 and c=30',
    },
    'gas-registry': {
        file: 'gas-registry.ts',
        about: 'CocoonRegistry gas and fees per operation (register, update, pause, resume, retire, withdraw), kept in gas-registry.json',
    },
    indexer: { file: 'indexer.ts', about: 'indexer decode+store rate on PGlite and PostgreSQL, 100k backfill time, head lag' },
};

async function main(): Promise<void> {
    const [name, ...args] = process.argv.slice(2);
    if (!name || name === '--help' || name === '-h' || !BENCHES[name]) {
        const list = Object.entries(BENCHES)
            .map(([n, b]) => `  ${n.padEnd(12)} ${b.about}`)
            .join('\n');
        console.log(`Usage: npm run bench -- <name> [args]\n\nBenchmarks:\n${list}`);
        process.exit(name && name !== '--help' && name !== '-h' ? 2 : 0);
    }
    process.argv = [process.argv[0], path.join(__dirname, BENCHES[name].file), ...args];
    require(path.join(__dirname, BENCHES[name].file));
}

void main();
