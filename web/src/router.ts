/** Hash routing (#/proxies/0:ab..): shareable URLs with no server-side routes needed. */
import { useEffect, useState } from 'react';

export interface Route {
    /** Path segments after "#/", decoded. */
    parts: string[];
    query: URLSearchParams;
}

export function parseHash(hash: string): Route {
    const raw = hash.replace(/^#\/?/, '');
    const [path, qs] = raw.split('?', 2);
    return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(qs ?? '') };
}

export function useRoute(): Route {
    const [route, setRoute] = useState(() => parseHash(window.location.hash));
    useEffect(() => {
        const on = () => {
            setRoute(parseHash(window.location.hash));
            window.scrollTo(0, 0);
        };
        window.addEventListener('hashchange', on);
        return () => window.removeEventListener('hashchange', on);
    }, []);
    return route;
}

/** href for a route: link('proxies', addr) -> "#/proxies/0%3Aab..". */
export function link(...parts: (string | number)[]): string {
    return `#/${parts.map((p) => encodeURIComponent(String(p)).replace(/%3A/gi, ':')).join('/')}`;
}

export function navigate(href: string): void {
    window.location.hash = href.replace(/^#/, '');
}
