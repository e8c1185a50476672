/**
 * Line layout for the TL generator. generated.ts is linted like every other file (140 columns, Prettier), so the
 * generator prints it the way Prettier would instead of running Prettier on it: generation stays synchronous and
 * free of dev dependencies. Every shape gen.ts emits breaks the same simple way in Prettier: a bracketed list on
 * one line when it fits, otherwise one item per line with a trailing comma.
 */
export const WIDTH = 140;
export const INDENT = '    ';

export type Doc = string | List | Pair;

export interface List {
    readonly open: string;
    readonly items: readonly Doc[];
    readonly close: string;
    /** `{ a, b }` pads its one-line form with spaces; calls, parameter lists and arrays do not. */
    readonly pad?: boolean;
    /** Prettier always breaks an array of two or more items that are all arrays of two or more entries. */
    readonly broken?: boolean;
}

/**
 * `head body` that may break after the head (`key:`, `left =`, `(e0) =>`), in one of Prettier's assignment layouts:
 * `never` keeps the body beside the head, `whole` moves it to the next line unless all of it fits, `first` moves it
 * only when its first piece (up to where it can break) does not fit beside the head.
 */
export interface Pair {
    readonly head: string;
    readonly body: Doc;
    readonly breaks: 'never' | 'whole' | 'first';
}

export const call = (callee: string, args: readonly Doc[]): List => ({ open: `${callee}(`, items: args, close: ')' });

export const object = (props: readonly Doc[]): List => ({ open: '{', items: props, close: '}', pad: true });

export function array(items: readonly Doc[]): List {
    const tuples = items.length > 1 && items.every((i) => typeof i !== 'string' && 'open' in i && i.open === '[' && i.items.length > 1);
    return { open: '[', items, close: ']', broken: tuples };
}

export const arrow = (params: string, body: Doc): Pair => ({ head: `${params} =>`, body, breaks: 'whole' });

/** An object property; Prettier never breaks after a key narrower than its tab width plus three. */
export const property = (key: string, value: Doc): Pair => ({
    head: `${key}:`,
    body: value,
    breaks: key.length < INDENT.length + 3 ? 'never' : assignmentBreak(value),
});

export const assignment = (left: string, value: Doc): Pair => ({ head: `${left} =`, body: value, breaks: assignmentBreak(value) });

/** Prettier's "lone short argument": at most a quarter of the width, so a call of it hardly breaks. */
const loneShort = (d: Doc) => typeof d === 'string' && d.length <= WIDTH / 4;

function assignmentBreak(value: Doc): Pair['breaks'] {
    if (typeof value === 'string') return /^(0x[0-9a-f]+|\d+|true|false)$/.test(value) ? 'never' : 'whole';
    if ('head' in value) return 'first';
    const call = value.open.endsWith('(');
    return call && (value.items.length === 0 || (value.items.length === 1 && loneShort(value.items[0]))) ? 'whole' : 'first';
}

/** Text glued in front of a Doc (`return `, `const o = `); it never breaks. */
export function prefixed(prefix: string, d: Doc): Doc {
    if (typeof d === 'string') return prefix + d;
    return 'head' in d ? { ...d, head: prefix + d.head } : { ...d, open: prefix + d.open };
}

/** Prettier's quoteProps "as-needed": a key is quoted only when it is not an identifier. */
export const propertyKey = (name: string): string => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : `'${name}'`);

const fits = (line: string): boolean => line.length <= WIDTH;

export function flat(d: Doc): string {
    if (typeof d === 'string') return d;
    if ('head' in d) return `${d.head} ${flat(d.body)}`;
    const inner = d.items.map(flat).join(', ');
    return d.pad && inner ? `${d.open} ${inner} ${d.close}` : `${d.open}${inner}${d.close}`;
}

/** A forced break inside a Doc breaks everything around it too (Prettier propagates it to the enclosing groups). */
function mustBreak(d: Doc): boolean {
    if (typeof d === 'string') return false;
    return 'head' in d ? mustBreak(d.body) : d.broken === true || d.items.some(mustBreak);
}

/** What has to fit before the first place `d` can break. */
function firstPiece(d: Doc, suffix: string): string {
    if (typeof d === 'string') return d + suffix;
    if ('head' in d) return d.head;
    return d.items.length > 0 ? d.open : flat(d) + suffix;
}

/** Prints `d` at the column of `indent`, then `suffix`; every line after the first carries its own indentation. */
export function layout(d: Doc, indent: string, suffix = ''): string {
    const one = flat(d) + suffix;
    if (typeof d === 'string') return one;
    const inner = indent + INDENT;
    const broken = mustBreak(d);
    if ('head' in d) {
        if (!broken && fits(indent + one)) return one;
        const beside = d.breaks === 'never' || (d.breaks === 'first' && fits(`${indent}${d.head} ${firstPiece(d.body, suffix)}`));
        return beside ? layout(prefixed(`${d.head} `, d.body), indent, suffix) : `${d.head}\n${inner}${layout(d.body, inner, suffix)}`;
    }
    if (!broken && fits(indent + one)) return one;
    const items = d.items.map((item) => inner + layout(item, inner, ','));
    return `${d.open}\n${items.join('\n')}\n${indent}${d.close}${suffix}`;
}

export const statement = (d: Doc, indent: string): string => indent + layout(d, indent, ';');

/** `if (test) body;`, the body moving to its own line when the whole does not fit (as Prettier does). */
export function ifStatement(test: string, body: Doc, indent: string): string {
    const head = `${indent}if (${test})`;
    const one = `${head} ${flat(body)};`;
    return fits(one) ? one : `${head}\n${statement(body, indent + INDENT)}`;
}

/** A JSDoc comment, on one line when it fits, otherwise wrapped at spaces (a word longer than a line stays whole). */
export function docComment(text: string, indent = ''): string {
    const one = `${indent}/** ${text} */`;
    if (fits(one)) return one;
    const start = `${indent} *`;
    const lines: string[] = [];
    let line = start;
    for (const word of text.split(' ')) {
        if (line !== start && !fits(`${line} ${word}`)) {
            lines.push(line);
            line = start;
        }
        line += ` ${word}`;
    }
    lines.push(line);
    return [`${indent}/**`, ...lines, `${indent} */`].join('\n');
}

export function unionType(name: string, members: readonly string[]): string {
    const one = `export type ${name} = ${members.join(' | ')};`;
    return fits(one) ? one : `export type ${name} =\n${members.map((m) => `${INDENT}| ${m}`).join('\n')};`;
}
