/**
 * JSON Schema → grammar nodes for constrained decoding.
 *
 * The subset is what OpenAI's strict structured outputs allow, minus the keywords a byte automaton
 * cannot enforce cheaply: `type` (object, array, string, number, integer, boolean, null, or a list of
 * them), `properties`, `required`, `additionalProperties`, `items`, `minItems`, `maxItems`, `enum`,
 * `const`, `anyOf`, nested objects, `$defs`/`definitions` with local `$ref` (recursion included).
 * Annotations (`title`, `description`, `default`, `examples`, `$schema`, `$id`, `$comment`, …) are ignored.
 *
 * Refused with UNSUPPORTED_SCHEMA (the engine would otherwise promise a validity it cannot keep):
 * string `pattern`/`format`/`minLength`/`maxLength`, number bounds and `multipleOf`, `allOf`, `oneOf`,
 * `not`, `if`/`then`/`else`, `patternProperties`, `propertyNames`, `min/maxProperties`, `uniqueItems`,
 * `contains`, `prefixItems`, `dependent*`, `unevaluated*`, non-local `$ref`, `anyOf` or `$ref` mixed with
 * other validation keywords, and schemas no finite document satisfies.
 *
 * What the grammar produces (every produced document is valid; not every valid document is produced):
 * compact JSON (no whitespace between tokens, as JSON.stringify writes it); object properties in the
 * schema's order (as OpenAI's structured outputs write them); optional properties may be left out but
 * properties the schema does not declare are never written (when it declares some); an object without
 * declared properties takes any keys (values per `additionalProperties`, any JSON by default); numbers
 * with at most 21 integer digits, 24 fraction digits and 2 exponent digits (so they stay finite);
 * integers without fraction or exponent; at most MAX_NESTING objects/arrays inside each other.
 */
import { InferenceError } from '../errors';

export type SchemaNode =
    | { kind: 'any'; id: number; min: number }
    | { kind: 'object'; id: number; min: number; props: PropertyNode[]; free: SchemaNode | null; tails?: ObjectTails }
    | { kind: 'array'; id: number; min: number; items: SchemaNode; minItems: number; maxItems: number }
    | { kind: 'string'; id: number; min: number }
    | { kind: 'number'; id: number; min: number; integer: boolean }
    | { kind: 'literal'; id: number; min: number; values: Uint8Array[] }
    | { kind: 'union'; id: number; min: number; options: SchemaNode[] }
    | { kind: 'ref'; id: number; min: number; target: SchemaNode | null; pointer: string };

export interface PropertyNode {
    key: string;
    /** `"key":` as UTF-8, what the grammar writes before the value. */
    keyBytes: Uint8Array;
    node: SchemaNode;
    required: boolean;
}

/** Shortest completions of an object with declared properties, per next property index. */
export interface ObjectTails {
    /** Bytes to finish when the next thing is `}` or the first key (no comma owed). */
    open: number[];
    /** Bytes to finish after a value (a comma is owed before another key). */
    after: number[];
    /** Bytes to finish right after a comma (some key must follow). */
    comma: number[];
}

/** Nesting bound (objects and arrays inside each other): keeps the matcher's stack finite. */
export const MAX_NESTING = 64;
export const NUMBER_LIMITS = { intDigits: 21, fracDigits: 24, expDigits: 2 };

const ANNOTATIONS = new Set([
    'title',
    'description',
    'default',
    'examples',
    '$schema',
    '$id',
    '$comment',
    'deprecated',
    'readOnly',
    'writeOnly',
    '$anchor',
    'nullable',
]);
const SUPPORTED = new Set([
    'type',
    'properties',
    'required',
    'additionalProperties',
    'items',
    'minItems',
    'maxItems',
    'enum',
    'const',
    'anyOf',
    '$ref',
    '$defs',
    'definitions',
]);
const TYPES = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'] as const;
type TypeName = (typeof TYPES)[number];

const utf8 = new TextEncoder();

export function unsupportedSchema(message: string, param: string): InferenceError {
    return new InferenceError('UNSUPPORTED_SCHEMA', message, 400, 'invalid_request_error', param);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function own(o: Record<string, unknown>, k: string): unknown {
    return Object.hasOwn(o, k) ? o[k] : undefined;
}

/** A JSON pointer path for messages: ('properties', 'x') as OpenAI prints it. */
function where(path: string[]): string {
    return path.length ? `at #/${path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` : 'at the schema root';
}

/**
 * Builds nodes; ids are given out in creation order. Nodes of several documents (tool parameters)
 * can be assembled into one grammar by the caller before `finalize`.
 */
export class NodeFactory {
    private next = 0;
    readonly all: SchemaNode[] = [];

    private add<T extends SchemaNode>(n: Omit<T, 'id' | 'min'>): T {
        const node = { ...n, id: this.next++, min: Infinity } as T;
        this.all.push(node);
        return node;
    }
    any() {
        return this.add<Extract<SchemaNode, { kind: 'any' }>>({ kind: 'any' });
    }
    string() {
        return this.add<Extract<SchemaNode, { kind: 'string' }>>({ kind: 'string' });
    }
    number(integer: boolean) {
        return this.add<Extract<SchemaNode, { kind: 'number' }>>({ kind: 'number', integer });
    }
    literal(values: Json[]) {
        const uniq = [...new Set(values.map((v) => JSON.stringify(v)))];
        return this.add<Extract<SchemaNode, { kind: 'literal' }>>({ kind: 'literal', values: uniq.map((s) => utf8.encode(s)) });
    }
    array(items: SchemaNode, minItems = 0, maxItems = Infinity) {
        return this.add<Extract<SchemaNode, { kind: 'array' }>>({ kind: 'array', items, minItems, maxItems });
    }
    object(props: { key: string; node: SchemaNode; required: boolean }[], free: SchemaNode | null = null) {
        const ps = props.map((p) => ({ ...p, keyBytes: utf8.encode(JSON.stringify(p.key) + ':') }));
        return this.add<Extract<SchemaNode, { kind: 'object' }>>({ kind: 'object', props: ps, free });
    }
    union(options: SchemaNode[]) {
        return options.length === 1 ? options[0] : this.add<Extract<SchemaNode, { kind: 'union' }>>({ kind: 'union', options });
    }
    ref(pointer: string) {
        return this.add<Extract<SchemaNode, { kind: 'ref' }>>({ kind: 'ref', target: null, pointer });
    }
}

/** Follow refs to the node that consumes input. */
export function deref(n: SchemaNode): SchemaNode {
    while (n.kind === 'ref') n = n.target!;
    return n;
}

/** Compile one schema document (its `$ref`s resolve inside it). `param` names the request field for errors. */
export function compileSchema(doc: unknown, factory: NodeFactory, param: string): SchemaNode {
    const refs = new Map<string, Extract<SchemaNode, { kind: 'ref' }>>();
    const pending: Extract<SchemaNode, { kind: 'ref' }>[] = [];

    const resolvePointer = (pointer: string, path: string[]): { value: unknown; path: string[] } => {
        if (pointer === '#') return { value: doc, path: [] };
        if (!pointer.startsWith('#/')) {
            throw unsupportedSchema(
                `$ref ${JSON.stringify(pointer)} ${where(path)} is not supported: only local references ("#/$defs/Name", ` +
                    `"#/definitions/Name", "#") can be resolved`,
                param,
            );
        }
        let cur: unknown = doc;
        const parts = pointer
            .slice(2)
            .split('/')
            .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'));
        for (const p of parts) {
            if (Array.isArray(cur) && /^(0|[1-9][0-9]*)$/.test(p) && Number(p) < cur.length) cur = cur[Number(p)];
            else if (isObject(cur) && Object.hasOwn(cur, p)) cur = cur[p];
            else throw unsupportedSchema(`$ref ${JSON.stringify(pointer)} ${where(path)} points to nothing in the schema`, param);
        }
        return { value: cur, path: parts };
    };

    const compile = (s: unknown, path: string[]): SchemaNode => {
        if (s === true) return factory.any();
        if (s === false) throw unsupportedSchema(`the schema ${where(path)} is false: no value satisfies it`, param);
        if (!isObject(s)) throw unsupportedSchema(`the schema ${where(path)} must be an object or a boolean`, param);
        for (const k of Object.keys(s)) {
            if (!SUPPORTED.has(k) && !ANNOTATIONS.has(k)) {
                throw unsupportedSchema(
                    `the keyword ${JSON.stringify(k)} ${where(path)} is not supported by constrained decoding on this server ` +
                        `(supported: ${[...SUPPORTED].join(', ')})`,
                    param,
                );
            }
        }
        const ref = own(s, '$ref');
        const anyOf = own(s, 'anyOf');
        const validation = Object.keys(s).filter((k) => SUPPORTED.has(k) && k !== '$defs' && k !== 'definitions');
        if (ref !== undefined) {
            if (typeof ref !== 'string') throw unsupportedSchema(`$ref ${where(path)} must be a string`, param);
            if (validation.length > 1)
                throw unsupportedSchema(
                    `$ref ${where(path)} cannot be combined with ${validation.filter((k) => k !== '$ref').join(', ')}: ` +
                        `move them into the referenced schema`,
                    param,
                );
            let node = refs.get(ref);
            if (!node) {
                node = factory.ref(ref);
                refs.set(ref, node);
                pending.push(node);
            }
            return node;
        }
        if (anyOf !== undefined) {
            if (!Array.isArray(anyOf) || anyOf.length === 0)
                throw unsupportedSchema(`anyOf ${where(path)} must be a non-empty array of schemas`, param);
            if (validation.length > 1)
                throw unsupportedSchema(
                    `anyOf ${where(path)} cannot be combined with ${validation.filter((k) => k !== 'anyOf').join(', ')}: ` +
                        `move them into each branch`,
                    param,
                );
            return factory.union(anyOf.map((b, i) => compile(b, [...path, 'anyOf', String(i)])));
        }
        const type = own(s, 'type');
        let types: TypeName[];
        if (type === undefined) types = inferTypes(s);
        else if (typeof type === 'string' || Array.isArray(type)) {
            const list = typeof type === 'string' ? [type] : type;
            for (const t of list) {
                if (!TYPES.includes(t as TypeName))
                    throw unsupportedSchema(
                        `type ${JSON.stringify(t)} ${where(path)} is not a JSON Schema type (${TYPES.join(', ')})`,
                        param,
                    );
            }
            types = [...new Set(list as TypeName[])];
            if (types.length === 0) throw unsupportedSchema(`type ${where(path)} is an empty list: no value satisfies it`, param);
        } else throw unsupportedSchema(`type ${where(path)} must be a string or an array of strings`, param);
        // "integer" and "number" together are just "number".
        if (types.includes('number')) types = types.filter((t) => t !== 'integer');

        const literals = literalValues(s, path);
        if (literals) {
            const fit = literals.filter((v) => (types.length === 0 ? true : types.some((t) => hasType(v, t))));
            if (fit.length === 0)
                throw unsupportedSchema(`enum/const ${where(path)} has no value of the schema's type: no value satisfies it`, param);
            return factory.literal(fit);
        }
        if (types.length === 0) return factory.any();
        return factory.union(types.map((t) => compileType(s, t, path)));
    };

    const literalValues = (s: Record<string, unknown>, path: string[]): Json[] | undefined => {
        const en = own(s, 'enum');
        const hasConst = Object.hasOwn(s, 'const');
        if (en === undefined && !hasConst) return undefined;
        let values: Json[] | undefined;
        if (en !== undefined) {
            if (!Array.isArray(en) || en.length === 0) throw unsupportedSchema(`enum ${where(path)} must be a non-empty array`, param);
            values = en as Json[];
        }
        if (hasConst) {
            const c = s.const as Json;
            values = values ? values.filter((v) => JSON.stringify(v) === JSON.stringify(c)) : [c];
            if (values.length === 0)
                throw unsupportedSchema(`const ${where(path)} is not among the enum values: no value satisfies it`, param);
        }
        return values;
    };

    const compileType = (s: Record<string, unknown>, t: TypeName, path: string[]): SchemaNode => {
        switch (t) {
            case 'string':
                return factory.string();
            case 'number':
            case 'integer':
                return factory.number(t === 'integer');
            case 'boolean':
                return factory.literal([true, false]);
            case 'null':
                return factory.literal([null]);
            case 'array': {
                const items = own(s, 'items');
                const minItems = count(s, 'minItems', path) ?? 0;
                const maxItems = count(s, 'maxItems', path) ?? Infinity;
                if (minItems > maxItems) throw unsupportedSchema(`minItems ${where(path)} exceeds maxItems: no array satisfies it`, param);
                if (Array.isArray(items))
                    throw unsupportedSchema(`items ${where(path)} is a list (tuple form): only a single items schema is supported`, param);
                const itemNode = items === undefined ? factory.any() : compile(items, [...path, 'items']);
                return factory.array(itemNode, minItems, maxItems);
            }
            case 'object': {
                const props = own(s, 'properties');
                const required = own(s, 'required');
                const additional = own(s, 'additionalProperties');
                if (props !== undefined && !isObject(props)) throw unsupportedSchema(`properties ${where(path)} must be an object`, param);
                if (required !== undefined && (!Array.isArray(required) || required.some((r) => typeof r !== 'string'))) {
                    throw unsupportedSchema(`required ${where(path)} must be an array of strings`, param);
                }
                const req = new Set((required as string[] | undefined) ?? []);
                const declared = props ? Object.keys(props) : [];
                const list = declared.map((k) => ({ key: k, node: compile(props![k], [...path, 'properties', k]), required: req.has(k) }));
                // A required key the schema does not describe still has to be written: any value fits it.
                for (const k of req) if (!declared.includes(k)) list.push({ key: k, node: factory.any(), required: true });
                if (list.length > 0) return factory.object(list);
                if (additional === false) return factory.object([]);
                const free =
                    additional === undefined || additional === true
                        ? factory.any()
                        : compile(additional, [...path, 'additionalProperties']);
                return factory.object([], free);
            }
        }
    };

    const count = (s: Record<string, unknown>, key: string, path: string[]): number | undefined => {
        const v = own(s, key);
        if (v === undefined) return undefined;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
            throw unsupportedSchema(`${key} ${where(path)} must be a non-negative integer`, param);
        return v;
    };

    const root = compile(doc, []);
    // Resolve references breadth-first; each target is compiled once, so recursion terminates.
    for (let i = 0; i < pending.length; i++) {
        const r = pending[i];
        const { value, path } = resolvePointer(r.pointer, []);
        r.target = compile(value, path);
    }
    for (const r of pending) {
        const seen = new Set<SchemaNode>();
        let n: SchemaNode = r;
        while (n.kind === 'ref') {
            if (seen.has(n))
                throw unsupportedSchema(`$ref ${JSON.stringify(r.pointer)} refers to itself without any schema in between`, param);
            seen.add(n);
            n = n.target!;
        }
    }
    return root;
}

function inferTypes(s: Record<string, unknown>): TypeName[] {
    // Without "type", JSON Schema allows every type; the grammar writes the kind the keywords describe.
    if (Object.hasOwn(s, 'enum') || Object.hasOwn(s, 'const')) return [];
    if (Object.hasOwn(s, 'properties') || Object.hasOwn(s, 'required') || Object.hasOwn(s, 'additionalProperties')) return ['object'];
    if (Object.hasOwn(s, 'items') || Object.hasOwn(s, 'minItems') || Object.hasOwn(s, 'maxItems')) return ['array'];
    return [];
}

function hasType(v: Json, t: TypeName): boolean {
    switch (t) {
        case 'null':
            return v === null;
        case 'boolean':
            return typeof v === 'boolean';
        case 'string':
            return typeof v === 'string';
        case 'number':
            return typeof v === 'number';
        case 'integer':
            return typeof v === 'number' && Number.isInteger(v);
        case 'array':
            return Array.isArray(v);
        case 'object':
            return isObject(v);
    }
}

/**
 * Shortest serialisation of every node (a fixpoint over the graph, since `$ref` can recurse), the
 * object tails, and checks that consume-nothing cycles (a union reaching itself) and unsatisfiable
 * recursion are refused. Returns the nodes reachable from `root`.
 */
export function finalizeGrammar(root: SchemaNode, param: string): SchemaNode[] {
    const nodes: SchemaNode[] = [];
    const seen = new Set<SchemaNode>();
    const visit = (n: SchemaNode) => {
        if (seen.has(n)) return;
        seen.add(n);
        nodes.push(n);
        for (const c of children(n)) visit(c);
    };
    visit(root);
    checkNoEmptyCycles(nodes, param);
    for (let changed = true; changed; ) {
        changed = false;
        for (const n of nodes) {
            const m = shortest(n);
            if (m < n.min) {
                n.min = m;
                changed = true;
            }
        }
    }
    if (!Number.isFinite(root.min))
        throw unsupportedSchema('the schema has no finite instance (every document would recurse forever)', param);
    for (const n of nodes) if (n.kind === 'object') n.tails = objectTails(n.props);
    return nodes;
}

function children(n: SchemaNode): SchemaNode[] {
    switch (n.kind) {
        case 'object':
            return [...n.props.map((p) => p.node), ...(n.free ? [n.free] : [])];
        case 'array':
            return [n.items];
        case 'union':
            return n.options;
        case 'ref':
            return [n.target!];
        default:
            return [];
    }
}

function shortest(n: SchemaNode): number {
    switch (n.kind) {
        case 'any':
        case 'number':
            return 1;
        case 'string':
            return 2;
        case 'literal':
            return Math.min(...n.values.map((v) => v.length));
        case 'union':
            return Math.min(...n.options.map((o) => o.min));
        case 'ref':
            return n.target!.min;
        case 'array':
            return n.minItems === 0 ? 2 : 2 + n.minItems * n.items.min + (n.minItems - 1);
        case 'object': {
            if (n.free || n.props.length === 0) return 2;
            const req = n.props.filter((p) => p.required);
            return 2 + req.reduce((a, p) => a + p.keyBytes.length + p.node.min, 0) + Math.max(0, req.length - 1);
        }
    }
}

function objectTails(props: PropertyNode[]): ObjectTails {
    const n = props.length;
    const reqSum = new Array<number>(n + 1).fill(0);
    const reqCount = new Array<number>(n + 1).fill(0);
    for (let i = n - 1; i >= 0; i--) {
        const p = props[i];
        reqSum[i] = reqSum[i + 1] + (p.required ? p.keyBytes.length + p.node.min : 0);
        reqCount[i] = reqCount[i + 1] + (p.required ? 1 : 0);
    }
    const open: number[] = [];
    const after: number[] = [];
    const comma: number[] = [];
    for (let i = 0; i <= n; i++) {
        open.push(reqSum[i] + Math.max(0, reqCount[i] - 1) + 1);
        after.push(reqSum[i] + reqCount[i] + 1);
    }
    for (let i = 0; i <= n; i++) {
        let best = Infinity;
        for (const j of reachableKeys(props, i)) best = Math.min(best, props[j].keyBytes.length + props[j].node.min + after[j + 1]);
        comma.push(best);
    }
    return { open, after, comma };
}

/** Property indexes that may come next when the next unwritten one is `i`: up to the first required. */
export function reachableKeys(props: PropertyNode[], i: number): number[] {
    const out: number[] = [];
    for (let j = i; j < props.length; j++) {
        out.push(j);
        if (props[j].required) break;
    }
    return out;
}

/** True when no required property remains from index i (the object may close). */
export function canClose(props: PropertyNode[], i: number): boolean {
    for (let j = i; j < props.length; j++) if (props[j].required) return false;
    return true;
}

function checkNoEmptyCycles(nodes: SchemaNode[], param: string): void {
    // Unions and refs consume nothing themselves: a cycle through only those would loop forever.
    const state = new Map<SchemaNode, 1 | 2>();
    const dfs = (n: SchemaNode): void => {
        if (n.kind !== 'union' && n.kind !== 'ref') return;
        const st = state.get(n);
        if (st === 2) return;
        if (st === 1) throw unsupportedSchema('the schema has an anyOf/$ref cycle that consumes no input (left recursion)', param);
        state.set(n, 1);
        for (const c of children(n)) dfs(c);
        state.set(n, 2);
    };
    for (const n of nodes) dfs(n);
}
