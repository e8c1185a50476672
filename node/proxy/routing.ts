/**
 * Worker selection (COCOON ProxyRunner::choose_connection): among enabled workers serving the model's
 * base name, with a free slot and a coefficient within the client's cap, take the one with the least
 * expected wait, running_queries x average query time (an idle or new worker weighs 0). Ties go to the
 * earliest-connected worker, so the choice is deterministic.
 */
import { baseModelName } from '../common/models';

export interface WorkerCandidate {
    id: string;
    model: string;
    coefficient: bigint;
    enabled: boolean;
    running: number;
    maxRunning: number;
    /** Decaying average duration of finished queries, seconds (0 when unknown). */
    averageQuerySeconds: number;
}

export type RouteRefusal =
    | { reason: 'unknown_model'; message: string }
    | { reason: 'coefficient_too_low'; message: string; minCoefficient: bigint }
    | { reason: 'busy'; message: string };

export function chooseWorker<T extends WorkerCandidate>(
    workers: readonly T[],
    model: string,
    maxCoefficient: bigint,
    exclude: ReadonlySet<string> = new Set(),
): T | RouteRefusal {
    const base = baseModelName(model);
    const serving = workers.filter((w) => w.enabled && baseModelName(w.model) === base && !exclude.has(w.id));
    if (serving.length === 0) return { reason: 'unknown_model', message: `no workers for model '${base}'` };
    const affordable = serving.filter((w) => w.coefficient <= maxCoefficient);
    if (affordable.length === 0) {
        const min = serving.reduce((m, w) => (w.coefficient < m ? w.coefficient : m), serving[0].coefficient);
        return {
            reason: 'coefficient_too_low',
            minCoefficient: min,
            message: `no worker for '${base}' at max_coefficient=${maxCoefficient}; can run this query with coefficient=${min}`,
        };
    }
    let best: T | null = null;
    let bestWeight = Infinity;
    for (const w of affordable) {
        if (w.running >= w.maxRunning) continue;
        const weight = w.running * w.averageQuerySeconds;
        if (weight < bestWeight) {
            best = w;
            bestWeight = weight;
        }
    }
    return best ?? { reason: 'busy', message: `all workers for '${base}' are busy; retry later` };
}

/** Exponentially decaying average with a half-life, as the original's 10-minute averages. */
export class DecayingAverage {
    private sum = 0;
    private weight = 0;
    private at = 0;

    constructor(private readonly halfLifeSeconds = 600) {}

    add(value: number, nowSeconds: number): void {
        this.decay(nowSeconds);
        this.sum += value;
        this.weight += 1;
    }

    value(nowSeconds: number): number {
        this.decay(nowSeconds);
        return this.weight > 1e-9 ? this.sum / this.weight : 0;
    }

    private decay(now: number): void {
        if (now > this.at) {
            const f = Math.pow(0.5, (now - this.at) / this.halfLifeSeconds);
            this.sum *= f;
            this.weight *= f;
            this.at = now;
        }
    }
}
