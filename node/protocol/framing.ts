/**
 * COCOON packet framing: `[len:u32 LE][seqno:i32 LE][payload:len bytes]`, 4 <= len <= 16 MiB,
 * per-direction seqno starting at 0 and growing by exactly 1. Any violation is fatal for the
 * connection (the C++ nodes treat it as a protocol violation too).
 */
import { ProtocolError } from './errors';

export const MIN_FRAME_PAYLOAD = 4;
export const MAX_FRAME_PAYLOAD = 1 << 24;
export const FRAME_HEADER_SIZE = 8;

export interface Frame {
    seqno: number;
    payload: Buffer;
}

export function encodeFrame(seqno: number, payload: Uint8Array, maxPayload = MAX_FRAME_PAYLOAD): Buffer {
    checkLength(payload.length, maxPayload);
    const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + payload.length);
    out.writeUInt32LE(payload.length, 0);
    out.writeInt32LE(seqno | 0, 4);
    out.set(payload, FRAME_HEADER_SIZE);
    return out;
}

function checkLength(len: number, maxPayload: number): void {
    if (len < MIN_FRAME_PAYLOAD) {
        throw new ProtocolError('FRAME_TOO_SMALL', `frame payload of ${len} bytes is below the minimum of ${MIN_FRAME_PAYLOAD}`);
    }
    if (len > maxPayload) {
        throw new ProtocolError('FRAME_TOO_BIG', `frame payload of ${len} bytes exceeds the limit of ${maxPayload}`);
    }
}

/**
 * Incremental decoder: feed it socket chunks, get whole frames back. The length is checked as soon
 * as its 4 bytes arrive, so a hostile peer cannot make us buffer more than one maximal frame.
 */
export class FrameDecoder {
    private chunks: Buffer[] = [];
    private buffered = 0;
    private pendingLen = -1;
    private expectedSeqno = 0;

    constructor(private readonly maxPayload = MAX_FRAME_PAYLOAD) {
        if (maxPayload < MIN_FRAME_PAYLOAD || maxPayload > MAX_FRAME_PAYLOAD) {
            throw new ProtocolError('FRAME_TOO_BIG', `maxPayload must be within ${MIN_FRAME_PAYLOAD}..${MAX_FRAME_PAYLOAD}`);
        }
    }

    /** Bytes received but not yet returned as frames. */
    get bufferedBytes(): number {
        return this.buffered;
    }

    get nextSeqno(): number {
        return this.expectedSeqno;
    }

    push(chunk: Buffer): Frame[] {
        if (chunk.length > 0) {
            this.chunks.push(chunk);
            this.buffered += chunk.length;
        }
        const frames: Frame[] = [];
        for (;;) {
            if (this.pendingLen < 0) {
                if (this.buffered < 4) break;
                const len = this.take(4).readUInt32LE(0);
                checkLength(len, this.maxPayload);
                this.pendingLen = len;
            }
            if (this.buffered < this.pendingLen + 4) break;
            const seqno = this.take(4).readInt32LE(0);
            if (seqno !== this.expectedSeqno) {
                throw new ProtocolError('BAD_SEQNO', `bad seqno: expected ${this.expectedSeqno}, got ${seqno}`);
            }
            this.expectedSeqno = (this.expectedSeqno + 1) | 0;
            frames.push({ seqno, payload: this.take(this.pendingLen) });
            this.pendingLen = -1;
        }
        return frames;
    }

    private take(n: number): Buffer {
        const first = this.chunks[0];
        let out: Buffer;
        if (first.length >= n) {
            out = first.subarray(0, n);
            if (first.length === n) this.chunks.shift();
            else this.chunks[0] = first.subarray(n);
        } else {
            out = Buffer.allocUnsafe(n);
            let off = 0;
            while (off < n) {
                const c = this.chunks[0];
                const k = Math.min(c.length, n - off);
                c.copy(out, off, 0, k);
                off += k;
                if (k === c.length) this.chunks.shift();
                else this.chunks[0] = c.subarray(k);
            }
        }
        this.buffered -= n;
        return out;
    }
}
