/** Transactions: the list (filterable by account / op name / outcome) and one transaction with its events. */
import {
    ACCOUNT_KINDS,
    type EventInfo,
    type MessageLink,
    type OpcodeInfo,
    type Page,
    type TransactionDetail,
    type TransactionInfo,
} from '../../../indexer/api/types';
import { useApi, usePagedApi } from '../api';
import { Addr, Ago, Fields, Int, Load, NOTE_HELP, Outcome, PagedTable, Table, Ton, TxLink, failureText, type Column } from '../components';
import { formatTime } from '../format';
import { link, navigate } from '../router';

export const TX_COLUMNS: Column<TransactionInfo>[] = [
    { title: 'Hash', cell: (t) => <TxLink hash={t.hash} /> },
    { title: 'Time', cell: (t) => <Ago utime={t.utime} /> },
    { title: 'Account', cell: (t) => <Addr address={t.account} kind={t.accountKind} /> },
    { title: 'Message', cell: (t) => <span className="op">{t.opName ?? t.op ?? (t.external ? 'external' : 'no body')}</span> },
    { title: 'Value', cell: (t) => <Ton nano={t.inValue} />, className: 'right' },
    { title: 'Fees', cell: (t) => <Ton nano={t.totalFees} />, className: 'right' },
    { title: 'Result', cell: (t) => <Outcome t={t} /> },
];

/**
 * Transactions of one account (used by the detail pages). `source`: the transactions its messages caused, for
 * a wallet the indexer does not follow (an owner's wallet: its messages to the contracts are indexed).
 */
export function AccountTransactions({ address, by = 'account' }: { address: string; by?: 'account' | 'source' }) {
    const list = usePagedApi<TransactionInfo>(`/api/transactions?${by}=${encodeURIComponent(address)}&limit=20`);
    return (
        <section className="card">
            <h2>{by === 'source' ? 'Transactions it caused in the contracts' : 'Transactions'}</h2>
            <PagedTable list={list} columns={TX_COLUMNS} rowKey={(t) => t.hash} what="transactions" testId="account-transactions" />
        </section>
    );
}

export function TransactionsPage({ query }: { query: URLSearchParams }) {
    const params = new URLSearchParams();
    for (const k of ['account', 'source', 'opName', 'success', 'outcome', 'kind', 'block']) {
        const v = query.get(k);
        if (v) params.set(k, v);
    }
    params.set('limit', '50');
    const list = usePagedApi<TransactionInfo>(`/api/transactions?${params.toString()}`);
    const opcodes = useApi<OpcodeInfo[]>('/api/opcodes');
    const chosen = query.get('opName');
    // The catalogue's names, plus the current filter if it is not in the catalogue (a link from elsewhere).
    const opNames = [...new Set([...(opcodes.status === 'ok' ? opcodes.data.map((o) => o.name) : []), ...(chosen ? [chosen] : [])])].sort();
    const setFilter = (k: string, v: string) => {
        const next = new URLSearchParams(query);
        if (v) next.set(k, v);
        else next.delete(k);
        const qs = next.toString();
        navigate(`${link('transactions')}${qs ? `?${qs}` : ''}`);
    };
    return (
        <>
            <h1>Transactions</h1>
            <div className="filters">
                <label>
                    Outcome{' '}
                    <select
                        value={query.get('outcome') ?? ''}
                        onChange={(e) => setFilter('outcome', e.target.value)}
                        data-testid="filter-outcome"
                    >
                        <option value="">all</option>
                        <option value="ok">ok</option>
                        <option value="failed">failed</option>
                        <option value="note">state notes (intentional)</option>
                    </select>
                </label>
                <label>
                    Contract{' '}
                    <select value={query.get('kind') ?? ''} onChange={(e) => setFilter('kind', e.target.value)} data-testid="filter-kind">
                        <option value="">all</option>
                        {ACCOUNT_KINDS.map((k) => (
                            <option key={k} value={k}>
                                {k}
                            </option>
                        ))}
                    </select>
                </label>
                <label>
                    Message{' '}
                    <select
                        value={query.get('opName') ?? ''}
                        onChange={(e) => setFilter('opName', e.target.value)}
                        data-testid="filter-opName"
                    >
                        <option value="">all</option>
                        {opNames.map((n) => (
                            <option key={n} value={n}>
                                {n}
                            </option>
                        ))}
                    </select>
                </label>
                {query.get('account') && (
                    <button type="button" onClick={() => setFilter('account', '')}>
                        account: {query.get('account')?.slice(0, 10)}… ✕
                    </button>
                )}
            </div>
            <PagedTable list={list} columns={TX_COLUMNS} rowKey={(t) => t.hash} what="transactions" testId="transactions" />
        </>
    );
}

const EVENT_COLUMNS: Column<EventInfo>[] = [
    { title: '#', cell: (e) => e.idx },
    { title: 'Event', cell: (e) => <span className="op">{e.type}</span> },
    { title: 'Amount', cell: (e) => (e.amount === null ? '—' : <Ton nano={e.amount} />), className: 'right' },
    { title: 'Tokens', cell: (e) => (e.tokens === null ? '—' : <Int value={e.tokens} />), className: 'right' },
    {
        title: 'Parties',
        cell: (e) => (
            <span className="parties">
                {e.proxy && (
                    <span>
                        proxy <Addr address={e.proxy} kind="proxy" />
                    </span>
                )}
                {e.client && (
                    <span>
                        client <Addr address={e.client} kind="client" />
                    </span>
                )}
                {e.worker && (
                    <span>
                        worker <Addr address={e.worker} kind="worker" />
                    </span>
                )}
                {e.owner && (
                    <span>
                        owner <Addr address={e.owner} />
                    </span>
                )}
            </span>
        ),
    },
    {
        title: 'Decoded message',
        cell: (e) => <pre className="payload">{JSON.stringify(e.payload, null, 1)}</pre>,
    },
];

/** How far (seconds) after a transaction its outgoing messages are looked for as other accounts' transactions. */
const HOP_WINDOW_S = 600;

const ltOf = (t: TransactionInfo) => BigInt(t.lt);

/**
 * Rows indexed before the indexer stored message links have no outgoing messages listed although they
 * sent some: for those the chain is matched the way TON orders it instead (see GuessedParent/GuessedChildren).
 */
const hasLinks = (t: TransactionDetail) => t.outMessages.length >= t.outMsgs;

/** The transaction whose outgoing message this one processed, as the indexer linked it. */
function ParentHop({ tx }: { tx: TransactionDetail }) {
    if (!tx.parent) return hasLinks(tx) ? null : <GuessedParent tx={tx} />;
    const p = tx.parent;
    return (
        <li data-testid="trace-parent" data-exact="true">
            caused by <TxLink hash={p.hash} /> <span className="op">{p.opName ?? 'no body'}</span> on <Addr address={p.account} />
        </li>
    );
}

/** One outgoing message and, when indexed, the transaction that processed it with its result. */
function ChildHop({ msg }: { msg: MessageLink }) {
    const child = useApi<TransactionInfo>(msg.child ? `/api/transactions/${msg.child}` : null);
    const c = child.status === 'ok' ? child.data : null;
    return (
        <li data-testid="trace-child" data-exact="true" data-hash={msg.child ?? ''}>
            → <span className="op">{msg.opName ?? msg.op ?? 'no body'}</span> carrying <Ton nano={msg.value} /> to{' '}
            {c ? <Addr address={c.account} kind={c.accountKind} /> : <Addr address={msg.dest} />}
            {msg.child ? (
                <>
                    {' '}
                    in <TxLink hash={msg.child} /> {c && <Outcome t={c} />}
                </>
            ) : (
                <span className="muted small"> (not indexed)</span>
            )}
        </li>
    );
}

function ChildHops({ tx }: { tx: TransactionDetail }) {
    if (!hasLinks(tx)) return <GuessedChildren tx={tx} />;
    return (
        <>
            {tx.outMessages.map((m, i) => (
                <ChildHop key={`${m.createdLt ?? ''}:${i}`} msg={m} />
            ))}
        </>
    );
}

/** A block number links to the transactions of that block. */
export function BlockLink({ seqno }: { seqno: number }) {
    return (
        <a className="mono" href={`${link('transactions')}?block=${seqno}`} data-testid="block-link">
            {seqno}
        </a>
    );
}

/** Where the fees went, as TON explorers break them down (parts are null for rows indexed before the breakdown). */
function FeeBreakdownView({ t }: { t: TransactionInfo }) {
    const f = t.fees;
    const parts: [string, string | null][] = [
        ['storage', f.storage],
        ['compute', f.compute],
        ['action', f.action],
    ];
    return (
        <span data-testid="tx-fee-breakdown">
            <Ton nano={f.total} testId="tx-fee-total" /> total
            {parts.some(([, v]) => v !== null) && (
                <ul className="fee-parts">
                    {parts.map(([k, v]) =>
                        v === null ? null : (
                            <li key={k} data-testid={`fee-${k}`}>
                                {k}: <Ton nano={v} />
                                {k === 'compute' && f.gasUsed !== null ? <span className="muted small"> ({f.gasUsed} gas)</span> : null}
                            </li>
                        ),
                    )}
                    {f.forward !== null && (
                        <li data-testid="fee-forward">
                            forwarding of outgoing messages: <Ton nano={f.forward} />{' '}
                            <span className="muted small">(paid from their values)</span>
                        </li>
                    )}
                </ul>
            )}
        </span>
    );
}

/** Without stored links: the source account's latest earlier transaction that sent messages. */
function GuessedParent({ tx }: { tx: TransactionInfo }) {
    const parentPath =
        tx.source && !tx.external ? `/api/transactions?account=${encodeURIComponent(tx.source)}&to=${tx.utime}&limit=20` : null;
    const parents = useApi<Page<TransactionInfo>>(parentPath);
    const parent = parents.status === 'ok' ? parents.data.items.find((p) => ltOf(p) < ltOf(tx) && p.outMsgs > 0) : undefined;
    if (!parent) return null;
    return (
        <li data-testid="trace-parent">
            caused by <TxLink hash={parent.hash} /> <span className="op">{parent.opName ?? parent.op ?? 'no body'}</span> on{' '}
            <Addr address={parent.account} kind={parent.accountKind} />
        </li>
    );
}

/** Without stored links: the earliest later transactions whose inbound message came from this account. */
function GuessedChildren({ tx }: { tx: TransactionInfo }) {
    const childPath =
        tx.outMsgs > 0
            ? `/api/transactions?source=${encodeURIComponent(tx.account)}&from=${tx.utime}&to=${tx.utime + HOP_WINDOW_S}&limit=100`
            : null;
    const children = useApi<Page<TransactionInfo>>(childPath);
    const kids =
        children.status === 'ok'
            ? children.data.items
                  .filter((c) => ltOf(c) > ltOf(tx))
                  .sort((a, b) => (ltOf(a) < ltOf(b) ? -1 : ltOf(a) > ltOf(b) ? 1 : 0))
                  .slice(0, tx.outMsgs)
            : [];
    return (
        <>
            {kids.map((c) => (
                <li key={c.hash} data-testid="trace-child">
                    → <TxLink hash={c.hash} /> <span className="op">{c.opName ?? c.op ?? 'no body'}</span> on{' '}
                    <Addr address={c.account} kind={c.accountKind} /> carrying <Ton nano={c.inValue} /> <Outcome t={c} />
                </li>
            ))}
        </>
    );
}

export function TransactionPage({ hash }: { hash: string }) {
    const tx = useApi<TransactionDetail>(`/api/transactions/${encodeURIComponent(hash)}`);
    return (
        <>
            <h1>Transaction</h1>
            <Load what="transaction" value={tx}>
                {(t) => (
                    <>
                        <section className="card">
                            <Fields
                                testId="tx-fields"
                                rows={[
                                    [
                                        'Hash',
                                        <span className="mono break" data-testid="tx-hash">
                                            {t.hash}
                                        </span>,
                                    ],
                                    ['Logical time', <span className="mono">{t.lt}</span>],
                                    ['Time', formatTime(t.utime)],
                                    ['Block', t.blockSeqno === null ? '—' : <BlockLink seqno={t.blockSeqno} />],
                                    ['Result', <Outcome t={t} />],
                                    ...(t.outcome === 'note'
                                        ? ([['Why', <span data-testid="tx-why">{NOTE_HELP}</span>]] as [string, React.ReactNode][])
                                        : []),
                                    ...(t.outcome === 'failed'
                                        ? ([['Why', <span data-testid="tx-why">{failureText(t.failure, t.exitCode)}</span>]] as [
                                              string,
                                              React.ReactNode,
                                          ][])
                                        : []),
                                    [
                                        'Compute phase',
                                        <span data-testid="tx-exit">
                                            {t.computeSkipped
                                                ? `skipped (${t.computeSkipped.replace('_', ' ')})`
                                                : t.exitCode !== null
                                                  ? `exit code ${t.exitCode}`
                                                  : '—'}
                                        </span>,
                                    ],
                                    ['Action phase', t.actionResultCode === null ? '—' : `result code ${t.actionResultCode}`],
                                    ['Fees', <FeeBreakdownView t={t} />],
                                    ['Status', t.pending ? 'pending (block not final)' : 'final'],
                                ]}
                            />
                        </section>
                        <section className="card">
                            <h2>Message trace</h2>
                            <ol className="trace" data-testid="trace">
                                <ParentHop tx={t} />
                                <li>
                                    {t.external ? 'external message' : <Addr address={t.source} />} →{' '}
                                    <span className="op" data-testid="tx-op">
                                        {t.opName ?? t.op ?? 'empty body'}
                                    </span>{' '}
                                    {t.op && t.opName && <span className="mono muted small">{t.op}</span>} carrying{' '}
                                    <Ton nano={t.inValue} testId="tx-value" /> → <Addr address={t.account} kind={t.accountKind} /> (
                                    {t.accountKind}){t.bounced ? ' · bounced' : ''}
                                </li>
                                <li>
                                    computed: <Outcome t={t} />, fees <Ton nano={t.totalFees} testId="tx-fees" />
                                    {t.aborted ? ', aborted' : ''}
                                </li>
                                <li>
                                    sent {t.outMsgs} outgoing message{t.outMsgs === 1 ? '' : 's'}
                                    {t.outMsgs > 0 && (
                                        <>
                                            {' '}
                                            (
                                            <a href={`${link('transactions')}?account=${encodeURIComponent(t.account)}`}>
                                                account's transactions
                                            </a>
                                            )
                                        </>
                                    )}
                                </li>
                                <ChildHops tx={t} />
                            </ol>
                            <h3>Decoded events</h3>
                            {t.events.length === 0 ? (
                                <p className="muted">No decoded events.</p>
                            ) : (
                                <Table rows={t.events} columns={EVENT_COLUMNS} rowKey={(e) => e.id} testId="tx-events" />
                            )}
                        </section>
                    </>
                )}
            </Load>
        </>
    );
}
