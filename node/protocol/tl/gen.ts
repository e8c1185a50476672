/**
 * TL -> TypeScript generator: emits one interface, one bare writer and one bare reader per combinator,
 * a union type plus boxed writer/reader per boxed type, and name/ID maps (node/protocol/tl/generated.ts).
 * The output is laid out by ./layout.ts within 140 columns exactly as Prettier prints it, so generated.ts goes
 * through `npm run lint` like hand-written code.
 *
 *   npm run tl:gen            regenerate generated.ts from cocoon_api.tl
 *   npm run tl:gen -- --check exit 1 if generated.ts is stale
 */
import * as fs from 'fs';
import * as path from 'path';
import {
    Doc,
    INDENT,
    array,
    arrow,
    assignment,
    call,
    docComment,
    ifStatement,
    layout,
    object,
    prefixed,
    property,
    propertyKey,
    statement,
    unionType,
} from './layout';
import { Combinator, Field, Schema, TypeRef, parseSchema } from './schema';

export const SCHEMA_PATH = path.join(__dirname, 'cocoon_api.tl');
export const GENERATED_PATH = path.join(__dirname, 'generated.ts');

const tsName = (tlName: string) => tlName.replace(/\./g, '_');
const hex = (id: number) => '0x' + (id >>> 0).toString(16).padStart(8, '0');

function tsType(t: TypeRef): string {
    switch (t.kind) {
        case 'flags':
            return 'number';
        case 'builtin':
            switch (t.name) {
                case 'int':
                case 'double':
                    return 'number';
                case 'long':
                    return 'bigint';
                case 'string':
                    return 'string';
                case 'bytes':
                case 'int128':
                case 'int256':
                    return 'Buffer';
                case 'Bool':
                case 'true':
                    return 'boolean';
            }
            break;
        case 'bare':
        case 'boxed':
            return tsName(t.name);
        case 'vector':
            return `${tsType(t.elem)}[]`;
    }
    throw new Error(`unreachable type ${JSON.stringify(t)}`);
}

/** Smallest wire size of a value, used to bound hostile vector counts while decoding. */
function minSize(schema: Schema, t: TypeRef, seen = new Set<string>()): number {
    switch (t.kind) {
        case 'flags':
            return 4;
        case 'builtin':
            return { int: 4, long: 8, double: 8, string: 4, bytes: 4, int128: 16, int256: 32, Bool: 4, true: 0 }[t.name];
        case 'boxed':
            return 4;
        case 'vector':
            return t.boxed ? 8 : 4;
        case 'bare': {
            if (seen.has(t.name)) return 0;
            seen.add(t.name);
            const c = schema.byName.get(t.name)!;
            return c.fields.reduce((s, f) => s + (f.cond ? 0 : minSize(schema, f.type, seen)), 0);
        }
    }
}

function writeExpr(schema: Schema, t: TypeRef, v: string, what: string, depth = 0): Doc {
    const w = (method: string, ...args: Doc[]) => call(`w.${method}`, [v, ...args, `'${what}'`]);
    switch (t.kind) {
        case 'flags':
            return w('uint32');
        case 'builtin':
            switch (t.name) {
                case 'int':
                    return w('int32');
                case 'long':
                    return w('long');
                case 'double':
                    return w('double');
                case 'string':
                    return w('string');
                case 'bytes':
                    return w('bytes');
                case 'int128':
                    return w('fixed', '16');
                case 'int256':
                    return w('fixed', '32');
                case 'Bool':
                    return w('bool');
                case 'true':
                    return '';
            }
            break;
        case 'bare':
            return call(`w_${tsName(t.name)}`, ['w', v, `'${what}'`]);
        case 'boxed':
            return call(`wb_${tsName(t.name)}`, ['w', v, `'${what}'`]);
        case 'vector': {
            const e = `e${depth}`;
            const pre = t.boxed ? `w.uint32(${hex(0x1cb5c415)}); ` : '';
            const elem = arrow(`(${e})`, writeExpr(schema, t.elem, e, what + '[]', depth + 1));
            return prefixed(pre, w('vector', elem));
        }
    }
    throw new Error(`unreachable type ${JSON.stringify(t)}`);
}

function readExpr(schema: Schema, t: TypeRef, what: string): Doc {
    const r = (method: string, ...args: Doc[]) => call(`r.${method}`, [...args, `'${what}'`]);
    switch (t.kind) {
        case 'flags':
            return r('uint32');
        case 'builtin':
            switch (t.name) {
                case 'int':
                    return r('int32');
                case 'long':
                    return r('long');
                case 'double':
                    return r('double');
                case 'string':
                    return r('string');
                case 'bytes':
                    return r('bytes');
                case 'int128':
                    return r('fixed', '16');
                case 'int256':
                    return r('fixed', '32');
                case 'Bool':
                    return r('bool');
                case 'true':
                    return 'true';
            }
            break;
        case 'bare':
            return `r_${tsName(t.name)}(r)`;
        case 'boxed':
            return `rb_${tsName(t.name)}(r)`;
        case 'vector': {
            const inner = r('vector', arrow('()', readExpr(schema, t.elem, what + '[]')), String(minSize(schema, t.elem)));
            return t.boxed
                ? { ...inner, open: `(r.expectId(${hex(0x1cb5c415)}, '${what}'), ${inner.open}`, close: `${inner.close})` }
                : inner;
        }
    }
    throw new Error(`unreachable type ${JSON.stringify(t)}`);
}

function emitInterface(c: Combinator): string {
    const lines = [docComment(`\`${c.canonical}\` (${hex(c.id)}${c.explicitId ? ', pinned' : ''})`)];
    lines.push(`export interface ${tsName(c.name)} {`);
    lines.push(`    _: '${c.name}';`);
    for (const f of c.fields) {
        // flags are recomputed from the optional fields present when left out.
        const optional = f.cond !== undefined || f.type.kind === 'flags';
        lines.push(`    ${f.name}${optional ? '?' : ''}: ${tsType(f.type)};`);
    }
    lines.push('}');
    return lines.join('\n');
}

/**
 * A flags word left out is rebuilt from the optional fields present: one `|=` per field rather than one expression
 * per word, so no statement outgrows a line however many fields share a bit.
 */
function flagsComputation(c: Combinator, flagsField: string): string[] {
    const fields = c.fields.filter((f) => f.cond?.flagsField === flagsField);
    if (fields.length === 0) return [`    const ${flagsField} = o.${flagsField} ?? 0;`];
    const lines = [`    let ${flagsField} = o.${flagsField};`, `    if (${flagsField} == null) {`, `        ${flagsField} = 0;`];
    for (const f of fields) {
        const present = f.type.kind === 'builtin' && f.type.name === 'true' ? `o.${f.name} === true` : `o.${f.name} !== undefined`;
        lines.push(`        if (${present}) ${flagsField} |= ${hex(2 ** f.cond!.bit)};`);
    }
    // `|=` with bit 31 yields a negative int32; the word is written unsigned.
    if (fields.some((f) => f.cond!.bit === 31)) lines.push(`        ${flagsField} >>>= 0;`);
    lines.push('    }');
    return lines;
}

/** `{`, one `key: value` per line, `}`: the multi-line object or interface body every generated table uses. */
function block(entries: [string, Doc][], separator: ',' | ';'): string {
    // An interface member never breaks after its colon; an object property may (see layout.ts).
    const entry = (key: string, value: Doc) => (separator === ';' ? prefixed(`${key}: `, value) : property(key, value));
    const lines = entries.map(([key, value]) => INDENT + layout(entry(propertyKey(key), value), INDENT, separator));
    return `{\n${lines.join('\n')}\n}`;
}

const signature = (name: string, params: string[], result: string) => layout(call(`function ${name}`, params), '', `: ${result} {`);

function emitWriter(schema: Schema, c: Combinator): string {
    const n = tsName(c.name);
    const body: string[] = [`    needObject(o, what);`];
    for (const f of c.fields) {
        const what = `${c.name}.${f.name}`;
        if (f.type.kind === 'flags') {
            body.push(...flagsComputation(c, f.name));
            body.push(statement(writeExpr(schema, f.type, f.name, what), INDENT));
            continue;
        }
        if (f.cond) {
            const expr = writeExpr(schema, f.type, `o.${f.name} as ${tsType(f.type)}`, what);
            const test = `(${f.cond.flagsField} & ${hex(2 ** f.cond.bit)}) !== 0`;
            if (expr) body.push(ifStatement(test, expr, INDENT));
        } else {
            body.push(statement(writeExpr(schema, f.type, `o.${f.name}`, what), INDENT));
        }
    }
    const unused = c.fields.length === 0 ? '_w' : 'w';
    return `${signature(`w_${n}`, [`${unused}: TlWriter`, `o: ${n}`, `what = '${c.name}'`], 'void')}\n${body.join('\n')}\n}`;
}

function emitReader(schema: Schema, c: Combinator): string {
    const n = tsName(c.name);
    const unused = c.fields.length === 0 ? '_r' : 'r';
    if (!c.fields.some((f) => f.cond)) {
        const props = [
            property('_', `'${c.name}'`),
            ...c.fields.map((f) => property(f.name, readExpr(schema, f.type, `${c.name}.${f.name}`))),
        ];
        return `${signature(`r_${n}`, [`${unused}: TlReader`], n)}\n${statement(prefixed('return ', object(props)), INDENT)}\n}`;
    }
    const body: string[] = [INDENT + layout(assignment('const o', object([property('_', `'${c.name}'`)])), INDENT, ` as ${n};`)];
    for (const f of c.fields) {
        const read = readExpr(schema, f.type, `${c.name}.${f.name}`);
        if (f.type.kind === 'flags') {
            body.push(statement(assignment(`const ${f.name}`, read), INDENT));
            body.push(`    o.${f.name} = ${f.name};`);
        } else if (f.cond) {
            body.push(ifStatement(`(${f.cond.flagsField} & ${hex(2 ** f.cond.bit)}) !== 0`, assignment(`o.${f.name}`, read), INDENT));
        } else {
            body.push(statement(assignment(`o.${f.name}`, read), INDENT));
        }
    }
    body.push('    return o;');
    return `${signature(`r_${n}`, ['r: TlReader'], n)}\n${body.join('\n')}\n}`;
}

function emitBoxed(schema: Schema, type: string, members: string[]): string {
    const n = tsName(type);
    const out: string[] = [];
    out.push(unionType(n, members.map(tsName)));
    const wcases = members.map((m) => {
        const c = schema.byName.get(m)!;
        const write = statement(prefixed('return ', call(`w_${tsName(m)}`, ['w', 'o', 'what'])), INDENT.repeat(3));
        return `        case '${m}':\n            w.uint32(${hex(c.id)});\n${write}`;
    });
    const notMember = `\`\${what}: \${String((o as { _: unknown })._)} is not a ${type} constructor\``;
    out.push(
        [
            signature(`wb_${n}`, ['w: TlWriter', `o: ${n}`, `what = '${type}'`], 'void'),
            '    needObject(o, what);',
            '    switch (o._) {',
            ...wcases,
            '        default:',
            statement(call('throw new ProtocolError', ["'TL_ENCODE'", notMember]), INDENT.repeat(3)),
            '    }',
            '}',
        ].join('\n'),
    );
    const rcases = members.map((m) => {
        const read = statement(prefixed('return ', call(`r_${tsName(m)}`, ['r'])), INDENT.repeat(3));
        return `        case ${hex(schema.byName.get(m)!.id)}:\n${read}`;
    });
    const unknown = `\`${type}: unknown constructor 0x\${hex32(id)}\``;
    out.push(
        [
            signature(`rb_${n}`, ['r: TlReader'], n),
            `    const id = r.uint32('${type}');`,
            '    switch (id) {',
            ...rcases,
            '        default:',
            statement(call('throw new ProtocolError', ["'TL_DECODE'", unknown]), INDENT.repeat(3)),
            '    }',
            '}',
        ].join('\n'),
    );
    return out.join('\n');
}

/** Compact type descriptor for the generated TL_FIELDS table (used by the JSON mapping). */
function typeCode(t: TypeRef): string {
    switch (t.kind) {
        case 'flags':
            return '#';
        case 'builtin':
            return t.name;
        case 'bare':
            return `bare:${t.name}`;
        case 'boxed':
            return `boxed:${t.name}`;
        case 'vector':
            return `${t.boxed ? 'Vector' : 'vector'}:${typeCode(t.elem)}`;
    }
}

export function generate(schemaText: string): string {
    const schema = parseSchema(schemaText);
    const all = [...schema.constructors, ...schema.functions];
    const out: string[] = [];
    out.push('// Generated by node/protocol/tl/gen.ts from cocoon_api.tl. Do not edit: run `npm run tl:gen`.');
    out.push("import { ProtocolError } from '../errors';");
    out.push("import { TlReader, TlWriter, hex32, needObject } from './runtime';");
    out.push('');
    for (const c of all) out.push(emitInterface(c), '');
    for (const [type, members] of schema.types) out.push(emitBoxed(schema, type, members), '');
    for (const c of all) out.push(emitWriter(schema, c), '', emitReader(schema, c), '');

    const typeMap = (name: string, entries: [string, string][]) => `export interface ${name} ${block(entries, ';')}`;
    out.push(
        typeMap(
            'TlConstructorMap',
            schema.constructors.map((c) => [c.name, tsName(c.name)]),
        ),
        '',
    );
    out.push(
        typeMap(
            'TlFunctionMap',
            schema.functions.map((c) => [c.name, tsName(c.name)]),
        ),
        '',
    );
    out.push(
        typeMap(
            'TlTypeMap',
            [...schema.types.keys()].map((t) => [t, tsName(t)]),
        ),
        '',
    );
    out.push(
        typeMap(
            'TlFunctionResultMap',
            schema.functions.map((c) => [c.name, tsName(c.resultType)]),
        ),
        '',
    );
    out.push('export type TlConstructorName = keyof TlConstructorMap;');
    out.push('export type TlFunctionName = keyof TlFunctionMap;');
    out.push('export type TlTypeName = keyof TlTypeMap;');
    out.push('export type TlName = TlConstructorName | TlFunctionName;');
    out.push('export type TlAllMap = TlConstructorMap & TlFunctionMap;');
    out.push('export type TlObject = TlConstructorMap[TlConstructorName];');
    out.push('export type TlFunction = TlFunctionMap[TlFunctionName];');
    out.push('export type TlAny = TlObject | TlFunction;', '');

    const table = (name: string, type: string, entries: [string, Doc][]) => `export const ${name}: ${type} = ${block(entries, ',')};`;
    const quoted = (s: string) => `'${s}'`;
    const types = [...schema.types.entries()];
    out.push('/** Constructor and function IDs (CRC32 of the canonical line unless pinned in the schema). */');
    out.push(
        table(
            'TL_IDS',
            '{ readonly [K in TlName]: number }',
            all.map((c) => [c.name, hex(c.id)]),
        ),
        '',
    );
    out.push(
        `export const TL_FUNCTION_NAMES: readonly TlFunctionName[] = [\n${schema.functions.map((c) => `    '${c.name}',`).join('\n')}\n];`,
        '',
    );
    out.push('/** Field layout per combinator: [name, type code, flags field, bit] (see tl/json.ts). */');
    const fieldLayout = (f: Field) =>
        array([quoted(f.name), quoted(typeCode(f.type)), ...(f.cond ? [quoted(f.cond.flagsField), String(f.cond.bit)] : [])]);
    out.push(
        table(
            'TL_FIELDS',
            '{ readonly [K in TlName]: readonly (readonly [string, string, string?, number?])[] }',
            all.map((c) => [c.name, array(c.fields.map(fieldLayout))]),
        ),
        '',
    );
    out.push('/** Boxed type of each constructor and result type of each function. */');
    out.push(
        table(
            'TL_RESULT_TYPE',
            '{ readonly [K in TlName]: TlTypeName }',
            all.map((c) => [c.name, quoted(c.resultType)]),
        ),
        '',
    );
    out.push(
        table(
            'TL_TYPES',
            '{ readonly [K in TlTypeName]: readonly TlConstructorName[] }',
            types.map(([t, ms]) => [t, array(ms.map(quoted))]),
        ),
        '',
    );
    out.push(
        table(
            'TL_WRITERS',
            '{ readonly [K in TlName]: (w: TlWriter, o: TlAllMap[K]) => void }',
            all.map((c) => [c.name, arrow('(w, o)', `w_${tsName(c.name)}(w, o)`)]),
        ),
        '',
    );
    out.push(
        table(
            'TL_READERS',
            '{ readonly [K in TlName]: (r: TlReader) => TlAllMap[K] }',
            all.map((c) => [c.name, `r_${tsName(c.name)}`]),
        ),
        '',
    );
    out.push(
        table(
            'TL_BOXED_WRITERS',
            '{ readonly [K in TlTypeName]: (w: TlWriter, o: TlTypeMap[K]) => void }',
            types.map(([t]) => [t, arrow('(w, o)', `wb_${tsName(t)}(w, o)`)]),
        ),
        '',
    );
    out.push(
        table(
            'TL_BOXED_READERS',
            '{ readonly [K in TlTypeName]: (r: TlReader) => TlTypeMap[K] }',
            types.map(([t]) => [t, `rb_${tsName(t)}`]),
        ),
    );
    return out.join('\n') + '\n';
}

function main(argv: string[]): number {
    if (argv.includes('--help') || argv.includes('-h')) {
        process.stdout.write(
            [
                'Usage: npm run tl:gen [-- --check] [--schema FILE] [--out FILE]',
                '',
                'Generates typed TL encoders/decoders from the COCOON TL schema.',
                `  --schema FILE  schema to read (default ${path.relative(process.cwd(), SCHEMA_PATH)})`,
                `  --out FILE     TypeScript file to write (default ${path.relative(process.cwd(), GENERATED_PATH)})`,
                '  --check        do not write; exit 1 when the output file differs from what would be generated',
                '',
            ].join('\n'),
        );
        return 0;
    }
    const opt = (name: string, def: string) => {
        const i = argv.indexOf(name);
        return i >= 0 && argv[i + 1] ? argv[i + 1] : def;
    };
    const schemaPath = opt('--schema', SCHEMA_PATH);
    const outPath = opt('--out', GENERATED_PATH);
    const code = generate(fs.readFileSync(schemaPath, 'utf8'));
    if (argv.includes('--check')) {
        const current = fs.existsSync(outPath) ? fs.readFileSync(outPath, 'utf8') : '';
        if (current !== code) {
            process.stderr.write(
                JSON.stringify({ level: 'error', component: 'tl-gen', code: 'TL_STALE', msg: `${outPath} is stale: run npm run tl:gen` }) +
                    '\n',
            );
            return 1;
        }
        process.stdout.write(JSON.stringify({ level: 'info', component: 'tl-gen', msg: `${outPath} is up to date` }) + '\n');
        return 0;
    }
    fs.writeFileSync(outPath, code);
    const schema = parseSchema(fs.readFileSync(schemaPath, 'utf8'));
    process.stdout.write(
        JSON.stringify({
            level: 'info',
            component: 'tl-gen',
            msg: `wrote ${outPath}`,
            constructors: schema.constructors.length,
            functions: schema.functions.length,
            types: schema.types.size,
        }) + '\n',
    );
    return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
