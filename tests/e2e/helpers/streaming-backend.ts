/**
 * An OpenAI-compatible backend that generates slowly and reports its usage as it streams (every chunk
 * carries the usage so far, as vLLM's continuous usage stats do): one token per `delayMs`, `max_tokens`
 * tokens per answer, and a record of what it produced and whether its caller aborted. The billing tests
 * compare what the network billed with what this backend produced.
 */
import type { ServerResponse } from 'http';
import { fakeServer, type FakeServer } from '../../node/inference/fake-server';
import { waitFor } from '../../helpers/wait';

export interface StreamRecord {
    stream: boolean;
    maxTokens: number;
    /** Tokens written so far (each chunk's usage reports this many completion tokens). */
    produced: number;
    /** The caller (the worker) closed the connection before the answer ended. */
    aborted: boolean;
    /** Settles when the answer ended or was aborted. */
    settled: Promise<StreamRecord>;
}

export interface StreamingBackend extends FakeServer {
    streams: StreamRecord[];
    /** Resolves with the next completion request's record once it arrives (immediately if `index` already did). */
    stream(index: number): Promise<StreamRecord>;
    /** A dead backend: cuts the answers running now and resets every later completion request's connection. */
    kill(): void;
}

export const STREAM_MODEL = 'cocoon/tiny-stories-1m';

export async function streamingBackend(o: { promptTokens: number; delayMs: number }): Promise<StreamingBackend> {
    const streams: StreamRecord[] = [];
    const waiting = new Map<number, (r: StreamRecord) => void>();
    const live = new Set<ServerResponse>();
    let dead = false;
    const usage = (n: number) => ({ prompt_tokens: o.promptTokens, completion_tokens: n, total_tokens: o.promptTokens + n });
    const server = await fakeServer(async (req, res, body) => {
        if (req.method === 'GET') {
            res.writeHead(200, { 'Content-Type': 'application/json' }).end(
                JSON.stringify({ object: 'list', data: [{ id: STREAM_MODEL, object: 'model' }] }),
            );
            return;
        }
        if (dead) {
            res.socket?.destroy();
            return;
        }
        const parsed = JSON.parse(body) as { stream?: boolean; max_tokens?: number };
        let settle!: (r: StreamRecord) => void;
        const rec: StreamRecord = {
            stream: parsed.stream === true,
            maxTokens: parsed.max_tokens ?? 16,
            produced: 0,
            aborted: false,
            settled: new Promise((r) => (settle = r)),
        };
        streams.push(rec);
        waiting.get(streams.length - 1)?.(rec);
        live.add(res);
        res.on('close', () => {
            live.delete(res);
            if (!res.writableEnded) rec.aborted = true;
            settle(rec);
        });
        const chunk = (delta: Record<string, unknown>, finish: string | null) => {
            const choices = [{ index: 0, delta, finish_reason: finish }];
            const body = { id: 'cmpl-s', object: 'chat.completion.chunk', model: STREAM_MODEL, choices, usage: usage(rec.produced) };
            return `data: ${JSON.stringify(body)}\n\n`;
        };
        if (rec.stream) res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        const text: string[] = [];
        while (rec.produced < rec.maxTokens) {
            await new Promise((r) => setTimeout(r, o.delayMs));
            if (rec.aborted || res.destroyed) return;
            rec.produced++;
            text.push(`t${rec.produced} `);
            if (rec.stream) res.write(chunk({ content: `t${rec.produced} ` }, null));
        }
        if (rec.stream) {
            res.write(chunk({}, 'length'));
            res.end('data: [DONE]\n\n');
        } else {
            res.writeHead(200, { 'Content-Type': 'application/json' }).end(
                JSON.stringify({
                    id: 'cmpl-s',
                    object: 'chat.completion',
                    model: STREAM_MODEL,
                    choices: [{ index: 0, message: { role: 'assistant', content: text.join('') }, finish_reason: 'length' }],
                    usage: usage(rec.produced),
                }),
            );
        }
    });
    return {
        ...server,
        streams,
        stream: (index) => (streams[index] ? Promise.resolve(streams[index]) : new Promise((r) => waiting.set(index, r))),
        kill() {
            dead = true;
            for (const res of live) res.socket?.destroy();
        },
    };
}

/** Reads an answer's body, calling `onText` with the text so far after each chunk; stops at the end or when it returns true. */
export async function readStream(res: Response, onText: (text: string) => boolean | void = () => false): Promise<string> {
    const reader = res.body!.getReader();
    let text = '';
    for (;;) {
        const { value, done } = await reader.read();
        if (done) return text;
        text += Buffer.from(value).toString();
        if (onText(text) === true) return text;
    }
}

/** Polls `f` every 10 ms until it holds; fails naming `what` after `ms`. */
export async function waitUntil(what: string, f: () => boolean, ms = 30_000): Promise<void> {
    await waitFor(f, what, ms);
}
