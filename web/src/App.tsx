/** Layout (header, navigation, search box) and the route table. */
import { useEffect, useState, type FormEvent } from 'react';
import type { HealthResponse } from '../../indexer/api/types';
import { setRawAddresses, setTestnet, useAddressSettings } from './address';
import { getJson } from './api';
import { Empty } from './components';
import { link, navigate, useRoute, type Route } from './router';
import { AddressPage, ClientPage, ClientsPage, ProxiesPage, ProxyPage, WorkerPage, WorkersPage } from './pages/Contracts';
import { GovernancePage } from './pages/Governance';
import { GpuOwnerPage, GpuOwnersPage } from './pages/GpuOwners';
import { ModelsPage } from './pages/Models';
import { OverviewPage } from './pages/Overview';
import { SearchPage } from './pages/Search';
import { TransactionPage, TransactionsPage } from './pages/Transactions';

const NAV: [string, string][] = [
    ['', 'Overview'],
    ['proxies', 'Proxies'],
    ['workers', 'Workers'],
    ['gpu-owners', 'GPU owners'],
    ['clients', 'Clients'],
    ['transactions', 'Transactions'],
    ['governance', 'Governance'],
    ['models', 'Models'],
];

function page(route: Route) {
    const [section, id] = route.parts;
    const q = route.query;
    switch (section ?? '') {
        case '':
            return <OverviewPage />;
        case 'proxies':
            return id ? <ProxyPage key={id} address={id} /> : <ProxiesPage query={q} />;
        case 'workers':
            return id ? <WorkerPage key={id} address={id} /> : <WorkersPage query={q} />;
        case 'gpu-owners':
            return id ? <GpuOwnerPage key={id} address={id} /> : <GpuOwnersPage query={q} />;
        case 'clients':
            return id ? <ClientPage key={id} address={id} /> : <ClientsPage query={q} />;
        case 'transactions':
            return id ? <TransactionPage key={id} hash={id} /> : <TransactionsPage query={q} />;
        case 'address':
            return id ? <AddressPage key={id} address={id} /> : <Empty>No address given.</Empty>;
        case 'governance':
            return <GovernancePage />;
        case 'models':
            return <ModelsPage query={q} />;
        case 'search':
            return <SearchPage query={q} />;
        default:
            return <Empty>No such page: {section}.</Empty>;
    }
}

export function App() {
    const route = useRoute();
    const [q, setQ] = useState(route.query.get('q') ?? '');
    const [menuOpen, setMenuOpen] = useState(false);
    const submit = (e: FormEvent) => {
        e.preventDefault();
        if (q.trim()) navigate(`${link('search')}?q=${encodeURIComponent(q.trim())}`);
    };
    const current = route.parts[0] ?? '';
    const { raw } = useAddressSettings();
    useEffect(() => {
        // The network decides the addresses' testnet flag; on failure they show as mainnet addresses.
        getJson<HealthResponse>('/api/health').then(
            (h) => setTestnet(h.testnet),
            () => undefined,
        );
    }, []);
    return (
        <>
            <header>
                <a className="brand" href="#/">
                    Cocoon explorer
                </a>
                <button type="button" className="menu" aria-label="menu" onClick={() => setMenuOpen((o) => !o)}>
                    ☰
                </button>
                <nav className={menuOpen ? 'open' : ''} onClick={() => setMenuOpen(false)}>
                    {NAV.map(([path, label]) => (
                        <a
                            key={label}
                            href={`#/${path}`}
                            className={current === path || (current === 'address' && path === '') ? 'active' : ''}
                            data-nav={path || 'overview'}
                        >
                            {label}
                        </a>
                    ))}
                </nav>
                <label className="rawtoggle">
                    <input type="checkbox" checked={raw} onChange={(e) => setRawAddresses(e.target.checked)} data-testid="raw-toggle" /> raw
                    addresses
                </label>
                <form className="search" onSubmit={submit} role="search">
                    <input
                        type="search"
                        placeholder="Address, tx hash, model…"
                        value={q}
                        onChange={(e) => setQ(e.target.value)}
                        aria-label="search"
                        data-testid="search-input"
                    />
                </form>
            </header>
            <main>{page(route)}</main>
        </>
    );
}
