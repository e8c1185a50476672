/** The REST API as an express 5 router, mounted by the indexer server (and by anything embedding it). */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Database } from '../db/client';
import type { Logger } from '../log';
import { DEFAULT_COEFFICIENT, modelPrices } from './models';
import { ENDPOINTS, openApiDocument, queryParamsOf } from './openapi';
import { getTransaction, listDailyStats, listEvents, listTransactions } from './queries/activity';
import { getAddress, getClient, getProxy, getWorker, listClients, listProxies, listWorkers } from './queries/contracts';
import { rootHistory } from './queries/root';
import { search } from './queries/search';
import { getOverview, getRootConfig, getStatus } from './queries/status';
import { parseLastEventId, StreamHub, type StreamFilter } from './stream';
import type { HealthResponse, OpcodeInfo, StreamMessage } from './types';
import { ApiError, notFound, onlyKnown, optAddress, optInt, optString, parseAddress, parseHash, badParam, type Query } from './validate';

export interface ApiOptions {
    database: Database;
    log: Logger;
    /** Model names to show next to their on-chain sha256 hashes. */
    knownModels?: readonly string[];
    /** Message catalogue for /api/opcodes and search. */
    opcodes?: readonly OpcodeInfo[];
    /** Poll interval of the live stream (ms). */
    streamPollMs?: number;
    version?: string;
}

export interface Api {
    router: Router;
    hub: StreamHub;
    close(): void;
}

type Handler = (req: Request, q: Query) => Promise<unknown>;

export function createApi(opts: ApiOptions): Api {
    const { db } = opts.database;
    const knownModels = opts.knownModels ?? [];
    const opcodes = opts.opcodes ?? [];
    const hub = new StreamHub(db, opts.log.child('stream'), opts.streamPollMs ?? 1000);
    const router = express.Router();
    const doc = openApiDocument(opts.version ?? '0.1.0');

    /** Registers a GET route whose accepted query parameters come from ENDPOINTS. */
    const get = (path: string, handler: Handler) => {
        const spec = ENDPOINTS.find((e) => e.path === path);
        if (!spec) throw new Error(`route ${path} is missing from ENDPOINTS (openapi.ts)`);
        const known = queryParamsOf(path);
        const expressPath = path.replace(/^\/api/, '').replace(/\{(\w+)\}/g, ':$1');
        router.get(expressPath, async (req: Request, res: Response) => {
            const q = req.query as Query;
            onlyKnown(q, known);
            const body = await handler(req, q);
            if (body === null || body === undefined) throw notFound(spec.notFound ?? 'resource');
            res.json(body);
        });
    };

    const param = (req: Request, name: string): string => {
        const v = req.params[name];
        return typeof v === 'string' ? v : '';
    };

    get('/api/health', async (): Promise<HealthResponse> => ({ ok: true, database: opts.database.kind, status: await getStatus(db) }));
    get('/api/status', () => getStatus(db));
    get('/api/overview', () => getOverview(db));
    get('/api/stats/daily', (_r, q) => listDailyStats(db, q));
    get('/api/root', () => getRootConfig(db));
    get('/api/root/history', (_r, q) => rootHistory(db, q));
    get('/api/models', async (_r, q) => modelPrices(await getRootConfig(db), optInt(q, 'coefficient', 0, 999_999_999) ?? DEFAULT_COEFFICIENT, knownModels));
    get('/api/proxies', (_r, q) => listProxies(db, q));
    get('/api/proxies/{address}', (r) => getProxy(db, parseAddress(param(r, 'address'), 'address')));
    get('/api/clients', (_r, q) => listClients(db, q));
    get('/api/clients/{address}', (r) => getClient(db, parseAddress(param(r, 'address'), 'address')));
    get('/api/workers', (_r, q) => listWorkers(db, q));
    get('/api/workers/{address}', (r) => getWorker(db, parseAddress(param(r, 'address'), 'address')));
    get('/api/addresses/{address}', (r) => getAddress(db, parseAddress(param(r, 'address'), 'address')));
    get('/api/transactions', (_r, q) => listTransactions(db, q));
    get('/api/transactions/{hash}', (r) => getTransaction(db, parseHash(param(r, 'hash'), 'hash')));
    get('/api/events', (_r, q) => listEvents(db, q));
    get('/api/opcodes', async () => opcodes);
    get('/api/search', async (_r, q) => {
        const text = optString(q, 'q', 200);
        if (!text || !text.trim()) throw badParam('q', 'required');
        return search(db, text, knownModels, opcodes);
    });
    get('/api/openapi.json', async () => doc);

    // Streams instead of answering once, so it does not go through get().
    router.get('/events/stream', async (req: Request, res: Response) => {
        const q = req.query as Query;
        onlyKnown(q, queryParamsOf('/api/events/stream'));
        const all: StreamMessage['type'][] = ['transaction', 'event', 'status'];
        const typesRaw = optString(q, 'types', 100);
        const types = typesRaw ? typesRaw.split(',').map((s) => s.trim()) : all;
        for (const t of types) if (!all.includes(t as StreamMessage['type'])) throw badParam('types', `'${t}' is not one of ${all.join(', ')}`);
        const filter: StreamFilter = { types: new Set(types as StreamMessage['type'][]), address: optAddress(q, 'address') };
        const lastId = req.get('last-event-id');
        await hub.add(res, filter, parseLastEventId(lastId));
    });

    router.use((req: Request) => {
        throw new ApiError(404, 'unknown_endpoint', `no such endpoint: ${req.method} ${req.baseUrl}${req.path}; see /api/openapi.json`);
    });

    router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
        if (err instanceof ApiError) {
            res.status(err.status).json(err.body());
            return;
        }
        const e = err as { type?: string; status?: number; message?: string };
        if (e?.type === 'entity.parse.failed' || (e?.status && e.status >= 400 && e.status < 500)) {
            res.status(e.status ?? 400).json(new ApiError(e.status ?? 400, 'bad_request', e.message ?? 'bad request').body());
            return;
        }
        opts.log.error('api request failed', { err: (err as Error)?.stack ?? String(err) });
        res.status(500).json(new ApiError(500, 'internal', 'internal error; see the indexer log').body());
    });

    return { router, hub, close: () => hub.close() };
}
