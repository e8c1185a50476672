/**
 * From a validated request (request.ts) to what the embedded engine does: plain text, JSON restricted
 * to a grammar (response_format), or tool calls (tools + tool_choice), each with the constraint the
 * sampler applies. Compiled grammars and their token tables are kept per tokenizer in a small LRU, so
 * a schema sent again (the usual case: a client sends the same schema with every request) costs nothing.
 */
import type { DecodingConstraint } from '../engine/engine';
import type { Tokenizer } from '../engine/tokenizer';
import { AutoToolConstraint, GrammarConstraint, JsonGrammar, TokenMasker, Vocabulary } from './constraint';
import type { StructuredRequest } from './request';
import { compileSchema, NodeFactory } from './schema';
import { MAX_PARALLEL_CALLS, toolCallsNode } from './tool-calls';

export type OutputPlan =
    | { kind: 'text' }
    | { kind: 'json'; masker: TokenMasker }
    | { kind: 'tools'; mode: 'auto' | 'required'; tools: TokenMasker; text: TokenMasker | null };

/** A constraint for one request, and which kind of answer it ended up giving. */
export interface PlannedConstraint {
    constraint: DecodingConstraint | undefined;
    /** "tool" when the answer is a tool-call array (decided at the first token under "auto"). */
    branch(): 'tool' | 'text';
}

export interface PlannerOptions {
    /** Compiled grammars kept (default 64). */
    cacheSize?: number;
    /** Calls in one answer when parallel_tool_calls is on (default 8). */
    maxParallelCalls?: number;
    /**
     * Memory for the token tables of all cached grammars together (default 64 MiB), split evenly between
     * them: many clients sending many schemas cannot grow the cache past it.
     */
    maskCacheBytes?: number;
}

export class OutputPlanner {
    private readonly vocab: Vocabulary;
    private readonly cache = new Map<string, TokenMasker>();
    private readonly cacheSize: number;
    private readonly maxParallel: number;
    private readonly maskBytes: number;

    constructor(tokenizer: Tokenizer, opts: PlannerOptions = {}) {
        this.vocab = Vocabulary.of(tokenizer);
        this.cacheSize = opts.cacheSize ?? 64;
        this.maxParallel = opts.maxParallelCalls ?? MAX_PARALLEL_CALLS;
        this.maskBytes = Math.floor((opts.maskCacheBytes ?? 64 << 20) / this.cacheSize);
    }

    /**
     * `mentioned`: tools the last user message names (auto.ts); under tool_choice "auto" they turn the
     * answer into a call to one of them. Empty: the first sampled token decides.
     */
    plan(req: StructuredRequest, mentioned: string[] = []): OutputPlan {
        const rf = req.responseFormat;
        const text =
            rf.type === 'text'
                ? null
                : this.masker(`rf:${JSON.stringify(rf.type === 'json_schema' ? (rf.schema ?? {}) : 'object')}`, (f) =>
                      rf.type === 'json_schema'
                          ? compileSchema(rf.schema ?? {}, f, 'response_format.json_schema.schema')
                          : f.object([], f.any()),
                  );
        if (req.toolChoice === 'none') return text ? { kind: 'json', masker: text } : { kind: 'text' };
        const names = typeof req.toolChoice === 'object' ? [req.toolChoice.name] : (req.allowedTools ?? req.tools.map((t) => t.name));
        const named = req.toolChoice === 'auto' ? mentioned.filter((n) => names.includes(n)) : [];
        const offered = req.tools.filter((t) => (named.length ? named : names).includes(t.name));
        const maxCalls = req.parallelToolCalls && typeof req.toolChoice !== 'object' ? this.maxParallel : 1;
        const index = (n: string) => req.tools.findIndex((t) => t.name === n);
        const tools = this.masker(`tools:${maxCalls}:${JSON.stringify(offered)}`, (f) => toolCallsNode(f, offered, index, maxCalls));
        return { kind: 'tools', mode: req.toolChoice === 'auto' && !named.length ? 'auto' : 'required', tools, text };
    }

    private masker(key: string, build: (f: NodeFactory) => ReturnType<typeof compileSchema>): TokenMasker {
        const hit = this.cache.get(key);
        if (hit) {
            // Most recently used last.
            this.cache.delete(key);
            this.cache.set(key, hit);
            return hit;
        }
        const factory = new NodeFactory();
        const param = key.startsWith('rf:') ? 'response_format.json_schema.schema' : 'tools';
        const m = new TokenMasker(new JsonGrammar(build(factory), param), this.vocab, { cacheBytes: this.maskBytes });
        if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(key, m);
        return m;
    }
}

/** Fewest tokens the planned answer needs (one per byte at worst); 0 when unconstrained. */
export function minimumTokens(plan: OutputPlan): number {
    if (plan.kind === 'json') return plan.masker.grammar.minBytes;
    if (plan.kind === 'tools' && plan.mode === 'required') return plan.tools.grammar.minBytes;
    return 0;
}

export function constraintFor(plan: OutputPlan): PlannedConstraint {
    switch (plan.kind) {
        case 'text':
            return { constraint: undefined, branch: () => 'text' };
        case 'json':
            return { constraint: new GrammarConstraint(plan.masker), branch: () => 'text' };
        case 'tools': {
            const tool = new GrammarConstraint(plan.tools);
            if (plan.mode === 'required') return { constraint: tool, branch: () => 'tool' };
            const auto = new AutoToolConstraint(tool, plan.text ? new GrammarConstraint(plan.text) : null);
            return { constraint: auto, branch: () => (auto.branch === 'tool' ? 'tool' : 'text') };
        }
    }
}
