/** The REST API as an express 5 router, mounted by the indexer server (and by anything embedding it). */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Database } from '../db/client';
import type { Logger } from '../../node/common/log';
import { DEFAULT_COEFFICIENT, modelPrices } from './models';
import { ENDPOINTS, openApiDocument, queryParamsOf } from './openapi';
import { getTransaction, listDailyStats, listEvents, listTransactions } from './queries/activity';
import { getAddress, getClient, getProxy, getWorker, listClients, listProxies, listWorkers, type LiveReader } from './queries/contracts';
import { getGpuOwner, listGpuOwners } from './queries/gpu-owners';
import { DEFAULT_DEMAND_DAYS, MAX_DEMAND_DAYS, modelActivity } from './queries/model-activity';
import { learnedModelNames, listReports } from './queries/reports';
import { rootHistory } from './queries/root';
import { search } from './queries/search';
import { getOverview, getRootConfig, getStatus } from './queries/status';
import { ExitCodeTable } from './exitcodes';
import { MAX_BACKLOG, parseLastEventId, StreamHub, type StreamFilter } from './stream';
import { STREAM_TYPES, type ExitCodeInfo, type HealthResponse, type OpcodeInfo, type StreamMessage } from './types';
import {
    ApiError,
    notFound,
    onlyKnown,
    optAddress,
    optEnumList,
    optInt,
    optString,
    parseAddress,
    parseHash,
    badParam,
    type Query,
} from './validate';

export interface ApiOptions {
    database: Database;
    log: Logger;
    /** Model names to show next to their on-chain sha256 hashes (names learnt from proxy stats are added). */
    knownModels?: readonly string[];
    /** Message catalogue for /api/opcodes and search. */
    opcodes?: readonly OpcodeInfo[];
    /** The contracts' exit-code tables (failure meanings, /api/exit-codes). */
    exitCodes?: readonly ExitCodeInfo[];
    /** The chain is a test network (user-friendly addresses carry the testnet flag). */
    testnet?: boolean;
    /** Reads a wallet the indexer does not follow from the chain (owner pages show its balance). */
    liveAccount?: LiveReader;
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
    const configuredModels = opts.knownModels ?? [];
    const knownModels = async () => [...new Set([...configuredModels, ...(await learnedModelNames(db))])];
    const opcodes = opts.opcodes ?? [];
    const exits = new ExitCodeTable(opts.exitCodes ?? []);
    const hub = new StreamHub(db, opts.log.child('stream'), exits, opts.streamPollMs ?? 1000);
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

    get(
        '/api/health',
        async (): Promise<HealthResponse> => ({
            ok: true,
            database: opts.database.kind,
            testnet: opts.testnet ?? false,
            status: await getStatus(db),
        }),
    );
    get('/api/status', () => getStatus(db));
    get('/api/overview', () => getOverview(db));
    get('/api/stats/daily', (_r, q) => listDailyStats(db, q));
    get('/api/root', () => getRootConfig(db));
    get('/api/root/history', (_r, q) => rootHistory(db, q));
    get('/api/models', async (_r, q) => {
        const coefficient = optInt(q, 'coefficient', 0, 999_999_999) ?? DEFAULT_COEFFICIENT;
        const days = optInt(q, 'days', 1, MAX_DEMAND_DAYS) ?? DEFAULT_DEMAND_DAYS;
        const root = await getRootConfig(db);
        return modelPrices(root, coefficient, await knownModels(), await modelActivity(db, root?.modelHashes ?? [], days));
    });
    get('/api/proxies', (_r, q) => listProxies(db, q));
    get('/api/proxies/{address}', (r) => getProxy(db, parseAddress(param(r, 'address'), 'address')));
    get('/api/clients', (_r, q) => listClients(db, q));
    get('/api/clients/{address}', (r) => getClient(db, parseAddress(param(r, 'address'), 'address')));
    get('/api/workers', (_r, q) => listWorkers(db, q));
    get('/api/workers/{address}', (r) => getWorker(db, parseAddress(param(r, 'address'), 'address')));
    get('/api/gpu-owners', (_r, q) => listGpuOwners(db, q));
    get('/api/gpu-owners/{address}', (r) => getGpuOwner(db, parseAddress(param(r, 'address'), 'address')));
    get('/api/addresses/{address}', (r) => getAddress(db, parseAddress(param(r, 'address'), 'address'), opts.liveAccount));
    get('/api/proxy-reports', () => listReports(db));
    get('/api/transactions', (_r, q) => listTransactions(db, q, exits));
    get('/api/transactions/{hash}', (r) => getTransaction(db, parseHash(param(r, 'hash'), 'hash'), exits));
    get('/api/events', (_r, q) => listEvents(db, q));
    get('/api/opcodes', async () => opcodes);
    get('/api/exit-codes', async () => exits.entries);
    get('/api/search', async (_r, q) => {
        const text = optString(q, 'q', 200);
        if (!text || !text.trim()) throw badParam('q', 'required');
        return search(db, text, await knownModels(), opcodes);
    });
    get('/api/openapi.json', async () => doc);

    // Streams instead of answering once, so it does not go through get().
    router.get('/events/stream', async (req: Request, res: Response) => {
        const q = req.query as Query;
        onlyKnown(q, queryParamsOf('/api/events/stream'));
        // Without ?types= the stream sends what it always did; the overview is asked for by name.
        const types: StreamMessage['type'][] = optEnumList(q, 'types', STREAM_TYPES) ?? ['transaction', 'event', 'status'];
        const filter: StreamFilter = { types: new Set(types), address: optAddress(q, 'address') };
        const backlog = optInt(q, 'backlog', 0, MAX_BACKLOG) ?? 0;
        const lastId = req.get('last-event-id');
        await hub.add(res, filter, parseLastEventId(lastId), backlog);
    });

    router.use((req: Request) => {
        throw new ApiError(404, 'unknown_endpoint', `no such endpoint: ${req.method} ${req.baseUrl}${req.path}; see /api/openapi.json`);
    });

    router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
        if (res.headersSent) {
            // A stream that already started cannot turn into an error answer: end it (the client reconnects).
            opts.log.warn('api stream failed', { err: (err as Error)?.message ?? String(err) });
            res.end();
            return;
        }
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
