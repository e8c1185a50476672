/**
 * TL -> TypeScript generator: emits one interface, one bare writer and one bare reader per combinator,
 * a union type plus boxed writer/reader per boxed type, and name/ID maps (node/protocol/tl/generated.ts).
 *
 *   npm run tl:gen            regenerate generated.ts from cocoon_api.tl
 *   npm run tl:gen -- --check exit 1 if generated.ts is stale
 */
import * as fs from 'fs';
import * as path from 'path';
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

function writeExpr(schema: Schema, t: TypeRef, v: string, what: string, depth = 0): string {
    switch (t.kind) {
        case 'flags':
            return `w.uint32(${v}, '${what}')`;
        case 'builtin':
            switch (t.name) {
                case 'int':
                    return `w.int32(${v}, '${what}')`;
                case 'long':
                    return `w.long(${v}, '${what}')`;
                case 'double':
                    return `w.double(${v}, '${what}')`;
                case 'string':
                    return `w.string(${v}, '${what}')`;
                case 'bytes':
                    return `w.bytes(${v}, '${what}')`;
                case 'int128':
                    return `w.fixed(${v}, 16, '${what}')`;
                case 'int256':
                    return `w.fixed(${v}, 32, '${what}')`;
                case 'Bool':
                    return `w.bool(${v}, '${what}')`;
                case 'true':
                    return '';
            }
            break;
        case 'bare':
            return `w_${tsName(t.name)}(w, ${v}, '${what}')`;
        case 'boxed':
            return `wb_${tsName(t.name)}(w, ${v}, '${what}')`;
        case 'vector': {
            const e = `e${depth}`;
            const pre = t.boxed ? `w.uint32(${hex(0x1cb5c415)}); ` : '';
            return `${pre}w.vector(${v}, (${e}) => ${writeExpr(schema, t.elem, e, what + '[]', depth + 1)}, '${what}')`;
        }
    }
    throw new Error(`unreachable type ${JSON.stringify(t)}`);
}

function readExpr(schema: Schema, t: TypeRef, what: string): string {
    switch (t.kind) {
        case 'flags':
            return `r.uint32('${what}')`;
        case 'builtin':
            switch (t.name) {
                case 'int':
                    return `r.int32('${what}')`;
                case 'long':
                    return `r.long('${what}')`;
                case 'double':
                    return `r.double('${what}')`;
                case 'string':
                    return `r.string('${what}')`;
                case 'bytes':
                    return `r.bytes('${what}')`;
                case 'int128':
                    return `r.fixed(16, '${what}')`;
                case 'int256':
                    return `r.fixed(32, '${what}')`;
                case 'Bool':
                    return `r.bool('${what}')`;
                case 'true':
                    return 'true';
            }
            break;
        case 'bare':
            return `r_${tsName(t.name)}(r)`;
        case 'boxed':
            return `rb_${tsName(t.name)}(r)`;
        case 'vector': {
            const inner = `r.vector(() => ${readExpr(schema, t.elem, what + '[]')}, ${minSize(schema, t.elem)}, '${what}')`;
            return t.boxed ? `(r.expectId(${hex(0x1cb5c415)}, '${what}'), ${inner})` : inner;
        }
    }
    throw new Error(`unreachable type ${JSON.stringify(t)}`);
}

function emitInterface(c: Combinator): string {
    const lines = [`/** \`${c.canonical}\` (${hex(c.id)}${c.explicitId ? ', pinned' : ''}) */`];
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

function flagsComputation(c: Combinator, flagsField: string): string {
    const bits = new Map<number, Field[]>();
    for (const f of c.fields) {
        if (f.cond?.flagsField !== flagsField) continue;
        bits.set(f.cond.bit, [...(bits.get(f.cond.bit) ?? []), f]);
    }
    if (bits.size === 0) return '0';
    const parts = [...bits.entries()].map(([bit, fs]) => {
        const present = fs
            .map((f) => (f.type.kind === 'builtin' && f.type.name === 'true' ? `o.${f.name} === true` : `o.${f.name} !== undefined`))
            .join(' || ');
        return `(${present} ? ${hex(2 ** bit)} : 0)`;
    });
    return `(${parts.join(' | ')}) >>> 0`;
}

function emitWriter(schema: Schema, c: Combinator): string {
    const n = tsName(c.name);
    const body: string[] = [`    needObject(o, what);`];
    for (const f of c.fields) {
        const what = `${c.name}.${f.name}`;
        if (f.type.kind === 'flags') {
            body.push(`    const ${f.name} = o.${f.name} ?? ${flagsComputation(c, f.name)};`);
            body.push(`    ${writeExpr(schema, f.type, f.name, what)};`);
            continue;
        }
        const expr = writeExpr(schema, f.type, `o.${f.name}`, what);
        if (f.cond) {
            const test = `(${f.cond.flagsField} & ${hex(2 ** f.cond.bit)}) !== 0`;
            if (expr) body.push(`    if (${test}) ${expr.replace(`o.${f.name}`, `o.${f.name} as ${tsType(f.type)}`)};`);
        } else {
            body.push(`    ${expr};`);
        }
    }
    const unused = c.fields.length === 0 ? '_w' : 'w';
    if (c.fields.length === 0) body[0] = `    needObject(o, what);`;
    return `function w_${n}(${unused}: TlWriter, o: ${n}, what = '${c.name}'): void {\n${body.join('\n')}\n}`;
}

function emitReader(schema: Schema, c: Combinator): string {
    const n = tsName(c.name);
    const unused = c.fields.length === 0 ? '_r' : 'r';
    if (!c.fields.some((f) => f.cond)) {
        const props = [`_: '${c.name}'`, ...c.fields.map((f) => `${f.name}: ${readExpr(schema, f.type, `${c.name}.${f.name}`)}`)];
        return `function r_${n}(${unused}: TlReader): ${n} {\n    return { ${props.join(', ')} };\n}`;
    }
    const body: string[] = [`    const o = { _: '${c.name}' } as ${n};`];
    for (const f of c.fields) {
        const read = readExpr(schema, f.type, `${c.name}.${f.name}`);
        if (f.type.kind === 'flags') {
            body.push(`    const ${f.name} = ${read};`);
            body.push(`    o.${f.name} = ${f.name};`);
        } else if (f.cond) {
            body.push(`    if ((${f.cond.flagsField} & ${hex(2 ** f.cond.bit)}) !== 0) o.${f.name} = ${read};`);
        } else {
            body.push(`    o.${f.name} = ${read};`);
        }
    }
    body.push('    return o;');
    return `function r_${n}(r: TlReader): ${n} {\n${body.join('\n')}\n}`;
}

function emitBoxed(schema: Schema, type: string, members: string[]): string {
    const n = tsName(type);
    const out: string[] = [];
    out.push(`export type ${n} = ${members.map(tsName).join(' | ')};`);
    const wcases = members.map((m) => {
        const c = schema.byName.get(m)!;
        return `        case '${m}':\n            w.uint32(${hex(c.id)});\n            return w_${tsName(m)}(w, o, what);`;
    });
    out.push(
        `function wb_${n}(w: TlWriter, o: ${n}, what = '${type}'): void {\n    needObject(o, what);\n    switch (o._) {\n${wcases.join('\n')}\n        default:\n            throw new ProtocolError('TL_ENCODE', \`\${what}: \${String((o as { _: unknown })._)} is not a ${type} constructor\`);\n    }\n}`,
    );
    const rcases = members.map((m) => `        case ${hex(schema.byName.get(m)!.id)}:\n            return r_${tsName(m)}(r);`);
    out.push(
        `function rb_${n}(r: TlReader): ${n} {\n    const id = r.uint32('${type}');\n    switch (id) {\n${rcases.join('\n')}\n        default:\n            throw new ProtocolError('TL_DECODE', \`${type}: unknown constructor 0x\${hex32(id)}\`);\n    }\n}`,
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

    const map = (name: string, items: string[]) => `export interface ${name} {\n${items.map((i) => `    ${i};`).join('\n')}\n}`;
    out.push(
        map(
            'TlConstructorMap',
            schema.constructors.map((c) => `'${c.name}': ${tsName(c.name)}`),
        ),
        '',
    );
    out.push(
        map(
            'TlFunctionMap',
            schema.functions.map((c) => `'${c.name}': ${tsName(c.name)}`),
        ),
        '',
    );
    out.push(
        map(
            'TlTypeMap',
            [...schema.types.keys()].map((t) => `'${t}': ${tsName(t)}`),
        ),
        '',
    );
    out.push(
        map(
            'TlFunctionResultMap',
            schema.functions.map((c) => `'${c.name}': ${tsName(c.resultType)}`),
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

    out.push('/** Constructor and function IDs (CRC32 of the canonical line unless pinned in the schema). */');
    out.push(
        `export const TL_IDS: { readonly [K in TlName]: number } = {\n${all.map((c) => `    '${c.name}': ${hex(c.id)},`).join('\n')}\n};`,
        '',
    );
    out.push(
        `export const TL_FUNCTION_NAMES: readonly TlFunctionName[] = [\n${schema.functions.map((c) => `    '${c.name}',`).join('\n')}\n];`,
        '',
    );
    out.push('/** Field layout per combinator: [name, type code, flags field, bit] (see tl/json.ts). */');
    out.push(
        `export const TL_FIELDS: { readonly [K in TlName]: readonly (readonly [string, string, string?, number?])[] } = {\n${all
            .map(
                (c) =>
                    `    '${c.name}': [${c.fields.map((f) => `['${f.name}', '${typeCode(f.type)}'${f.cond ? `, '${f.cond.flagsField}', ${f.cond.bit}` : ''}]`).join(', ')}],`,
            )
            .join('\n')}\n};`,
        '',
    );
    out.push('/** Boxed type of each constructor and result type of each function. */');
    out.push(
        `export const TL_RESULT_TYPE: { readonly [K in TlName]: TlTypeName } = {\n${all.map((c) => `    '${c.name}': '${c.resultType}',`).join('\n')}\n};`,
        '',
    );
    out.push(
        `export const TL_TYPES: { readonly [K in TlTypeName]: readonly TlConstructorName[] } = {\n${[...schema.types.entries()]
            .map(([t, ms]) => `    '${t}': [${ms.map((m) => `'${m}'`).join(', ')}],`)
            .join('\n')}\n};`,
        '',
    );
    out.push(
        `export const TL_WRITERS: { readonly [K in TlName]: (w: TlWriter, o: TlAllMap[K]) => void } = {\n${all
            .map((c) => `    '${c.name}': (w, o) => w_${tsName(c.name)}(w, o),`)
            .join('\n')}\n};`,
        '',
    );
    out.push(
        `export const TL_READERS: { readonly [K in TlName]: (r: TlReader) => TlAllMap[K] } = {\n${all
            .map((c) => `    '${c.name}': r_${tsName(c.name)},`)
            .join('\n')}\n};`,
        '',
    );
    out.push(
        `export const TL_BOXED_WRITERS: { readonly [K in TlTypeName]: (w: TlWriter, o: TlTypeMap[K]) => void } = {\n${[
            ...schema.types.keys(),
        ]
            .map((t) => `    '${t}': (w, o) => wb_${tsName(t)}(w, o),`)
            .join('\n')}\n};`,
        '',
    );
    out.push(
        `export const TL_BOXED_READERS: { readonly [K in TlTypeName]: (r: TlReader) => TlTypeMap[K] } = {\n${[...schema.types.keys()]
            .map((t) => `    '${t}': rb_${tsName(t)},`)
            .join('\n')}\n};`,
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
