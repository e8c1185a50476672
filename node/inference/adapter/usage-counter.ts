/**
 * Reads billing facts out of any OpenAI-compatible response body as its bytes pass by, without
 * changing or holding them: the last non-null `usage` seen in any message (a separate `choices: []`
 * chunk, the last text chunk, or a non-streaming body), finish reasons, in-band errors, and whether
 * the stream ended with `[DONE]`. Works on SSE, NDJSON and JSON (see event-stream.ts).
 *
 * Most messages of a stream are plain text deltas that carry none of those facts; after the first one
 * that names the response (id, model) they are counted without JSON.parse when their text cannot hold a usage,
 * an error, a finish reason or Ollama's done counters (`mayCarryFacts`). That parse was most of the
 * worker's per-chunk cost. A message that does mention one of them is parsed as before.
 */
import { BodyFormat, formatFromContentType, MessageStream, StreamMessage } from './event-stream';
import { TokenUsage, usageOfMessage } from '../usage';

export interface BackendErrorInfo {
    message: string;
    type?: string;
    code?: string | number | null;
}

export interface UsageReport {
    usage: TokenUsage | null;
    format: BodyFormat | undefined;
    /** Parsed JSON messages (chunks, lines, or 1 for a plain JSON body). */
    messages: number;
    /** Data that was not JSON. */
    invalid: number;
    sawDone: boolean;
    finishReasons: string[];
    /** An error object the server sent in the body (in-band, e.g. mid-stream). */
    error: BackendErrorInfo | null;
    model?: string;
    id?: string;
}

export class UsageCounter {
    private readonly stream: MessageStream;
    private readonly report: UsageReport;
    private ended = false;

    /** `parseEvery`: JSON.parse every message (the reference the skipping is tested against). */
    constructor(opts: { format?: BodyFormat; contentType?: string | null; parseEvery?: boolean } = {}) {
        const format = opts.format ?? formatFromContentType(opts.contentType);
        // Messages are parsed until one names the response (a string id or model); that one is parsed
        // here once more by the stream. Later ones keep that identity: backends repeat it in every chunk.
        // (Parsing only the first one is not enough: an error or malformed first message names nothing.)
        let identified = false;
        const skip = (text: string, event: string | undefined): boolean => {
            if (event === 'error' || mayCarryFacts(text)) return false;
            if (identified) return true;
            identified = namesResponse(text);
            return false;
        };
        this.stream = new MessageStream(format, { skip: opts.parseEvery ? undefined : skip });
        this.report = { usage: null, format, messages: 0, invalid: 0, sawDone: false, finishReasons: [], error: null };
    }

    push(chunk: Uint8Array): void {
        this.take(this.stream.push(chunk));
    }

    end(): UsageReport {
        if (!this.ended) {
            this.ended = true;
            this.take(this.stream.end());
            this.report.format = this.report.format ?? this.stream.detectedFormat;
        }
        return this.result();
    }

    /** The report so far (usage is the latest non-null one seen). */
    result(): UsageReport {
        return { ...this.report, finishReasons: [...this.report.finishReasons] };
    }

    get usage(): TokenUsage | null {
        return this.report.usage;
    }

    private take(msgs: StreamMessage[]): void {
        for (const m of msgs) {
            if (m.kind === 'done') {
                this.report.sawDone = true;
                continue;
            }
            if (m.kind === 'invalid') {
                this.report.invalid++;
                continue;
            }
            this.report.messages++;
            if (m.kind === 'skipped') continue;
            const v = m.value as Record<string, unknown> | null;
            const usage = usageOfMessage(v);
            if (usage) this.report.usage = usage;
            if (!v || typeof v !== 'object') continue;
            if (typeof v.model === 'string') this.report.model = v.model;
            if (typeof v.id === 'string') this.report.id = v.id;
            const err = v.error ?? (m.event === 'error' ? v : undefined);
            if (err !== undefined && err !== null) this.report.error = errorInfo(err);
            if (Array.isArray(v.choices)) {
                for (const c of v.choices as Record<string, unknown>[]) {
                    if (c && typeof c.finish_reason === 'string') this.report.finishReasons.push(c.finish_reason);
                }
            }
            if (v.done === true && typeof v.done_reason === 'string') this.report.finishReasons.push(v.done_reason);
        }
    }
}

/**
 * Any of the fact keys anywhere, or a `finish_reason` that is not the compact `"finish_reason":null`.
 * One regular expression: about 3x faster than a scan per key (the per-call cost dominated, not the text).
 */
const MAY_CARRY_FACTS = /usage|error|done|eval_count|(?<!")finish_reason|finish_reason(?!":null)/;

/**
 * False only when the text surely holds none of the fields the report reads: none of `usage`, `error`,
 * `done`, `eval_count` appears anywhere in it (inside a string or not), and every `finish_reason` is
 * the compact `"finish_reason":null`.
 */
export function mayCarryFacts(text: string): boolean {
    return MAY_CARRY_FACTS.test(text);
}

function namesResponse(text: string): boolean {
    try {
        const v = JSON.parse(text) as Record<string, unknown> | null;
        return !!v && typeof v === 'object' && (typeof v.id === 'string' || typeof v.model === 'string');
    } catch {
        return false;
    }
}

function errorInfo(err: unknown): BackendErrorInfo {
    if (typeof err === 'string') return { message: err };
    const e = err as Record<string, unknown>;
    return {
        message: typeof e.message === 'string' ? e.message : JSON.stringify(err),
        type: typeof e.type === 'string' ? e.type : undefined,
        code: typeof e.code === 'string' || typeof e.code === 'number' ? e.code : null,
    };
}

/** One-shot: the usage report of a complete body. */
export function usageFromBody(body: Uint8Array | string, contentType?: string | null): UsageReport {
    const c = new UsageCounter({ contentType });
    c.push(typeof body === 'string' ? new TextEncoder().encode(body) : body);
    return c.end();
}
