import { randomBytes } from 'crypto';
import fc from 'fast-check';
import { keyPairFromSeed } from '@ton/crypto';
import { createBackend } from '../../../node/inference';
import { encode, type proxy_QueryAnswerEx } from '../../../node/protocol';
import { runWorkerQuery } from '../../../node/worker/running-request';
import { RequestValidationError, validateRequest } from '../../../node/worker/validate';
import { hostileBody, PROTOTYPE_KEYS } from '../helpers/hostile-json';
import { PRICING } from '../helpers/relay-network';

const MODEL = 'cocoon/tiny-stories-1m@local:0';
/** Nothing listens on port 1: a request that passes validation fails fast with 502, never hangs. */
const deadBackend = createBackend({ baseUrl: 'http://127.0.0.1:1/v1', timeoutMs: 2000 });
const key = keyPairFromSeed(Buffer.alloc(32, 3));
afterAll(() => deadBackend.close());

describe('worker validator under hostile JSON (property test, bounded in time)', () => {
    it('refuses with a RequestValidationError or accepts, never another exception', () => {
        fc.assert(
            fc.property(hostileBody, fc.constantFrom('/v1/chat/completions', '/v1/completions'), (raw, url) => {
                try {
                    const r = validateRequest(url, raw, MODEL);
                    // Accepted: only whitelisted own keys, none of Object.prototype's names.
                    for (const k of Object.keys(r.body)) expect(PROTOTYPE_KEYS).not.toContain(k);
                } catch (e) {
                    expect(e).toBeInstanceOf(RequestValidationError);
                    expect((e as Error).message.length).toBeGreaterThan(0);
                }
            }),
            { numRuns: 2000, interruptAfterTimeLimit: 3000, markInterruptAsFailure: false },
        );
    });

    it('answers the proxy exactly once, with a 4xx for a refused request and never a 500', async () => {
        await fc.assert(
            fc.asyncProperty(hostileBody, async (payload) => {
                const pieces: proxy_QueryAnswerEx[] = [];
                const q = {
                    _: 'proxy.runQueryEx' as const,
                    query: encode({
                        _: 'http.request',
                        method: 'POST',
                        url: '/v1/chat/completions',
                        http_version: 'HTTP/1.1',
                        headers: [],
                        payload,
                    }),
                    signed_payment: { _: 'proxy.signedPaymentEmpty' as const },
                    coefficient: 1000n,
                    timeout: 30,
                    request_id: randomBytes(32),
                    flags: 0,
                };
                const out = await runWorkerQuery(q, {
                    backend: deadBackend,
                    servedModel: MODEL,
                    pricing: PRICING,
                    receiptKey: key,
                    send: (p) => pieces.push(p),
                });
                const finals = pieces.filter((p) => ((p.flags ?? 0) & 1) === 1);
                expect(finals).toHaveLength(1);
                expect(finals[0]._).toBe('proxy.queryAnswerErrorEx');
                // 400: refused by the validator; 502: valid, and the (dead) backend failed. Never 500.
                expect([400, 502]).toContain(out.status);
                expect(out.tokens.total).toBe(0n);
            }),
            { numRuns: 300, interruptAfterTimeLimit: 4000, markInterruptAsFailure: false },
        );
    });
});
