import Ajv from 'ajv';
import fc from 'fast-check';
import { InferenceError } from '../../../../node/inference/errors';
import { MatchState, matches } from '../../../../node/inference/structured/matcher';
import { compileSchema, finalizeGrammar, NodeFactory, SchemaNode } from '../../../../node/inference/structured/schema';

const utf8 = new TextEncoder();
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = Record<string, unknown>;

function grammar(schema: unknown): SchemaNode {
    const root = compileSchema(schema, new NodeFactory(), 'response_format.json_schema.schema');
    finalizeGrammar(root, 'response_format.json_schema.schema');
    return root;
}

const ajv = new Ajv({ strict: false });

// Schemas covering the subset: nested objects, optional properties, enums of mixed types, const,
// anyOf with null, integer vs number, bounded arrays, $defs with a recursive $ref, free objects.
const SCHEMAS: [string, Schema][] = [
    [
        'person',
        {
            type: 'object',
            properties: {
                name: { type: 'string' },
                age: { type: 'integer' },
                score: { type: 'number' },
                tags: { type: 'array', items: { enum: ['a', 'b', 1, null] }, maxItems: 3 },
                nick: { anyOf: [{ type: 'string' }, { type: 'null' }] },
                kind: { const: 'human' },
                ok: { type: 'boolean' },
            },
            required: ['name', 'age', 'tags', 'nick', 'kind'],
            additionalProperties: false,
        },
    ],
    [
        'tree ($defs, recursion)',
        {
            $defs: {
                node: {
                    type: 'object',
                    properties: { v: { type: 'integer' }, kids: { type: 'array', items: { $ref: '#/$defs/node' }, maxItems: 2 } },
                    required: ['v', 'kids'],
                    additionalProperties: false,
                },
            },
            $ref: '#/$defs/node',
        },
    ],
    [
        'type list and bounded array',
        {
            type: 'object',
            properties: {
                x: { type: ['string', 'integer', 'null'] },
                pts: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 4 },
            },
            required: ['x', 'pts'],
            additionalProperties: false,
        },
    ],
    ['free object (additionalProperties schema)', { type: 'object', additionalProperties: { type: 'integer' } }],
    ['json_object (any keys, any values)', { type: 'object' }],
];

/** Finite, within the grammar's number form (at most 2 exponent digits, see schema.ts). */
const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }).filter((x) => !/e[+-]?\d{3}/.test(String(x)));
const str = fc.string({ unit: 'grapheme', maxLength: 8 });
const anyJson: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
    v: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        finite,
        str,
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(str, tie('v'), { maxKeys: 3 }),
    ),
})).v;

/** Instances of `s` with keys in schema order (the order the grammar writes), for the subset above. */
function instances(s: Schema, root: Schema, depth = 0): fc.Arbitrary<Json> {
    if (typeof s.$ref === 'string')
        return instances((root.$defs as Record<string, Schema>)[s.$ref.slice('#/$defs/'.length)], root, depth + 1);
    if (Array.isArray(s.anyOf)) return fc.oneof(...(s.anyOf as Schema[]).map((b) => instances(b, root, depth)));
    if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as Json[]));
    if (Object.hasOwn(s, 'const')) return fc.constant(s.const as Json);
    if (Array.isArray(s.type)) return fc.oneof(...(s.type as string[]).map((t) => instances({ ...s, type: t }, root, depth)));
    switch (s.type) {
        case 'string':
            return str;
        case 'integer':
            return fc.integer();
        case 'number':
            return fc.oneof(fc.integer(), finite);
        case 'boolean':
            return fc.boolean();
        case 'null':
            return fc.constant(null);
        case 'array': {
            const max = Math.min(depth > 3 ? 0 : 4, (s.maxItems as number | undefined) ?? 4);
            if (max === 0) return fc.constant([]); // bounds the recursion of the generator itself
            return fc.array(instances(s.items as Schema, root, depth + 1), {
                minLength: Math.min(max, (s.minItems as number | undefined) ?? 0),
                maxLength: max,
            });
        }
        case 'object': {
            const props = (s.properties ?? {}) as Record<string, Schema>;
            const keys = Object.keys(props);
            if (keys.length === 0) {
                const value =
                    s.additionalProperties && typeof s.additionalProperties === 'object'
                        ? instances(s.additionalProperties as Schema, root, depth + 1)
                        : anyJson;
                return fc.dictionary(str, value, { maxKeys: 3 });
            }
            const required = new Set((s.required ?? []) as string[]);
            const parts = keys.map((k) =>
                required.has(k)
                    ? instances(props[k], root, depth + 1).map((v) => [k, v] as const)
                    : fc.option(
                          instances(props[k], root, depth + 1).map((v) => [k, v] as const),
                          { nil: undefined },
                      ),
            );
            return fc.tuple(...parts).map((kv) => Object.fromEntries(kv.filter((e) => e !== undefined)) as Json);
        }
    }
    throw new Error(`no generator for ${JSON.stringify(s)}`);
}

describe('schema compiler: the grammar accepts exactly the valid documents it promises', () => {
    for (const [name, schema] of SCHEMAS) {
        describe(name, () => {
            const root = grammar(schema);
            const validate = ajv.compile(schema);

            it('accepts every valid instance written compactly in schema order (property)', () => {
                fc.assert(
                    fc.property(instances(schema, schema), (v) => {
                        expect(validate(v)).toBe(true);
                        expect(matches(root, utf8.encode(JSON.stringify(v)))).toBe(true);
                    }),
                    { numRuns: 300 },
                );
            });

            it('accepts nothing that is invalid: whatever it accepts, ajv accepts (property)', () => {
                const mutated = instances(schema, schema).chain((v) => {
                    const text = JSON.stringify(v);
                    return fc
                        .tuple(
                            fc.nat({ max: text.length }),
                            fc.nat({ max: text.length }),
                            fc.constantFrom('', '"', '1', '-', '{', '}', ',', 'null', '[]', ':', '.5', 'e9', '\\'),
                        )
                        .map(([a, b, ins]) => text.slice(0, Math.min(a, b)) + ins + text.slice(Math.max(a, b)));
                });
                fc.assert(
                    fc.property(
                        fc.oneof(
                            mutated,
                            anyJson.map((v) => JSON.stringify(v)),
                        ),
                        (text) => {
                            if (!matches(root, utf8.encode(text))) return;
                            expect(validate(JSON.parse(text) as Json)).toBe(true);
                        },
                    ),
                    { numRuns: 500 },
                );
            });

            it('every prefix of a valid document is alive, and its shortest completion is exact and reachable (property)', () => {
                fc.assert(
                    fc.property(instances(schema, schema), (v) => {
                        const bytes = utf8.encode(JSON.stringify(v));
                        let st: MatchState | null = MatchState.start(root);
                        for (let i = 0; i <= bytes.length; i++) {
                            expect(st).not.toBeNull();
                            const m = st!.minRemaining;
                            expect(m).toBeLessThanOrEqual(bytes.length - i);
                            if (m === 0) expect(st!.accepting).toBe(true);
                            else {
                                // Some byte moves one step closer: the bound is achievable, so decoding can always close in time.
                                let closer = false;
                                for (let b = 0; b < 256 && !closer; b++) closer = st!.feed(b)?.minRemaining === m - 1;
                                expect(closer).toBe(true);
                            }
                            if (i < bytes.length) st = st!.feed(bytes[i]);
                        }
                        expect(st!.accepting).toBe(true);
                    }),
                    { numRuns: 60 },
                );
            });
        });
    }

    it('exact values: shortest documents, compact JSON only, schema order, integers without fraction', () => {
        const person = grammar(SCHEMAS[0][1]);
        expect(person.min).toBe('{"name":"","age":0,"tags":[],"nick":"","kind":"human"}'.length);
        const ok = (t: string) => matches(person, utf8.encode(t));
        expect(ok('{"name":"T\\u00e9\\n","age":-30,"tags":["a",1,null],"nick":null,"kind":"human","ok":true}')).toBe(true);
        expect(ok('{"name":"T","age":3,"tags":[],"nick":null,"kind":"human"}')).toBe(true);
        expect(ok('{"name": "T","age":3,"tags":[],"nick":null,"kind":"human"}')).toBe(false); // whitespace
        expect(ok('{"age":3,"name":"T","tags":[],"nick":null,"kind":"human"}')).toBe(false); // order
        expect(ok('{"name":"T","age":3.5,"tags":[],"nick":null,"kind":"human"}')).toBe(false); // integer
        expect(ok('{"name":"T","age":3,"tags":["c"],"nick":null,"kind":"human"}')).toBe(false); // enum
        expect(ok('{"name":"T","age":3,"tags":[1,1,1,1],"nick":null,"kind":"human"}')).toBe(false); // maxItems
        expect(ok('{"name":"T","age":3,"tags":[],"nick":null,"kind":"robot"}')).toBe(false); // const
        expect(ok('{"name":"T","age":3,"tags":[],"nick":null}')).toBe(false); // required
        expect(ok('{"name":"T","age":3,"tags":[],"nick":null,"kind":"human","x":1}')).toBe(false); // undeclared
        expect(ok('{"name":"\u0001","age":3,"tags":[],"nick":null,"kind":"human"}')).toBe(false); // control character
        expect(ok('{"name":"\\x","age":3,"tags":[],"nick":null,"kind":"human"}')).toBe(false); // bad escape
        expect(ok('{"name":"T","age":01,"tags":[],"nick":null,"kind":"human"}')).toBe(false); // leading zero
        // Malformed UTF-8 inside strings: an overlong encoding and a lone surrogate are refused.
        const raw = (mid: number[]) =>
            new Uint8Array([...utf8.encode('{"name":"'), ...mid, ...utf8.encode('","age":1,"tags":[],"nick":null,"kind":"human"}')]);
        expect(matches(person, raw([0xc3, 0xa9]))).toBe(true);
        expect(matches(person, raw([0xc0, 0xaf]))).toBe(false);
        expect(matches(person, raw([0xed, 0xa0, 0x80]))).toBe(false);
    });
});

describe('schema compiler: what it refuses, with the reason and the param', () => {
    const cases: [string, unknown, string][] = [
        ['a string pattern', { type: 'string', pattern: '^a' }, 'the keyword "pattern" at the schema root is not supported'],
        [
            'a string format',
            { type: 'object', properties: { d: { type: 'string', format: 'date' } } },
            'the keyword "format" at #/properties/d is not supported',
        ],
        ['minLength', { type: 'string', minLength: 2 }, '"minLength"'],
        ['number bounds', { type: 'number', minimum: 0 }, '"minimum"'],
        ['multipleOf', { type: 'integer', multipleOf: 2 }, '"multipleOf"'],
        ['allOf', { allOf: [{ type: 'string' }] }, '"allOf"'],
        ['oneOf', { oneOf: [{ type: 'string' }] }, '"oneOf"'],
        ['not', { not: { type: 'string' } }, '"not"'],
        ['if/then', { if: { type: 'string' }, then: { type: 'string' } }, '"if"'],
        ['patternProperties', { type: 'object', patternProperties: { '^a': {} } }, '"patternProperties"'],
        ['uniqueItems', { type: 'array', uniqueItems: true }, '"uniqueItems"'],
        ['prefixItems', { type: 'array', prefixItems: [{ type: 'string' }] }, '"prefixItems"'],
        ['tuple items', { type: 'array', items: [{ type: 'string' }] }, 'tuple form'],
        ['a remote $ref', { $ref: 'https://example.com/s.json' }, 'only local references'],
        ['a $ref to nothing', { $ref: '#/$defs/none' }, 'points to nothing'],
        ['$ref with siblings', { $defs: { a: { type: 'string' } }, $ref: '#/$defs/a', type: 'string' }, 'cannot be combined with type'],
        ['anyOf with siblings', { anyOf: [{ type: 'string' }], type: 'string' }, 'cannot be combined with type'],
        ['false', { type: 'object', properties: { a: false }, required: ['a'] }, 'no value satisfies it'],
        ['an enum with no value of the type', { type: 'string', enum: [1, 2] }, 'no value satisfies it'],
        ['const outside the enum', { enum: ['a'], const: 'b' }, 'not among the enum values'],
        ['minItems above maxItems', { type: 'array', minItems: 3, maxItems: 2 }, 'exceeds maxItems'],
        ['an unknown type', { type: 'date' }, 'is not a JSON Schema type'],
        ['a self-reference through nothing', { $defs: { a: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' }, 'refers to itself'],
        [
            'recursion without a finite instance',
            { $defs: { n: { type: 'object', properties: { n: { $ref: '#/$defs/n' } }, required: ['n'] } }, $ref: '#/$defs/n' },
            'no finite instance',
        ],
        [
            'left recursion through anyOf',
            { $defs: { a: { anyOf: [{ $ref: '#/$defs/a' }, { type: 'null' }] } }, $ref: '#/$defs/a' },
            'consumes no input',
        ],
    ];
    it.each(cases)('refuses %s', (_what, schema, message) => {
        let err: unknown;
        try {
            grammar(schema);
        } catch (e) {
            err = e;
        }
        expect(err).toBeInstanceOf(InferenceError);
        const j = (err as InferenceError).toJSON().error;
        expect({ code: j.code, type: j.type, param: j.param, status: (err as InferenceError).status }).toEqual({
            code: 'unsupported_schema',
            type: 'invalid_request_error',
            param: 'response_format.json_schema.schema',
            status: 400,
        });
        expect(j.message).toContain(message);
    });

    it('a schema whose look-alike anyOf branches nest too deep fails with UNSUPPORTED_SCHEMA instead of exploding', () => {
        // Level k: two identical-looking objects around level k-1; each level doubles the readings of `{"a":{"a":…`.
        const defs: Record<string, unknown> = { L0: { type: 'string' } };
        const level = (k: number) => ({
            type: 'object',
            properties: { a: { $ref: `#/$defs/L${k - 1}` } },
            required: ['a'],
            additionalProperties: false,
        });
        for (let k = 1; k <= 20; k++) defs[`L${k}`] = { anyOf: [level(k), level(k)] };
        const root = grammar({ $defs: defs, $ref: '#/$defs/L20' });
        expect(() => matches(root, utf8.encode('{"a":'.repeat(20) + '""' + '}'.repeat(20)))).toThrow(
            expect.objectContaining({ code: 'UNSUPPORTED_SCHEMA', status: 400 }),
        );
        // Shallow nesting stays within the bound and works.
        const shallow = grammar({ $defs: defs, $ref: '#/$defs/L8' });
        expect(matches(shallow, utf8.encode('{"a":'.repeat(8) + '""' + '}'.repeat(8)))).toBe(true);
    });

    it('ignores annotations (title, description, default, examples, $schema)', () => {
        const root = grammar({
            $schema: 'http://json-schema.org/draft-07/schema#',
            title: 'T',
            description: 'd',
            type: 'object',
            properties: { a: { type: 'string', default: 'x', examples: ['y'] } },
            required: ['a'],
            additionalProperties: false,
        });
        expect(matches(root, utf8.encode('{"a":"z"}'))).toBe(true);
        expect(matches(root, utf8.encode('{}'))).toBe(false);
    });
});
