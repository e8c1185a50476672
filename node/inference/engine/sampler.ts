/**
 * Token selection: repetition penalties, temperature, top-k, top-p (nucleus), seeded randomness.
 * Temperature 0 means greedy (argmax, lowest id on ties). The PRNG is sfc32 seeded through splitmix32,
 * so a (seed, prompt, parameters) triple always yields the same tokens: a verifier can re-run a request.
 */
export interface SamplingParams {
    temperature: number;
    topP: number;
    topK: number;
    presencePenalty: number;
    frequencyPenalty: number;
    seed: number;
}

export class Rng {
    private a: number;
    private b: number;
    private c: number;
    private d: number;
    constructor(seed: number) {
        // splitmix32 over the low and high 32 bits of the seed spreads any integer into 128 bits of state.
        let s = (seed >>> 0) ^ Math.floor(seed / 4294967296);
        const next = () => {
            s = (s + 0x9e3779b9) | 0;
            let z = s;
            z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
            z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
            return (z ^ (z >>> 16)) >>> 0;
        };
        this.a = next();
        this.b = next();
        this.c = next();
        this.d = next();
        for (let i = 0; i < 12; i++) this.next();
    }
    /** Uniform in [0, 1). */
    next(): number {
        const t = (((this.a + this.b) | 0) + this.d) | 0;
        this.d = (this.d + 1) | 0;
        this.a = this.b ^ (this.b >>> 9);
        this.b = (this.c + (this.c << 3)) | 0;
        this.c = (this.c << 21) | (this.c >>> 11);
        this.c = (this.c + t) | 0;
        return (t >>> 0) / 4294967296;
    }
}

export class Sampler {
    private readonly rng: Rng;
    private readonly counts = new Map<number, number>();
    private readonly probs: Float64Array;
    private readonly order: Int32Array;

    constructor(
        readonly params: SamplingParams,
        vocab: number,
    ) {
        this.rng = new Rng(params.seed);
        this.probs = new Float64Array(vocab);
        this.order = new Int32Array(vocab);
    }

    /** Remember a generated token for the presence/frequency penalties. */
    accept(id: number): void {
        this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    }

    sample(logits: Float32Array): number {
        const p = this.params;
        const n = logits.length;
        const probs = this.probs;
        for (let i = 0; i < n; i++) probs[i] = logits[i];
        if (p.presencePenalty || p.frequencyPenalty) {
            for (const [id, c] of this.counts) probs[id] -= p.presencePenalty + p.frequencyPenalty * c;
        }
        if (p.temperature <= 0) {
            let best = 0;
            for (let i = 1; i < n; i++) if (probs[i] > probs[best]) best = i;
            return best;
        }
        let max = -Infinity;
        for (let i = 0; i < n; i++) if (probs[i] > max) max = probs[i];
        let sum = 0;
        for (let i = 0; i < n; i++) {
            const e = Math.exp((probs[i] - max) / p.temperature);
            probs[i] = e;
            sum += e;
        }
        let count = n;
        const order = this.order;
        for (let i = 0; i < n; i++) order[i] = i;
        const truncate = (p.topK > 0 && p.topK < n) || p.topP < 1;
        if (truncate) {
            // Stable descending order (ties by id), so truncation is deterministic.
            const sorted = Array.from(order).sort((a, b) => probs[b] - probs[a] || a - b);
            for (let i = 0; i < n; i++) order[i] = sorted[i];
            if (p.topK > 0 && p.topK < count) count = p.topK;
            if (p.topP < 1) {
                let acc = 0;
                for (let i = 0; i < count; i++) {
                    acc += probs[order[i]] / sum;
                    if (acc >= p.topP) {
                        count = i + 1;
                        break;
                    }
                }
            }
            sum = 0;
            for (let i = 0; i < count; i++) sum += probs[order[i]];
        }
        let r = this.rng.next() * sum;
        for (let i = 0; i < count; i++) {
            r -= probs[order[i]];
            if (r < 0) return order[i];
        }
        return order[count - 1];
    }
}
