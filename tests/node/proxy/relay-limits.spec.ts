/**
 * The relay's money and slot limits (issue 22 items 1, 3 and 4), driven directly: a request's timeout is
 * capped (a silent worker gives its slot and the client's reservation back by then), a request is never
 * billed more than it reserved (the excess is a worker fault), and a cancelled request is stopped at its
 * worker and billed what the worker reports at the stop.
 */
import { randomBytes } from 'crypto';
import { decodeAs, encode, type client_QueryAnswerEx, type client_runQueryEx, type proxy_runQueryEx } from '../../../node/protocol';
import { DEFAULT_MAX_QUERY_TIMEOUT_S, QueryRelay, type ClientLink, type WorkerLink } from '../../../node/proxy/relay';
import { reserveMultipliers, tokensToReserve } from '../../../node/proxy/reservation';
import { DecayingAverage } from '../../../node/proxy/routing';
import { SignedPaymentsLedger } from '../../../node/proxy/signed-payments';

const MODEL = 'cocoon/tiny-stories-1m@local:0';

function workerLink(id = 'w1', over: Partial<Pick<WorkerLink, 'protoVersion' | 'e2eKey'>> = {}): WorkerLink & { sent: proxy_runQueryEx[] } {
    const sent: proxy_runQueryEx[] = [];
    return {
        id,
        model: MODEL,
        coefficient: 1000n,
        enabled: true,
        running: 0,
        maxRunning: 4,
        averageQuerySeconds: 0,
        protoVersion: 4,
        ...over,
        sent,
        send: (q) => sent.push(q),
        ledger: new SignedPaymentsLedger(),
        signedPayment: () => ({ _: 'proxy.signedPaymentEmpty' }),
        average: new DecayingAverage(),
    };
}

function clientLink(protoVersion = 4): ClientLink & { pieces: client_QueryAnswerEx[] } {
    const pieces: client_QueryAnswerEx[] = [];
    return {
        id: 'c1',
        protoVersion,
        pieces,
        send: (p) => pieces.push(p),
        ledger: new SignedPaymentsLedger(),
        reserved: 0n,
        account: () => null,
    };
}

function query(o: { timeout: number; maxTokens?: number }): client_runQueryEx {
    const payload = Buffer.from(JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'hi' }] }));
    return {
        _: 'client.runQueryEx',
        model_name: 'cocoon/tiny-stories-1m',
        max_coefficient: 1000,
        max_tokens: o.maxTokens ?? 5,
        timeout: o.timeout,
        request_id: randomBytes(32),
        min_config_version: 0,
        flags: 0,
        query: encode({ _: 'http.request', method: 'POST', url: '/v1/chat/completions', http_version: 'HTTP/1.1', headers: [], payload }),
    };
}

function usage(total: bigint) {
    return {
        _: 'tokensUsed' as const,
        prompt_tokens_used: 0n,
        cached_tokens_used: 0n,
        completion_tokens_used: total,
        reasoning_tokens_used: 0n,
        total_tokens_used: total,
    };
}

function answer(w: WorkerLink & { sent: proxy_runQueryEx[] }, relay: QueryRelay, total: bigint): void {
    const answerBytes = encode({
        _: 'http.response',
        http_version: 'HTTP/1.1',
        status_code: 200,
        reason: 'OK',
        headers: [],
        payload: Buffer.from('{}'),
    });
    relay.onWorkerAnswer(w.id, {
        _: 'proxy.queryAnswerEx',
        request_id: w.sent[w.sent.length - 1].request_id,
        answer: answerBytes,
        flags: 1,
        final_info: { _: 'proxy.queryFinalInfo', tokens_used: usage(total) },
    });
}

describe('relay timeout cap and watchdog', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    const timeoutCapTitle =
        'caps a request timeout at the configured maximum and frees the slot and reservation of a worker that never answers, ' +
        'billing 0';
    it(timeoutCapTitle, () => {
        const relay = new QueryRelay({ pricePerToken: 1n, maxTimeoutSeconds: 60 });
        const w = workerLink();
        const c = clientLink();
        relay.addWorker(w);
        relay.runQuery(c, query({ timeout: 1_000_000 })); // ~11.6 days asked
        expect(w.sent).toHaveLength(1);
        expect(w.sent[0].timeout).toBeCloseTo(57, 6); // 0.95 x the cap, not of what was asked
        expect(w.running).toBe(1);
        expect(c.reserved).toBeGreaterThan(0n);
        jest.advanceTimersByTime(59_999);
        expect(c.pieces).toHaveLength(0);
        jest.advanceTimersByTime(1);
        expect(c.pieces).toHaveLength(1);
        expect(c.pieces[0]).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 504, flags: 1 });
        expect((c.pieces[0] as { error: string }).error).toBe(
            "timeout in proxy: the worker did not finish within the request's 60 s; " +
                "raise the request's `timeout` (seconds) if the model needs longer",
        );
        expect(w.running).toBe(0);
        expect(c.reserved).toBe(0n);
        expect(c.ledger.tokensMax).toBe(0n);
        expect(relay.runningCount).toBe(0);
        // A late answer from the silent worker is ignored: nothing is billed after the watchdog fired.
        answer(w, relay, 7n);
        expect(c.ledger.tokensMax).toBe(0n);
        expect(c.pieces).toHaveLength(1);
    });

    it('defaults the cap to the client API limit, and a timeout past the timer range does not fire at once', () => {
        expect(DEFAULT_MAX_QUERY_TIMEOUT_S).toBe(3600);
        const relay = new QueryRelay({ pricePerToken: 1n });
        const w = workerLink();
        const c = clientLink();
        relay.addWorker(w);
        relay.runQuery(c, query({ timeout: 3e6 })); // 3e9 ms: beyond setTimeout's 2^31-1 ms
        expect(w.sent[0].timeout).toBeCloseTo(3600 * 0.95, 6);
        jest.advanceTimersByTime(3_599_000);
        expect(c.pieces).toHaveLength(0);
        jest.advanceTimersByTime(1000);
        expect(c.pieces[0]).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 504 });
    });

    it('refuses a configured maximum the timer cannot hold', () => {
        expect(() => new QueryRelay({ pricePerToken: 1n, maxTimeoutSeconds: 3e6 })).toThrow(/maxTimeoutSeconds must be in \(0, 2147483\]/);
        expect(() => new QueryRelay({ pricePerToken: 1n, maxTimeoutSeconds: 0 })).toThrow(/maxTimeoutSeconds/);
    });
});

describe('relay billing cap', () => {
    it('never bills more than the reservation; the excess is reported as a worker fault and the client is told what it is billed', () => {
        const faults: { reported: bigint; billed: bigint }[] = [];
        const relay = new QueryRelay({
            pricePerToken: 1n,
            onWorkerFault: (_w, f) => faults.push({ reported: f.reported, billed: f.billed }),
        });
        const w = workerLink();
        const c = clientLink();
        relay.addWorker(w);
        const q = query({ timeout: 30, maxTokens: 5 });
        const reserve = tokensToReserve(5n, q.query.length, 1000n);
        relay.runQuery(c, q);
        expect(c.reserved).toBe(reserve);
        answer(w, relay, 1_000_001n);
        expect(c.ledger.tokensMax).toBe(reserve);
        expect(w.ledger.tokensMax).toBe(reserve);
        expect(faults).toEqual([{ reported: 1_000_001n, billed: reserve }]);
        const last = c.pieces[c.pieces.length - 1] as { final_info: { tokens_used: { total_tokens_used: bigint } } };
        expect(last.final_info.tokens_used.total_tokens_used).toBe(reserve);
        expect(c.reserved).toBe(0n);

        // An honest report is billed exactly, no fault.
        relay.runQuery(c, query({ timeout: 30, maxTokens: 5 }));
        answer(w, relay, 9n);
        expect(c.ledger.tokensMax).toBe(reserve + 9n);
        expect(faults).toHaveLength(1);
    });

    const multipliersTitle =
        'reserves (and so caps) at the root multipliers: the prompt side at max(prompt, cached), the output at max(completion, ' +
        'reasoning)';
    it(multipliersTitle, () => {
        const m = reserveMultipliers({
            promptTokensPriceMultiplier: 10000,
            cachedTokensPriceMultiplier: 1000,
            completionTokensPriceMultiplier: 30000,
            reasoningTokensPriceMultiplier: 20000,
        });
        expect(m).toEqual({ prompt: 10000n, completion: 30000n });
        // 200 bytes at 4.0x coefficient and 1x = 800; 1000 max tokens at 4.0x and 3x = 12000.
        expect(tokensToReserve(1000n, 200, 4000n, m)).toBe(12_800n);
        const relay = new QueryRelay({ pricePerToken: 1n, multipliers: m });
        const w = workerLink();
        const c = clientLink();
        relay.addWorker(w);
        const q = query({ timeout: 30, maxTokens: 5 });
        relay.runQuery(c, q);
        expect(c.reserved).toBe(tokensToReserve(5n, q.query.length, 1000n, m));
        answer(w, relay, 15n); // 5 completion tokens at 3x: within the reservation
        expect(c.ledger.tokensMax).toBe(15n);
    });
});

describe('relay cancel (the caller went away)', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    function cancellable(id: string) {
        const cancels: Buffer[] = [];
        return Object.assign(workerLink(id), { cancels, cancel: (rid: Buffer) => void cancels.push(rid) });
    }

    function stopped(relay: QueryRelay, w: WorkerLink & { sent: proxy_runQueryEx[] }, total: bigint, code = 499): void {
        relay.onWorkerAnswer(w.id, {
            _: 'proxy.queryAnswerErrorEx',
            request_id: w.sent[w.sent.length - 1].request_id,
            error_code: code,
            error: 'cancelled: the caller went away',
            flags: 1,
            final_info: { _: 'proxy.queryFinalInfo', tokens_used: usage(total) },
        });
    }

    const cancelTitle =
        "passes the cancel on with the proxy's request id, then bills what the worker reports at the stop and frees the slot and " +
        'the reservation';
    it(cancelTitle, () => {
        const relay = new QueryRelay({ pricePerToken: 1n });
        const w = cancellable('w1');
        const c = clientLink();
        relay.addWorker(w);
        const q = query({ timeout: 30, maxTokens: 100 });
        relay.runQuery(c, q);
        relay.cancel(clientLink(), q.request_id); // another client's cancel of the same id: ignored
        relay.cancel(c, randomBytes(32)); // an unknown or finished id: ignored
        expect(w.cancels).toHaveLength(0);
        relay.cancel(c, q.request_id);
        relay.cancel(c, q.request_id); // once is enough
        expect(w.cancels).toEqual([w.sent[0].request_id]);
        expect(w.running).toBe(1); // held until the worker has stopped
        stopped(relay, w, 9n);
        expect(c.ledger.tokensMax).toBe(9n);
        expect(w.ledger.tokensMax).toBe(9n);
        expect(c.reserved).toBe(0n);
        expect(w.running).toBe(0);
        expect(relay.runningCount).toBe(0);
        expect(c.pieces).toHaveLength(1);
        expect(c.pieces[0]).toMatchObject({
            _: 'client.queryAnswerErrorEx',
            request_id: q.request_id,
            error_code: 499,
            flags: 1,
            final_info: { tokens_used: { total_tokens_used: 9n } },
        });
    });

    it('never moves a cancelled request to another worker', () => {
        const relay = new QueryRelay({ pricePerToken: 1n });
        const a = cancellable('a');
        const b = cancellable('b');
        const c = clientLink();
        relay.addWorker(a);
        relay.addWorker(b);
        // The worker stopped before sending anything and billed nothing: not retried elsewhere.
        const q1 = query({ timeout: 30 });
        relay.runQuery(c, q1);
        const first = a.sent.length ? a : b;
        const other = first === a ? b : a;
        relay.cancel(c, q1.request_id);
        stopped(relay, first, 0n, 502);
        expect(other.sent).toHaveLength(0);
        expect(c.pieces[0]).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 502, flags: 1 });
        // Its worker went away before answering: not retried either.
        const q2 = query({ timeout: 30 });
        const sentBefore = { a: a.sent.length, b: b.sent.length };
        relay.runQuery(c, q2);
        const serving = a.sent.length > sentBefore.a ? a : b;
        const idle = serving === a ? b : a;
        const idleBefore = idle.sent.length;
        relay.cancel(c, q2.request_id);
        relay.removeWorker(serving.id);
        expect(idle.sent).toHaveLength(idleBefore);
        expect(c.pieces).toHaveLength(2);
        expect(c.pieces[1]).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 502, flags: 1 });
        expect(c.reserved).toBe(0n);
        expect(relay.runningCount).toBe(0);
    });

    it("cancels every request of a client whose connection closed, and no other client's", () => {
        const relay = new QueryRelay({ pricePerToken: 1n });
        const w = cancellable('w1');
        relay.addWorker(w);
        const gone = clientLink();
        const stays = clientLink();
        relay.runQuery(gone, query({ timeout: 30 }));
        relay.runQuery(stays, query({ timeout: 30 }));
        relay.runQuery(gone, query({ timeout: 30 }));
        relay.cancelClient(gone);
        expect(w.cancels).toEqual([w.sent[0].request_id, w.sent[2].request_id]);
    });
});

describe('what the relay puts on the wire, by version (issue 27 §1)', () => {
    it('X-Cocoon-Proxy-Start and -End: request arrival and the moment the answer headers leave the proxy', () => {
        let now = 1767225600.25;
        const relay = new QueryRelay({ pricePerToken: 1n, now: () => now });
        const w = workerLink();
        const c = clientLink();
        relay.addWorker(w);
        relay.runQuery(c, query({ timeout: 30 }));
        now = 1767225601.5;
        answer(w, relay, 3n);
        const first = c.pieces[0];
        expect(first._).toBe('client.queryAnswerEx');
        const headers = decodeAs('http.Response', (first as { answer: Buffer }).answer).headers.map((h) => [h.name, h.value]);
        expect(headers).toEqual([
            ['X-Cocoon-Proxy-Start', '1767225600.250000'],
            ['X-Cocoon-Proxy-End', '1767225601.500000'],
        ]);
    });

    it("proxy.runQueryEx flags follow the worker's version: bit 1 and an all-zero private_key from 3 on", () => {
        const relay = new QueryRelay({ pricePerToken: 1n });
        const old = workerLink('w-old', { protoVersion: 2 });
        relay.addWorker(old);
        relay.runQuery(clientLink(), query({ timeout: 30 }));
        expect(old.sent[0]).toMatchObject({ flags: 1, enable_debug: false });
        expect(old.sent[0].private_key).toBeUndefined();
        relay.removeWorker('w-old');
        const v3 = workerLink('w-new', { protoVersion: 3 });
        relay.addWorker(v3);
        relay.runQuery(clientLink(), query({ timeout: 30 }));
        expect(v3.sent[0]).toMatchObject({ flags: 3, private_key: Buffer.alloc(32) });
    });

    it('a version-1 client gets final info without timing fields; version 2 and above with them', () => {
        for (const [version, flags] of [
            [1, 0],
            [2, 2],
        ] as const) {
            const relay = new QueryRelay({ pricePerToken: 1n, now: () => 50 });
            const w = workerLink();
            const c = clientLink(version);
            relay.addWorker(w);
            relay.runQuery(c, query({ timeout: 30 }));
            answer(w, relay, 3n);
            const final = c.pieces[0].final_info!;
            expect(final.flags).toBe(flags);
            expect(final.proxy_start_time).toBe(flags ? 50 : undefined);
        }
    });

    it('an encrypted request goes only to the version-3 worker holding its key; none holds it: 503, nothing sent', () => {
        const key = Buffer.alloc(32, 0xab);
        const relay = new QueryRelay({ pricePerToken: 1n });
        const plain = workerLink('w-plain');
        const tooOld = workerLink('w-old', { protoVersion: 2, e2eKey: key });
        const holder = workerLink('w-key', { e2eKey: key });
        for (const w of [plain, tooOld, holder]) relay.addWorker(w);
        const encrypted = { ...query({ timeout: 30 }), flags: 3, public_key: key };
        relay.runQuery(clientLink(), encrypted);
        expect([plain.sent.length, tooOld.sent.length, holder.sent.length]).toEqual([0, 0, 1]);
        relay.removeWorker('w-key');
        const c = clientLink();
        relay.runQuery(c, { ...encrypted, request_id: randomBytes(32) });
        expect([plain.sent.length, tooOld.sent.length]).toEqual([0, 0]);
        expect(c.pieces[0]).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 503, flags: 1 });
        expect((c.pieces[0] as { error: string }).error).toBe(
            `no connected worker holds the end-to-end key ${key.toString('hex')} (it left, or it is not an attested worker of ` +
                `this proxy): fetch a fresh attestation report and encrypt to a key listed there`,
        );
    });
});
