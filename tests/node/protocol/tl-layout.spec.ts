/** @jest-environment node */
import * as fs from 'fs';
import * as prettier from 'prettier';
import * as ts from 'typescript';
import * as errors from '../../../node/protocol/errors';
import { GENERATED_PATH, SCHEMA_PATH, generate } from '../../../node/protocol/tl/gen';
import { WIDTH, docComment } from '../../../node/protocol/tl/layout';
import * as runtime from '../../../node/protocol/tl/runtime';

// Names longer than anything in cocoon_api.tl, so every shape the generator emits has to break: the doc comment,
// function signatures, the reader's object, vector writes, the boxed type's union and its error message. With a
// namespace as long as upstream's longest names the result stays within the width; with an absurd one, lines
// Prettier cannot break either (an interface member, the error's template literal) outgrow it, but the text is
// still exactly what Prettier prints.
const longSchema = (ns: string) =>
    [
        `${ns}.someLongConstructorName flags:# first_optional_field_with_a_long_name:flags.0?string`,
        'second_optional_field_with_a_long_name:flags.0?(vector int256) third_field_on_another_bit:flags.1?long',
        'sign_bit_marker_field:flags.31?true mandatory_vector_of_strings_with_long_name:(vector string)',
        `= ${ns}.LongBoxedTypeNameForLayoutChecks;`,
        `${ns}.anotherConstructorSharingTheBoxedType value_with_a_long_name:long other_value:int256`,
        `= ${ns}.LongBoxedTypeNameForLayoutChecks;`,
        `${ns}.yetAnotherConstructorSharingTheBoxedType = ${ns}.LongBoxedTypeNameForLayoutChecks;`,
    ].join(' ');
const generateWith = (ns: string) => generate(`${fs.readFileSync(SCHEMA_PATH, 'utf8')}\n---types---\n${longSchema(ns)}\n`);
const NS = 'layoutCheckNamespace';
const CONSTRUCTOR = `${NS}.someLongConstructorName`;

interface Generated {
    TL_WRITERS: Record<string, (w: runtime.TlWriter, o: object) => void>;
    TL_READERS: Record<string, (r: runtime.TlReader) => object>;
}

/** Compiles generated code and runs it against the real runtime, as generated.ts runs in the node. */
function load(code: string): Generated {
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
    const modules = new Map<string, unknown>([
        ['../errors', errors],
        ['./runtime', runtime],
    ]);
    const module = { exports: {} as Generated };
    const requireStub = (id: string) => {
        if (!modules.has(id)) throw new Error(`generated code imports ${id}`);
        return modules.get(id);
    };
    new Function('exports', 'require', 'module', js.outputText)(module.exports, requireStub, module);
    return module.exports;
}

describe('TL generator layout', () => {
    const code = generateWith(NS);
    const extreme = generateWith(`${NS}WithAnAbsurdlyLongNameThatForcesEveryBreakPrettierKnows`);

    it('keeps every generated line within the project width, for cocoon_api.tl and for longer names', () => {
        const over = (text: string) => text.split('\n').filter((line) => line.length > WIDTH);
        expect(over(fs.readFileSync(GENERATED_PATH, 'utf8'))).toEqual([]);
        expect(over(code)).toEqual([]);
        expect(code).toContain(`export type ${NS}_LongBoxedTypeNameForLayoutChecks =\n    | ${NS}_someLongConstructorName\n`);
    });

    it.each([
        ['upstream-length names', () => code],
        ['absurdly long names', () => extreme],
    ])('prints exactly what Prettier would (%s), so generated.ts passes `npm run lint` unignored', async (_, text) => {
        const options = await prettier.resolveConfig(GENERATED_PATH);
        expect(await prettier.format(text(), { ...options, filepath: GENERATED_PATH })).toBe(text());
    });

    it('rebuilds a left-out flags word from the fields present, bit 31 included, and reads it back', () => {
        const { TL_WRITERS, TL_READERS } = load(code);
        const value = {
            _: CONSTRUCTOR,
            third_field_on_another_bit: -5n,
            sign_bit_marker_field: true,
            mandatory_vector_of_strings_with_long_name: ['a', 'bc'],
        };
        const w = new runtime.TlWriter();
        TL_WRITERS[CONSTRUCTOR](w, value);
        const bytes = w.finish();
        expect(bytes.readUInt32LE(0)).toBe(0x80000002);
        expect(TL_READERS[CONSTRUCTOR](new runtime.TlReader(bytes))).toEqual({ ...value, flags: 0x80000002 });
    });
});

describe('docComment', () => {
    it('keeps a short comment on one line', () => {
        expect(docComment('`tcp.ping id:long = tcp.Packet` (0xbbe9627c)')).toBe('/** `tcp.ping id:long = tcp.Packet` (0xbbe9627c) */');
    });

    it('wraps a long one at spaces without losing or reordering a word', () => {
        const words = Array.from({ length: 60 }, (_, i) => `word_${i}:int`);
        const comment = docComment(words.join(' '), '    ');
        const lines = comment.split('\n');
        expect(lines[0]).toBe('    /**');
        expect(lines[lines.length - 1]).toBe('     */');
        const body = lines.slice(1, -1);
        expect(body.every((line) => line.startsWith('     * ') && line.length <= WIDTH)).toBe(true);
        expect(body.map((line) => line.slice('     * '.length)).join(' ')).toBe(words.join(' '));
        expect(body[0].length + ' word_xx:int'.length).toBeGreaterThan(WIDTH);
    });
});
