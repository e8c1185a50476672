/**
 * Incremental HTTP/1.1 response parser for the backend client (http1.ts): status line, headers,
 * then a body delimited by chunked transfer coding, Content-Length, or the end of the connection
 * (RFC 9112 section 6.3). Bytes may be split anywhere. Interim 1xx responses are skipped.
 *
 * It hands over the body as one buffer per feed() (every chunk of one socket read together), not one
 * per chunked-encoding segment: a streaming backend sends one segment per token, and per-segment
 * delivery through node:http was most of the worker's cost of reading a response.
 */

export interface ResponseHead {
    status: number;
    reason: string;
    /** "1.1" or "1.0". */
    version: string;
    /** Lower-case names; repeated headers joined with ", ". */
    headers: Record<string, string>;
    /** The server allows another request on this connection after this response. */
    keepAlive: boolean;
}

export interface ParserEvents {
    head(h: ResponseHead): void;
    /** The body bytes of one feed() (at most one call per feed, before complete()). */
    body(chunk: Buffer): void;
    complete(): void;
}

export class HttpParseError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'HttpParseError';
    }
}

const enum State {
    Head,
    Fixed,
    ChunkSize,
    ChunkData,
    ChunkDataEnd,
    Trailers,
    UntilClose,
    Done,
}

const CR = 13;
const LF = 10;
const MAX_LINE = 8 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class ResponseParser {
    private state = State.Head;
    /** Bytes of an unfinished head, chunk-size line or trailer section. */
    private partial: Buffer | null = null;
    private remaining = 0;
    private scanFrom = 0;
    private head: ResponseHead | null = null;
    private readonly ranges: number[] = [];
    /** The size chunkSizeAt() read. */
    private fastSize = 0;

    /**
     * `noBody`: the request was HEAD (the response has headers only).
     * `maxHeaderBytes`: largest head (and trailer section) accepted.
     */
    constructor(
        private readonly events: ParserEvents,
        private readonly opts: { noBody?: boolean; maxHeaderBytes?: number } = {},
    ) {}

    get done(): boolean {
        return this.state === State.Done;
    }

    /** True once the head was read and the body is delimited by the connection's end. */
    get readsUntilClose(): boolean {
        return this.state === State.UntilClose;
    }

    /** Parses `buf`; returns how many bytes of it were left over after the response ended (0 if not ended). */
    feed(buf: Buffer): number {
        if (this.state === State.Done) return buf.length;
        let pos = 0;
        // Body bytes of this feed, as [start, end) ranges of buf, copied out once at the end.
        const ranges = this.ranges;
        ranges.length = 0;
        try {
            while (pos < buf.length && this.state !== State.Done) {
                switch (this.state) {
                    case State.Head: {
                        const data = this.take(buf, pos);
                        const end = this.findHeadEnd(data);
                        if (end < 0) {
                            this.limit(data.length, 'response head');
                            this.partial = data;
                            pos = buf.length;
                            break;
                        }
                        this.limit(end, 'response head');
                        pos = this.consumed(data, end, buf, pos);
                        this.partial = null;
                        this.scanFrom = 0;
                        this.onHead(data.toString('latin1', 0, end));
                        break;
                    }
                    case State.Fixed:
                    case State.ChunkData: {
                        const n = Math.min(this.remaining, buf.length - pos);
                        ranges.push(pos, pos + n);
                        pos += n;
                        this.remaining -= n;
                        if (this.remaining === 0) this.state = this.state === State.Fixed ? State.Done : State.ChunkDataEnd;
                        break;
                    }
                    case State.UntilClose:
                        ranges.push(pos, buf.length);
                        pos = buf.length;
                        break;
                    case State.ChunkSize: {
                        // Fast path: a plain `<hex>CRLF` line inside this buffer, read from the bytes.
                        const fast = this.partial ? -1 : this.chunkSizeAt(buf, pos);
                        let size: number;
                        if (fast >= 0) {
                            size = this.fastSize;
                            pos = fast;
                        } else {
                            const line = this.line(buf, pos);
                            if (!line) {
                                pos = buf.length;
                                break;
                            }
                            pos = line.next;
                            size = chunkSize(line.text);
                        }
                        if (size === 0) {
                            this.state = State.Trailers;
                        } else {
                            this.remaining = size;
                            this.state = State.ChunkData;
                        }
                        break;
                    }
                    case State.ChunkDataEnd: {
                        if (!this.partial && buf[pos] === CR && buf[pos + 1] === LF) {
                            pos += 2;
                            this.state = State.ChunkSize;
                            break;
                        }
                        const line = this.line(buf, pos);
                        if (!line) {
                            pos = buf.length;
                            break;
                        }
                        if (line.text !== '') throw new HttpParseError('chunk data is not followed by CRLF');
                        pos = line.next;
                        this.state = State.ChunkSize;
                        break;
                    }
                    case State.Trailers: {
                        // Trailer fields are read and dropped; an empty line ends the message.
                        const line = this.line(buf, pos);
                        if (!line) {
                            pos = buf.length;
                            break;
                        }
                        pos = line.next;
                        if (line.text === '') this.state = State.Done;
                        break;
                    }
                }
            }
        } finally {
            if (ranges.length) this.events.body(collect(buf, ranges));
        }
        if (this.state === State.Done) {
            this.events.complete();
            return buf.length - pos;
        }
        return 0;
    }

    /** The connection ended: completes a body read until close; anything else unfinished is an error. */
    end(): void {
        if (this.state === State.UntilClose) {
            this.state = State.Done;
            this.events.complete();
            return;
        }
        if (this.state === State.Done) return;
        throw new HttpParseError(
            this.head ? 'the connection closed before the response body ended' : 'the connection closed before a response arrived',
        );
    }

    private onHead(text: string): void {
        const lines = text.split(/\r?\n/);
        const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]);
        if (!m) throw new HttpParseError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0].slice(0, 80))}`);
        const status = Number(m[2]);
        // No prototype: a backend's `constructor:` or `__proto__:` header is a header like any other.
        const headers: Record<string, string> = Object.create(null) as Record<string, string>;
        for (let i = 1; i < lines.length; i++) {
            const l = lines[i];
            if (l === '') continue;
            if (l.charCodeAt(0) === 32 || l.charCodeAt(0) === 9) throw new HttpParseError('folded header lines are not allowed');
            const colon = l.indexOf(':');
            const name = colon > 0 ? l.slice(0, colon).toLowerCase() : '';
            if (!TOKEN.test(name)) throw new HttpParseError(`malformed header line ${JSON.stringify(l.slice(0, 80))}`);
            const value = l.slice(colon + 1).trim();
            headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
        }
        if (status >= 100 && status < 200) {
            if (status === 101) throw new HttpParseError('the server switched protocols (101), which this client does not ask for');
            return; // interim response (100 Continue, 103 Early Hints): the final one follows
        }
        const version = `1.${m[1]}`;
        const connection = (headers.connection ?? '').toLowerCase();
        let keepAlive = version === '1.1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
        const te = headers['transfer-encoding'];
        const cl = headers['content-length'];
        if (this.opts.noBody || status === 204 || status === 304) {
            this.state = State.Done;
        } else if (te !== undefined) {
            const codings = te
                .toLowerCase()
                .split(',')
                .map((s) => s.trim());
            if (codings[codings.length - 1] === 'chunked') {
                this.state = State.ChunkSize;
            } else {
                this.state = State.UntilClose;
                keepAlive = false;
            }
            // Both headers: Transfer-Encoding wins, and the connection must not be reused (RFC 9112 6.3).
            if (cl !== undefined) keepAlive = false;
        } else if (cl !== undefined) {
            const values = cl.split(',').map((s) => s.trim());
            if (!values.every((v) => /^\d{1,15}$/.test(v) && v === values[0]))
                throw new HttpParseError(`invalid Content-Length ${JSON.stringify(cl)}`);
            this.remaining = Number(values[0]);
            this.state = this.remaining === 0 ? State.Done : State.Fixed;
        } else {
            this.state = State.UntilClose;
            keepAlive = false;
        }
        this.head = { status, reason: m[3] ?? '', version, headers, keepAlive };
        this.events.head(this.head);
    }

    /**
     * Reads `<hex digits>CRLF` at buf[pos] into fastSize and returns the position after it; -1 when the
     * line is anything else (extensions, LF only, split across reads), which line() then handles.
     */
    private chunkSizeAt(buf: Buffer, pos: number): number {
        let size = 0;
        let i = pos;
        for (; i < buf.length && i - pos <= 12; i++) {
            const v = hexValue(buf[i]);
            if (v < 0) break;
            size = size * 16 + v;
        }
        if (i === pos || i - pos > 12 || buf[i] !== CR || buf[i + 1] !== LF) return -1;
        this.fastSize = size;
        return i + 2;
    }

    /** partial + buf[pos..] as one buffer (a copy only when a head was split across reads). */
    private take(buf: Buffer, pos: number): Buffer {
        const rest = pos === 0 ? buf : buf.subarray(pos);
        return this.partial ? Buffer.concat([this.partial, rest]) : rest;
    }

    /** Position in buf after the first `used` bytes of data (= partial + buf[pos..]). */
    private consumed(data: Buffer, used: number, buf: Buffer, pos: number): number {
        const fromPartial = data.length - (buf.length - pos);
        return pos + (used - fromPartial);
    }

    /** Index just past the blank line that ends a head (CRLF or LF line ends), or -1. */
    private findHeadEnd(data: Buffer): number {
        let i = data.indexOf(LF, this.scanFrom);
        while (i >= 0) {
            const next = data[i + 1];
            if (next === LF) return i + 2;
            if (next === CR && data[i + 2] === LF) return i + 3;
            if (next === undefined || (next === CR && data.length === i + 2)) break;
            i = data.indexOf(LF, i + 1);
        }
        this.scanFrom = Math.max(0, data.length - 3);
        return -1;
    }

    /** One line (without its CRLF/LF) starting at buf[pos], joined with a partial line; null if incomplete. */
    private line(buf: Buffer, pos: number): { text: string; next: number } | null {
        const lf = buf.indexOf(LF, pos);
        if (lf < 0) {
            const rest = buf.subarray(pos);
            this.partial = this.partial ? Buffer.concat([this.partial, rest]) : Buffer.from(rest);
            this.limit(this.partial.length, this.state === State.Trailers ? 'trailer line' : 'chunk size line', MAX_LINE);
            return null;
        }
        let text = buf.toString('latin1', pos, lf);
        if (this.partial) {
            text = this.partial.toString('latin1') + text;
            this.partial = null;
        }
        if (text.endsWith('\r')) text = text.slice(0, -1);
        this.limit(text.length, 'line', MAX_LINE);
        return { text, next: lf + 1 };
    }

    private limit(n: number, what: string, max = this.opts.maxHeaderBytes ?? 64 * 1024): void {
        if (n > max) throw new HttpParseError(`${what} exceeds ${max} bytes`);
    }
}

/** One buffer holding the bytes of `ranges` (pairs of offsets into buf). */
function collect(buf: Buffer, ranges: number[]): Buffer {
    if (ranges.length === 2) return buf.subarray(ranges[0], ranges[1]);
    let total = 0;
    for (let i = 0; i < ranges.length; i += 2) total += ranges[i + 1] - ranges[i];
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = 0; i < ranges.length; i += 2) at += buf.copy(out, at, ranges[i], ranges[i + 1]);
    return out;
}

function hexValue(c: number): number {
    if (c >= 48 && c <= 57) return c - 48;
    if (c >= 97 && c <= 102) return c - 87;
    if (c >= 65 && c <= 70) return c - 55;
    return -1;
}

function chunkSize(line: string): number {
    const semi = line.indexOf(';');
    const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new HttpParseError(`invalid chunk size line ${JSON.stringify(line.slice(0, 40))}`);
    return parseInt(hex, 16);
}
