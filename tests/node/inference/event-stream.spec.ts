import { MessageStream, StreamMessage } from '../../../node/inference/adapter/event-stream';
import { UsageCounter, usageFromBody } from '../../../node/inference/adapter/usage-counter';
import { normalizeUsage } from '../../../node/inference/usage';

const enc = (s: string) => new TextEncoder().encode(s);

/** Feed `body` split at every possible position into two chunks, plus byte by byte. */
function splits(body: string): Uint8Array[][] {
    const bytes = enc(body);
    const out: Uint8Array[][] = [Array.from(bytes, (b) => Uint8Array.of(b))];
    for (let i = 0; i <= bytes.length; i += Math.max(1, Math.floor(bytes.length / 40))) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
    return out;
}

function parseAll(chunks: Uint8Array[], format?: 'sse' | 'ndjson' | 'json'): StreamMessage[] {
    const s = new MessageStream(format);
    return [...chunks.flatMap((c) => s.push(c)), ...s.end()];
}

const CHUNK = (content: string) => JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
const USAGE = { prompt_tokens: 53, completion_tokens: 3, total_tokens: 56, prompt_tokens_details: { cached_tokens: 52 }, completion_tokens_details: { reasoning_tokens: 1 } };

describe('MessageStream: SSE, NDJSON and JSON at any chunk boundary', () => {
    it('SSE with LF, CRLF and CR line ends, comments, event names and multi-byte characters', () => {
        for (const eol of ['\n', '\r\n', '\r']) {
            const body = [': keep-alive', '', `data: ${CHUNK('Zoë 🐱')}`, '', 'event: message', `data:${CHUNK('b')}`, '', 'data: [DONE]', '', ''].join(eol);
            for (const chunks of splits(body)) {
                const msgs = parseAll(chunks);
                expect(msgs).toEqual([
                    { kind: 'json', value: JSON.parse(CHUNK('Zoë 🐱')) },
                    { kind: 'json', value: JSON.parse(CHUNK('b')), event: 'message' },
                    { kind: 'done' },
                ]);
            }
        }
    });

    it('multi-line data fields are joined with a newline, as the SSE spec says', () => {
        const msgs = parseAll([enc('data: {"a":\ndata: 1}\n\n')], 'sse');
        expect(msgs).toEqual([{ kind: 'json', value: { a: 1 } }]);
    });

    it('tolerates servers that separate events with a single newline, and a missing final blank line', () => {
        const msgs = parseAll([enc(`data: ${CHUNK('a')}\ndata: ${CHUNK('b')}\ndata: [DONE]`)], 'sse');
        expect(msgs.map((m) => m.kind)).toEqual(['json', 'json', 'done']);
    });

    it('NDJSON (sniffed and declared) and a pretty-printed JSON body (sniffed)', () => {
        const nd = `{"a":1}\n{"b":2}\r\n\n{"c":3}\n`;
        for (const chunks of splits(nd)) {
            expect(parseAll(chunks).map((m) => (m as { value: unknown }).value)).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
            expect(parseAll(chunks, 'ndjson')).toHaveLength(3);
        }
        const pretty = JSON.stringify({ usage: USAGE, choices: [] }, null, 2);
        for (const chunks of splits(pretty)) expect(parseAll(chunks)).toEqual([{ kind: 'json', value: { usage: USAGE, choices: [] } }]);
    });

    it('reports garbage as invalid instead of throwing', () => {
        expect(parseAll([enc('data: {not json\n\n')])).toEqual([{ kind: 'invalid', text: '{not json' }]);
        expect(parseAll([enc('<html>502 Bad Gateway</html>')], 'json')).toEqual([{ kind: 'invalid', text: '<html>502 Bad Gateway</html>' }]);
    });
});

describe('UsageCounter: the last non-null usage wherever it appears', () => {
    it('usage in a separate choices:[] chunk after "usage": null chunks (OpenAI, vLLM)', () => {
        const body = [
            `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }], usage: null })}`,
            `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }], usage: null })}`,
            `data: ${JSON.stringify({ choices: [], usage: USAGE })}`,
            'data: [DONE]',
        ].join('\n\n') + '\n\n';
        const r = usageFromBody(body, 'text/event-stream');
        expect(r.usage).toEqual({ promptTokens: 53, cachedTokens: 52, completionTokens: 3, reasoningTokens: 1, totalTokens: 56 });
        expect(r).toMatchObject({ sawDone: true, finishReasons: ['length'], messages: 3, invalid: 0, error: null, format: 'sse' });
    });

    it('usage on the last text chunk (llama-server /v1/completions) with missing details', () => {
        const body = `data: {"choices":[{"text":"a","finish_reason":null}]}\n\ndata: {"choices":[{"text":"b","finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\ndata: [DONE]\n\n`;
        expect(usageFromBody(body).usage).toEqual({ promptTokens: 5, cachedTokens: 0, completionTokens: 2, reasoningTokens: 0, totalTokens: 7 });
    });

    it('a later usage replaces an earlier one; a null usage never erases it', () => {
        const c = new UsageCounter({ format: 'sse' });
        c.push(enc(`data: {"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n`));
        c.push(enc(`data: {"usage":{"prompt_tokens":1,"completion_tokens":9}}\n\ndata: {"usage":null}\n\n`));
        expect(c.end().usage?.completionTokens).toBe(9);
    });

    it('reasoning tokens at the top level of usage, and non-standard number shapes', () => {
        expect(normalizeUsage({ prompt_tokens: 10, completion_tokens: 8, reasoning_tokens: 5 })).toEqual(
            { promptTokens: 10, cachedTokens: 0, completionTokens: 8, reasoningTokens: 5, totalTokens: 18 });
        expect(normalizeUsage({ prompt_tokens: 10, completion_tokens: 8, prompt_tokens_details: null, completion_tokens_details: { reasoning_tokens: null } }))
            .toEqual({ promptTokens: 10, cachedTokens: 0, completionTokens: 8, reasoningTokens: 0, totalTokens: 18 });
        expect(normalizeUsage({ prompt_tokens: -1, completion_tokens: 'x' })).toEqual(null);
        // Cached cannot exceed the prompt, reasoning cannot exceed the completion.
        expect(normalizeUsage({ prompt_tokens: 3, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 9 }, reasoning_tokens: 7 }))
            .toMatchObject({ cachedTokens: 3, reasoningTokens: 2 });
        expect(normalizeUsage(null)).toBeNull();
    });

    it('Ollama native NDJSON: counters on the final done line', () => {
        const body = `{"message":{"content":"a"},"done":false}\n{"message":{"content":""},"done":true,"done_reason":"stop","prompt_eval_count":26,"eval_count":290}\n`;
        const r = usageFromBody(body, 'application/x-ndjson');
        expect(r.usage).toEqual({ promptTokens: 26, cachedTokens: 0, completionTokens: 290, reasoningTokens: 0, totalTokens: 316 });
        expect(r.finishReasons).toEqual(['stop']);
    });

    it('an error object mid-stream is recorded, and usage before it is kept', () => {
        const body = `data: ${CHUNK('a')}\n\ndata: {"error":{"message":"CUDA out of memory","type":"server_error","code":500}}\n\n`;
        const r = usageFromBody(body, 'text/event-stream');
        expect(r.error).toEqual({ message: 'CUDA out of memory', type: 'server_error', code: 500 });
        expect(r.usage).toBeNull();
        const named = usageFromBody(`event: error\ndata: {"message":"overloaded"}\n\n`, 'text/event-stream');
        expect(named.error?.message).toBe('overloaded');
    });

    it('a non-streaming JSON response', () => {
        const body = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: USAGE });
        const r = usageFromBody(body, 'application/json; charset=utf-8');
        expect(r).toMatchObject({ format: 'json', model: 'm', id: 'chatcmpl-1', finishReasons: ['stop'], messages: 1 });
        expect(r.usage?.cachedTokens).toBe(52);
    });
});
