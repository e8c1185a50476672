/** @jest-environment node */
import * as net from 'net';
import { createHash, randomBytes } from 'crypto';
import { once } from 'events';
import { fakePolicy, fakeProvider, RaTlsContext } from '../../../node/attestation';
import {
    ProtocolError,
    RpcServer,
    checkNonce,
    connect,
    encode,
    leadingZeroBits,
    listen,
    makeChallenge,
    solvePow,
} from '../../../node/protocol';
import { decodeChallenge } from '../../../node/protocol/pow';
import { PowHasher } from '../../../node/protocol/pow-sha256';

let server: RpcServer | undefined;
afterEach(async () => {
    await server?.close();
    server = undefined;
});

describe('PoW', () => {
    it('counts leading zero bits of the first 8 hash bytes as a little-endian uint64', () => {
        const h = Buffer.alloc(32, 0xff);
        h.fill(0, 0, 8);
        expect(leadingZeroBits(h)).toBe(64);
        h[7] = 0x01; // most significant byte of the LE word
        expect(leadingZeroBits(h)).toBe(7);
        h[7] = 0;
        h[0] = 0x80; // least significant byte
        expect(leadingZeroBits(h)).toBe(56);
    });

    it('solves and verifies challenges (SHA-256(salt || nonce_le64))', async () => {
        const c = makeChallenge(12);
        const nonce = await solvePow(c);
        expect(checkNonce(c, nonce)).toBe(true);
        const data = Buffer.concat([c.salt, Buffer.alloc(8)]);
        data.writeBigInt64LE(nonce, 16);
        expect(leadingZeroBits(createHash('sha256').update(data).digest())).toBeGreaterThanOrEqual(12);
        // A nonce that fails (search a few for one) is rejected.
        let bad = nonce + 1n;
        while (checkNonce(c, bad)) bad++;
        expect(checkNonce(c, bad)).toBe(false);
    });

    it('client refuses a challenge above its maximum', async () => {
        const tlsCtx = await RaTlsContext.create({ provider: fakeProvider, policy: fakePolicy(), autoRotate: false });
        server = await listen({ port: 0, tls: tlsCtx, pow: { difficulty: 30 }, onConnection: () => undefined });
        const err = (await connect({ host: '127.0.0.1', port: server.port, tls: tlsCtx, pow: { maxDifficulty: 28 } }).catch(
            (e: unknown) => e,
        )) as ProtocolError;
        expect(err.code).toBe('POW_TOO_HARD');
        tlsCtx.close();
    });

    it('server closes the connection on a wrong nonce, before any TLS', async () => {
        const rejected: string[] = [];
        server = await listen({
            port: 0,
            pow: { difficulty: 16 },
            onConnection: () => undefined,
            onReject: (e) => rejected.push((e as ProtocolError).code),
        });
        const sock = net.connect(server.port, '127.0.0.1');
        const [chunk] = (await once(sock, 'data')) as [Buffer];
        const challenge = decodeChallenge(chunk);
        expect(challenge.difficulty).toBe(16);
        let nonce = 0n;
        while (checkNonce(challenge, nonce)) nonce++;
        sock.write(encode({ _: 'cocoon.powSimpleResponse', nonce }));
        await once(sock, 'close');
        expect(rejected).toEqual(['POW_FAILED']);
    });

    it('plaintext servers can demand PoW too, and a solving client gets through', async () => {
        server = await listen({
            port: 0,
            pow: { difficulty: 10 },
            onConnection: (c) => c.handle(() => ({ _: 'client.workerTypes', types: [] })),
        });
        const c = await connect({ host: '127.0.0.1', port: server.port, pow: { maxDifficulty: 28 } });
        await expect(c.query({ _: 'client.getWorkerTypes' })).resolves.toEqual({ _: 'client.workerTypes', types: [] });
        c.close();
    });
});

describe('PoW single-block SHA-256', () => {
    it('agrees with node:crypto on random salts and nonces', () => {
        for (let i = 0; i < 500; i++) {
            const salt = randomBytes(16);
            const lo = randomBytes(4).readUInt32LE(0);
            const hi = randomBytes(4).readUInt32LE(0);
            const msg = Buffer.concat([salt, Buffer.alloc(8)]);
            msg.writeUInt32LE(lo, 16);
            msg.writeUInt32LE(hi, 20);
            const ref = createHash('sha256').update(msg).digest();
            const h = new PowHasher(salt);
            expect(h.prefix(lo, hi)).toEqual(ref.subarray(0, 8));
            expect(h.leadingZeroBits(lo, hi)).toBe(leadingZeroBits(ref));
        }
    });
});
