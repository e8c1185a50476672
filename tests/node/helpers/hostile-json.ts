/**
 * fast-check arbitraries for hostile request bodies, shared by the client API and worker validator
 * property tests: prototype names as keys, numbers past every range, deep nesting, wrong types,
 * duplicate keys and bytes that are not UTF-8, mixed into otherwise plausible chat requests.
 */
import fc from 'fast-check';

export const PROTOTYPE_KEYS = [
    '__proto__',
    'constructor',
    'toString',
    'valueOf',
    'hasOwnProperty',
    'isPrototypeOf',
    'propertyIsEnumerable',
    'toLocaleString',
    '__defineGetter__',
    '__lookupSetter__',
];
const FIELDS = [
    'model',
    'messages',
    'max_tokens',
    'max_completion_tokens',
    'timeout',
    'max_coefficient',
    'enable_debug',
    'request_guid',
    'stream',
    'stream_options',
    'temperature',
    'top_p',
    'n',
    'stop',
    'prompt',
];

const hugeNumber = fc.constantFrom('1e12', '2147483648', '-1', '0', '1e308', '1e999', '-0', '1e-300', '9007199254740993', '2.5', '3000000');

/** Nesting past any sane limit, as raw JSON text (JSON.stringify of such a value would overflow first). */
const deep = fc
    .integer({ min: 30, max: 5000 })
    .chain((d) => fc.constantFrom(`${'['.repeat(d)}${']'.repeat(d)}`, `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`));

/** One JSON value as text. */
export const hostileValue: fc.Arbitrary<string> = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    hugeNumber,
    deep,
    fc.constantFrom(
        'null',
        'true',
        '"cocoon/tiny-stories-1m"',
        '[{"role":"user","content":"x"}]',
        '{"include_usage":false}',
        '{"__proto__":{"x":1}}',
        '"\\u0000"',
    ),
);

const key = fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.constantFrom(...FIELDS), fc.string({ maxLength: 12 }));

/** A request body as bytes: a JSON object of hostile entries, sometimes with invalid UTF-8 or cut short. */
export const hostileBody: fc.Arbitrary<Buffer> = fc
    .record({
        model: fc.constantFrom('"cocoon/tiny-stories-1m"', '"nobody/else"', '"constructor"', '5', null),
        messages: fc.constantFrom('[{"role":"user","content":"x"}]', '[]', '"x"', null),
        extra: fc.array(fc.tuple(key, hostileValue), { maxLength: 4 }),
        damage: fc.constantFrom('none', 'none', 'none', 'bad-utf8', 'truncate', 'top-array'),
    })
    .map(({ model, messages, extra, damage }) => {
        const entries: string[] = [];
        if (model !== null) entries.push(`"model":${model}`);
        if (messages !== null) entries.push(`"messages":${messages}`);
        for (const [k, v] of extra) entries.push(`${JSON.stringify(k)}:${v}`);
        const text = damage === 'top-array' ? `[${entries.map((e) => `{${e}}`).join(',')}]` : `{${entries.join(',')}}`;
        const bytes = Buffer.from(text);
        if (damage === 'bad-utf8') return Buffer.concat([bytes.subarray(0, 1), Buffer.from([0xc3, 0x28, 0xff]), bytes.subarray(1)]);
        if (damage === 'truncate') return bytes.subarray(0, Math.max(1, bytes.length - 2));
        return bytes;
    });
