/**
 * JSON form of TL objects, as the original's config files and tl_json use it: `@type` names the
 * constructor, `long` is a decimal string (numbers accepted), `bytes`/`int128`/`int256` are base64,
 * `Bool` is true/false. Missing plain fields take TL defaults (0, "", false, zero bytes, []), so runner
 * configs such as spec/proxy-config.json load as `proxyRunner.config`. Optional (flags) fields are
 * present only when the JSON has them.
 */
import { ProtocolError } from '../errors';
import { TL_FIELDS, TL_TYPES, TlAllMap, TlAny, TlName, TlTypeName } from './generated';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const FIELDS = TL_FIELDS as Record<string, readonly (readonly [string, string, string?, number?])[]>;

function fail(path: string, msg: string): never {
    throw new ProtocolError('TL_JSON', `${path}: ${msg}`);
}

function valueToJson(type: string, v: unknown): Json {
    switch (type) {
        case '#':
        case 'int':
        case 'double':
            return v as number;
        case 'long':
            return (v as bigint).toString();
        case 'string':
            return v as string;
        case 'bytes':
        case 'int128':
        case 'int256':
            return (v as Buffer).toString('base64');
        case 'Bool':
        case 'true':
            return v as boolean;
    }
    if (type.startsWith('vector:') || type.startsWith('Vector:')) {
        const inner = type.slice(type.indexOf(':') + 1);
        return (v as unknown[]).map((e) => valueToJson(inner, e));
    }
    return toJson(v as TlAny);
}

export function toJson(obj: TlAny): { [k: string]: Json } {
    const fields = FIELDS[obj._];
    if (!fields) fail(String(obj._), 'unknown TL constructor');
    const out: { [k: string]: Json } = { '@type': obj._ };
    const rec = obj as unknown as Record<string, unknown>;
    for (const [name, type] of fields) {
        const v = rec[name];
        if (v !== undefined) out[name] = valueToJson(type, v);
    }
    return out;
}

function decodeBase64(v: Json, size: number | undefined, path: string): Buffer {
    if (typeof v !== 'string') fail(path, 'expected a base64 string');
    const b = Buffer.from(v, 'base64');
    if (size !== undefined && b.length !== size) fail(path, `expected ${size} bytes in base64, got ${b.length}`);
    return b;
}

function defaultFor(type: string, path: string): unknown {
    switch (type) {
        case '#':
        case 'int':
        case 'double':
            return 0;
        case 'long':
            return 0n;
        case 'string':
            return '';
        case 'bytes':
            return Buffer.alloc(0);
        case 'int128':
            return Buffer.alloc(16);
        case 'int256':
            return Buffer.alloc(32);
        case 'Bool':
            return false;
    }
    if (type.startsWith('vector:') || type.startsWith('Vector:')) return [];
    if (type.startsWith('bare:')) return fromJsonAt({}, type.slice(5), path, false);
    return fail(path, `missing boxed field (needs "@type")`);
}

function valueFromJson(type: string, v: Json, path: string, strict: boolean): unknown {
    switch (type) {
        case '#':
        case 'int':
            if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, 'expected an integer');
            return v;
        case 'double':
            if (typeof v !== 'number') fail(path, 'expected a number');
            return v;
        case 'long':
            if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
            if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
            return fail(path, 'expected a 64-bit integer (decimal string or safe number)');
        case 'string':
            if (typeof v !== 'string') fail(path, 'expected a string');
            return v;
        case 'bytes':
            return decodeBase64(v, undefined, path);
        case 'int128':
            return decodeBase64(v, 16, path);
        case 'int256':
            return decodeBase64(v, 32, path);
        case 'Bool':
        case 'true':
            if (typeof v !== 'boolean') fail(path, 'expected true or false');
            return v;
    }
    if (type.startsWith('vector:') || type.startsWith('Vector:')) {
        if (!Array.isArray(v)) fail(path, 'expected an array');
        const inner = type.slice(type.indexOf(':') + 1);
        return v.map((e, i) => valueFromJson(inner, e, `${path}[${i}]`, strict));
    }
    if (type.startsWith('bare:')) return fromJsonAt(v, type.slice(5), path, strict);
    const boxed = type.slice(6) as TlTypeName;
    const obj = fromJsonAt(v, undefined, path, strict);
    if (!(TL_TYPES[boxed] as readonly string[]).includes(obj._)) fail(path, `${obj._} is not a ${boxed}`);
    return obj;
}

export interface FromJsonOptions {
    /** Reject keys the constructor does not have (the original's spec configs carry a few extra ones). */
    strict?: boolean;
}

/** Builds a TL object from its JSON form; `name` is required when the JSON has no "@type". */
export function fromJson<K extends TlName>(json: unknown, name?: K, opts: FromJsonOptions = {}): TlAllMap[K] {
    return fromJsonAt(json, name, '$', opts.strict ?? false) as TlAllMap[K];
}

function fromJsonAt(json: unknown, name: string | undefined, path: string, strict: boolean): TlAny {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(path, 'expected a JSON object');
    const j = json as { [k: string]: Json };
    const type = (j['@type'] as string | undefined) ?? name;
    if (!type) fail(path, 'no "@type" and no expected constructor');
    if (name && type !== name) fail(path, `expected ${name}, got ${type}`);
    if (!Object.hasOwn(FIELDS, type)) fail(path, `unknown TL constructor "${type}"`);
    const fields = FIELDS[type];
    const out: Record<string, unknown> = { _: type };
    for (const [field, ftype, flagsField] of fields) {
        const p = `${path}.${field}`;
        if (ftype === '#') {
            // Recomputed by the encoder from the optional fields present unless given explicitly.
            if (j[field] !== undefined) out[field] = valueFromJson('#', j[field], p, strict);
            continue;
        }
        if (j[field] === undefined || j[field] === null) {
            if (!flagsField) out[field] = defaultFor(ftype, p);
            continue;
        }
        out[field] = valueFromJson(ftype, j[field], p, strict);
    }
    if (strict) {
        const known = new Set(['@type', ...fields.map((f) => f[0])]);
        const extra = Object.keys(j).filter((k) => !known.has(k));
        if (extra.length > 0) fail(path, `unknown field(s) for ${type}: ${extra.join(', ')}`);
    }
    return out as unknown as TlAny;
}
