/** @jest-environment node */
import * as net from 'net';
import {
    FrameDecoder,
    MAX_FRAME_PAYLOAD,
    ProtocolError,
    RpcConnection,
    TL_IDS,
    TlAny,
    TlName,
    connect,
    decode,
    decodeAs,
    encode,
    encodeFrame,
    listen,
} from '../../../node/protocol';
import { sampleObject } from './helpers/samples';

/** Small deterministic PRNG so a failing fuzz case can be replayed from its seed. */
function rng(seed: number) {
    let s = seed >>> 0 || 1;
    return () => {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        return (s >>> 0) / 0x100000000;
    };
}

const frames = (...payloads: Buffer[]) => Buffer.concat(payloads.map((p, i) => encodeFrame(i, p)));

function errorCode(f: () => unknown): string {
    try {
        f();
        return 'none';
    } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        return err.code;
    }
}

describe('FrameDecoder', () => {
    const a = encode({ _: 'tcp.ping', id: 1n });
    const b = encode({ _: 'tcp.packet', data: Buffer.alloc(1000, 7) });

    it('reassembles frames split at every byte boundary', () => {
        const stream = frames(a, b, a);
        const d = new FrameDecoder();
        const out: Buffer[] = [];
        for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)).map((f) => f.payload));
        expect(out).toEqual([a, b, a]);
        expect(d.bufferedBytes).toBe(0);
        expect(d.nextSeqno).toBe(3);
    });

    it('decodes many frames from one chunk', () => {
        const d = new FrameDecoder();
        expect(d.push(frames(a, b, a, b)).map((f) => f.seqno)).toEqual([0, 1, 2, 3]);
    });

    it('rejects a bad length as soon as its 4 bytes arrive', () => {
        const len = (n: number) => {
            const h = Buffer.alloc(4);
            h.writeUInt32LE(n >>> 0);
            return h;
        };
        expect(errorCode(() => new FrameDecoder().push(len(0)))).toBe('FRAME_TOO_SMALL');
        expect(errorCode(() => new FrameDecoder().push(len(3)))).toBe('FRAME_TOO_SMALL');
        expect(errorCode(() => new FrameDecoder().push(len(MAX_FRAME_PAYLOAD + 1)))).toBe('FRAME_TOO_BIG');
        expect(errorCode(() => new FrameDecoder(1024).push(len(1025)))).toBe('FRAME_TOO_BIG');
        expect(errorCode(() => new FrameDecoder().push(len(0xffffffff)))).toBe('FRAME_TOO_BIG');
        expect(errorCode(() => encodeFrame(0, Buffer.alloc(2)))).toBe('FRAME_TOO_SMALL');
    });

    it('rejects a seqno gap or replay', () => {
        const d = new FrameDecoder();
        d.push(encodeFrame(0, a));
        expect(errorCode(() => d.push(encodeFrame(2, a)))).toBe('BAD_SEQNO');
        const e = new FrameDecoder();
        e.push(encodeFrame(0, a));
        expect(errorCode(() => e.push(encodeFrame(0, a)))).toBe('BAD_SEQNO');
    });
});

describe('fuzzing never crashes the decoders', () => {
    it('random byte streams only ever raise ProtocolError', () => {
        const next = rng(12345);
        let frameErrors = 0;
        for (let round = 0; round < 3000; round++) {
            const d = new FrameDecoder(1 << 16);
            const len = Math.floor(next() * 200);
            const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(next() * 256)));
            // Bias some cases towards plausible headers so the TL layer gets exercised too.
            if (round % 2 === 0 && len >= 8) {
                bytes.writeUInt32LE(Math.max(4, len - 8), 0);
                bytes.writeInt32LE(0, 4);
            }
            try {
                for (const f of d.push(bytes)) {
                    try {
                        decodeAs('tcp.Packet', f.payload);
                    } catch (err) {
                        expect(err).toBeInstanceOf(ProtocolError);
                    }
                }
            } catch (err) {
                expect(err).toBeInstanceOf(ProtocolError);
                frameErrors++;
            }
        }
        expect(frameErrors).toBeGreaterThan(0);
    });

    it('mutated and truncated encodings of every constructor only raise ProtocolError', () => {
        const next = rng(777);
        const names = Object.keys(TL_IDS) as TlName[];
        let decoded = 0;
        let rejected = 0;
        for (let round = 0; round < 4000; round++) {
            const name = names[round % names.length];
            const body = encode(sampleObject(name, round, round % 2 === 0) as unknown as TlAny);
            for (let k = 0; k < 3; k++) {
                const i = 4 + Math.floor(next() * (body.length - 4));
                if (i < body.length) body[i] ^= 1 << Math.floor(next() * 8);
            }
            const cut = body.subarray(0, Math.floor(next() * (body.length + 1)));
            for (const candidate of [body, cut]) {
                try {
                    decode(candidate);
                    decoded++;
                } catch (err) {
                    expect(err).toBeInstanceOf(ProtocolError);
                    rejected++;
                }
            }
        }
        expect(rejected).toBeGreaterThan(0);
        expect(decoded).toBeGreaterThan(0);
    });

    it('a server fed garbage closes those connections with a logged reason and keeps serving', async () => {
        const logs: string[] = [];
        const logger = {
            debug() {},
            info() {},
            warn: (msg: string, f?: Record<string, unknown>) => logs.push(`${msg} ${String(f?.code)}`),
            error() {},
            child() {
                return logger;
            },
        };
        const accepted: RpcConnection[] = [];
        const server = await listen({
            port: 0,
            logger,
            connection: { handshakeTimeoutMs: 2000 },
            onConnection: (c) => {
                accepted.push(c);
                c.handle(() => ({ _: 'client.workerTypes', types: [] }));
            },
        });
        const next = rng(99);
        const sendGarbage = (payload: Buffer) =>
            new Promise<void>((resolve) => {
                const s = net.connect(server.port, '127.0.0.1', () => s.write(payload));
                // Not a wait: a guard so a case the server neither answers nor closes cannot hang the test.
                const timer = setTimeout(() => s.destroy(), 1500);
                s.on('error', () => undefined);
                s.on('close', () => {
                    clearTimeout(timer);
                    resolve();
                });
            });
        const cases: Buffer[] = [
            Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
            Buffer.concat([encodeFrame(0, encode({ _: 'tcp.connect', id: 1n })), encodeFrame(5, encode({ _: 'tcp.ping', id: 1n }))]),
            encodeFrame(0, encode({ _: 'tcp.ping', id: 1n })),
            encodeFrame(0, Buffer.from('garbage!')),
            ...Array.from({ length: 12 }, () => Buffer.from(Array.from({ length: 64 }, () => Math.floor(next() * 256)))),
        ];
        await Promise.all(cases.map(sendGarbage));
        expect(logs.some((l) => l.includes('FRAME_TOO_BIG'))).toBe(true);
        expect(logs.some((l) => l.includes('BAD_SEQNO'))).toBe(true);
        expect(logs.some((l) => l.includes('HANDSHAKE'))).toBe(true);
        // Still healthy: a well-behaved client gets served.
        const good = await connect({ host: '127.0.0.1', port: server.port });
        await expect(good.query({ _: 'client.getWorkerTypes' })).resolves.toEqual({ _: 'client.workerTypes', types: [] });
        good.close();
        await server.close();
    });
});
