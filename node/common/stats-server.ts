/**
 * The stats and admin HTTP surface shared by the runners (COCOON BaseRunner's http server):
 *   GET  /stats              a self-contained HTML page (key/value sections and tables)
 *   GET  /jsonstats          the same data as JSON (bigints as decimal strings)
 *   GET  /metrics            Prometheus text exposition 0.0.4
 *   POST /request/<act>      admin actions, guarded by the access secret (Authorization: Bearer only)
 * `statsHandler` returns a mountable `(req, res) => boolean` (false for paths it does not own);
 * `startStatsServer` serves it alone on a host/port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { bearerToken, secretMatches } from './bearer';
import { PROMETHEUS_CONTENT_TYPE, type MetricsRegistry } from './metrics';
import { formatTonFixed, parseTonAmount } from './ton';

export { bearerToken, secretMatches };

// ---------------------------------------------------------------------------------------------- data model

/** An amount of nanoTON: shown as TON with 9 decimals in HTML, as a decimal nanoTON string in JSON. */
export interface Money {
    readonly kind: 'ton';
    readonly nano: bigint;
}

/** A value with a health level (HTML colours it; JSON shows only the value). */
export interface Flagged {
    readonly kind: 'flagged';
    readonly value: Exclude<StatsValue, Flagged>;
    readonly level: 'ok' | 'warn' | 'bad';
}

export type StatsValue = string | number | bigint | boolean | null | undefined | Money | Flagged;

export function ton(nano: bigint | number | null | undefined): Money | null {
    if (nano === null || nano === undefined) return null;
    return { kind: 'ton', nano: BigInt(nano) };
}

export function flagged(value: Exclude<StatsValue, Flagged>, level: Flagged['level']): Flagged {
    return { kind: 'flagged', value, level };
}

export interface KeyValueSection {
    kind: 'kv';
    /** JSON key (snake_case, as the original's /jsonstats). */
    id: string;
    title?: string;
    values: Record<string, StatsValue>;
}

export interface TableSection {
    kind: 'table';
    id: string;
    title?: string;
    /** Column order; each row is an object keyed by these names (JSON: an array of these objects). */
    columns: string[];
    rows: Record<string, StatsValue>[];
}

export type StatsSection = KeyValueSection | TableSection;

export interface StatsSource {
    title: string;
    sections(): StatsSection[] | Promise<StatsSection[]>;
}

/** Parses a decimal TON amount ("1", "2.5", "0.000000001") into nanoTON; at most 9 decimals. */
export function parseTon(s: string): bigint {
    const nano = parseTonAmount(s);
    if (nano === undefined) throw new BadRequest(`'${s}' is not a TON amount: use a decimal like 1.5 (at most 9 decimals)`);
    return nano;
}

function isMoney(v: unknown): v is Money {
    return typeof v === 'object' && v !== null && (v as Money).kind === 'ton';
}

function isFlagged(v: unknown): v is Flagged {
    return typeof v === 'object' && v !== null && (v as Flagged).kind === 'flagged';
}

/** A stats value as JSON: bigints and money as decimal strings, undefined and non-finite numbers as null. */
export function jsonValue(v: StatsValue): string | number | boolean | null {
    if (isFlagged(v)) return jsonValue(v.value);
    if (isMoney(v)) return v.nano.toString();
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (v === undefined) return null;
    return v;
}

/** What /jsonstats returns: `{ title, generated_at, <section id>: object | row objects[] }`. */
export function sectionsToJson(title: string, sections: readonly StatsSection[]): Record<string, unknown> {
    const out: Record<string, unknown> = { title, generated_at: Math.floor(Date.now() / 1000) };
    for (const s of sections) {
        if (s.kind === 'kv') out[s.id] = Object.fromEntries(Object.entries(s.values).map(([k, v]) => [k, jsonValue(v)]));
        else out[s.id] = s.rows.map((r) => Object.fromEntries(s.columns.map((c) => [c, jsonValue(r[c])])));
    }
    return out;
}

/** Generic JSON with bigints as decimal strings. */
export function toJson(v: unknown, space?: number): string {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : isMoney(x) ? x.nano.toString() : x), space);
}

// ---------------------------------------------------------------------------------------------- HTML

export function escapeHtml(s: string): string {
    return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function htmlValue(v: StatsValue): string {
    if (isFlagged(v)) return `<span class="${v.level}">${htmlValue(v.value)}</span>`;
    if (isMoney(v)) return `<span class="money">${formatTonFixed(v.nano)}&nbsp;TON</span>`;
    if (v === null || v === undefined) return '<span class="none">–</span>';
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v === 'number' && !Number.isInteger(v)) return escapeHtml(v.toFixed(3));
    return escapeHtml(String(v));
}

function htmlSection(s: StatsSection): string {
    const head = `<h2 id="${escapeHtml(s.id)}">${escapeHtml(s.title ?? s.id)}</h2>`;
    if (s.kind === 'kv') {
        const rows = Object.entries(s.values).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${htmlValue(v)}</td></tr>`);
        return `${head}<table class="kv">${rows.join('')}</table>`;
    }
    if (s.rows.length === 0) return `${head}<p class="none">none</p>`;
    const th = s.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
    const rows = s.rows.map((r) => `<tr>${s.columns.map((c) => `<td>${htmlValue(r[c])}</td>`).join('')}</tr>`);
    return `${head}<table class="rows"><thead><tr>${th}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const STYLE =
    'body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}\n' +
    'table{border-collapse:collapse}' +
    'td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top;font-variant-numeric:tabular-nums}\n' +
    'table.kv th{background:#f4f4f4;font-weight:normal}table.rows th{background:#eee}.money{white-space:nowrap}\n' +
    '.ok{color:#070}.warn{color:#a60}.bad{color:#c00;font-weight:bold}.none{color:#999}' +
    'code{background:#f4f4f4;padding:0 3px}nav a{margin-right:1em}';

export function renderStatsHtml(
    title: string,
    sections: readonly StatsSection[],
    actions: Readonly<Record<string, AdminAction>> = {},
    basePath = '',
): string {
    const nav = sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title ?? s.id)}</a>`).join('');
    const names = Object.keys(actions);
    const acts = names.length
        ? `<h2 id="actions">admin actions</h2><p>POST <code>${escapeHtml(basePath)}/request/&lt;action&gt;</code> with ` +
          `<code>Authorization: Bearer &lt;secret&gt;</code>; parameters in the query string or a JSON (or form) body. ` +
          `Example: <code>curl -X POST -H 'Authorization: Bearer &lt;secret&gt;' ` +
          `${escapeHtml(basePath)}/request/&lt;action&gt;</code></p>` +
          `<table class="rows"><thead><tr><th>action</th><th>parameters</th><th>description</th></tr></thead><tbody>` +
          names
              .map(
                  (n) =>
                      `<tr><td><code>${escapeHtml(n)}</code></td><td>${escapeHtml(actions[n].params ?? '')}</td>` +
                      `<td>${escapeHtml(actions[n].description)}</td></tr>`,
              )
              .join('') +
          `</tbody></table>`
        : '';
    return (
        `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
        `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
        `<body><h1>${escapeHtml(title)}</h1><nav>${nav}<a href="${escapeHtml(basePath)}/jsonstats">json</a>` +
        `<a href="${escapeHtml(basePath)}/metrics">metrics</a></nav>` +
        sections.map(htmlSection).join('\n') +
        acts +
        `<p class="none">generated ${escapeHtml(new Date().toISOString())}</p></body></html>`
    );
}

// ---------------------------------------------------------------------------------------------- admin actions

/** Invalid input to an admin action: answered 400 with this message. */
export class BadRequest extends Error {}

/** The parsed parameters of an admin action: the JSON (or form) body overrides the query string. */
export class ActionInput {
    constructor(
        readonly query: ReadonlyMap<string, string>,
        readonly body: Readonly<Record<string, unknown>>,
    ) {}

    /** The raw value (body first, then query); only own keys, never Object.prototype's. */
    get(name: string): unknown {
        return Object.hasOwn(this.body, name) ? this.body[name] : this.query.get(name);
    }

    has(name: string): boolean {
        const v = this.get(name);
        return v !== undefined && v !== null && v !== '';
    }

    string(name: string): string;
    string(name: string, opts: { optional: true }): string | undefined;
    string(name: string, opts: { optional?: boolean } = {}): string | undefined {
        const v = this.get(name);
        if (v === undefined || v === null || v === '') {
            if (opts.optional) return undefined;
            throw new BadRequest(`missing parameter '${name}'`);
        }
        if (typeof v !== 'string' && typeof v !== 'number') throw new BadRequest(`parameter '${name}' must be a string`);
        return String(v);
    }

    integer(name: string, opts?: { min?: number; max?: number }): number;
    integer(name: string, opts: { min?: number; max?: number; optional: true }): number | undefined;
    integer(name: string, opts: { min?: number; max?: number; optional?: boolean } = {}): number | undefined {
        const s = opts.optional ? this.string(name, { optional: true }) : this.string(name);
        if (s === undefined) return undefined;
        if (!/^-?\d+$/.test(s.trim())) throw new BadRequest(`parameter '${name}' must be an integer, got '${s}'`);
        const n = Number(s);
        if (!Number.isSafeInteger(n)) throw new BadRequest(`parameter '${name}' is out of range: ${s}`);
        if (opts.min !== undefined && n < opts.min) throw new BadRequest(`parameter '${name}' must be at least ${opts.min}, got ${n}`);
        if (opts.max !== undefined && n > opts.max) throw new BadRequest(`parameter '${name}' must be at most ${opts.max}, got ${n}`);
        return n;
    }

    number(name: string, opts?: { min?: number; max?: number }): number;
    number(name: string, opts: { min?: number; max?: number; optional: true }): number | undefined;
    number(name: string, opts: { min?: number; max?: number; optional?: boolean } = {}): number | undefined {
        const s = opts.optional ? this.string(name, { optional: true }) : this.string(name);
        if (s === undefined) return undefined;
        const n = Number(s);
        if (s.trim() === '' || !Number.isFinite(n)) throw new BadRequest(`parameter '${name}' must be a number, got '${s}'`);
        if (opts.min !== undefined && n < opts.min) throw new BadRequest(`parameter '${name}' must be at least ${opts.min}, got ${n}`);
        if (opts.max !== undefined && n > opts.max) throw new BadRequest(`parameter '${name}' must be at most ${opts.max}, got ${n}`);
        return n;
    }

    /** A TON amount as a decimal string ("2.5") -> nanoTON. */
    ton(name: string): bigint;
    ton(name: string, opts: { optional: true }): bigint | undefined;
    ton(name: string, opts: { optional?: boolean } = {}): bigint | undefined {
        const s = opts.optional ? this.string(name, { optional: true }) : this.string(name);
        if (s === undefined) return undefined;
        try {
            return parseTon(s);
        } catch (e) {
            throw new BadRequest(`parameter '${name}': ${(e as Error).message}`);
        }
    }

    /** true/false/1/0/yes/no/on/off. */
    boolean(name: string, dflt: boolean): boolean {
        const v = this.get(name);
        if (v === undefined || v === null || v === '') return dflt;
        if (typeof v === 'boolean') return v;
        const s = String(v).toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(s)) return true;
        if (['0', 'false', 'no', 'off'].includes(s)) return false;
        throw new BadRequest(`parameter '${name}' must be true or false, got '${String(v)}'`);
    }
}

export interface AdminAction {
    description: string;
    /** Parameters, for the help listing (e.g. "client=<owner address>"). */
    params?: string;
    /** Runs on POST only (GET answers 405), so a link or an <img> cannot trigger it. */
    run(input: ActionInput): unknown;
}

// ---------------------------------------------------------------------------------------------- handler

export interface StatsHandlerOptions {
    source: StatsSource;
    metrics?: MetricsRegistry;
    actions?: Readonly<Record<string, AdminAction>>;
    /**
     * Access secret for /request/*, sent as `Authorization: Bearer <secret>` (a browser cannot attach that
     * header cross-origin without a preflight this server never grants). A function is read on every
     * request. Unset: admin actions answer 403.
     */
    secret?: string | null | (() => string | null | undefined);
    /** Told in the 403 answer when no secret is set (e.g. "start the daemon with --access-secret <s>"). */
    secretHint?: string;
    /** Require the secret for /stats, /jsonstats and /metrics too (default false). */
    protectPages?: boolean;
    /** Mount under a prefix, e.g. "/admin" (default: the root). */
    basePath?: string;
    /** Called when an action fails or a page cannot be built. */
    onError?(what: string, e: Error): void;
}

/** What proxyStats/workerStats/clientStats build: spread into statsHandler({ ...stats, secret }). */
export interface RunnerStats {
    source: StatsSource;
    metrics: MetricsRegistry;
    actions: Record<string, AdminAction>;
}

export type StatsHttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const MAX_BODY = 64 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = toJson(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
    res.end(text);
}

function sendError(
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
): void {
    sendJson(res, status, { error: { message, code, ...extra } }, headers);
}

function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY) {
                reject(new BadRequest(`request body is larger than ${MAX_BODY} bytes`));
                req.destroy();
                return;
            }
            chunks.push(c);
        });
        req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        req.on('error', reject);
    });
}

async function parseBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    if (req.method !== 'POST' && req.method !== 'PUT') return {};
    const text = await readBody(req);
    if (!text.trim()) return {};
    const type = String(req.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
    let v: unknown;
    try {
        v = JSON.parse(text);
    } catch (e) {
        throw new BadRequest(`request body is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadRequest('request body must be a JSON object of parameters');
    return v as Record<string, unknown>;
}

/** The stats pages and admin actions as a mountable handler: returns false for paths it does not own. */
export function statsHandler(opts: StatsHandlerOptions): StatsHttpHandler {
    const base = (opts.basePath ?? '').replace(/\/+$/, '');
    const actions = opts.actions ?? {};
    const secretOf = (): string | null => {
        const s = typeof opts.secret === 'function' ? opts.secret() : opts.secret;
        return s ? s : null;
    };
    const fail = (what: string, e: Error) => opts.onError?.(what, e);

    /** true when allowed; otherwise the error answer has been sent. */
    const guard = (req: IncomingMessage, res: ServerResponse): boolean => {
        const secret = secretOf();
        if (!secret) {
            sendError(
                res,
                403,
                'admin_disabled',
                `admin actions are disabled: no access secret is configured${opts.secretHint ? `; ${opts.secretHint}` : ''}`,
            );
            return false;
        }
        const given = bearerToken(req);
        if (given === undefined || !secretMatches(given, secret)) {
            sendError(
                res,
                401,
                'unauthorized',
                given === undefined ? 'missing access secret: send Authorization: Bearer <secret> (over POST)' : 'wrong access secret',
                {},
                { 'www-authenticate': 'Bearer realm="cocoon"' },
            );
            return false;
        }
        return true;
    };

    const page = async (res: ServerResponse, kind: 'stats' | 'jsonstats' | 'metrics') => {
        try {
            if (kind === 'metrics') {
                const text = opts.metrics ? await opts.metrics.render() : '';
                res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' }).end(text);
                return;
            }
            const sections = await opts.source.sections();
            if (kind === 'jsonstats')
                sendJson(res, 200, sectionsToJson(opts.source.title, sections), { 'access-control-allow-origin': '*' });
            else
                res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(
                    renderStatsHtml(opts.source.title, sections, actions, base),
                );
        } catch (e) {
            fail(`/${kind}`, e as Error);
            if (!res.headersSent) sendError(res, 500, 'internal', `cannot build ${kind}: ${(e as Error).message}`);
            else res.end();
        }
    };

    const action = async (req: IncomingMessage, res: ServerResponse, name: string, query: URLSearchParams) => {
        // The secret is checked before anything else: without it, nobody learns which actions exist.
        if (!guard(req, res)) return;
        const a = Object.hasOwn(actions, name) ? actions[name] : undefined;
        if (!a) {
            sendError(res, 404, 'unknown_action', `unknown action '${name}'; known actions: ${Object.keys(actions).join(', ') || 'none'}`, {
                actions: Object.keys(actions),
            });
            return;
        }
        if (req.method !== 'POST') {
            sendError(res, 405, 'method_not_allowed', `/request/${name} changes state: use POST`, {}, { allow: 'POST' });
            return;
        }
        try {
            const body = await parseBody(req);
            const result = await a.run(new ActionInput(new Map(query), body));
            sendJson(res, 200, { ok: true, action: name, result: result ?? null });
        } catch (e) {
            const err = e instanceof Error ? e : new Error(String(e));
            if (!(err instanceof BadRequest)) fail(`/request/${name}`, err);
            sendError(res, 400, 'action_failed', err.message, { action: name });
        }
    };

    return (req, res) => {
        let url: URL;
        try {
            url = new URL(req.url ?? '/', 'http://localhost');
        } catch {
            return false;
        }
        let path = url.pathname;
        if (base) {
            if (path !== base && !path.startsWith(base + '/')) return false;
            path = path.slice(base.length) || '/';
        }
        const m = /^\/request\/([^/]+)\/?$/.exec(path);
        if (m) {
            let name: string;
            try {
                name = decodeURIComponent(m[1]);
            } catch {
                name = m[1];
            }
            void action(req, res, name, url.searchParams);
            return true;
        }
        if (path === '/request' || path === '/request/') {
            if (guard(req, res))
                sendJson(res, 200, {
                    actions: Object.fromEntries(
                        Object.entries(actions).map(([k, a]) => [k, { description: a.description, params: a.params ?? '' }]),
                    ),
                });
            return true;
        }
        const kind =
            path === '/stats' || path === '/stats/'
                ? 'stats'
                : path === '/jsonstats'
                  ? 'jsonstats'
                  : path === '/metrics'
                    ? 'metrics'
                    : null;
        if (!kind) return false;
        if (req.method !== 'GET' && req.method !== 'HEAD') {
            sendError(res, 405, 'method_not_allowed', `use GET for ${path}`, {}, { allow: 'GET' });
            return true;
        }
        if (opts.protectPages && !guard(req, res)) return true;
        void page(res, kind);
        return true;
    };
}

export interface StatsServer {
    url: string;
    port: number;
    close(): Promise<void>;
}

/** Serves the stats handler alone (404 JSON for anything else). Port 0 picks a free port. */
export async function startStatsServer(opts: StatsHandlerOptions & { host?: string; port?: number }): Promise<StatsServer> {
    const handler = statsHandler(opts);
    const server = createServer((req, res) => {
        if (!handler(req, res))
            sendError(
                res,
                404,
                'not_found',
                `no route for ${req.method} ${req.url}: try /stats, /jsonstats, /metrics or /request/<action>`,
            );
    });
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((ok, fail) => {
        server.once('error', (e: NodeJS.ErrnoException) =>
            fail(e.code === 'EADDRINUSE' ? new Error(`port ${opts.port} on ${host} is in use: choose another stats port`) : e),
        );
        server.listen(opts.port ?? 0, host, ok);
    });
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        close: () =>
            new Promise<void>((ok) => {
                server.closeAllConnections();
                server.close(() => ok());
            }),
    };
}
