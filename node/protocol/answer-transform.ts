/**
 * Rewrites each JSON value of an inference answer as it passes a hop: the worker adds the cost fields
 * and encrypts, the client decrypts. Answers come in three shapes and keep theirs:
 *   - a whole JSON body (application/json): held to the end, then rewritten as one value;
 *   - Server-Sent Events (`data: {...}` lines, `data: [DONE]`, blank lines, `event:` lines);
 *   - NDJSON (one JSON value per line, Ollama's native API).
 * In the two line forms only lines that hold a JSON object are rewritten, each as soon as its newline
 * arrives; every other line passes unchanged. Upstream's worker (AnswerPostprocessor) reads the answer
 * as a sequence of JSON values the same way.
 *
 * Lines are split on the byte 0x0a, which never occurs inside a multi-byte UTF-8 sequence, so a chunk
 * boundary in the middle of a character is harmless.
 */
import type { JsonObject } from './e2e/json';

export type AnswerShape = 'whole' | 'lines';

/** `lines` for event streams and NDJSON, `whole` for anything else (a JSON body, or an error text). */
export function answerShape(contentType: string | undefined): AnswerShape {
    const t = (contentType ?? '').toLowerCase();
    return t.includes('text/event-stream') || t.includes('ndjson') || t.includes('jsonl') ? 'lines' : 'whole';
}

const NEWLINE = 0x0a;
const DATA = 'data:';

function parseObject(text: string): JsonObject | undefined {
    const t = text.trim();
    if (!t.startsWith('{')) return undefined;
    try {
        const v: unknown = JSON.parse(t);
        return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;
    } catch {
        return undefined;
    }
}

export class AnswerTransformer {
    private rest: Buffer[] = [];
    private restBytes = 0;

    /**
     * `rewrite` may throw (a tampered ciphertext): the error leaves push/end to the caller; a value it
     * returns unchanged (the same object) keeps its original bytes. `only` skips parsing text that cannot
     * need a rewrite (the worker's cost pass looks only at values that mention usage); it must be a
     * containment test (true for any text containing a text it is true for), as it is also asked about
     * several lines at once. `maxHeld` bounds
     * what is buffered (a whole body, or one line without its newline).
     */
    constructor(
        private readonly shape: AnswerShape,
        private readonly rewrite: (value: JsonObject) => JsonObject,
        private readonly opts: { only?: (text: string) => boolean; maxHeld?: number } = {},
    ) {}

    private get maxHeld(): number {
        return this.opts.maxHeld ?? 64 << 20;
    }

    /** The rewritten text of one JSON value, or undefined when it stays as it was. */
    private rewritten(text: string): string | undefined {
        if (this.opts.only && !this.opts.only(text)) return undefined;
        const v = parseObject(text);
        if (!v) return undefined;
        const out = this.rewrite(v);
        return out === v ? undefined : JSON.stringify(out);
    }

    /** The rewritten bytes that are complete after `chunk` (empty while a whole body is held). */
    push(chunk: Buffer): Buffer {
        this.rest.push(chunk);
        this.restBytes += chunk.length;
        if (this.restBytes > this.maxHeld) throw new RangeError(`answer part longer than ${this.maxHeld} bytes without a line break`);
        if (this.shape === 'whole') return Buffer.alloc(0);
        const held = this.rest.length === 1 ? this.rest[0] : Buffer.concat(this.rest);
        const cut = held.lastIndexOf(NEWLINE);
        if (cut < 0) {
            this.rest = [held];
            return Buffer.alloc(0);
        }
        this.rest = [held.subarray(cut + 1)];
        this.restBytes = this.rest[0].length;
        const complete = held.subarray(0, cut + 1);
        const text = complete.toString('utf8');
        // Most pieces of a stream (one token each) cannot need a rewrite: pass their bytes on untouched
        // instead of splitting, re-joining and re-encoding every line. A line `only` accepts is also
        // accepted within the whole text, so this never skips one.
        if (this.opts.only && !this.opts.only(text)) return complete;
        return Buffer.from(this.lines(text), 'utf8');
    }

    /** What is left at the end of the answer. */
    end(): Buffer {
        const held = Buffer.concat(this.rest);
        this.rest = [];
        this.restBytes = 0;
        if (!held.length) return held;
        const text = held.toString('utf8');
        if (this.shape === 'whole') {
            // Not one JSON object (an error page, NDJSON sent as application/json): line by line.
            if (!parseObject(text)) return Buffer.from(this.lines(text), 'utf8');
            const out = this.rewritten(text);
            return out === undefined ? held : Buffer.from(out, 'utf8');
        }
        return Buffer.from(this.lines(text), 'utf8');
    }

    private lines(text: string): string {
        return text
            .split('\n')
            .map((line) => {
                const sse = line.startsWith(DATA);
                const out = this.rewritten(sse ? line.slice(DATA.length) : line);
                if (out === undefined) return line;
                return `${sse ? 'data: ' : ''}${out}${line.endsWith('\r') ? '\r' : ''}`;
            })
            .join('\n');
    }
}
