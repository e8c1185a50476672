import { RequestValidationError, validateRequest, endpointOf } from '../../../node/worker/validate';

const MODEL = 'cocoon/tiny-stories-1m@abc:def';
const chat = (body: unknown) => validateRequest('/v1/chat/completions', JSON.stringify(body), MODEL);

function rejects(fn: () => unknown, pattern: RegExp, param?: string) {
    let err: unknown;
    try {
        fn();
    } catch (e) {
        err = e;
    }
    expect(err).toBeInstanceOf(RequestValidationError);
    expect((err as Error).message).toMatch(pattern);
    if (param !== undefined) expect((err as RequestValidationError).param).toBe(param);
}

describe('worker request validation', () => {
    const messages = [{ role: 'user', content: 'hi' }];

    it('accepts a whitelisted chat request and reports its budget', () => {
        const r = chat({ model: 'cocoon/tiny-stories-1m', messages, max_tokens: 32, temperature: 0.5 });
        expect(r).toMatchObject({ endpoint: '/v1/chat/completions', stream: false, maxTokens: 32 });
        expect(r.body).toEqual({ model: 'cocoon/tiny-stories-1m', messages, max_tokens: 32, temperature: 0.5 });
    });

    it('forces usage reporting when streaming, also when only stream_options is given', () => {
        expect(chat({ model: MODEL, messages, stream: true }).body.stream_options).toEqual({ include_usage: true });
        const r = chat({ model: MODEL, messages, stream_options: { include_usage: false } });
        expect(r.stream).toBe(true);
        expect(r.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
        expect(chat({ model: MODEL, messages, stream: false }).stream).toBe(false);
    });

    it('rejects unknown options, bad values, missing fields, other models and duplicate keys', () => {
        rejects(() => chat({ model: MODEL, messages, logit_bias: {} }), /unknown option 'logit_bias'/, 'logit_bias');
        rejects(() => chat({ model: MODEL, messages, temperature: 7 }), /'temperature' must be <= 2/, 'temperature');
        rejects(() => chat({ model: MODEL, messages, n: 0 }), /'n' must be an integer from 1 to 128/);
        rejects(() => chat({ model: MODEL }), /'messages' is required/);
        rejects(() => chat({ model: MODEL, messages: [] }), /non-empty array/);
        rejects(() => chat({ model: 'other/model', messages }), /not served by this worker/, 'model');
        rejects(() => chat({ model: MODEL, messages, stream_options: { foo: true } }), /stream_options.foo/);
        rejects(
            () => validateRequest('/v1/chat/completions', `{"model":"${MODEL}","messages":[{"role":"user"}],"model":"x"}`, MODEL),
            /duplicate key 'model'/,
        );
        // Escaped spellings of the same key, keys inside strings and nested objects.
        rejects(
            () => validateRequest('/v1/chat/completions', `{"model":"${MODEL}","messages":[{"role":"user"}], "\\u006dodel" : "x"}`, MODEL),
            /duplicate key 'model'/,
        );
        const nested =
            `{"model":"${MODEL}","messages":[{"role":"user","content":"say \\"model\\": ` +
            `twice \\\\"},{"role":"user","model":1}],"stream":false}`;
        expect(validateRequest('/v1/chat/completions', nested, MODEL).body.stream).toBe(false);
        rejects(() => validateRequest('/v1/chat/completions', '{nope', MODEL), /not valid JSON/);
        rejects(() => validateRequest('/v1/chat/completions', '[1]', MODEL), /JSON object/);
    });

    it.each([
        '__proto__',
        'hasOwnProperty',
        'valueOf',
        'constructor',
        'toString',
        'isPrototypeOf',
        'propertyIsEnumerable',
        '__defineGetter__',
    ])("refuses the Object.prototype key '%s' as an unknown option (never a lookup on the prototype)", (key) => {
        const text = `{"model":"${MODEL}","messages":[{"role":"user","content":"x"}],"${key}":1}`;
        rejects(() => validateRequest('/v1/chat/completions', text, MODEL), new RegExp(`unknown option '${key}'`), key);
        rejects(
            () => validateRequest('/v1/completions', `{"model":"${MODEL}","prompt":"x","${key}":{}}`, MODEL),
            new RegExp(`unknown option '${key}'`),
            key,
        );
        rejects(() => chat({ model: MODEL, messages, stream_options: JSON.parse(`{"${key}":true}`) }), new RegExp(`stream_options.${key}`));
    });

    it('range-checks numbers, nesting depth and the text encoding', () => {
        rejects(
            () => chat({ model: MODEL, messages, max_tokens: 1e12 }),
            /'max_tokens' must be an integer from 1 to 2147483647/,
            'max_tokens',
        );
        rejects(
            () => chat({ model: MODEL, messages, max_completion_tokens: 2 ** 31 }),
            /'max_completion_tokens' must be an integer from 1 to 2147483647/,
            'max_completion_tokens',
        );
        expect(chat({ model: MODEL, messages, max_tokens: 2 ** 31 - 1 }).maxTokens).toBe(2 ** 31 - 1);
        rejects(() => chat({ model: MODEL, messages, n: 1e300 }), /'n' must be an integer from 1 to/, 'n');
        const deep = (d: number) =>
            `{"model":"${MODEL}","messages":[{"role":"user","content":"x"}],"prediction":${'['.repeat(d)}${']'.repeat(d)}}`;
        expect(validateRequest('/v1/chat/completions', deep(60), MODEL).body.prediction).toBeDefined();
        rejects(() => validateRequest('/v1/chat/completions', deep(100_000), MODEL), /nested deeper than 64 levels/, 'prediction');
        const bad = Buffer.concat([
            Buffer.from(`{"model":"${MODEL}","messages":[{"role":"user","content":"`),
            Buffer.from([0xc3, 0x28]),
            Buffer.from('"}]}'),
        ]);
        rejects(() => validateRequest('/v1/chat/completions', bad, MODEL), /not valid UTF-8/);
    });

    it('validates completions and routes only the two inference paths', () => {
        const r = validateRequest(
            'http://worker/v1/completions',
            JSON.stringify({ model: MODEL, prompt: 'Once', max_tokens: 5, seed: 3 }),
            MODEL,
        );
        expect(r).toMatchObject({ endpoint: '/v1/completions', maxTokens: 5 });
        rejects(() => validateRequest('/v1/completions', JSON.stringify({ model: MODEL }), MODEL), /'prompt' is required/);
        expect(endpointOf('/v1/chat/completions?x=1')).toBe('/v1/chat/completions');
        rejects(() => endpointOf('/v1/embeddings'), /unsupported path/);
    });
});
