/**
 * Allowed models: what a million tokens of each class costs (client price and worker share), who serves
 * each (GPU owners' registries), its daily demand, and the cost calculator.
 */
import { useMemo, useState } from 'react';
import type { ModelPrice, ModelsResponse, TokenPrices } from '../../../indexer/api/types';
import { useApi } from '../api';
import { DailyChart } from '../Chart';
import { Empty, Int, Load, Table, Ton } from '../components';
import { formatInt, formatMultiplier } from '../format';
import { link, navigate } from '../router';
import { CostCalculator } from './Calculator';

const modelLabel = (x: ModelPrice) => x.name ?? `${x.hash.slice(0, 16)}…`;

/** Daily tokens of one model (the select picks which), from the models answer itself. */
function Demand({ models }: { models: ModelPrice[] }) {
    const [hash, setHash] = useState(models[0]?.hash ?? '');
    const model = models.find((x) => x.hash === hash) ?? models[0];
    const series = useMemo(
        () =>
            model && {
                label: 'tokens',
                x: model.activity.demand.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000),
                y: model.activity.demand.map((d) => Number(d.tokens)),
                format: (v: number) => formatInt(Math.round(v)),
            },
        [model],
    );
    if (!model || !series) return null;
    return (
        <section className="card" data-testid="demand">
            <div className="card-head">
                <h2>Demand per day</h2>
                <select aria-label="model" value={model.hash} onChange={(e) => setHash(e.target.value)} data-testid="demand-model">
                    {models.map((x) => (
                        <option key={x.hash} value={x.hash}>
                            {modelLabel(x)}
                        </option>
                    ))}
                </select>
            </div>
            <p className="muted small">
                Tokens paid to the workers of GPU owners whose registry lists the model (the chain records no model per request; an owner
                offering several models counts for each).
            </p>
            <DailyChart series={series} />
        </section>
    );
}

const CLASSES: (keyof TokenPrices)[] = ['prompt', 'cached', 'completion', 'reasoning'];

export function ModelsPage({ query }: { query: URLSearchParams }) {
    const coefficient = /^\d{1,9}$/.test(query.get('coefficient') ?? '') ? (query.get('coefficient') as string) : '';
    const models = useApi<ModelsResponse>(`/api/models${coefficient ? `?coefficient=${coefficient}` : ''}`);
    return (
        <>
            <h1>Models</h1>
            <Load what="models" value={models}>
                {(m) => (
                    <>
                        <p className="muted small">
                            Prices in TON per 1,000,000 tokens, params version {m.paramsVersion ?? '—'}, base price{' '}
                            <Ton nano={m.pricePerToken} /> per token
                            {m.multipliers
                                ? `; multipliers: prompt ${formatMultiplier(m.multipliers.prompt)}, ` +
                                  `cached ${formatMultiplier(m.multipliers.cached)}, ` +
                                  `completion ${formatMultiplier(m.multipliers.completion)}, ` +
                                  `reasoning ${formatMultiplier(m.multipliers.reasoning)}`
                                : ''}
                            .
                        </p>
                        <form
                            className="filters"
                            onSubmit={(e) => {
                                e.preventDefault();
                                const v = new FormData(e.currentTarget).get('coefficient');
                                navigate(`${link('models')}?coefficient=${encodeURIComponent(String(v ?? ''))}`);
                            }}
                        >
                            <label>
                                Worker coefficient (1000 = 1.0×){' '}
                                <input
                                    name="coefficient"
                                    type="number"
                                    min={0}
                                    max={999999999}
                                    defaultValue={m.coefficient}
                                    data-testid="coefficient"
                                />
                            </label>
                            <button type="submit">Apply</button>
                        </form>
                        {m.models.length === 0 ? (
                            <Empty>No models are allowed by the root contract.</Empty>
                        ) : (
                            <Table
                                rows={m.models}
                                rowKey={(x) => x.hash}
                                testId="models"
                                columns={[
                                    {
                                        title: 'Model',
                                        cell: (x) =>
                                            x.name ? <strong>{x.name}</strong> : <span className="mono small">{x.hash.slice(0, 16)}…</span>,
                                    },
                                    {
                                        title: 'GPU owners',
                                        className: 'right',
                                        cell: (x) =>
                                            x.name ? (
                                                <a href={`${link('gpu-owners')}?model=${encodeURIComponent(x.name)}`}>
                                                    {x.activity.owners}
                                                </a>
                                            ) : (
                                                x.activity.owners
                                            ),
                                    },
                                    { title: 'Workers', className: 'right', cell: (x) => x.activity.workers },
                                    { title: 'GPUs', className: 'right', cell: (x) => x.activity.gpus },
                                    {
                                        title: 'Tokens/day',
                                        className: 'right',
                                        cell: (x) => <Int value={x.activity.tokensPerDay} testId="tokens-per-day" />,
                                    },
                                    ...CLASSES.map((c) => ({
                                        title: c,
                                        className: 'right',
                                        cell: (x: (typeof m.models)[number]) => (
                                            <span>
                                                <Ton nano={x.pricePerMillion[c]} testId={`price-${c}`} />
                                                <br />
                                                <span className="muted small">
                                                    worker <Ton nano={x.workerFeePerMillion[c]} />
                                                </span>
                                            </span>
                                        ),
                                    })),
                                ]}
                            />
                        )}
                        <Demand models={m.models} />
                        <CostCalculator m={m} />
                    </>
                )}
            </Load>
        </>
    );
}
