/** Allowed models and what a million tokens of each class costs (client price and worker share). */
import type { ModelsResponse, TokenPrices } from '../../../indexer/api/types';
import { useApi } from '../api';
import { Empty, Load, Table, Ton } from '../components';
import { formatMultiplier } from '../format';
import { link, navigate } from '../router';

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
                            Prices in TON per 1,000,000 tokens, params version {m.paramsVersion ?? '—'}, base price <Ton nano={m.pricePerToken} /> per token
                            {m.multipliers ? `; multipliers: prompt ${formatMultiplier(m.multipliers.prompt)}, cached ${formatMultiplier(m.multipliers.cached)}, completion ${formatMultiplier(m.multipliers.completion)}, reasoning ${formatMultiplier(m.multipliers.reasoning)}` : ''}
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
                                Worker coefficient (1000 = 1.0×) <input name="coefficient" type="number" min={0} max={999999999} defaultValue={m.coefficient} data-testid="coefficient" />
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
                                    { title: 'Model', cell: (x) => (x.name ? <strong>{x.name}</strong> : <span className="mono small">{x.hash.slice(0, 16)}…</span>) },
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
                    </>
                )}
            </Load>
        </>
    );
}
