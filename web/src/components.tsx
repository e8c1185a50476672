/** Small shared view pieces: load states, values, links, tables. */
import { useRef, useState, type ReactNode } from 'react';
import { friendlyAddress, isContractKind, useAddressSettings } from './address';
import type { AccountKind, TransactionInfo, TxFailure } from '../../indexer/api/types';
import type { Loadable } from './api';
import { formatInt, formatTime, formatTon, shortAddress, shortHash, timeAgo } from './format';
import { link } from './router';

export function Loading({ what }: { what: string }) {
    return (
        <div className="state loading" role="status" data-state="loading">
            Loading {what}…
        </div>
    );
}

export function ErrorBox({ error, retry }: { error: Error; retry?: () => void }) {
    return (
        <div className="state error" role="alert" data-state="error">
            <strong>Could not load.</strong> {error.message}
            {retry && (
                <button type="button" onClick={retry}>
                    Retry
                </button>
            )}
        </div>
    );
}

export function Empty({ children }: { children: ReactNode }) {
    return (
        <div className="state empty" data-state="empty">
            {children}
        </div>
    );
}

/** Renders a Loadable: loading, error, or the content. */
export function Load<T>({
    what,
    value,
    children,
}: {
    what: string;
    value: Loadable<T> & { reload?: () => void };
    children: (data: T) => ReactNode;
}) {
    if (value.status === 'loading') return <Loading what={what} />;
    if (value.status === 'error') return <ErrorBox error={value.error} retry={value.reload} />;
    return <>{children(value.data)}</>;
}

export function Ton({ nano, testId }: { nano: string | null | undefined; testId?: string }) {
    return (
        <span className="num ton" data-testid={testId} data-nano={nano ?? ''} title={nano ? `${nano} nanoTON` : undefined}>
            {formatTon(nano)}
            <span className="unit"> TON</span>
        </span>
    );
}

export function Int({ value, testId }: { value: string | number | null | undefined; testId?: string }) {
    return (
        <span className="num" data-testid={testId}>
            {formatInt(value)}
        </span>
    );
}

const PAGE_OF: Partial<Record<AccountKind, string>> = { proxy: 'proxies', client: 'clients', worker: 'workers' };

/** Copies `value` to the clipboard; says so for a moment. */
export function CopyButton({ value, what = 'address' }: { value: string; what?: string }) {
    const [done, setDone] = useState(false);
    const copy = () => {
        void navigator.clipboard?.writeText(value).then(() => {
            setDone(true);
            setTimeout(() => setDone(false), 1500);
        });
    };
    return (
        <button type="button" className="copy" onClick={copy} aria-label={`copy ${what}`} title={`copy ${value}`} data-testid="copy">
            {done ? 'copied' : 'copy'}
        </button>
    );
}

/**
 * An address in the user-friendly form (bounceable for contracts, non-bounceable for wallets, testnet flag on a
 * test network), or raw when the header's toggle asks for it; the other form is in the tooltip.
 */
export function Addr({
    address,
    kind,
    full,
    href: to,
}: {
    address: string | null | undefined;
    kind?: AccountKind | null;
    full?: boolean;
    href?: string;
}) {
    const { testnet, raw } = useAddressSettings();
    if (!address) return <span className="muted">—</span>;
    const page = kind ? PAGE_OF[kind] : undefined;
    const href = to ?? (page ? link(page, address) : link('address', address));
    const friendly = friendlyAddress(address, { bounceable: isContractKind(kind), testnet });
    const shown = raw ? address : friendly;
    const short = raw ? shortAddress(address) : friendly.length > 16 ? `${friendly.slice(0, 6)}…${friendly.slice(-6)}` : friendly;
    return (
        <>
            <a
                className={`addr mono${full ? ' break' : ''}`}
                href={href}
                title={raw ? friendly : address}
                data-raw={address}
                data-friendly={friendly}
            >
                {full ? shown : short}
            </a>
            {full && <CopyButton value={shown} />}
        </>
    );
}

/** "5 min ago", with the exact UTC time in the tooltip. */
export function Ago({ utime }: { utime: number | null | undefined }) {
    if (utime === null || utime === undefined) return <span className="muted">—</span>;
    return (
        <time className="small" dateTime={new Date(utime * 1000).toISOString()} title={formatTime(utime)}>
            {timeAgo(utime)}
        </time>
    );
}

export function TxLink({ hash }: { hash: string }) {
    return (
        <a className="mono" href={link('transactions', hash)} title={hash}>
            {shortHash(hash)}
        </a>
    );
}

export function StateBadge({ state }: { state: string }) {
    return <span className={`badge state-${state}`}>{state}</span>;
}

type OutcomeOf = Pick<TransactionInfo, 'success' | 'outcome' | 'exitCode' | 'failure'>;

/** Where and why a transaction failed, in the words of TON explorers: phase, code, the contract's name for it. */
export function failureText(f: TxFailure | null, exitCode: number | null): string {
    if (!f) return exitCode !== null ? `exit ${exitCode}` : '';
    const where = f.phase === 'action' ? 'action phase' : f.phase === 'compute' ? 'compute phase' : 'aborted';
    const code = f.code !== null ? ` exit ${f.code}` : '';
    const name = f.name ? ` ${f.name}` : '';
    const meaning = f.meaning && f.meaning !== f.name ? `: ${f.meaning}` : '';
    return `${where}${code}${name}${meaning}`;
}

export const NOTE_HELP =
    'An intentional note: a message too small to buy gas, which the chain records without running the contract (how proxies, ' +
    'clients and workers publish state). Not a failure.';

/** ok, an intentional state note (neutral, not counted as a failure), or a real failure with its phase and reason. */
export function Outcome({ t }: { t: OutcomeOf }) {
    if (t.outcome === 'note')
        return (
            <span className="badge note" title={NOTE_HELP} data-outcome="note">
                state note
            </span>
        );
    if (t.outcome === 'ok' || t.success)
        return (
            <span className="badge ok" data-outcome="ok">
                ok
            </span>
        );
    const why = failureText(t.failure, t.exitCode);
    return (
        <span className="badge fail" data-outcome="failed" title={why || undefined}>
            failed{t.failure?.code != null ? ` (exit ${t.failure.code})` : t.exitCode !== null && !t.failure ? ` (exit ${t.exitCode})` : ''}
        </span>
    );
}

/** Definition list of label/value rows. */
export function Fields({ rows, testId }: { rows: [string, ReactNode][]; testId?: string }) {
    return (
        <dl className="fields" data-testid={testId}>
            {rows.map(([k, v]) => (
                <div key={k} className="field">
                    <dt>{k}</dt>
                    <dd>{v}</dd>
                </div>
            ))}
        </dl>
    );
}

export interface Column<T> {
    title: string;
    cell: (row: T) => ReactNode;
    className?: string;
}

export function Table<T>({
    rows,
    columns,
    rowKey,
    testId,
}: {
    rows: T[];
    columns: Column<T>[];
    rowKey: (row: T) => string;
    testId?: string;
}) {
    return (
        <div className="table-wrap">
            <table data-testid={testId}>
                <thead>
                    <tr>
                        {columns.map((c) => (
                            <th key={c.title} className={c.className}>
                                {c.title}
                            </th>
                        ))}
                    </tr>
                </thead>
                <tbody>
                    {rows.map((r) => (
                        <tr key={rowKey(r)} data-key={rowKey(r)}>
                            {columns.map((c) => (
                                <td key={c.title} className={c.className} data-label={c.title}>
                                    {c.cell(r)}
                                </td>
                            ))}
                        </tr>
                    ))}
                </tbody>
            </table>
        </div>
    );
}

/** One cell as CSV text: full values (raw address, whole hash, exact nanoTON as TON) rather than the shortened display. */
function cellText(td: HTMLTableCellElement): string {
    const a = td.querySelector<HTMLElement>('[data-raw]');
    if (a) return a.dataset.raw ?? '';
    const nano = td.querySelector<HTMLElement>('[data-nano]');
    if (nano) return formatTon(nano.dataset.nano ?? '').replace(/,/g, '');
    const hash = td.querySelector<HTMLAnchorElement>('a[title]');
    if (hash && /^[0-9a-f]{64}$/.test(hash.title)) return hash.title;
    const time = td.querySelector('time');
    if (time) return time.getAttribute('title') ?? '';
    return (td.textContent ?? '').replace(/\s+/g, ' ').trim();
}

const csvField = (v: string) => `"${v.replace(/"/g, '""')}"`;

/** Downloads the rows loaded so far as CSV ("Load more" first for more rows). */
function CsvButton({ what, testId }: { what: string; testId?: string }) {
    const ref = useRef<HTMLButtonElement>(null);
    const download = () => {
        const table = ref.current?.closest('.list-tools')?.nextElementSibling?.querySelector('table');
        if (!table) return;
        const head = [...table.querySelectorAll('thead th')].map((th) => csvField((th.textContent ?? '').trim()));
        const body = [...table.querySelectorAll('tbody tr')].map((tr) =>
            [...tr.querySelectorAll('td')].map((td) => csvField(cellText(td))).join(','),
        );
        const blob = new Blob([[head.join(','), ...body].join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = `${(testId ?? what).replace(/[^a-z0-9-]+/gi, '-')}.csv`;
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    };
    return (
        <button type="button" ref={ref} onClick={download} data-testid="csv">
            Export CSV
        </button>
    );
}

/** A paged list with load/empty/error states and a "Load more" button. */
export function PagedTable<T>({
    list,
    columns,
    rowKey,
    what,
    testId,
}: {
    list: {
        items: T[];
        status: 'loading' | 'error' | 'ok';
        error: Error | null;
        hasMore: boolean;
        loadingMore: boolean;
        more(): void;
        reload(): void;
    };
    columns: Column<T>[];
    rowKey: (row: T) => string;
    what: string;
    testId?: string;
}) {
    if (list.status === 'loading') return <Loading what={what} />;
    if (list.status === 'error') return <ErrorBox error={list.error ?? new Error('unknown error')} retry={list.reload} />;
    if (list.items.length === 0) return <Empty>No {what} yet.</Empty>;
    return (
        <>
            <div className="list-tools">
                <CsvButton what={what} testId={testId} />
            </div>
            <Table rows={list.items} columns={columns} rowKey={rowKey} testId={testId} />
            {list.error && <ErrorBox error={list.error} retry={list.more} />}
            {list.hasMore && (
                <button type="button" className="more" onClick={list.more} disabled={list.loadingMore}>
                    {list.loadingMore ? 'Loading…' : 'Load more'}
                </button>
            )}
        </>
    );
}
