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

    private readonly mention: Buffer | undefined;

    /**
     * `rewrite` may throw (a tampered ciphertext): the error leaves push/end to the caller; a value it
     * returns unchanged (the same object) keeps its original bytes. With `mention`, only the lines (or the
     * whole body) whose bytes contain that ASCII text are decoded and handed to `rewrite`; every other
     * byte passes on as it came (the worker's cost pass looks only at values that mention usage: one line
     * of a stream). `maxHeld` bounds what is buffered (a whole body, or one line without its newline).
     */
    constructor(
        private readonly shape: AnswerShape,
        private readonly rewrite: (value: JsonObject) => JsonObject,
        private readonly opts: { mention?: string; maxHeld?: number } = {},
    ) {
        if (opts.mention !== undefined && !/^[\x20-\x7e]+$/.test(opts.mention))
            throw new RangeError('mention must be printable ASCII: a byte search must find what a text search finds');
        this.mention = opts.mention === undefined ? undefined : Buffer.from(opts.mention, 'latin1');
    }

    private get maxHeld(): number {
        return this.opts.maxHeld ?? 64 << 20;
    }

    /** The rewritten text of one JSON value, or undefined when it stays as it was. */
    private rewritten(text: string): string | undefined {
        if (this.opts.mention !== undefined && !text.includes(this.opts.mention)) return undefined;
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
        if (this.mention) return this.mentioning(complete, this.mention);
        return Buffer.from(this.lines(complete.toString('utf8')), 'utf8');
    }

    /**
     * Complete lines where only those containing `mention` are rewritten: the others keep their bytes,
     * never decoded and re-encoded (a whole answer's 50 token lines and one usage line cost one byte
     * search, not a 16 KB decode, split, join and encode; invalid UTF-8 in them stays as it came).
     */
    private mentioning(complete: Buffer, mention: Buffer): Buffer {
        let at = complete.indexOf(mention);
        if (at < 0) return complete;
        const parts: Buffer[] = [];
        let from = 0;
        while (at >= 0) {
            const start = at === 0 ? 0 : complete.lastIndexOf(NEWLINE, at - 1) + 1;
            const end = complete.indexOf(NEWLINE, at); // a complete piece ends with one
            parts.push(complete.subarray(from, start), Buffer.from(this.lines(complete.subarray(start, end).toString('utf8')), 'utf8'));
            from = end;
            at = complete.indexOf(mention, end);
        }
        parts.push(complete.subarray(from));
        return Buffer.concat(parts);
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
