/**
 * The embedded inference engine: one model, a few KV-cache slots, and a fair round-robin scheduler.
 *
 * One core does all the work, so requests are interleaved step by step (a prefill chunk or one decoded
 * token per turn) instead of running to completion one after another: a short request is never stuck
 * behind a long one, and the event loop gets control between steps (sockets, cancellations, timers).
 * A request whose consumer is not reading (a slow client) is skipped until it reads again.
 *
 * Prefix reuse: a finished sequence leaves its keys/values in its slot. A new request takes the free
 * slot sharing the longest token prefix with its prompt and recomputes only the rest; the reused part
 * is reported as `cachedTokens`, so the usage a client is billed for matches the work done.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { InferenceError } from '../errors';
import { GgufFile, readGguf } from './gguf';
import { KvCache, LlamaModel } from './model';
import { Sampler, SamplingParams } from './sampler';
import { StreamDecoder, Tokenizer } from './tokenizer';

export type FinishReason = 'stop' | 'length';

export interface EngineUsage {
    promptTokens: number;
    cachedTokens: number;
    completionTokens: number;
    reasoningTokens: number;
}

export type GenerateEvent =
    /** `channel` is "reasoning" for text inside <think>…</think> when reasoning is split out. */
    { type: 'text'; text: string; channel: 'content' | 'reasoning' } | { type: 'done'; finishReason: FinishReason; usage: EngineUsage };

/**
 * Restricts what the sampler may pick (constrained decoding, node/inference/structured). The engine
 * calls `mask` before every sample and `accept` after it; the constraint keeps its own state.
 */
export interface DecodingConstraint {
    /**
     * Set the logits of forbidden tokens to -Infinity. `budget` is how many tokens may still be sampled,
     * this one included (max_tokens and the context both count). "finish" ends the generation now
     * (finish reason "stop") without sampling: the output is complete and nothing may follow.
     */
    mask(logits: Float32Array, budget: number): 'sample' | 'finish';
    /** The token that was sampled. True when the output is complete and nothing may follow it. */
    accept(id: number): boolean;
}

export interface GenerateRequest {
    /** Token ids, BOS included. */
    prompt: number[];
    /** Upper bound on sampled tokens; the context length caps it further. */
    maxTokens?: number;
    sampling?: Partial<SamplingParams>;
    logitBias?: Map<number, number>;
    stop?: string[];
    /** Chat: text between <think> and </think> goes to the reasoning channel, markers dropped. */
    splitReasoning?: boolean;
    /** The prompt ends inside an open <think> block. */
    startsInReasoning?: boolean;
    signal?: AbortSignal;
    /** Constrained decoding (JSON schema, tool calls); the engine then never enters <think> on its own. */
    constraint?: DecodingConstraint;
}

export interface EngineOptions {
    /** KV-cache slots = requests generating at once (default 4); more wait in a FIFO queue. */
    slots?: number;
    /** Waiting requests beyond which new ones are refused with OVERLOADED (default 64). */
    maxQueue?: number;
    useSimd?: boolean;
}

export interface EngineStats {
    requests: number;
    promptTokens: number;
    cachedTokens: number;
    completionTokens: number;
    active: number;
    queued: number;
}

const DEFAULT_SAMPLING: SamplingParams = { temperature: 1, topP: 1, topK: 0, presencePenalty: 0, frequencyPenalty: 0, seed: 0 };
/** Longest run of engine steps before yielding to the event loop (bounds added latency for I/O). */
const SLICE_MS = 4;
/** Undelivered events after which a sequence waits for its reader. */
const HIGH_WATER = 32;

interface Slot {
    cache: KvCache;
    busy: boolean;
    lastUsed: number;
}

class Sequence {
    readonly events: GenerateEvent[] = [];
    wake: (() => void) | null = null;
    error: InferenceError | null = null;
    finished = false;
    slot: Slot | null = null;
    pendingPrompt: number[] = [];
    cached = 0;
    generated = 0;
    reasoning = 0;
    inReasoning: boolean;
    lastToken = -1;
    held = '';
    decoder: StreamDecoder;
    sampler: Sampler;
    maxTokens: number;
    constructor(
        readonly req: GenerateRequest,
        readonly engine: Engine,
    ) {
        this.inReasoning = !!req.startsInReasoning;
        this.decoder = new StreamDecoder(engine.tokenizer);
        const seed = req.sampling?.seed ?? Math.floor(Math.random() * 2 ** 32);
        this.sampler = new Sampler({ ...DEFAULT_SAMPLING, ...req.sampling, seed }, engine.model.cfg.vocab);
        this.maxTokens = req.maxTokens ?? Infinity;
    }
    push(ev: GenerateEvent): void {
        this.events.push(ev);
        this.notify();
    }
    notify(): void {
        const w = this.wake;
        this.wake = null;
        w?.();
    }
    get backlogged(): boolean {
        return this.events.length >= HIGH_WATER;
    }
}

export class Engine {
    readonly model: LlamaModel;
    readonly tokenizer: Tokenizer;
    readonly modelName: string;
    /** sha256 of the GGUF bytes: the model's identity for attestation and system_fingerprint. */
    readonly modelSha256: string;
    private readonly slots: Slot[];
    private readonly maxQueue: number;
    private readonly waiting: Sequence[] = [];
    private readonly active: Sequence[] = [];
    private rr = 0;
    private running = false;
    private clock = 0;
    private readonly thinkOpen: number | undefined;
    private readonly thinkClose: number | undefined;
    private readonly counters = { requests: 0, promptTokens: 0, cachedTokens: 0, completionTokens: 0 };

    constructor(file: GgufFile, opts: EngineOptions = {}) {
        this.model = new LlamaModel(file, { useSimd: opts.useSimd });
        this.tokenizer = Tokenizer.fromGguf(file);
        if (this.tokenizer.vocabSize !== this.model.cfg.vocab) {
            throw new InferenceError(
                'MODEL_LOAD',
                `tokenizer has ${this.tokenizer.vocabSize} tokens but the model ${this.model.cfg.vocab}`,
            );
        }
        this.modelName = this.model.name;
        this.modelSha256 = createHash('sha256').update(file.bytes).digest('hex');
        this.slots = Array.from({ length: Math.max(1, opts.slots ?? 4) }, () => ({
            cache: this.model.newCache(),
            busy: false,
            lastUsed: 0,
        }));
        this.maxQueue = opts.maxQueue ?? 64;
        this.thinkOpen = this.tokenizer.idOf('<think>');
        this.thinkClose = this.tokenizer.idOf('</think>');
    }

    static load(modelPath: string, opts: EngineOptions = {}): Engine {
        return new Engine(readGguf(modelPath), opts);
    }

    get contextLength(): number {
        return this.model.cfg.contextLength;
    }

    stats(): EngineStats {
        return { ...this.counters, active: this.active.length, queued: this.waiting.length };
    }

    /** Start generating; events arrive in order and end with exactly one "done" (or an error). */
    generate(req: GenerateRequest): AsyncIterableIterator<GenerateEvent> {
        const ctx = this.model.cfg.contextLength;
        if (req.prompt.length === 0)
            throw new InferenceError('INVALID_REQUEST', 'the prompt is empty', 400, 'invalid_request_error', 'prompt');
        if (req.prompt.length >= ctx) {
            throw new InferenceError(
                'CONTEXT_LENGTH_EXCEEDED',
                `this model's maximum context length is ${ctx} tokens; the prompt has ${req.prompt.length}`,
                400,
                'invalid_request_error',
                'messages',
            );
        }
        for (const id of req.prompt) {
            if (!Number.isInteger(id) || id < 0 || id >= this.model.cfg.vocab) {
                throw new InferenceError(
                    'INVALID_REQUEST',
                    `token id ${id} is outside the vocabulary (0..${this.model.cfg.vocab - 1})`,
                    400,
                    'invalid_request_error',
                    'prompt',
                );
            }
        }
        if (this.waiting.length >= this.maxQueue) {
            throw new InferenceError('OVERLOADED', `the engine is busy (${this.waiting.length} requests waiting); retry later`, 503);
        }
        const seq = new Sequence(req, this);
        this.counters.requests++;
        const onAbort = () => this.fail(seq, new InferenceError('ABORTED', 'the request was cancelled', 499));
        if (req.signal?.aborted) onAbort();
        else {
            req.signal?.addEventListener('abort', onAbort, { once: true });
            this.waiting.push(seq);
            this.admit();
            this.kick();
        }
        const self = this;
        const iter: AsyncIterableIterator<GenerateEvent> = {
            [Symbol.asyncIterator]() {
                return iter;
            },
            async next(): Promise<IteratorResult<GenerateEvent>> {
                for (;;) {
                    if (seq.events.length) {
                        const value = seq.events.shift()!;
                        if (seq.events.length < HIGH_WATER) self.kick();
                        return { value, done: false };
                    }
                    if (seq.error) throw seq.error;
                    if (seq.finished) {
                        req.signal?.removeEventListener('abort', onAbort);
                        return { value: undefined, done: true };
                    }
                    await new Promise<void>((resolve) => (seq.wake = resolve));
                }
            },
            async return(): Promise<IteratorResult<GenerateEvent>> {
                // The reader stopped early (client gone): free the slot now.
                if (!seq.finished) self.fail(seq, new InferenceError('ABORTED', 'the reader stopped consuming', 499));
                req.signal?.removeEventListener('abort', onAbort);
                return { value: undefined, done: true };
            },
        };
        return iter;
    }

    /** Convenience for tests and in-process callers: run to completion. */
    async complete(req: GenerateRequest): Promise<{ text: string; reasoning: string; finishReason: FinishReason; usage: EngineUsage }> {
        let text = '';
        let reasoning = '';
        for await (const ev of this.generate(req)) {
            if (ev.type === 'text') {
                if (ev.channel === 'reasoning') reasoning += ev.text;
                else text += ev.text;
            } else {
                return { text, reasoning, finishReason: ev.finishReason, usage: ev.usage };
            }
        }
        throw new InferenceError('ABORTED', 'generation ended without a result', 499);
    }

    private fail(seq: Sequence, err: InferenceError): void {
        if (seq.finished || seq.error) return;
        seq.error = err;
        this.release(seq);
        seq.notify();
    }

    private release(seq: Sequence): void {
        const w = this.waiting.indexOf(seq);
        if (w >= 0) this.waiting.splice(w, 1);
        const a = this.active.indexOf(seq);
        if (a >= 0) this.active.splice(a, 1);
        if (seq.slot) {
            seq.slot.busy = false;
            seq.slot.lastUsed = ++this.clock;
            seq.slot = null;
        }
        this.admit();
    }

    /** Move waiting requests into free slots, picking the slot with the longest shared prefix. */
    private admit(): void {
        while (this.waiting.length) {
            const free = this.slots.filter((s) => !s.busy);
            if (!free.length) return;
            const seq = this.waiting.shift()!;
            const prompt = seq.req.prompt;
            let best = free[0];
            let bestLen = -1;
            for (const s of free) {
                const len = commonPrefix(s.cache.tokens, prompt);
                if (len > bestLen || (len === bestLen && s.lastUsed < best.lastUsed)) {
                    best = s;
                    bestLen = len;
                }
            }
            // At least one prompt token must run to produce the first logits.
            const reuse = Math.min(bestLen, prompt.length - 1);
            best.busy = true;
            best.cache.truncate(reuse);
            seq.slot = best;
            seq.cached = reuse;
            seq.pendingPrompt = prompt.slice(reuse);
            this.counters.promptTokens += prompt.length;
            this.counters.cachedTokens += reuse;
            this.active.push(seq);
        }
    }

    private kick(): void {
        if (this.running) return;
        this.running = true;
        setImmediate(() => this.loop());
    }

    private loop(): void {
        // Steps run round-robin for up to SLICE_MS, then the event loop gets control (sockets,
        // cancellations, timers); stop when nothing is runnable (readers kick again).
        const start = performance.now();
        for (;;) {
            const runnable = this.active.filter((s) => !s.backlogged);
            if (!runnable.length) {
                this.running = false;
                return;
            }
            const seq = runnable[this.rr++ % runnable.length];
            try {
                this.step(seq);
            } catch (e) {
                const err =
                    e instanceof InferenceError
                        ? e
                        : new InferenceError('ENGINE', `generation failed: ${(e as Error).message}`, 500, 'server_error', null, e);
                this.fail(seq, err);
            }
            if (performance.now() - start >= SLICE_MS) break;
        }
        setImmediate(() => this.loop());
    }

    private step(seq: Sequence): void {
        const cache = seq.slot!.cache;
        let logits: Float32Array;
        if (seq.pendingPrompt.length) {
            const chunk = seq.pendingPrompt.splice(0, 32);
            logits = this.model.forward(cache, chunk);
            if (seq.pendingPrompt.length) return;
        } else {
            logits = this.model.forward(cache, [seq.lastToken]);
        }
        if (seq.req.logitBias) for (const [id, b] of seq.req.logitBias) logits[id] += b;
        const constraint = seq.req.constraint;
        if (constraint) {
            const budget = Math.min(seq.maxTokens - seq.generated, this.model.cfg.contextLength - 1 - cache.tokens.length);
            if (constraint.mask(logits, budget) === 'finish') return this.finish(seq, 'stop');
        }
        const id = seq.sampler.sample(logits);
        seq.sampler.accept(id);
        seq.generated++;
        seq.lastToken = id;
        this.counters.completionTokens++;
        const complete = constraint ? constraint.accept(id) : false;
        this.onToken(seq, id, cache, complete);
    }

    /** `complete`: a constraint says the output is whole; it ends with "stop" even on the last allowed token. */
    private onToken(seq: Sequence, id: number, cache: KvCache, complete: boolean): void {
        const tok = this.tokenizer;
        if (tok.endOfGeneration.has(id)) {
            if (seq.inReasoning) seq.reasoning++;
            return this.finish(seq, 'stop');
        }
        const split = !!seq.req.splitReasoning;
        if (id === this.thinkOpen && !seq.inReasoning) {
            seq.inReasoning = true;
            seq.reasoning++;
            if (!split) this.emitContent(seq, seq.decoder.push(id));
        } else if (id === this.thinkClose && seq.inReasoning) {
            seq.inReasoning = false;
            seq.reasoning++;
            if (split) {
                const rest = seq.decoder.flush();
                if (rest) seq.push({ type: 'text', text: rest, channel: 'reasoning' });
            } else this.emitContent(seq, seq.decoder.push(id));
        } else {
            if (seq.inReasoning) seq.reasoning++;
            const text = seq.decoder.push(id);
            if (seq.inReasoning && split) {
                if (text) seq.push({ type: 'text', text, channel: 'reasoning' });
            } else this.emitContent(seq, text);
        }
        if (seq.finished || seq.error) return;
        if (complete) return this.finish(seq, 'stop');
        // The sampled token is not in the cache yet: it runs on the next step.
        if (seq.generated >= seq.maxTokens || cache.tokens.length + 1 >= this.model.cfg.contextLength) this.finish(seq, 'length');
    }

    /** Emit content, holding back any tail that could still become a stop string. */
    private emitContent(seq: Sequence, text: string): void {
        const stops = seq.req.stop;
        if (!stops?.length) {
            if (text) seq.push({ type: 'text', text, channel: 'content' });
            return;
        }
        seq.held += text;
        let at = -1;
        for (const s of stops) {
            const i = seq.held.indexOf(s);
            if (i >= 0 && (at < 0 || i < at)) at = i;
        }
        if (at >= 0) {
            if (at > 0) seq.push({ type: 'text', text: seq.held.slice(0, at), channel: 'content' });
            seq.held = '';
            // Bytes of a half-decoded character after the stop string are not output.
            seq.decoder = new StreamDecoder(this.tokenizer);
            this.finish(seq, 'stop');
            return;
        }
        let keep = 0;
        for (const s of stops) {
            for (let k = Math.min(s.length - 1, seq.held.length); k > keep; k--) {
                if (seq.held.endsWith(s.slice(0, k))) {
                    keep = k;
                    break;
                }
            }
        }
        const out = seq.held.slice(0, seq.held.length - keep);
        seq.held = seq.held.slice(seq.held.length - keep);
        if (out) seq.push({ type: 'text', text: out, channel: 'content' });
    }

    private finish(seq: Sequence, reason: FinishReason): void {
        if (seq.finished) return;
        const rest = seq.decoder.flush();
        const tail = seq.held + rest;
        seq.held = '';
        if (tail) seq.push({ type: 'text', text: tail, channel: seq.inReasoning && seq.req.splitReasoning ? 'reasoning' : 'content' });
        seq.push({
            type: 'done',
            finishReason: reason,
            usage: {
                promptTokens: seq.req.prompt.length,
                cachedTokens: seq.cached,
                completionTokens: seq.generated,
                reasoningTokens: seq.reasoning,
            },
        });
        seq.finished = true;
        this.release(seq);
        seq.notify();
    }
}

function commonPrefix(a: number[], b: number[]): number {
    const n = Math.min(a.length, b.length);
    let i = 0;
    while (i < n && a[i] === b[i]) i++;
    return i;
}
