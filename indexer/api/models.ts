/**
 * Model prices as a client sees them. The chain stores only sha256(model name) hashes, the base prices and
 * the per-class multipliers; the worker's coefficient is off-chain (1000 = 1.0x), so it is a parameter.
 * Adjusted tokens follow the worker's counting rule: trunc(n * coef/1000 * mult/10000).
 */
import { createHash } from 'node:crypto';
import { adjustTokens } from './pricing';
import type { ModelActivity, ModelPrice, ModelsResponse, RootConfig, TokenPrices } from './types';

export const DEFAULT_COEFFICIENT = 1000;
const MILLION = 1_000_000n;

export const modelHash = (name: string): string => createHash('sha256').update(name, 'utf8').digest('hex');

function perMillion(price: bigint, coefficient: number, m: RootConfig): TokenPrices {
    const at = (mult: number) => (adjustTokens(MILLION, coefficient, mult) * price).toString();
    return {
        prompt: at(m.promptTokensPriceMultiplier),
        cached: at(m.cachedTokensPriceMultiplier),
        completion: at(m.completionTokensPriceMultiplier),
        reasoning: at(m.reasoningTokensPriceMultiplier),
    };
}

const NO_ACTIVITY: ModelActivity = { owners: 0, workers: 0, gpus: 0, tokensPerDay: '0', demand: [] };

export function modelPrices(
    root: RootConfig | null,
    coefficient: number,
    knownModels: readonly string[],
    activity: ReadonlyMap<string, ModelActivity> = new Map(),
): ModelsResponse {
    if (!root) return { paramsVersion: null, pricePerToken: null, workerFeePerToken: null, multipliers: null, coefficient, models: [] };
    const names = new Map(knownModels.map((n) => [modelHash(n), n]));
    const price = BigInt(root.pricePerToken);
    const fee = BigInt(root.workerFeePerToken);
    const models: ModelPrice[] = root.modelHashes.map((hash) => ({
        hash,
        name: names.get(hash) ?? null,
        pricePerMillion: perMillion(price, coefficient, root),
        workerFeePerMillion: perMillion(fee, coefficient, root),
        activity: activity.get(hash) ?? NO_ACTIVITY,
    }));
    models.sort((a, b) => (a.name ?? '\uffff' + a.hash).localeCompare(b.name ?? '\uffff' + b.hash));
    return {
        paramsVersion: root.paramsVersion,
        pricePerToken: root.pricePerToken,
        workerFeePerToken: root.workerFeePerToken,
        multipliers: {
            prompt: root.promptTokensPriceMultiplier,
            cached: root.cachedTokensPriceMultiplier,
            completion: root.completionTokensPriceMultiplier,
            reasoning: root.reasoningTokensPriceMultiplier,
        },
        coefficient,
        models,
    };
}
