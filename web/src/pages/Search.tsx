/** Search by address, transaction hash, model name or hash, proxy endpoint, message name. */
import type { SearchHit, SearchResponse } from '../../../indexer/api/types';
import { useApi } from '../api';
import { Addr, Empty, Load, TxLink } from '../components';
import { link } from '../router';
import { useEffect } from 'react';

function Hit({ h }: { h: SearchHit }) {
    switch (h.kind) {
        case 'account':
            return (
                <>
                    {h.accountKind} contract <Addr address={h.address} kind={h.accountKind} full />
                </>
            );
        case 'owner':
            return (
                <>
                    owner of {h.owns} contract{h.owns === 1 ? '' : 's'} <Addr address={h.address} full />
                </>
            );
        case 'transaction':
            return (
                <>
                    transaction <TxLink hash={h.hash} /> on <Addr address={h.account} />
                </>
            );
        case 'model':
            return (
                <>
                    model <a href={link('models')}>{h.name ?? h.hash}</a>
                </>
            );
        case 'image_hash':
            return (
                <>
                    allowed {h.role} image{' '}
                    <a href={link('governance')} className="mono">
                        {h.hash.slice(0, 16)}…
                    </a>
                </>
            );
        case 'registered_proxy':
            return (
                <>
                    registered proxy #{h.seqno}{' '}
                    <a href={link('governance')} className="mono">
                        {h.address}
                    </a>
                </>
            );
        case 'opcode':
            return (
                <>
                    message <a href={`${link('transactions')}?opName=${encodeURIComponent(h.name)}`}>{h.name}</a>{' '}
                    <span className="mono muted">{h.op}</span>
                </>
            );
    }
}

/** Where a lone hit leads directly (a contract or a transaction), so pasting an address opens it. */
function directTarget(hits: SearchHit[]): string | null {
    if (hits.length !== 1) return null;
    const h = hits[0];
    if (h.kind === 'transaction') return link('transactions', h.hash);
    if (h.kind === 'account' && (h.accountKind === 'proxy' || h.accountKind === 'client' || h.accountKind === 'worker'))
        return link(`${h.accountKind}s`, h.address);
    if (h.kind === 'account' && h.accountKind === 'root') return link('governance');
    if (h.kind === 'owner') return link('address', h.address);
    return null;
}

export function SearchPage({ query }: { query: URLSearchParams }) {
    const q = (query.get('q') ?? '').trim();
    const res = useApi<SearchResponse>(q ? `/api/search?q=${encodeURIComponent(q)}` : null);
    const target = res.status === 'ok' ? directTarget(res.data.hits) : null;
    useEffect(() => {
        // replace(): the back button returns to the page before the search, not to a page that redirects.
        if (target) window.location.replace(target);
    }, [target]);
    if (!q) return <Empty>Type an address, a transaction hash or a model name in the search box.</Empty>;
    return (
        <>
            <h1>Search: {q}</h1>
            <Load what="results" value={res}>
                {(r) =>
                    r.hits.length === 0 ? (
                        <Empty>Nothing found for “{q}”.</Empty>
                    ) : (
                        <ul className="hits" data-testid="search-hits">
                            {r.hits.map((h, i) => (
                                <li key={i} data-kind={h.kind}>
                                    <Hit h={h} />
                                </li>
                            ))}
                        </ul>
                    )
                }
            </Load>
        </>
    );
}
