/**
 * Cost calculator (beyond COCOON): what an app pays for its daily queries, and what a GPU owner's worker
 * earns, at the live root price and a chosen worker coefficient. The arithmetic is indexer/api/pricing.ts
 * (bigint nanoTON, the worker's per-request truncation).
 */
import { useState, type ReactNode } from 'react';
import type { ModelsResponse } from '../../../indexer/api/types';
import { appCost, gpuEarnings, LIMITS, type Amounts, type LivePrice } from '../../../indexer/api/pricing';
import { Ton } from '../components';

type Fields = Record<'queries' | 'prompt' | 'completion' | 'tps' | 'util', string>;

/** A whole number from the form, or NaN (which the pricing module refuses with a message naming the field). */
const num = (v: string) => (/^\d{1,16}$/.test(v.trim()) ? Number(v.trim()) : NaN);

function attempt<T>(f: () => T): { ok: T } | { error: string } {
    try {
        return { ok: f() };
    } catch (err) {
        return { error: (err as Error).message };
    }
}

/** Per day and per month, or why the inputs were refused. */
function Result<T extends Amounts>({ id, r, note }: { id: string; r: { ok: T } | { error: string }; note: (ok: T) => ReactNode }) {
    if ('error' in r)
        return (
            <p className="state error" role="alert">
                {r.error}
            </p>
        );
    return (
        <p data-testid={`calc-${id}`}>
            <Ton nano={r.ok.perDay.toString()} testId={`calc-${id}-day`} /> per day,{' '}
            <Ton nano={r.ok.perMonth.toString()} testId={`calc-${id}-month`} /> per month
            <span className="muted small"> {note(r.ok)}</span>
        </p>
    );
}

export function CostCalculator({ m }: { m: ModelsResponse }) {
    const [v, setV] = useState<Fields>({ queries: '1000', prompt: '500', completion: '200', tps: '50', util: '50' });
    if (!m.pricePerToken || !m.workerFeePerToken || !m.multipliers) return null;
    const live: LivePrice = {
        pricePerToken: BigInt(m.pricePerToken),
        workerFeePerToken: BigInt(m.workerFeePerToken),
        promptMultiplier: m.multipliers.prompt,
        completionMultiplier: m.multipliers.completion,
        coefficient: m.coefficient,
    };
    const app = attempt(() =>
        appCost({ queriesPerDay: num(v.queries), promptTokens: num(v.prompt), completionTokens: num(v.completion) }, live),
    );
    const gpu = attempt(() => gpuEarnings({ tokensPerSecond: num(v.tps), utilizationPercent: num(v.util) }, live));
    const input = (k: keyof Fields, label: string, max: number) => (
        <label>
            {label}{' '}
            <input
                type="number"
                min={0}
                max={max}
                step={1}
                value={v[k]}
                onChange={(e) => setV({ ...v, [k]: e.target.value })}
                data-testid={`calc-${k}`}
            />
        </label>
    );
    return (
        <section className="card" data-testid="calculator">
            <h2>Cost calculator</h2>
            <p className="muted small">
                At the live price and the coefficient above ({(m.coefficient / 1000).toFixed(3)}×); a month is 30 days.
            </p>
            <h3>An app's cost</h3>
            <div className="filters">
                {input('queries', 'Daily queries', LIMITS.queriesPerDay)}
                {input('prompt', 'Avg prompt tokens', LIMITS.tokens)}
                {input('completion', 'Avg completion tokens', LIMITS.tokens)}
            </div>
            <Result
                id="app"
                r={app}
                note={(a) => (
                    <>
                        ({a.adjustedTokensPerQuery.toString()} billed tokens, <Ton nano={a.perQuery.toString()} /> per query)
                    </>
                )}
            />
            <h3>A GPU owner's earnings</h3>
            <div className="filters">
                {input('tps', 'Tokens per second', LIMITS.tokensPerSecond)}
                {input('util', 'Utilization %', LIMITS.utilizationPercent)}
            </div>
            <Result
                id="gpu"
                r={gpu}
                note={(g) => <>({g.tokensPerDay.toLocaleString('en-US')} completion tokens a day at the worker fee)</>}
            />
        </section>
    );
}
