/**
 * A byte-level matcher for the grammar of schema.ts: a pushdown automaton whose state says whether the
 * bytes so far are a prefix of a schema-valid document (compact JSON, see schema.ts), whether they are
 * a whole one, and how many bytes the shortest completion still needs.
 *
 * A state is a set of configurations (anyOf keeps several alive until the bytes tell them apart); a
 * configuration is an immutable linked stack of frames, so a state can be extended byte by byte for
 * every vocabulary token without copying anything (the token mask walks a trie of the vocabulary).
 * Each frame knows its shortest completion (`min`), so a stack's is the sum over its frames.
 */
import { InferenceError } from '../errors';
import { canClose, deref, MAX_NESTING, NUMBER_LIMITS, ObjectTails, PropertyNode, reachableKeys, SchemaNode } from './schema';

type Alternatives = Frame[][];
const NONE: Alternatives = [];

interface Frame {
    /** The value this frame writes is complete (it may be popped; it may also go on, like a number). */
    readonly done: boolean;
    /** Bytes this frame still needs at least, once the frames above it are complete. */
    readonly min: number;
    /** Identity of the frame's state, for deduplication and the mask cache. */
    readonly key: string;
    /** Byte transitions: each alternative replaces this frame with these frames (the last is the new top). */
    step(b: number): Alternatives;
    /** This frame once the child value above it is complete. */
    afterChild(): Frame;
}

const Q = 0x22; // "
const BACKSLASH = 0x5c;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isHex = (b: number) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);

function fail(): Frame {
    throw new Error('frame has no child');
}

// ---- values ------------------------------------------------------------------------------------------

/** Expecting the first byte of a value of `node`. */
class ValueFrame implements Frame {
    readonly done = false;
    readonly min: number;
    readonly key: string;
    constructor(readonly node: SchemaNode) {
        this.min = node.min;
        this.key = `v${node.id}`;
    }
    step(b: number): Alternatives {
        const out: Alternatives = [];
        startValue(this.node, b, out);
        return out;
    }
    afterChild = fail;
}

/** Alternatives for a value of `node` that begins with byte b. */
function startValue(node: SchemaNode, b: number, out: Alternatives): void {
    const n = deref(node);
    switch (n.kind) {
        case 'union':
            for (const o of n.options) startValue(o, b, out);
            return;
        case 'object':
            if (b === 0x7b)
                out.push([
                    n.free ? new FreeObjectFrame(n.free, FO_OPEN) : new PropObjectFrame(n.props, n.tails!, n.id, PO_OPEN, 0, NO_CANDS, 0),
                ]);
            return;
        case 'array':
            if (b === 0x5b) out.push([new ArrayFrame(n.items, n.minItems, n.maxItems, n.id, AR_OPEN, 0)]);
            return;
        case 'string':
            if (b === Q) out.push([STR_NORMAL]);
            return;
        case 'number': {
            const f = numberStart(b, n.integer);
            if (f) out.push([f]);
            return;
        }
        case 'literal':
            literalStart(n.id, n.values, b, out);
            return;
        case 'any':
            if (b === 0x7b) out.push([new FreeObjectFrame(n, FO_OPEN)]);
            else if (b === 0x5b) out.push([new ArrayFrame(n, 0, Infinity, n.id, AR_OPEN, 0)]);
            else if (b === Q) out.push([STR_NORMAL]);
            else {
                const f = numberStart(b, false);
                if (f) out.push([f]);
                else literalStart(-1, ANY_LITERALS, b, out);
            }
            return;
        case 'ref':
            return; // deref never returns a ref
    }
}

const utf8 = new TextEncoder();
const ANY_LITERALS = ['true', 'false', 'null'].map((s) => utf8.encode(s));

// ---- literals (enum, const, booleans, null) ----------------------------------------------------------

class LiteralFrame implements Frame {
    readonly done: boolean;
    readonly min: number;
    readonly key: string;
    constructor(
        readonly id: number,
        readonly values: Uint8Array[],
        readonly alive: number[],
        readonly pos: number,
    ) {
        let done = false;
        let min = Infinity;
        for (const i of alive) {
            const left = values[i].length - pos;
            if (left === 0) done = true;
            if (left < min) min = left;
        }
        this.done = done;
        this.min = min;
        this.key = `l${id}.${pos}.${alive.join(',')}`;
    }
    step(b: number): Alternatives {
        const next = this.alive.filter((i) => this.values[i].length > this.pos && this.values[i][this.pos] === b);
        return next.length ? [[new LiteralFrame(this.id, this.values, next, this.pos + 1)]] : NONE;
    }
    afterChild = fail;
}

function literalStart(id: number, values: Uint8Array[], b: number, out: Alternatives): void {
    const alive: number[] = [];
    values.forEach((v, i) => {
        if (v[0] === b) alive.push(i);
    });
    if (alive.length) out.push([new LiteralFrame(id, values, alive, 1)]);
}

// ---- strings -----------------------------------------------------------------------------------------

const S_NORMAL = 0;
const S_CLOSED = 1;
const S_ESCAPE = 2;
const S_HEX = 3;
const S_UTF8 = 4;

/** Inside a string (after the opening quote). Strings carry no node data, so their frames are shared. */
class StringFrame implements Frame {
    readonly done: boolean;
    readonly min: number;
    readonly key: string;
    constructor(
        readonly stage: number,
        readonly left = 0,
        readonly lo = 0x80,
        readonly hi = 0xbf,
    ) {
        this.done = stage === S_CLOSED;
        this.min = stage === S_NORMAL ? 1 : stage === S_CLOSED ? 0 : stage === S_ESCAPE ? 2 : left + 1;
        this.key = `s${stage}.${left}.${lo}.${hi}`;
    }
    step(b: number): Alternatives {
        switch (this.stage) {
            case S_NORMAL:
                if (b === Q) return ALT_STR_CLOSED;
                if (b === BACKSLASH) return ALT_STR_ESCAPE;
                if (b < 0x20) return NONE;
                if (b < 0x80) return ALT_STR_NORMAL;
                return utf8Lead(b);
            case S_ESCAPE:
                if (b === 0x75) return ALT_HEX[4];
                return b === Q || b === BACKSLASH || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74
                    ? ALT_STR_NORMAL
                    : NONE;
            case S_HEX:
                if (!isHex(b)) return NONE;
                return this.left === 1 ? ALT_STR_NORMAL : ALT_HEX[this.left - 1];
            case S_UTF8:
                if (b < this.lo || b > this.hi) return NONE;
                return this.left === 1 ? ALT_STR_NORMAL : ALT_CONT[this.left - 1];
            default:
                return NONE;
        }
    }
    afterChild = fail;
}

const STR_NORMAL = new StringFrame(S_NORMAL);
const ALT_STR_NORMAL: Alternatives = [[STR_NORMAL]];
const ALT_STR_CLOSED: Alternatives = [[new StringFrame(S_CLOSED)]];
const ALT_STR_ESCAPE: Alternatives = [[new StringFrame(S_ESCAPE)]];
const ALT_HEX: Alternatives[] = [0, 1, 2, 3, 4].map((k) => [[new StringFrame(S_HEX, k)]]);
/** Plain continuation bytes still owed (80..BF). */
const ALT_CONT: Alternatives[] = [0, 1, 2, 3].map((k) => [[new StringFrame(S_UTF8, k)]]);

/** Well-formed UTF-8 only (no overlongs, no surrogates, nothing above U+10FFFF): RFC 3629 table 3-7. */
function utf8Lead(b: number): Alternatives {
    if (b >= 0xc2 && b <= 0xdf) return ALT_CONT[1];
    if (b === 0xe0) return ALT_E0;
    if (b === 0xed) return ALT_ED;
    if (b >= 0xe1 && b <= 0xef) return ALT_CONT[2];
    if (b === 0xf0) return ALT_F0;
    if (b >= 0xf1 && b <= 0xf3) return ALT_CONT[3];
    if (b === 0xf4) return ALT_F4;
    return NONE;
}
const ALT_E0: Alternatives = [[new StringFrame(S_UTF8, 2, 0xa0, 0xbf)]];
const ALT_ED: Alternatives = [[new StringFrame(S_UTF8, 2, 0x80, 0x9f)]];
const ALT_F0: Alternatives = [[new StringFrame(S_UTF8, 3, 0x90, 0xbf)]];
const ALT_F4: Alternatives = [[new StringFrame(S_UTF8, 3, 0x80, 0x8f)]];

// ---- numbers -----------------------------------------------------------------------------------------

const N_MINUS = 0;
const N_ZERO = 1;
const N_INT = 2;
const N_DOT = 3;
const N_FRAC = 4;
const N_E = 5;
const N_ESIGN = 6;
const N_EXP = 7;

class NumberFrame implements Frame {
    readonly done: boolean;
    readonly min: number;
    readonly key: string;
    constructor(
        readonly integer: boolean,
        readonly stage: number,
        readonly digits = 0,
    ) {
        this.done = stage === N_ZERO || stage === N_INT || stage === N_FRAC || stage === N_EXP;
        this.min = this.done ? 0 : 1;
        this.key = `n${integer ? 'i' : 'f'}${stage}.${digits}`;
    }
    step(b: number): Alternatives {
        const L = NUMBER_LIMITS;
        const to = (stage: number, digits = 0) => [[new NumberFrame(this.integer, stage, digits)]];
        const fracOrExp = (): Alternatives => {
            if (this.integer) return NONE;
            if (b === 0x2e) return to(N_DOT);
            if (b === 0x65 || b === 0x45) return to(N_E);
            return NONE;
        };
        switch (this.stage) {
            case N_MINUS:
                if (b === 0x30) return to(N_ZERO);
                return isDigit(b) ? to(N_INT, 1) : NONE;
            case N_ZERO:
                return fracOrExp();
            case N_INT:
                if (isDigit(b)) return this.digits < L.intDigits ? to(N_INT, this.digits + 1) : NONE;
                return fracOrExp();
            case N_DOT:
                return isDigit(b) ? to(N_FRAC, 1) : NONE;
            case N_FRAC:
                if (isDigit(b)) return this.digits < L.fracDigits ? to(N_FRAC, this.digits + 1) : NONE;
                return b === 0x65 || b === 0x45 ? to(N_E) : NONE;
            case N_E:
                if (b === 0x2b || b === 0x2d) return to(N_ESIGN);
                return isDigit(b) ? to(N_EXP, 1) : NONE;
            case N_ESIGN:
                return isDigit(b) ? to(N_EXP, 1) : NONE;
            case N_EXP:
                return isDigit(b) && this.digits < L.expDigits ? to(N_EXP, this.digits + 1) : NONE;
            default:
                return NONE;
        }
    }
    afterChild = fail;
}

function numberStart(b: number, integer: boolean): Frame | null {
    if (b === 0x2d) return new NumberFrame(integer, N_MINUS);
    if (b === 0x30) return new NumberFrame(integer, N_ZERO);
    if (isDigit(b)) return new NumberFrame(integer, N_INT, 1);
    return null;
}

// ---- objects with declared properties ---------------------------------------------------------------

const PO_OPEN = 0; // after "{"
const PO_KEY = 1; // inside `"key":`, candidates still matching
const PO_VALUE = 2; // the value of property i is being written (frame above)
const PO_AFTER = 3; // after a value; i = next property index
const PO_COMMA = 4; // after ","; a key must follow
const PO_CLOSED = 5;
const NO_CANDS: number[] = [];

class PropObjectFrame implements Frame {
    readonly done: boolean;
    readonly min: number;
    readonly key: string;
    constructor(
        readonly props: PropertyNode[],
        readonly tails: ObjectTails,
        readonly id: number,
        readonly stage: number,
        readonly i: number,
        readonly cands: number[],
        readonly pos: number,
    ) {
        this.done = stage === PO_CLOSED;
        switch (stage) {
            case PO_OPEN:
                this.min = tails.open[0];
                break;
            case PO_KEY: {
                let m = Infinity;
                for (const j of cands) m = Math.min(m, props[j].keyBytes.length - pos + props[j].node.min + tails.after[j + 1]);
                this.min = m;
                break;
            }
            case PO_VALUE:
                this.min = tails.after[i + 1];
                break;
            case PO_AFTER:
                this.min = tails.after[i];
                break;
            case PO_COMMA:
                this.min = tails.comma[i];
                break;
            default:
                this.min = 0;
        }
        this.key = `o${id}.${stage}.${i}.${pos}.${cands.join(',')}`;
    }
    private to(stage: number, i: number, cands = NO_CANDS, pos = 0): PropObjectFrame {
        return new PropObjectFrame(this.props, this.tails, this.id, stage, i, cands, pos);
    }
    private keyStart(from: number): Alternatives {
        const cands = reachableKeys(this.props, from);
        return cands.length ? [[this.to(PO_KEY, from, cands, 1)]] : NONE;
    }
    step(b: number): Alternatives {
        switch (this.stage) {
            case PO_OPEN:
                if (b === 0x7d) return canClose(this.props, 0) ? [[this.to(PO_CLOSED, 0)]] : NONE;
                return b === Q ? this.keyStart(0) : NONE;
            case PO_KEY: {
                const next = this.cands.filter((j) => this.props[j].keyBytes[this.pos] === b);
                if (!next.length) return NONE;
                // Keys end with `":`, so none is a prefix of another: at most one completes here.
                const whole = next.find((j) => this.props[j].keyBytes.length === this.pos + 1);
                if (whole !== undefined) return [[this.to(PO_VALUE, whole), new ValueFrame(this.props[whole].node)]];
                return [[this.to(PO_KEY, this.i, next, this.pos + 1)]];
            }
            case PO_AFTER:
                if (b === 0x2c) return reachableKeys(this.props, this.i).length ? [[this.to(PO_COMMA, this.i)]] : NONE;
                if (b === 0x7d) return canClose(this.props, this.i) ? [[this.to(PO_CLOSED, this.i)]] : NONE;
                return NONE;
            case PO_COMMA:
                return b === Q ? this.keyStart(this.i) : NONE;
            default:
                return NONE;
        }
    }
    afterChild(): Frame {
        return this.to(PO_AFTER, this.i + 1);
    }
}

// ---- objects with free keys (json_object, additionalProperties) --------------------------------------

const FO_OPEN = 0;
const FO_KEY = 1; // key string above
const FO_COLON = 2;
const FO_VALUE = 3; // value above
const FO_AFTER = 4;
const FO_COMMA = 5;
const FO_CLOSED = 6;

class FreeObjectFrame implements Frame {
    readonly done: boolean;
    readonly min: number;
    readonly key: string;
    constructor(
        readonly value: SchemaNode,
        readonly stage: number,
    ) {
        this.done = stage === FO_CLOSED;
        const v = value.min;
        this.min = [1, v + 2, v + 2, 1, 1, v + 4, 0][stage];
        this.key = `f${value.id}.${stage}`;
    }
    step(b: number): Alternatives {
        switch (this.stage) {
            case FO_OPEN:
            case FO_AFTER:
                if (b === 0x7d) return [[new FreeObjectFrame(this.value, FO_CLOSED)]];
                if (this.stage === FO_AFTER) return b === 0x2c ? [[new FreeObjectFrame(this.value, FO_COMMA)]] : NONE;
                return b === Q ? [[new FreeObjectFrame(this.value, FO_KEY), STR_NORMAL]] : NONE;
            case FO_COMMA:
                return b === Q ? [[new FreeObjectFrame(this.value, FO_KEY), STR_NORMAL]] : NONE;
            case FO_COLON:
                return b === 0x3a ? [[new FreeObjectFrame(this.value, FO_VALUE), new ValueFrame(this.value)]] : NONE;
            default:
                return NONE;
        }
    }
    afterChild(): Frame {
        return new FreeObjectFrame(this.value, this.stage === FO_KEY ? FO_COLON : FO_AFTER);
    }
}

// ---- arrays ------------------------------------------------------------------------------------------

const AR_OPEN = 0;
const AR_ITEM = 1; // item above; count includes it
const AR_AFTER = 2;
const AR_COMMA = 3;
const AR_CLOSED = 4;

class ArrayFrame implements Frame {
    readonly done: boolean;
    readonly min: number;
    readonly key: string;
    constructor(
        readonly items: SchemaNode,
        readonly minItems: number,
        readonly maxItems: number,
        readonly id: number,
        readonly stage: number,
        readonly count: number,
    ) {
        this.done = stage === AR_CLOSED;
        const rest = (c: number) => Math.max(0, minItems - c) * (1 + items.min) + 1;
        switch (stage) {
            case AR_OPEN:
                this.min = minItems === 0 ? 1 : minItems * items.min + minItems;
                break;
            case AR_ITEM:
            case AR_AFTER:
                this.min = rest(count);
                break;
            case AR_COMMA:
                this.min = items.min + rest(count + 1);
                break;
            default:
                this.min = 0;
        }
        // The count matters only while a bound can still be hit.
        const c = minItems === 0 && maxItems === Infinity ? 0 : count;
        this.key = `a${id}.${stage}.${c}`;
    }
    private to(stage: number, count: number): ArrayFrame {
        return new ArrayFrame(this.items, this.minItems, this.maxItems, this.id, stage, count);
    }
    private item(b: number): Alternatives {
        if (this.count + 1 > this.maxItems) return NONE;
        const out: Alternatives = [];
        startValue(this.items, b, out);
        const holder = this.to(AR_ITEM, this.count + 1);
        return out.map((alt) => [holder, ...alt]);
    }
    step(b: number): Alternatives {
        switch (this.stage) {
            case AR_OPEN:
                if (b === 0x5d) return this.minItems === 0 ? [[this.to(AR_CLOSED, 0)]] : NONE;
                return this.item(b);
            case AR_AFTER:
                if (b === 0x5d) return this.count >= this.minItems ? [[this.to(AR_CLOSED, this.count)]] : NONE;
                return b === 0x2c && this.count < this.maxItems ? [[this.to(AR_COMMA, this.count)]] : NONE;
            case AR_COMMA:
                return this.item(b);
            default:
                return NONE;
        }
    }
    afterChild(): Frame {
        return this.to(AR_AFTER, this.count);
    }
}

// ---- stacks and states -------------------------------------------------------------------------------

class Stack {
    readonly depth: number;
    /** Shortest completion of the whole configuration. */
    readonly total: number;
    private k: string | undefined;
    constructor(
        readonly frame: Frame,
        readonly parent: Stack | null,
    ) {
        this.depth = parent ? parent.depth + 1 : 1;
        this.total = frame.min + (parent ? parent.total : 0);
    }
    get key(): string {
        if (this.k === undefined) this.k = this.parent ? `${this.frame.key}|${this.parent.key}` : this.frame.key;
        return this.k;
    }
}

/** Frames per nesting level is one (containers replace their value frame), plus the value being written. */
const MAX_STACK = MAX_NESTING + 2;

function accepting(s: Stack): boolean {
    // Containers waiting for a child are never done, so only a lone done frame accepts.
    return s.parent === null && s.frame.done;
}

function feedStack(s: Stack, b: number, out: Stack[]): void {
    let cur: Stack | null = s;
    while (cur) {
        for (const alt of cur.frame.step(b)) {
            let base: Stack | null = cur.parent;
            for (const f of alt) base = new Stack(f, base);
            if (base && base.depth <= MAX_STACK) out.push(base);
        }
        if (!cur.frame.done || !cur.parent) break;
        // The value on top is complete: the byte may belong to its container instead.
        const p: Stack = cur.parent;
        cur = new Stack(p.frame.afterChild(), p.parent);
    }
}

/**
 * Configurations alive at once. Ambiguous `anyOf` branches nested in each other multiply them (two
 * look-alike branches per level, 20 levels: a million); past this bound the request fails instead of
 * the server spending seconds per byte.
 */
export const MAX_CONFIGS = 1024;

/** Where the matcher is after some bytes. Immutable; `feed` returns a new state or null (byte refused). */
export class MatchState {
    private k: string | undefined;
    private constructor(private readonly configs: Stack[]) {}

    static start(root: SchemaNode): MatchState {
        return new MatchState([new Stack(new ValueFrame(root), null)]);
    }

    feed(b: number): MatchState | null {
        const out: Stack[] = [];
        for (const s of this.configs) feedStack(s, b, out);
        if (out.length === 0) return null;
        if (out.length === 1) return new MatchState(out);
        const seen = new Map<string, Stack>();
        for (const s of out) if (!seen.has(s.key)) seen.set(s.key, s);
        if (seen.size > MAX_CONFIGS) {
            throw new InferenceError(
                'UNSUPPORTED_SCHEMA',
                `the schema is too ambiguous for constrained decoding: more than ${MAX_CONFIGS} ways to read the same output ` +
                    `(anyOf branches that look alike, nested in each other); ` +
                    `make the branches differ early (a distinct key or const)`,
                400,
                'invalid_request_error',
                null,
            );
        }
        return new MatchState([...seen.values()]);
    }

    feedBytes(bytes: Uint8Array): MatchState | null {
        // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk starts at this state
        let st: MatchState | null = this;
        for (let i = 0; i < bytes.length && st; i++) st = st.feed(bytes[i]);
        return st;
    }

    /** The bytes so far are a whole valid document. */
    get accepting(): boolean {
        return this.configs.some(accepting);
    }

    /** Fewest bytes that complete a valid document from here. */
    get minRemaining(): number {
        let m = Infinity;
        for (const s of this.configs) if (s.total < m) m = s.total;
        return m;
    }

    get key(): string {
        if (this.k === undefined)
            this.k =
                this.configs.length === 1
                    ? this.configs[0].key
                    : this.configs
                          .map((s) => s.key)
                          .sort()
                          .join('#');
        return this.k;
    }
}

/** Whole-document check (tests, and the server checking its own output): compact JSON valid for `root`. */
export function matches(root: SchemaNode, bytes: Uint8Array): boolean {
    const st = MatchState.start(root).feedBytes(bytes);
    return !!st && st.accepting;
}
