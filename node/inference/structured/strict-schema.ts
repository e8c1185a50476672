/**
 * OpenAI's rules for `strict: true` schemas (structured outputs and strict function calling), as its
 * "Supported schemas" guide states them:
 * - the root is an object schema (`type: "object"`, not `anyOf`);
 * - every object sets `additionalProperties: false` and lists every property in `required` (optional
 *   fields are written as a union with null);
 * - keywords: type (string, number, integer, boolean, object, array, null, or a list), properties,
 *   required, additionalProperties, items, enum, const, anyOf, $ref, $defs/definitions, description,
 *   title, $schema, $id, $comment; string `pattern` and `format` (date-time, time, date, duration, email,
 *   hostname, ipv4, ipv6, uuid); number `multipleOf`, `minimum`, `maximum`, `exclusiveMinimum`,
 *   `exclusiveMaximum`; array `minItems`, `maxItems`. Anything else is "not permitted";
 * - limits: at most 5000 object properties in total, 10 levels of object nesting, 1000 enum values in
 *   total, 120,000 characters of property names, definition names, enum and const values, and 15,000
 *   characters of string values for an enum with more than 250 of them.
 * Messages follow OpenAI's: "Invalid schema for response_format 'x': In context=('properties', 'a'), …".
 */
import { InferenceError, invalidRequest } from '../errors';

const KEYWORDS = new Set([
    'type',
    'properties',
    'required',
    'additionalProperties',
    'items',
    'enum',
    'const',
    'anyOf',
    '$ref',
    '$defs',
    'definitions',
    'description',
    'title',
    '$schema',
    '$id',
    '$comment',
    'pattern',
    'format',
    'multipleOf',
    'minimum',
    'maximum',
    'exclusiveMinimum',
    'exclusiveMaximum',
    'minItems',
    'maxItems',
]);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);
export const STRICT_LIMITS = { properties: 5000, nesting: 10, enumValues: 1000, stringChars: 120_000, bigEnumChars: 15_000, bigEnum: 250 };

function isObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `what`: "response_format 'name'" or "function 'name'"; `param`: the request field. */
export function checkStrictSchema(schema: unknown, what: string, param: string): void {
    const totals = { properties: 0, enumValues: 0, chars: 0 };
    const err = (ctx: string[], msg: string): InferenceError =>
        invalidRequest(
            `Invalid schema for ${what}: In context=(${ctx.map((c) => `'${c}'`).join(', ')}), ${msg}`,
            param,
            'INVALID_JSON_SCHEMA',
        );

    if (!isObject(schema)) throw err([], 'schema must be a JSON Schema object.');
    if (schema.type !== 'object' || Object.hasOwn(schema, 'anyOf')) {
        throw err(
            [],
            `schema must be a JSON Schema of 'type: "object"', ` +
                `got 'type: ${JSON.stringify(schema.type ?? null)}'${Object.hasOwn(schema, 'anyOf') ? " with 'anyOf'" : ''}.`,
        );
    }

    const resolves = (ref: string): boolean => {
        if (ref === '#') return true;
        if (!ref.startsWith('#/')) return false;
        let cur: unknown = schema;
        for (const raw of ref.slice(2).split('/')) {
            const p = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
            if (!isObject(cur) || !Object.hasOwn(cur, p)) return false;
            cur = cur[p];
        }
        return true;
    };

    const walk = (s: unknown, ctx: string[], depth: number): void => {
        if (!isObject(s)) throw err(ctx, 'schema must be a JSON Schema object.');
        for (const k of Object.keys(s)) if (!KEYWORDS.has(k)) throw err(ctx, `'${k}' is not permitted.`);
        for (const defs of ['$defs', 'definitions']) {
            const d = s[defs];
            if (d === undefined) continue;
            if (!isObject(d)) throw err(ctx, `'${defs}' must be an object of schemas.`);
            for (const [name, sub] of Object.entries(d)) {
                totals.chars += name.length;
                walk(sub, [...ctx, defs, name], depth);
            }
        }
        if (Object.hasOwn(s, '$ref')) {
            if (typeof s.$ref !== 'string' || !resolves(s.$ref))
                throw err(ctx, `'$ref' ${JSON.stringify(s.$ref)} does not resolve to a schema in this document.`);
            return;
        }
        if (Object.hasOwn(s, 'anyOf')) {
            if (!Array.isArray(s.anyOf) || s.anyOf.length === 0) throw err(ctx, "'anyOf' must be a non-empty array of schemas.");
            s.anyOf.forEach((b, i) => walk(b, [...ctx, 'anyOf', String(i)], depth));
            return;
        }
        const hasEnum = Object.hasOwn(s, 'enum');
        const hasConst = Object.hasOwn(s, 'const');
        if (!Object.hasOwn(s, 'type') && !hasEnum && !hasConst) throw err(ctx, "schema must have a 'type' key.");
        const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
        for (const t of types)
            if (typeof t !== 'string' || !TYPES.has(t))
                throw err(ctx, `type ${JSON.stringify(t)} is not supported (string, number, integer, boolean, object, array, null).`);
        if (hasEnum) {
            if (!Array.isArray(s.enum) || s.enum.length === 0) throw err(ctx, "'enum' must be a non-empty array.");
            totals.enumValues += s.enum.length;
            let chars = 0;
            for (const v of s.enum) if (typeof v === 'string') chars += v.length;
            totals.chars += chars;
            if (s.enum.length > STRICT_LIMITS.bigEnum && chars > STRICT_LIMITS.bigEnumChars) {
                throw err(
                    ctx,
                    `an enum with more than ${STRICT_LIMITS.bigEnum} values may hold at most ${STRICT_LIMITS.bigEnumChars} ` +
                        `characters of strings (has ${chars}).`,
                );
            }
        }
        if (hasConst && typeof s.const === 'string') totals.chars += s.const.length;
        if (s.format !== undefined && (typeof s.format !== 'string' || !FORMATS.has(s.format))) {
            throw err(ctx, `format ${JSON.stringify(s.format)} is not supported (${[...FORMATS].join(', ')}).`);
        }
        if (s.pattern !== undefined) {
            try {
                if (typeof s.pattern !== 'string') throw new Error('not a string');
                new RegExp(s.pattern, 'u');
            } catch {
                throw err(ctx, `'pattern' ${JSON.stringify(s.pattern)} is not a valid regular expression.`);
            }
        }
        for (const k of ['multipleOf', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
            if (s[k] !== undefined && (typeof s[k] !== 'number' || !Number.isFinite(s[k]))) throw err(ctx, `'${k}' must be a number.`);
        }
        for (const k of ['minItems', 'maxItems']) {
            const v = s[k];
            if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0))
                throw err(ctx, `'${k}' must be a non-negative integer.`);
        }
        if (types.includes('object') || Object.hasOwn(s, 'properties')) {
            if (depth + 1 > STRICT_LIMITS.nesting) throw err(ctx, `objects may be nested at most ${STRICT_LIMITS.nesting} levels deep.`);
            if (s.additionalProperties !== false) throw err(ctx, "'additionalProperties' is required to be supplied and to be false.");
            const props = s.properties ?? {};
            if (!isObject(props)) throw err(ctx, "'properties' must be an object.");
            const keys = Object.keys(props);
            const required = s.required ?? [];
            if (!Array.isArray(required) || required.some((r) => typeof r !== 'string'))
                throw err(ctx, "'required' must be an array of strings.");
            const missing = keys.filter((k) => !required.includes(k));
            if (missing.length) {
                throw err(
                    ctx,
                    `'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`,
                );
            }
            const extra = (required as string[]).find((r) => !keys.includes(r));
            if (extra !== undefined) throw err(ctx, `Extra required key '${extra}' supplied.`);
            totals.properties += keys.length;
            for (const k of keys) {
                totals.chars += k.length;
                walk(props[k], [...ctx, 'properties', k], depth + 1);
            }
        }
        if (types.includes('array')) {
            if (!Object.hasOwn(s, 'items')) throw err(ctx, "'items' must be given for an array.");
            walk(s.items, [...ctx, 'items'], depth);
        } else if (Object.hasOwn(s, 'items')) {
            walk(s.items, [...ctx, 'items'], depth);
        }
    };
    walk(schema, [], 0);
    if (totals.properties > STRICT_LIMITS.properties)
        throw err([], `the schema has ${totals.properties} object properties; at most ${STRICT_LIMITS.properties} are allowed.`);
    if (totals.enumValues > STRICT_LIMITS.enumValues)
        throw err([], `the schema has ${totals.enumValues} enum values; at most ${STRICT_LIMITS.enumValues} are allowed.`);
    if (totals.chars > STRICT_LIMITS.stringChars) {
        throw err(
            [],
            `property names, definition names, enum and const values hold ${totals.chars} characters; ` +
                `at most ${STRICT_LIMITS.stringChars} are allowed.`,
        );
    }
}
