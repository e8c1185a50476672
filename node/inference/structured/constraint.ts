/**
 * Constrained decoding over a model vocabulary: at every step only the tokens whose bytes keep the
 * output a prefix of a schema-valid document may be sampled, and the output is steered to close in time.
 *
 * - Every plain-text token's byte string is put in a trie once per tokenizer (`Vocabulary`); control
 *   tokens and chat markers (<think>, <|end|>) are never allowed inside constrained output.
 * - For a matcher state, one walk of the trie gives every valid token and the shortest completion after
 *   it (`TokenMasker.entry`); the result is cached per state, so the common states (inside a string,
 *   after a comma) cost a table lookup.
 * - Closing in time: a token is allowed only if the shortest completion after it fits in the tokens
 *   left (`budget - 1`). Every byte is a token of its own in the vocabularies the engine runs
 *   (SentencePiece byte fallback), so that invariant, once true, stays true to the end: the document
 *   always closes before max_tokens or the context runs out.
 * - Ending: when the document is complete and nothing may follow, generation stops at once (no
 *   end-of-sequence token is sampled); when it is complete but could go on (a top-level number), the
 *   end-of-generation tokens are allowed too.
 */
import type { DecodingConstraint } from '../engine/engine';
import type { Tokenizer } from '../engine/tokenizer';
import { MatchState } from './matcher';
import { finalizeGrammar, SchemaNode } from './schema';

/** A finalised grammar: the root node and its shortest document. */
export class JsonGrammar {
    readonly minBytes: number;
    constructor(
        readonly root: SchemaNode,
        param: string,
    ) {
        finalizeGrammar(root, param);
        this.minBytes = root.min;
    }
    start(): MatchState {
        return MatchState.start(this.root);
    }
}

class TrieNode {
    readonly bytes: number[] = [];
    readonly kids: TrieNode[] = [];
    readonly tokens: number[] = [];
    child(b: number): TrieNode {
        const i = this.bytes.indexOf(b);
        if (i >= 0) return this.kids[i];
        const n = new TrieNode();
        this.bytes.push(b);
        this.kids.push(n);
        return n;
    }
}

/** The token byte strings of one tokenizer, as a trie. */
export class Vocabulary {
    private static readonly cache = new WeakMap<Tokenizer, Vocabulary>();
    readonly size: number;
    readonly root = new TrieNode();
    readonly endOfGeneration: number[];
    /** Every byte value is a token of its own (the closing-in-time guarantee relies on it). */
    readonly everyByteIsAToken: boolean;

    private constructor(readonly tokenizer: Tokenizer) {
        this.size = tokenizer.vocabSize;
        this.endOfGeneration = [...tokenizer.endOfGeneration];
        const single = new Set<number>();
        for (let id = 0; id < this.size; id++) {
            if (!tokenizer.isPlainText(id)) continue;
            const bytes = tokenizer.bytesOf(id);
            if (bytes.length === 1) single.add(bytes[0]);
            let n = this.root;
            for (const b of bytes) n = n.child(b);
            n.tokens.push(id);
        }
        this.everyByteIsAToken = single.size === 256;
    }

    static of(tokenizer: Tokenizer): Vocabulary {
        let v = Vocabulary.cache.get(tokenizer);
        if (!v) {
            v = new Vocabulary(tokenizer);
            Vocabulary.cache.set(tokenizer, v);
        }
        return v;
    }

    bytesOf(id: number): Uint8Array {
        return this.tokenizer.bytesOf(id);
    }
}

export interface MaskEntry {
    /** Per token: the shortest completion (bytes) after it, or -1 when the token is not allowed. */
    after: Int32Array;
    /** Some token may follow (false: the document cannot be extended). */
    extensible: boolean;
}

/** Valid-token tables for one grammar over one vocabulary, cached by matcher state. */
export class TokenMasker {
    private readonly cache = new Map<string, MaskEntry>();
    private readonly maxEntries: number;
    /** Tables computed (cache misses) and served from the cache: the benchmark reports them. */
    readonly stats = { computed: 0, cached: 0 };

    constructor(
        readonly grammar: JsonGrammar,
        readonly vocab: Vocabulary,
        opts: { cacheBytes?: number } = {},
    ) {
        // Bound the cache by memory: one Int32Array per state (at least a few, or every step would recompute).
        this.maxEntries = Math.max(4, Math.floor((opts.cacheBytes ?? 16 << 20) / (4 * vocab.size)));
    }

    entry(state: MatchState): MaskEntry {
        const key = state.key;
        const hit = this.cache.get(key);
        if (hit) {
            this.stats.cached++;
            return hit;
        }
        this.stats.computed++;
        const after = new Int32Array(this.vocab.size).fill(-1);
        let extensible = false;
        const walk = (node: TrieNode, st: MatchState): void => {
            for (let k = 0; k < node.kids.length; k++) {
                const next = st.feed(node.bytes[k]);
                if (!next) continue;
                const kid = node.kids[k];
                if (kid.tokens.length) {
                    const m = next.minRemaining;
                    for (const t of kid.tokens) after[t] = m;
                    extensible = true;
                }
                if (kid.kids.length) walk(kid, next);
            }
        };
        walk(this.vocab.root, state);
        const e = { after, extensible };
        if (this.cache.size >= this.maxEntries) this.cache.clear();
        this.cache.set(key, e);
        return e;
    }
}

/** Output restricted to one grammar (response_format json_object / json_schema, or tool calls). */
export class GrammarConstraint implements DecodingConstraint {
    private state: MatchState;

    constructor(readonly masker: TokenMasker) {
        this.state = masker.grammar.start();
    }

    /** The output so far is a whole document. */
    get complete(): boolean {
        return this.state.accepting;
    }

    /** Per token, the shortest completion after it from the current state (-1: refused). */
    table(): Int32Array {
        return this.masker.entry(this.state).after;
    }

    mask(logits: Float32Array, budget: number): 'sample' | 'finish' {
        const { after, extensible } = this.masker.entry(this.state);
        const accepting = this.state.accepting;
        if (accepting && !extensible) return 'finish';
        let allowed = 0;
        let fallback = Infinity;
        for (let t = 0; t < after.length; t++) {
            const v = after[t];
            if (v >= 0 && v < budget) allowed++;
            else if (v >= 0 && v < fallback) fallback = v;
        }
        // Only reachable when the budget was too small from the start: close as fast as possible.
        const limit = allowed > 0 ? budget : fallback + 1;
        const ends = this.masker.vocab.endOfGeneration;
        const saved = accepting ? ends.map((t) => logits[t]) : [];
        for (let t = 0; t < after.length; t++) {
            const v = after[t];
            if (v < 0 || v >= limit) logits[t] = -Infinity;
        }
        if (accepting) ends.forEach((t, i) => (logits[t] = saved[i]));
        return 'sample';
    }

    accept(id: number): boolean {
        if (this.masker.vocab.endOfGeneration.includes(id)) return true;
        const bytes = this.masker.vocab.bytesOf(id);
        const next = this.state.feedBytes(bytes);
        if (!next) throw new Error(`constrained decoding: token ${id} was sampled although the grammar refuses it`);
        this.state = next;
        return next.accepting && !this.masker.entry(next).extensible;
    }
}

export type ChoiceBranch = 'undecided' | 'tool' | 'text';

/**
 * tool_choice "auto": the first sampled token decides. Tokens that can start a tool call (within the
 * budget) and tokens that can start the text answer (any token, or the response_format grammar's) are
 * both allowed; if the sampled token is a valid start of a tool call, the answer is a tool call and stays
 * constrained to the tool grammar, otherwise it is text. The choice is the model's own logits (and the
 * request's logit_bias), so it is as deterministic as the sampling: greedy or a fixed seed repeat it.
 */
export class AutoToolConstraint implements DecodingConstraint {
    branch: ChoiceBranch = 'undecided';

    constructor(
        readonly tool: GrammarConstraint,
        readonly text: GrammarConstraint | null,
    ) {}

    mask(logits: Float32Array, budget: number): 'sample' | 'finish' {
        if (this.branch === 'tool') return this.tool.mask(logits, budget);
        if (this.branch === 'text') return this.text ? this.text.mask(logits, budget) : 'sample';
        const toolAfter = this.tool.table();
        if (this.text) {
            const toolOk = toolAfter.map((v) => (v >= 0 && v < budget ? 1 : 0));
            const saved = Float32Array.from(logits);
            this.text.mask(logits, budget);
            for (let t = 0; t < logits.length; t++) if (toolOk[t]) logits[t] = saved[t];
        } else {
            // Free text may start with anything, except a tool-call start that could not close in time.
            for (let t = 0; t < toolAfter.length; t++) if (toolAfter[t] >= budget) logits[t] = -Infinity;
        }
        return 'sample';
    }

    accept(id: number): boolean {
        if (this.branch === 'undecided') this.branch = this.tool.table()[id] >= 0 ? 'tool' : 'text';
        if (this.branch === 'tool') return this.tool.accept(id);
        return this.text ? this.text.accept(id) : false;
    }
}
