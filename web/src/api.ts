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
        throw new ApiRequestError(
            res.status,
            body?.error.code ?? 'http_error',
            body?.error.message ?? `HTTP ${res.status} ${res.statusText}`,
        );
    }
    return (await res.json()) as T;
}

export type Loadable<T> = { status: 'loading' } | { status: 'error'; error: ApiRequestError | Error } | { status: 'ok'; data: T };

/** Loads `path` (null = nothing to load) and reloads when it changes. */
export function useApi<T>(path: string | null): Loadable<T> & { reload(): void } {
    // The state remembers the path it belongs to: after a path change the old answer is never shown,
    // not even for the one render before the effect starts the new request.
    const [state, setState] = useState<{ path: string | null; tick: number; value: Loadable<T> }>({
        path: null,
        tick: 0,
        value: { status: 'loading' },
    });
    const [tick, setTick] = useState(0);
    useEffect(() => {
        if (path === null) return;
        const ctl = new AbortController();
        setState({ path, tick, value: { status: 'loading' } });
        getJson<T>(path, ctl.signal).then(
            (data) => setState({ path, tick, value: { status: 'ok', data } }),
            (error: Error) => {
                if (error.name !== 'AbortError') setState({ path, tick, value: { status: 'error', error } });
            },
        );
        return () => ctl.abort();
    }, [path, tick]);
    const reload = useCallback(() => setTick((t) => t + 1), []);
    const current: Loadable<T> = state.path === path && state.tick === tick ? state.value : { status: 'loading' };
    return { ...current, reload };
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
    const firstPage = first.status === 'ok' ? first.data : null;
    // `base` ties the appended pages to the first page they continue, so a new first page (other filter,
    // reload) never shows next to pages of the old one, not even for one render.
    const [extra, setExtra] = useState<{ base: Page<T> | null; items: T[]; cursor: string | null; loading: boolean; error: Error | null }>({
        base: null,
        items: [],
        cursor: null,
        loading: false,
        error: null,
    });
    useEffect(() => {
        if (firstPage) setExtra({ base: firstPage, items: [], cursor: firstPage.nextCursor, loading: false, error: null });
    }, [firstPage]);
    const more = useCallback(() => {
        if (!extra.cursor || extra.loading) return;
        const sep = path.includes('?') ? '&' : '?';
        const base = extra.base;
        setExtra((e) => ({ ...e, loading: true }));
        getJson<Page<T>>(`${path}${sep}cursor=${encodeURIComponent(extra.cursor)}`).then(
            (page) =>
                setExtra((e) =>
                    e.base === base
                        ? { base, items: [...e.items, ...page.items], cursor: page.nextCursor, loading: false, error: null }
                        : e,
                ),
            (error: Error) => setExtra((e) => (e.base === base ? { ...e, loading: false, error } : e)),
        );
    }, [path, extra.base, extra.cursor, extra.loading]);
    if (first.status !== 'ok' || extra.base !== first.data) {
        if (first.status === 'ok') {
            // First page in, its continuation state not yet set (the effect above runs after this render).
            return {
                items: first.data.items,
                status: 'ok',
                error: null,
                hasMore: first.data.nextCursor !== null,
                loadingMore: false,
                more: () => undefined,
                reload: first.reload,
            };
        }
        return {
            items: [],
            status: first.status,
            error: first.status === 'error' ? first.error : null,
            hasMore: false,
            loadingMore: false,
            more,
            reload: first.reload,
        };
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
