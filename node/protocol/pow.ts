/**
 * Proof of work before TLS (anti-DoS, as the original router does):
 *   server -> client  cocoon.powSimple#418e1291 difficulty_bits:int salt:int128      (24 bytes)
 *   client -> server  cocoon.powSimpleResponse#01827319 nonce:long                  (12 bytes)
 * Valid when the first 8 bytes of SHA-256(salt || nonce_le64), read as a little-endian uint64, have at
 * least `difficulty_bits` leading zero bits. Clients refuse challenges above their maximum.
 */
import { createHash, randomBytes } from 'crypto';
import type { Socket } from 'net';
import { ProtocolError } from './errors';
import { PowHasher } from './pow-sha256';
import { decodeBare, encode } from './tl/codec';
import { TL_IDS } from './tl/generated';

export const DEFAULT_POW_DIFFICULTY = 20;
export const DEFAULT_MAX_POW_DIFFICULTY = 28;
export const POW_CHALLENGE_SIZE = 24;
export const POW_RESPONSE_SIZE = 12;
/** Difficulty is a bit count over a 64-bit word. */
export const MAX_POW_DIFFICULTY = 64;

export interface PowChallenge {
    difficulty: number;
    salt: Buffer;
}

export function makeChallenge(difficulty: number): PowChallenge {
    checkDifficulty(difficulty, 'difficulty');
    return { difficulty, salt: randomBytes(16) };
}

function checkDifficulty(d: number, what: string): void {
    if (!Number.isInteger(d) || d < 0 || d > MAX_POW_DIFFICULTY) {
        throw new ProtocolError('POW_CONFIG', `PoW ${what} must be an integer within 0..${MAX_POW_DIFFICULTY}, got ${d}`);
    }
}

export function encodeChallenge(c: PowChallenge): Buffer {
    return encode({ _: 'cocoon.powSimple', difficulty_bits: c.difficulty, salt: c.salt });
}

export function decodeChallenge(buf: Buffer): PowChallenge {
    if (buf.length !== POW_CHALLENGE_SIZE || buf.readUInt32LE(0) !== TL_IDS['cocoon.powSimple']) {
        throw new ProtocolError('POW_PROTOCOL', 'peer did not send a cocoon.powSimple challenge (is it a COCOON TLS port?)');
    }
    const c = decodeBare('cocoon.powSimple', buf.subarray(4));
    return { difficulty: c.difficulty_bits, salt: c.salt };
}

export function encodeResponse(nonce: bigint): Buffer {
    return encode({ _: 'cocoon.powSimpleResponse', nonce });
}

export function decodeResponse(buf: Buffer): bigint {
    if (buf.length !== POW_RESPONSE_SIZE || buf.readUInt32LE(0) !== TL_IDS['cocoon.powSimpleResponse']) {
        throw new ProtocolError('POW_PROTOCOL', 'peer did not answer with cocoon.powSimpleResponse');
    }
    return decodeBare('cocoon.powSimpleResponse', buf.subarray(4)).nonce;
}

/** Leading zero bits of the first 8 hash bytes taken as a little-endian uint64 (the C++ rule). */
export function leadingZeroBits(hash: Buffer): number {
    const hi = hash.readUInt32LE(4);
    if (hi !== 0) return Math.clz32(hi);
    return 32 + Math.clz32(hash.readUInt32LE(0));
}

export function checkNonce(c: PowChallenge, nonce: bigint): boolean {
    const data = Buffer.allocUnsafe(24);
    c.salt.copy(data, 0, 0, 16);
    data.writeBigInt64LE(BigInt.asIntN(64, nonce), 16);
    return leadingZeroBits(createHash('sha256').update(data).digest()) >= c.difficulty;
}

/**
 * Finds a nonce, yielding to the event loop every `batch` hashes so a client process stays responsive.
 * Expected work is 2^difficulty hashes.
 */
export async function solve(c: PowChallenge, opts: { batch?: number; signal?: AbortSignal } = {}): Promise<bigint> {
    const batch = opts.batch ?? 200_000;
    const hasher = new PowHasher(c.salt);
    // The nonce counts up from 0 as a uint64 (like the C++ solver), kept as two uint32 halves.
    let lo = 0;
    let hi = 0;
    for (;;) {
        for (let i = 0; i < batch; i++) {
            if (hasher.leadingZeroBits(lo, hi) >= c.difficulty) return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
            lo = (lo + 1) >>> 0;
            if (lo === 0) hi = (hi + 1) >>> 0;
        }
        if (opts.signal?.aborted) throw new ProtocolError('POW_ABORTED', 'PoW solving aborted');
        await new Promise<void>((resolve) => setImmediate(resolve));
    }
}

/**
 * Reads exactly `n` bytes from a socket, then pauses it and puts any surplus back, so the next layer
 * (TLS) sees the stream exactly where the PoW exchange ended.
 */
export function readExactly(socket: Socket, n: number, timeoutMs: number, what: string): Promise<Buffer> {
    if (n === 0) return Promise.resolve(Buffer.alloc(0));
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let got = 0;
        const cleanup = () => {
            clearTimeout(timer);
            socket.off('data', onData);
            socket.off('error', onError);
            socket.off('close', onClose);
        };
        const onData = (chunk: Buffer) => {
            chunks.push(chunk);
            got += chunk.length;
            if (got < n) return;
            cleanup();
            socket.pause();
            const all = Buffer.concat(chunks);
            if (all.length > n) socket.unshift(all.subarray(n));
            resolve(all.subarray(0, n));
        };
        const onError = (err: Error) => {
            cleanup();
            reject(new ProtocolError('POW_PROTOCOL', `${what}: socket error: ${err.message}`, err));
        };
        const onClose = () => {
            cleanup();
            reject(new ProtocolError('CLOSED', `${what}: connection closed after ${got} of ${n} bytes`));
        };
        const timer = setTimeout(() => {
            cleanup();
            reject(new ProtocolError('TIMEOUT', `${what}: no ${n}-byte message within ${timeoutMs} ms`));
        }, timeoutMs);
        socket.on('data', onData);
        socket.on('error', onError);
        socket.on('close', onClose);
        socket.resume();
    });
}

/** Server side: challenge the freshly accepted socket and verify the answer. */
export async function powServer(socket: Socket, difficulty: number, timeoutMs = 30_000): Promise<void> {
    const challenge = makeChallenge(difficulty);
    socket.write(encodeChallenge(challenge));
    const nonce = decodeResponse(await readExactly(socket, POW_RESPONSE_SIZE, timeoutMs, 'PoW response'));
    if (!checkNonce(challenge, nonce)) {
        throw new ProtocolError('POW_FAILED', `PoW verification failed for nonce ${nonce} at difficulty ${difficulty}`);
    }
}

/** Client side: read the challenge, refuse it above `maxDifficulty`, solve and answer. */
export async function powClient(socket: Socket, maxDifficulty: number, timeoutMs = 30_000): Promise<{ difficulty: number; nonce: bigint }> {
    checkDifficulty(maxDifficulty, 'maxDifficulty');
    const challenge = decodeChallenge(await readExactly(socket, POW_CHALLENGE_SIZE, timeoutMs, 'PoW challenge'));
    if (challenge.difficulty > maxDifficulty || challenge.difficulty < 0) {
        throw new ProtocolError(
            'POW_TOO_HARD',
            `server requested PoW difficulty ${challenge.difficulty}, which exceeds the client maximum ${maxDifficulty}`,
        );
    }
    const nonce = await solve(challenge);
    socket.write(encodeResponse(nonce));
    return { difficulty: challenge.difficulty, nonce };
}
