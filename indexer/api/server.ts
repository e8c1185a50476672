/** HTTP server: the REST API under /api and, when built, the explorer's static files (web/dist). */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createApi, type Api, type ApiOptions } from './router';

export interface ApiServerOptions extends ApiOptions {
    port?: number;
    host?: string;
    /** Directory with the built explorer (index.html); default: web/dist of the repository when present. */
    webDir?: string | null;
}

export interface ApiServer {
    url: string;
    port: number;
    api: Api;
    server: http.Server;
    webDir: string | null;
    close(): Promise<void>;
}

/** web/dist next to the sources or the compiled output, if the explorer was built. */
export function defaultWebDir(): string | null {
    let dir = __dirname;
    for (let i = 0; i < 6; i++) {
        const candidate = path.join(dir, 'web', 'dist');
        if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
        dir = path.dirname(dir);
    }
    return null;
}

export function createApp(api: Api, webDir: string | null): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.set('json replacer', (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    app.use((_req, res, next) => {
        // The explorer may be served from another origin during development.
        res.setHeader('Access-Control-Allow-Origin', '*');
        next();
    });
    app.use('/api', api.router);
    if (webDir) {
        app.use(express.static(webDir, { index: 'index.html', maxAge: '1h' }));
        // Client-side routes (/proxies/..., /tx/...) all load the single-page app.
        app.get(/^\/(?!api\/).*/, (_req, res) => res.sendFile(path.join(webDir, 'index.html')));
    } else {
        app.get('/', (_req, res) => {
            res.type('text/plain').send('Cocoon indexer API: see /api/openapi.json (the explorer is served here once web/dist is built)\n');
        });
    }
    return app;
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
    const api = createApi(opts);
    const webDir = opts.webDir === undefined ? defaultWebDir() : opts.webDir;
    const app = createApp(api, webDir);
    const server = http.createServer(app);
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port ?? 0, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const shownHost = host.includes(':') ? `[${host}]` : host;
    return {
        url: `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${port}`,
        port,
        api,
        server,
        webDir,
        close: () =>
            new Promise<void>((resolve) => {
                api.close();
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
