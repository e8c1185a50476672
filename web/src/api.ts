/** Access to the indexer's REST API (same origin: the indexer serves this app). */
import { useCallback, useEffect, useState } from 'react';
import type { ApiErrorBody, Page } from '../../indexer/api/types';

export class ApiRequestError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

/** Base URL of the API; `?api=http://host:port` lets a dev server point at another indexer. */
export function apiBase(): string {
    const fromQuery = new URLSearchParams(window.location.search).get('api');
    return fromQuery ? fromQuery.replace(/\/$/, '') : '';
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
        res = await fetch(apiBase() + path, { signal, headers: { accept: 'application/json' } });
    } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        throw new ApiRequestError(0, 'network', `cannot reach the indexer API (${(err as Error).message}); is it running?`);
    }
    if (!res.ok) {
        let body: ApiErrorBody | null = null;
        try {
            body = (await res.json()) as ApiErrorBody;
        } catch {
            // Not JSON (a proxy's error page): fall back to the status line.
        }
        throw new ApiRequestError(res.status, body?.error.code ?? 'http_error', body?.error.message ?? `HTTP ${res.status} ${res.statusText}`);
    }
    return (await res.json()) as T;
}

export type Loadable<T> = { status: 'loading' } | { status: 'error'; error: ApiRequestError | Error } | { status: 'ok'; data: T };

/** Loads `path` (null = nothing to load) and reloads when it changes. */
export function useApi<T>(path: string | null): Loadable<T> & { reload(): void } {
    const [state, setState] = useState<Loadable<T>>({ status: 'loading' });
    const [tick, setTick] = useState(0);
    useEffect(() => {
        if (path === null) return;
        const ctl = new AbortController();
        setState({ status: 'loading' });
        getJson<T>(path, ctl.signal).then(
            (data) => setState({ status: 'ok', data }),
            (error: Error) => {
                if (error.name !== 'AbortError') setState({ status: 'error', error });
            },
        );
        return () => ctl.abort();
    }, [path, tick]);
    const reload = useCallback(() => setTick((t) => t + 1), []);
    return { ...state, reload };
}

/** A keyset-paginated list: first page on load, `more()` appends the next one. */
export function usePagedApi<T>(path: string): {
    items: T[];
    status: 'loading' | 'error' | 'ok';
    error: Error | null;
    hasMore: boolean;
    loadingMore: boolean;
    more(): void;
    reload(): void;
} {
    const first = useApi<Page<T>>(path);
    const [extra, setExtra] = useState<{ items: T[]; cursor: string | null; loading: boolean; error: Error | null }>({ items: [], cursor: null, loading: false, error: null });
    useEffect(() => {
        if (first.status === 'ok') setExtra({ items: [], cursor: first.data.nextCursor, loading: false, error: null });
    }, [first.status, first.status === 'ok' ? first.data : null]);
    const more = useCallback(() => {
        if (!extra.cursor || extra.loading) return;
        const sep = path.includes('?') ? '&' : '?';
        setExtra((e) => ({ ...e, loading: true }));
        getJson<Page<T>>(`${path}${sep}cursor=${encodeURIComponent(extra.cursor)}`).then(
            (page) => setExtra((e) => ({ items: [...e.items, ...page.items], cursor: page.nextCursor, loading: false, error: null })),
            (error: Error) => setExtra((e) => ({ ...e, loading: false, error })),
        );
    }, [path, extra.cursor, extra.loading]);
    if (first.status !== 'ok') {
        return { items: [], status: first.status, error: first.status === 'error' ? first.error : null, hasMore: false, loadingMore: false, more, reload: first.reload };
    }
    return {
        items: [...first.data.items, ...extra.items],
        status: 'ok',
        error: extra.error,
        hasMore: extra.cursor !== null,
        loadingMore: extra.loading,
        more,
        reload: first.reload,
    };
}
