/**
 * What the worker does to each JSON value of an answer before it hashes, signs and sends it (upstream
 * 9060ce5's AnswerPostprocessor): a value whose `usage` raised a token counter gets the cost fields for
 * the counters so far (node/protocol/costs.ts), and an answer to an encrypted request is encrypted to
 * the request's sender ("w" direction). Counters are the running maximum, as upstream keeps them, so a
 * stream that repeats usage in every chunk gets costs in every chunk that moved them.
 */
import { addUsageCosts, e2e } from '../protocol';
import { normalizeUsage } from '../inference/usage';
import { adjustUsage, type BackendUsage, type TokenPricing } from '../common/tokens';

export interface PostprocessOptions {
    coefficient: bigint;
    pricing: TokenPricing;
    /** Set for an encrypted request: the key it was decrypted with and the client key to answer to. */
    encryptTo?: { privateKey: Buffer; receiver: Buffer };
}

type Json = e2e.JsonObject;

export function answerPostprocessor(opts: PostprocessOptions): (value: Json) => Json {
    const max: BackendUsage = { promptTokens: 0, cachedTokens: 0, completionTokens: 0, reasoningTokens: 0 };
    return (value) => {
        let out = value;
        const usage = Object.hasOwn(value, 'usage') ? normalizeUsage(value['usage']) : null;
        if (usage) {
            let raised = false;
            for (const k of ['promptTokens', 'cachedTokens', 'completionTokens', 'reasoningTokens'] as const) {
                if (usage[k] > max[k]) {
                    max[k] = usage[k];
                    raised = true;
                }
            }
            if (raised) out = addUsageCosts(value, adjustUsage(max, opts.coefficient, opts.pricing), opts.pricing.pricePerToken) as Json;
        }
        // `value` itself when nothing changed: the transformer then keeps the backend's bytes.
        return opts.encryptTo ? e2e.encryptJson(out, opts.encryptTo.privateKey, opts.encryptTo.receiver, 'worker-to-client') : out;
    };
}
