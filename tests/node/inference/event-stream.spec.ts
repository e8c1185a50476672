import { MessageStream, StreamMessage } from '../../../node/inference/adapter/event-stream';
import { mayCarryFacts, UsageCounter, usageFromBody } from '../../../node/inference/adapter/usage-counter';
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

const CHUNK = (content: string) =>
    JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
const USAGE = {
    prompt_tokens: 53,
    completion_tokens: 3,
    total_tokens: 56,
    prompt_tokens_details: { cached_tokens: 52 },
    completion_tokens_details: { reasoning_tokens: 1 },
};

describe('MessageStream: SSE, NDJSON and JSON at any chunk boundary', () => {
    it('SSE with LF, CRLF and CR line ends, comments, event names and multi-byte characters', () => {
        for (const eol of ['\n', '\r\n', '\r']) {
            const body = [
                ': keep-alive',
                '',
                `data: ${CHUNK('Zoë 🐱')}`,
                '',
                'event: message',
                `data:${CHUNK('b')}`,
                '',
                'data: [DONE]',
                '',
                '',
            ].join(eol);
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
        expect(parseAll([enc('<html>502 Bad Gateway</html>')], 'json')).toEqual([
            { kind: 'invalid', text: '<html>502 Bad Gateway</html>' },
        ]);
    });
});

describe('UsageCounter: the last non-null usage wherever it appears', () => {
    it('usage in a separate choices:[] chunk after "usage": null chunks (OpenAI, vLLM)', () => {
        const body =
            [
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
        const body =
            `data: {"choices":[{"text":"a","finish_reason":null}]}\n\n` +
            `data: {"choices":[{"text":"b","finish_reason":"stop"}],` +
            `"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n` +
            `data: [DONE]\n\n`;
        expect(usageFromBody(body).usage).toEqual({
            promptTokens: 5,
            cachedTokens: 0,
            completionTokens: 2,
            reasoningTokens: 0,
            totalTokens: 7,
        });
    });

    it('a later usage replaces an earlier one; a null usage never erases it', () => {
        const c = new UsageCounter({ format: 'sse' });
        c.push(enc(`data: {"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n`));
        c.push(enc(`data: {"usage":{"prompt_tokens":1,"completion_tokens":9}}\n\ndata: {"usage":null}\n\n`));
        expect(c.end().usage?.completionTokens).toBe(9);
    });

    it('reasoning tokens at the top level of usage, and non-standard number shapes', () => {
        expect(normalizeUsage({ prompt_tokens: 10, completion_tokens: 8, reasoning_tokens: 5 })).toEqual({
            promptTokens: 10,
            cachedTokens: 0,
            completionTokens: 8,
            reasoningTokens: 5,
            totalTokens: 18,
        });
        expect(
            normalizeUsage({
                prompt_tokens: 10,
                completion_tokens: 8,
                prompt_tokens_details: null,
                completion_tokens_details: { reasoning_tokens: null },
            }),
        ).toEqual({ promptTokens: 10, cachedTokens: 0, completionTokens: 8, reasoningTokens: 0, totalTokens: 18 });
        expect(normalizeUsage({ prompt_tokens: -1, completion_tokens: 'x' })).toEqual(null);
        // Cached cannot exceed the prompt, reasoning cannot exceed the completion.
        expect(
            normalizeUsage({ prompt_tokens: 3, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 9 }, reasoning_tokens: 7 }),
        ).toMatchObject({ cachedTokens: 3, reasoningTokens: 2 });
        expect(normalizeUsage(null)).toBeNull();
    });

    it('Ollama native NDJSON: counters on the final done line', () => {
        const body =
            `{"message":{"content":"a"},"done":false}\n` +
            `{"message":{"content":""},"done":true,"done_reason":"stop","prompt_eval_count":26,"eval_count":290}\n`;
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
        const body = JSON.stringify({
            id: 'chatcmpl-1',
            object: 'chat.completion',
            model: 'm',
            choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
            usage: USAGE,
        });
        const r = usageFromBody(body, 'application/json; charset=utf-8');
        expect(r).toMatchObject({ format: 'json', model: 'm', id: 'chatcmpl-1', finishReasons: ['stop'], messages: 1 });
        expect(r.usage?.cachedTokens).toBe(52);
    });
});

describe('UsageCounter: content chunks are counted without parsing them', () => {
    const head = { id: 'chatcmpl-7', object: 'chat.completion.chunk', created: 1, model: 'Qwen/Qwen3-8B' };
    const piece = (content: string, finish: string | null = null) =>
        JSON.stringify({ ...head, choices: [{ index: 0, delta: { content }, finish_reason: finish }] });

    it('MessageStream reports `skipped` only for object-looking text the predicate accepts', () => {
        const s = new MessageStream('sse', { skip: (t) => !t.includes('keep') });
        const out = [
            ...s.push(enc('data: {"a":1}\n\ndata: {"keep":1}\n\ndata: not json\n\nevent: x\ndata: {"b":2}\n\ndata: [DONE]\n\n')),
            ...s.end(),
        ];
        expect(out).toEqual([
            { kind: 'skipped' },
            { kind: 'json', value: { keep: 1 } },
            { kind: 'invalid', text: 'not json' },
            { kind: 'skipped', event: 'x' },
            { kind: 'done' },
        ]);
        const nd = new MessageStream('ndjson', { skip: () => true });
        expect([...nd.push(enc('{"a":1}\n[1,2]\n')), ...nd.end()]).toEqual([{ kind: 'skipped' }, { kind: 'json', value: [1, 2] }]);
    });

    it('mayCarryFacts: only text that surely lacks usage, errors, finish reasons and done counters is skipped', () => {
        expect(mayCarryFacts(piece('hello'))).toBe(false);
        expect(mayCarryFacts(piece('the usage of words'))).toBe(true); // mentioned inside a string: parsed, still correct
        expect(mayCarryFacts(piece('', 'stop'))).toBe(true);
        expect(mayCarryFacts('{"choices":[{"finish_reason": null}]}')).toBe(true); // not the compact form
        expect(mayCarryFacts('{"choices":[{"finish_reason":null},{"finish_reason":"length"}]}')).toBe(true);
        expect(mayCarryFacts('{"choices":[{"finish_reason":null},{"finish_reason":null}]}')).toBe(false);
        expect(mayCarryFacts('{"message":{"content":"a"},"done":false}')).toBe(true);
        expect(mayCarryFacts('{"error":{"message":"x"}}')).toBe(true);
        expect(mayCarryFacts('{"eval_count":3}')).toBe(true);
        // The compact null needs the quote before the name as well.
        expect(mayCarryFacts('{"x":"afinish_reason\\":null"}')).toBe(true);
        expect(mayCarryFacts('finish_reason":null')).toBe(true);
        expect(mayCarryFacts('"finish_reason":nul')).toBe(true);
    });

    it('gives the same report as parsing every message, over random streams cut at random places', () => {
        let seed = 42;
        const rnd = (n: number) => {
            // mulberry32
            seed = (seed + 0x6d2b79f5) | 0;
            let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
            t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
            return ((t ^ (t >>> 14)) >>> 0) % n;
        };
        let malformedSkipped = 0;
        const words = ['a', 'usage', 'error', 'done', 'finish_reason', '{', '}', '"', '\\', 'é', '日本', '\n'];
        for (let round = 0; round < 500; round++) {
            const events: string[] = [];
            const n = 1 + rnd(12);
            for (let i = 0; i < n; i++) {
                const kind = rnd(10);
                const text = Array.from({ length: rnd(5) }, () => words[rnd(words.length)]).join(' ');
                if (kind < 5) events.push(piece(text));
                else if (kind === 5) events.push(piece(text, ['stop', 'length'][rnd(2)]));
                else if (kind === 6)
                    events.push(JSON.stringify({ ...head, choices: [], usage: { prompt_tokens: rnd(99), completion_tokens: rnd(99) } }));
                else if (kind === 7)
                    events.push(
                        JSON.stringify({
                            ...head,
                            model: `m${rnd(3)}`,
                            choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
                        }),
                    );
                else if (kind === 8) events.push(JSON.stringify({ error: { message: text || 'x' } }));
                else if (rnd(2)) events.push('{broken ' + text);
                else events.push(`{"broken": ${text}}`); // object-looking but not JSON
            }
            const ndjson = rnd(2) === 0;
            const body = ndjson ? events.map((e) => e + '\n').join('') : events.map((e) => `data: ${e}\n\n`).join('') + 'data: [DONE]\n\n';
            const bytes = enc(body);
            const cut = rnd(bytes.length + 1);
            const run = (parseEvery: boolean) => {
                const c = new UsageCounter({ format: ndjson ? 'ndjson' : 'sse', parseEvery });
                c.push(bytes.subarray(0, cut));
                c.push(bytes.subarray(cut));
                const r = c.end();
                // `model` follows every parsed message; skipping keeps the first one's (backends repeat it).
                // A skipped message that only looks like an object counts as a message, not as invalid.
                return { ...r, model: undefined, messages: r.messages + r.invalid, invalid: undefined, rawInvalid: r.invalid };
            };
            const fast = run(false);
            const reference = run(true);
            if (fast.rawInvalid !== reference.rawInvalid) malformedSkipped++;
            expect({ ...fast, rawInvalid: 0 }).toEqual({ ...reference, rawInvalid: 0 });
        }
        expect(malformedSkipped).toBeGreaterThan(0); // the generator did produce that case
    });

    it('a 50-chunk stream is parsed only at the first chunk (twice: identity check, then the message) and the usage chunk', () => {
        const parse = jest.spyOn(JSON, 'parse');
        try {
            const body =
                Array.from({ length: 50 }, (_, i) => `data: ${piece(String(i).padStart(128, '0'))}\n\n`).join('') +
                `data: ${JSON.stringify({ ...head, choices: [], usage: USAGE })}\n\ndata: [DONE]\n\n`;
            const r = usageFromBody(body, 'text/event-stream');
            expect(r).toMatchObject({ messages: 51, invalid: 0, sawDone: true, model: 'Qwen/Qwen3-8B', id: 'chatcmpl-7' });
            expect(r.usage?.totalTokens).toBe(56);
            expect(parse).toHaveBeenCalledTimes(3);
        } finally {
            parse.mockRestore();
        }
    });
});

describe('MessageStream: LF-only streams split anywhere', () => {
    it('every cut of an LF-only SSE body yields the same messages', () => {
        const body = `data: ${CHUNK('é日本')}\n\n: comment\ndata: {"x":1}\n\ndata: [DONE]\n\n`;
        const expected = parseAll([enc(body)], 'sse');
        expect(expected).toHaveLength(3);
        for (const chunks of splits(body)) expect(parseAll(chunks, 'sse')).toEqual(expected);
    });
});

describe('MessageStream: UTF-8 split anywhere decodes like TextDecoder', () => {
    /** Valid characters of every length, plus bytes that can never be valid (lone continuations, overlongs, surrogates, > U+10FFFF). */
    const pieces = [
        'a',
        'é',
        '日',
        '😀',
        '\u{10FFFF}',
        '\x80',
        '\xc0\xaf',
        '\xed\xa0\x80',
        '\xf4\x90\x80\x80',
        '\xe6\x97',
        '\xf0\x9f\x98',
        '\xff',
        '\xc3',
    ];
    const bytesOf = (p: string) => (/^[\x00-\x7f]*$|[^\x00-\xff]/.test(p) ? Buffer.from(p, 'utf8') : Buffer.from(p, 'latin1'));

    it('random byte strings inside SSE messages, cut at random places', () => {
        let seed = 7;
        const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
        for (let round = 0; round < 400; round++) {
            const text = Buffer.concat(Array.from({ length: 1 + rnd(30) }, () => bytesOf(pieces[rnd(pieces.length)])));
            const bytes = Buffer.concat([Buffer.from('data: {"t":"'), text, Buffer.from('"}\n\ndata: [DONE]\n\n')]);
            const cuts = Array.from({ length: rnd(6) }, () => rnd(bytes.length + 1)).sort((a, b) => a - b);
            const parts: Buffer[] = [];
            let at = 0;
            for (const c of [...cuts, bytes.length]) {
                parts.push(bytes.subarray(at, c));
                at = c;
            }
            const expected = new TextDecoder().decode(text);
            expect(parseAll(parts, 'sse')).toEqual([{ kind: 'json', value: { t: expected } }, { kind: 'done' }]);
        }
    });
});
