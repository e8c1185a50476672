/**
 * Incremental parser for the three body formats OpenAI-compatible servers answer with:
 * - SSE (`text/event-stream`): `data:` lines, a blank line ends an event, `:` comments, `event:` names,
 *   `data: [DONE]` as the end marker. CRLF, CR and LF line ends are all accepted;
 * - NDJSON (`application/x-ndjson`, Ollama's native API): one JSON value per line;
 * - JSON (a non-streaming response): one value for the whole body.
 * Bytes may be split anywhere, including inside a UTF-8 character or a CRLF pair.
 *
 * Leniency, on purpose: servers that separate SSE events with a single newline (so that several
 * `data:` lines pile into one event) are handled by retrying line by line when the joined data is not
 * JSON. When the format is unknown it is sniffed from the first bytes.
 */
import { StringDecoder } from 'string_decoder';

export type BodyFormat = 'sse' | 'ndjson' | 'json';

export type StreamMessage =
    | { kind: 'json'; value: unknown; event?: string }
    /** A JSON-looking message the `skip` option said needs no parsing (see MessageStreamOptions). */
    | { kind: 'skipped'; event?: string }
    | { kind: 'done' }
    | { kind: 'invalid'; text: string };

export interface MessageStreamOptions {
    /** Largest plain-JSON body kept in memory (default 32 MiB). */
    maxJsonBytes?: number;
    /**
     * SSE and NDJSON only: a message whose text this returns true for (and that looks like one JSON
     * object, `{...}`) is reported as `skipped` without being parsed. Lets a reader that needs a few
     * fields skip JSON.parse for the many messages that cannot carry them.
     */
    skip?: (text: string, event: string | undefined) => boolean;
}

export function formatFromContentType(contentType: string | undefined | null): BodyFormat | undefined {
    const ct = (contentType ?? '').toLowerCase();
    if (ct.includes('text/event-stream')) return 'sse';
    if (ct.includes('ndjson') || ct.includes('jsonl') || ct.includes('json-seq')) return 'ndjson';
    if (ct.includes('json')) return 'json';
    return undefined;
}

export class MessageStream {
    private format: BodyFormat | 'sniff-json' | undefined;
    private buf = '';
    // StringDecoder rather than TextDecoder's stream mode: the same text (invalid bytes become U+FFFD,
    // a character split between chunks waits for its end), several times faster per chunk.
    private readonly decoder = new StringDecoder('utf8');
    private dataLines: string[] = [];
    private eventName: string | undefined;
    /** Whole body kept while sniffing JSON vs NDJSON, or for plain JSON. */
    private whole = '';
    private sniffedLines: StreamMessage[] = [];

    private readonly maxJsonBytes: number;
    private readonly skip: MessageStreamOptions['skip'];

    constructor(format?: BodyFormat, opts: MessageStreamOptions = {}) {
        this.format = format;
        this.maxJsonBytes = opts.maxJsonBytes ?? 32 << 20;
        this.skip = opts.skip;
    }

    get detectedFormat(): BodyFormat | undefined {
        return this.format === 'sniff-json' ? undefined : this.format;
    }

    push(chunk: Uint8Array): StreamMessage[] {
        return this.feed(
            this.decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
            false,
        );
    }

    end(): StreamMessage[] {
        return this.feed(this.decoder.end(), true);
    }

    private feed(text: string, final: boolean): StreamMessage[] {
        if (this.format === undefined) {
            const probe = (this.buf + text).trimStart();
            if (!probe.length && !final) {
                this.buf += text;
                return [];
            }
            this.format = probe.startsWith('{') || probe.startsWith('[') ? 'sniff-json' : 'sse';
        }
        if (this.format === 'json') {
            if (this.whole.length < this.maxJsonBytes) this.whole += text;
            return final ? [parseJson(this.whole)] : [];
        }
        if (this.format === 'sniff-json') {
            if (this.whole.length < this.maxJsonBytes) this.whole += text;
            const lines = this.lines(text, final);
            for (const l of lines) if (l.trim()) this.sniffedLines.push(parseJson(l));
            if (!final) {
                // Decide as soon as two complete lines parse: that is NDJSON, emit from now on.
                const valid = this.sniffedLines.filter((m) => m.kind === 'json').length;
                if (valid >= 2 && this.sniffedLines.every((m) => m.kind === 'json')) {
                    this.format = 'ndjson';
                    this.whole = '';
                    const out = this.sniffedLines;
                    this.sniffedLines = [];
                    return out;
                }
                return [];
            }
            if (this.sniffedLines.length && this.sniffedLines.every((m) => m.kind === 'json')) return this.sniffedLines;
            // Not line-delimited: a single (possibly pretty-printed) JSON document.
            this.format = 'json';
            return [parseJson(this.whole)];
        }
        const lines = this.lines(text, final);
        const out: StreamMessage[] = [];
        if (this.format === 'ndjson') {
            for (const l of lines) if (l.trim()) out.push(this.message(l, undefined));
            return out;
        }
        for (const line of lines) {
            if (line === '') {
                this.dispatch(out);
                continue;
            }
            // The common line first: `data: <value>`.
            if (line.charCodeAt(0) === 100 && line.startsWith('data:')) {
                this.dataLines.push(line.slice(line.charCodeAt(5) === 32 ? 6 : 5));
                continue;
            }
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            let value = colon < 0 ? '' : line.slice(colon + 1);
            if (value.startsWith(' ')) value = value.slice(1);
            if (field === 'data') this.dataLines.push(value);
            else if (field === 'event') this.eventName = value;
            else if (colon < 0 && (line.trimStart().startsWith('{') || line.trim() === '[DONE]')) this.dataLines.push(line.trim());
        }
        if (final) this.dispatch(out);
        return out;
    }

    /** Complete lines from the buffer; a trailing CR waits, since LF may follow in the next chunk. */
    private lines(text: string, final: boolean): string[] {
        this.buf += text;
        const out: string[] = [];
        let start = 0;
        const b = this.buf;
        if (b.indexOf('\r') < 0) {
            // LF-only (nearly every server): indexOf finds the line ends far faster than a per-character scan.
            for (let i = b.indexOf('\n'); i >= 0; i = b.indexOf('\n', start)) {
                out.push(b.slice(start, i));
                start = i + 1;
            }
        } else {
            for (let i = 0; i < b.length; i++) {
                const c = b.charCodeAt(i);
                if (c === 10 || c === 13) {
                    if (c === 13 && i + 1 === b.length && !final) break;
                    out.push(b.slice(start, i));
                    if (c === 13 && b.charCodeAt(i + 1) === 10) i++;
                    start = i + 1;
                }
            }
        }
        this.buf = b.slice(start);
        if (final && this.buf.length) {
            out.push(this.buf);
            this.buf = '';
        }
        return out;
    }

    private dispatch(out: StreamMessage[]): void {
        if (!this.dataLines.length) {
            this.eventName = undefined;
            return;
        }
        const data = this.dataLines.length === 1 ? this.dataLines[0] : this.dataLines.join('\n');
        const event = this.eventName;
        const lines = this.dataLines;
        this.dataLines = [];
        this.eventName = undefined;
        // Joined multi-line data is parsed: whether it splits into several messages depends on the result.
        const one = this.data(data, event, lines.length === 1);
        if (one.kind !== 'invalid' || lines.length === 1) {
            out.push(one);
            return;
        }
        for (const l of lines) out.push(this.data(l, event, true));
    }

    private data(data: string, event: string | undefined, maySkip: boolean): StreamMessage {
        if (data.length < 64 && data.trim() === '[DONE]') return { kind: 'done' };
        return this.message(data, event, maySkip);
    }

    private message(text: string, event: string | undefined, maySkip = true): StreamMessage {
        if (maySkip && this.skip && looksLikeObject(text) && this.skip(text, event))
            return event === undefined ? { kind: 'skipped' } : { kind: 'skipped', event };
        const m = parseJson(text);
        if (m.kind === 'json' && event !== undefined) return { ...m, event };
        return m;
    }
}

function looksLikeObject(text: string): boolean {
    // `{ ... }` with JSON whitespace around it, found without allocating a trimmed copy.
    let a = 0;
    let b = text.length - 1;
    while (a <= b && isJsonSpace(text.charCodeAt(a))) a++;
    while (b > a && isJsonSpace(text.charCodeAt(b))) b--;
    return b > a && text.charCodeAt(a) === 123 && text.charCodeAt(b) === 125;
}

function isJsonSpace(c: number): boolean {
    return c === 32 || c === 10 || c === 13 || c === 9;
}

function parseJson(text: string): StreamMessage {
    try {
        return { kind: 'json', value: JSON.parse(text) };
    } catch {
        return { kind: 'invalid', text: text.length > 200 ? text.slice(0, 200) + '…' : text };
    }
}
