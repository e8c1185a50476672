/**
 * TL schema parser: turns cocoon_api.tl into a model the code generator (and the tests) walk.
 * It understands the subset of TL the COCOON schema uses: namespaced combinators, optional explicit
 * `#id`, `flags:#` with `flags.N?T` conditional fields, bare/boxed references, `(vector T)`.
 */
import { crc32 } from './crc32';

export type BuiltinName = 'int' | 'long' | 'double' | 'string' | 'bytes' | 'int128' | 'int256' | 'Bool' | 'true';

export type TypeRef =
    | { kind: 'builtin'; name: BuiltinName }
    | { kind: 'flags' }
    /** A constructor used bare: no ID on the wire. */
    | { kind: 'bare'; name: string }
    /** A boxed type: the 4-byte constructor ID picks one of its constructors. */
    | { kind: 'boxed'; name: string }
    | { kind: 'vector'; boxed: boolean; elem: TypeRef };

export interface Field {
    name: string;
    type: TypeRef;
    /** Set for `name:flags.N?T`: present on the wire only when bit N of `flagsField` is set. */
    cond?: { flagsField: string; bit: number };
}

export interface Combinator {
    name: string;
    id: number;
    /** True when the line pins its ID with `#xxxxxxxx` (then it may differ from the CRC). */
    explicitId: boolean;
    /** CRC32 of the canonical line, computed even when the ID is pinned. */
    crcId: number;
    canonical: string;
    fields: Field[];
    /** Boxed result type, e.g. `tcp.Packet`. */
    resultType: string;
    isFunction: boolean;
}

export interface Schema {
    constructors: Combinator[];
    functions: Combinator[];
    /** Boxed type name -> constructor names, in schema order. */
    types: Map<string, string[]>;
    byName: Map<string, Combinator>;
}

export class TlSchemaError extends Error {
    readonly code = 'TL_SCHEMA';
    constructor(message: string) {
        super(message);
        this.name = 'TlSchemaError';
    }
}

/** Builtins are encoded by the runtime; their schema lines only document them. */
const BUILTIN_LINES = new Set([
    'int',
    'long',
    'double',
    'string',
    'object',
    'function',
    'bytes',
    'true',
    'boolTrue',
    'boolFalse',
    'vector',
    'int128',
    'int256',
]);
const BUILTIN_TYPES: Record<string, BuiltinName> = {
    int: 'int',
    long: 'long',
    double: 'double',
    string: 'string',
    bytes: 'bytes',
    int128: 'int128',
    int256: 'int256',
    Bool: 'Bool',
    true: 'true',
};

function stripComments(text: string): string {
    return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

/** Splits `a b:(vector c) d` into ['a', 'b:(vector c)', 'd'] (parentheses group one argument). */
function tokenize(s: string): string[] {
    const out: string[] = [];
    let cur = '';
    let depth = 0;
    for (const ch of s) {
        if (ch === '(') depth++;
        if (ch === ')') depth--;
        if (/\s/.test(ch) && depth === 0) {
            if (cur) out.push(cur);
            cur = '';
        } else {
            cur += ch;
        }
    }
    if (depth !== 0) throw new TlSchemaError(`unbalanced parentheses in "${s}"`);
    if (cur) out.push(cur);
    return out;
}

/** The canonical form whose CRC32 is the constructor ID: no `#id`, no parentheses, single spaces. */
export function canonicalLine(statement: string): string {
    const s = statement.replace(/;\s*$/, '');
    const eq = s.lastIndexOf('=');
    const left = s.slice(0, eq).replace(/^(\s*[A-Za-z0-9_.]+)#[0-9a-fA-F]+/, '$1');
    const right = s.slice(eq + 1);
    const norm = (x: string) => x.replace(/[()]/g, '').replace(/\s+/g, ' ').trim();
    return `${norm(left)} = ${norm(right)}`;
}

interface RawCombinator {
    statement: string;
    isFunction: boolean;
}

function splitStatements(text: string): RawCombinator[] {
    const out: RawCombinator[] = [];
    let isFunction = false;
    for (const part of stripComments(text).split(/(---functions---|---types---)/)) {
        if (part === '---functions---') {
            isFunction = true;
            continue;
        }
        if (part === '---types---') {
            isFunction = false;
            continue;
        }
        for (const st of part.split(';')) {
            const statement = st.replace(/\s+/g, ' ').trim();
            if (statement) out.push({ statement, isFunction });
        }
    }
    return out;
}

function lastSegment(name: string): string {
    const i = name.lastIndexOf('.');
    return i < 0 ? name : name.slice(i + 1);
}

function isBoxedName(name: string): boolean {
    const seg = lastSegment(name);
    return seg.length > 0 && seg[0] >= 'A' && seg[0] <= 'Z';
}

function parseTypeExpr(expr: string): TypeRef {
    const parts = expr.replace(/[()]/g, ' ').trim().split(/\s+/);
    if (parts.length === 2 && (parts[0] === 'vector' || parts[0] === 'Vector')) {
        return { kind: 'vector', boxed: parts[0] === 'Vector', elem: parseTypeExpr(parts[1]) };
    }
    if (parts.length !== 1) throw new TlSchemaError(`unsupported type expression "${expr}"`);
    const name = parts[0];
    if (name === '#') return { kind: 'flags' };
    const builtin = BUILTIN_TYPES[name];
    if (builtin) return { kind: 'builtin', name: builtin };
    return isBoxedName(name) ? { kind: 'boxed', name } : { kind: 'bare', name };
}

function parseCombinator(raw: RawCombinator): Combinator | undefined {
    const eq = raw.statement.lastIndexOf('=');
    if (eq < 0) throw new TlSchemaError(`missing "=" in "${raw.statement}"`);
    const tokens = tokenize(raw.statement.slice(0, eq));
    const resultType = raw.statement.slice(eq + 1).trim();
    const head = tokens[0];
    const m = /^([A-Za-z][A-Za-z0-9_.]*)(?:#([0-9a-fA-F]{1,8}))?$/.exec(head);
    if (!m) throw new TlSchemaError(`bad combinator name "${head}"`);
    const name = m[1];
    if (!raw.isFunction && BUILTIN_LINES.has(name)) return undefined;
    if (!isBoxedName(resultType)) throw new TlSchemaError(`result type of ${name} must be boxed: "${resultType}"`);

    const fields: Field[] = [];
    const flagFields = new Set<string>();
    for (const tok of tokens.slice(1)) {
        const colon = tok.indexOf(':');
        if (colon <= 0) throw new TlSchemaError(`unsupported argument "${tok}" in ${name}`);
        const fname = tok.slice(0, colon);
        let texpr = tok.slice(colon + 1);
        let cond: Field['cond'];
        const cm = /^([A-Za-z_][A-Za-z0-9_]*)\.(\d+)\?(.+)$/.exec(texpr);
        if (cm) {
            if (!flagFields.has(cm[1])) throw new TlSchemaError(`${name}.${fname}: unknown flags field ${cm[1]}`);
            const bit = Number(cm[2]);
            if (bit > 31) throw new TlSchemaError(`${name}.${fname}: flag bit ${bit} out of range`);
            cond = { flagsField: cm[1], bit };
            texpr = cm[3];
        }
        const type = parseTypeExpr(texpr);
        if (type.kind === 'flags') {
            if (cond) throw new TlSchemaError(`${name}.${fname}: conditional flags field`);
            flagFields.add(fname);
        }
        if (type.kind === 'builtin' && type.name === 'true' && !cond) {
            throw new TlSchemaError(`${name}.${fname}: "true" only makes sense as a conditional field`);
        }
        if (fields.some((f) => f.name === fname)) throw new TlSchemaError(`${name}: duplicate field ${fname}`);
        fields.push({ name: fname, type, cond });
    }
    const canonical = canonicalLine(raw.statement);
    const crcId = crc32(Buffer.from(canonical, 'utf8'));
    const explicitId = m[2] !== undefined;
    return {
        name,
        id: explicitId ? parseInt(m[2], 16) >>> 0 : crcId,
        explicitId,
        crcId,
        canonical,
        fields,
        resultType,
        isFunction: raw.isFunction,
    };
}

function checkRef(schema: Schema, owner: string, t: TypeRef): void {
    if (t.kind === 'vector') return checkRef(schema, owner, t.elem);
    if (t.kind === 'bare') {
        const c = schema.byName.get(t.name);
        if (!c || c.isFunction) throw new TlSchemaError(`${owner}: unknown bare constructor ${t.name}`);
    }
    if (t.kind === 'boxed' && !schema.types.has(t.name)) {
        throw new TlSchemaError(`${owner}: unknown boxed type ${t.name}`);
    }
}

export function parseSchema(text: string): Schema {
    const schema: Schema = { constructors: [], functions: [], types: new Map(), byName: new Map() };
    const ids = new Map<number, string>();
    for (const raw of splitStatements(text)) {
        const c = parseCombinator(raw);
        if (!c) continue;
        if (schema.byName.has(c.name)) throw new TlSchemaError(`duplicate combinator ${c.name}`);
        const clash = ids.get(c.id);
        if (clash) throw new TlSchemaError(`ID collision ${c.id.toString(16)}: ${clash} and ${c.name}`);
        ids.set(c.id, c.name);
        schema.byName.set(c.name, c);
        if (c.isFunction) {
            schema.functions.push(c);
        } else {
            schema.constructors.push(c);
            const list = schema.types.get(c.resultType) ?? [];
            list.push(c.name);
            schema.types.set(c.resultType, list);
        }
    }
    for (const c of [...schema.constructors, ...schema.functions]) {
        for (const f of c.fields) checkRef(schema, `${c.name}.${f.name}`, f.type);
        if (c.isFunction && !schema.types.has(c.resultType)) {
            throw new TlSchemaError(`${c.name}: unknown result type ${c.resultType}`);
        }
    }
    return schema;
}
