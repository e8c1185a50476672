/**
 * Protocol benchmark: `npm run bench -- protocol [--messages N] [--payload BYTES] [--queries N] [--pow BITS]`
 * - TL codec alone (encode+decode of a streamed answer piece), as the in-process ceiling;
 * - one-way messages/s through framing + TL over loopback, plaintext TCP (baseline) vs TLS 1.3 RA-TLS;
 * - query round trips/s (64 in flight) over RA-TLS;
 * - connection set-up time: TCP + PoW(0) + TLS 1.3 + RA-TLS (fake) + tcp.connect, and PoW solve time.
 * Ends with one `RESULT {json}` line.
 */
import { performance } from 'perf_hooks';
import { RaTlsContext, fakePolicy, fakeProvider } from '../../node/attestation';
import { RpcConnection, RpcServer, connect, decode, encode, listen, makeChallenge, solvePow } from '../../node/protocol';
import type { TlAny } from '../../node/protocol';

function arg(name: string, def: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : def;
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log('Usage: npm run bench -- protocol [--messages 200000] [--payload 256] [--queries 50000] [--pow 20]');
    process.exit(0);
}

const MESSAGES = arg('messages', 200_000);
const PAYLOAD = arg('payload', 256);
const QUERIES = arg('queries', 50_000);
const POW_BITS = arg('pow', 20);

const piece = (i: number): TlAny => ({
    _: 'proxy.queryAnswerPartEx',
    request_id: Buffer.alloc(32, i & 0xff),
    answer: Buffer.alloc(PAYLOAD, 0x61),
    flags: 0,
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function codecRate(): number {
    const n = Math.min(MESSAGES, 200_000);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) decode(encode(piece(i)));
    return n / ((performance.now() - t0) / 1000);
}

async function pairOver(tls: RaTlsContext | undefined): Promise<{ server: RpcServer; client: RpcConnection; accepted: RpcConnection }> {
    let onAccepted!: (c: RpcConnection) => void;
    const acceptedP = new Promise<RpcConnection>((r) => (onAccepted = r));
    const server = await listen({ port: 0, tls, pow: tls ? { difficulty: 0 } : false, onConnection: onAccepted });
    const client = await connect({ host: '127.0.0.1', port: server.port, tls, pow: tls ? { maxDifficulty: 28 } : false });
    return { server, client, accepted: await acceptedP };
}

async function oneWayRate(tls: RaTlsContext | undefined): Promise<{ msgsPerSec: number; mbPerSec: number }> {
    const { server, client, accepted } = await pairOver(tls);
    let got = 0;
    const done = new Promise<void>((resolve) =>
        accepted.on('packet', () => {
            if (++got === MESSAGES) resolve();
        }),
    );
    const t0 = performance.now();
    for (let i = 0; i < MESSAGES; i++) {
        client.send(piece(i));
        // Pace the sender on the socket's drain so we measure throughput, not buffering.
        if (client.tcp.sendBuffered > 4 * 1024 * 1024) await client.tcp.drain();
    }
    await done;
    const secs = (performance.now() - t0) / 1000;
    const bytes = client.tcp.stats.bytesOut;
    client.close();
    await server.close();
    return { msgsPerSec: MESSAGES / secs, mbPerSec: bytes / secs / 1e6 };
}

async function queryRate(tls: RaTlsContext): Promise<number> {
    const { server, client, accepted } = await pairOver(tls);
    accepted.handle((fn) => ({
        _: 'client.paymentStatus',
        signed_payment: { _: 'proxy.signedPaymentEmpty' },
        db_tokens: 1n,
        max_tokens: fn._ === 'client.updatePaymentStatus' ? 2n : 0n,
    }));
    const inFlight = 64;
    let issued = 0;
    const t0 = performance.now();
    await Promise.all(
        Array.from({ length: inFlight }, async () => {
            while (issued < QUERIES) {
                issued++;
                await client.query({ _: 'client.updatePaymentStatus' });
            }
        }),
    );
    const rate = QUERIES / ((performance.now() - t0) / 1000);
    client.close();
    await server.close();
    return rate;
}

async function handshakeMs(serverCtx: RaTlsContext, clientCtx: RaTlsContext | undefined, rounds: number): Promise<number> {
    const server = await listen({
        port: 0,
        tls: clientCtx ? serverCtx : undefined,
        pow: clientCtx ? { difficulty: 0 } : false,
        onConnection: () => undefined,
    });
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
        const t0 = performance.now();
        const c = await connect({ host: '127.0.0.1', port: server.port, tls: clientCtx, pow: clientCtx ? { maxDifficulty: 28 } : false });
        times.push(performance.now() - t0);
        c.close();
    }
    await server.close();
    return median(times);
}

async function main(): Promise<void> {
    const serverCtx = await RaTlsContext.create({ provider: fakeProvider, policy: fakePolicy(), autoRotate: false });
    const clientCtx = await RaTlsContext.create({ provider: fakeProvider, policy: fakePolicy(), autoRotate: false });

    const codec = codecRate();
    console.log(`TL codec (encode+decode, ${PAYLOAD} B answer piece): ${Math.round(codec).toLocaleString()} msg/s`);
    const plain = await oneWayRate(undefined);
    console.log(
        `one-way over plaintext TCP (baseline): ${Math.round(plain.msgsPerSec).toLocaleString()} msg/s, ${plain.mbPerSec.toFixed(1)} MB/s`,
    );
    const secure = await oneWayRate(clientCtx);
    console.log(
        `one-way over TLS 1.3 RA-TLS:           ${Math.round(secure.msgsPerSec).toLocaleString()} ` +
            `msg/s, ${secure.mbPerSec.toFixed(1)} MB/s (${((secure.msgsPerSec / plain.msgsPerSec) * 100).toFixed(0)}% of plaintext)`,
    );
    const queries = await queryRate(clientCtx);
    console.log(`query round trips over RA-TLS (64 in flight): ${Math.round(queries).toLocaleString()} /s`);
    const plainHs = await handshakeMs(serverCtx, undefined, 30);
    const tlsHs = await handshakeMs(serverCtx, clientCtx, 30);
    console.log(`connection set-up (median of 30): plaintext ${plainHs.toFixed(2)} ms, PoW(0)+TLS 1.3+RA-TLS(fake) ${tlsHs.toFixed(2)} ms`);
    const powTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await solvePow(makeChallenge(POW_BITS));
        powTimes.push(performance.now() - t0);
    }
    const pow = median(powTimes);
    console.log(`PoW solve at difficulty ${POW_BITS} (median of 5): ${pow.toFixed(0)} ms`);
    serverCtx.close();
    clientCtx.close();

    const result = {
        bench: 'protocol',
        messages: MESSAGES,
        payload_bytes: PAYLOAD,
        codec_msgs_per_s: Math.round(codec),
        plaintext_msgs_per_s: Math.round(plain.msgsPerSec),
        tls_msgs_per_s: Math.round(secure.msgsPerSec),
        tls_mb_per_s: Number(secure.mbPerSec.toFixed(1)),
        tls_vs_plaintext: Number((secure.msgsPerSec / plain.msgsPerSec).toFixed(3)),
        tls_queries_per_s: Math.round(queries),
        handshake_plaintext_ms: Number(plainHs.toFixed(2)),
        handshake_ratls_ms: Number(tlsHs.toFixed(2)),
        pow_difficulty: POW_BITS,
        pow_solve_ms: Math.round(pow),
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
