/** @jest-environment node */
/**
 * A daemon's HTTP port on SIGTERM (issue 22 item 12): requests being answered finish within the grace
 * period (a completion streaming to its caller is not cut), new connections are refused at once, and
 * what is still open when the grace ends is cut.
 */
import { request, type IncomingMessage, type ServerResponse } from 'http';
import { serveHttp } from '../../../node/cli/daemon';

function get(url: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => request(url, resolve).on('error', reject).end());
}

function readAll(res: IncomingMessage): Promise<{ body: string; complete: boolean }> {
    return new Promise((resolve) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ body, complete: res.complete }));
        res.on('aborted', () => resolve({ body, complete: false }));
        res.on('error', () => resolve({ body, complete: false }));
    });
}

/** A handler that starts an answer, says so, and ends it only when `until` resolves (never when omitted). */
function slowAnswer(until?: Promise<void>) {
    let started!: () => void;
    const handlerStarted = new Promise<void>((r) => (started = r));
    const handler = (_req: unknown, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first ');
        started();
        void until?.then(() => res.end('last'));
        return true;
    };
    return { handler, handlerStarted };
}

describe('serveHttp close(grace)', () => {
    it('lets a running answer finish within the grace and refuses new connections meanwhile', async () => {
        let release!: () => void;
        const released = new Promise<void>((r) => (release = r));
        const { handler, handlerStarted } = slowAnswer(released);
        const http = await serveHttp('127.0.0.1', 0, [handler]);
        const res = await get(`${http.url}/slow`);
        const whole = readAll(res);
        await handlerStarted;
        let closed = false;
        const closing = http.close(60_000).then(() => (closed = true));
        await expect(get(`${http.url}/new`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
        expect(closed).toBe(false);
        release();
        expect(await whole).toEqual({ body: 'first last', complete: true });
        await closing;
        expect(closed).toBe(true);
    });

    it('cuts what is still running when the grace ends', async () => {
        const { handler, handlerStarted } = slowAnswer(); // never ends
        const http = await serveHttp('127.0.0.1', 0, [handler]);
        const res = await get(`${http.url}/stuck`);
        const whole = readAll(res);
        await handlerStarted;
        await http.close(200);
        expect(await whole).toEqual({ body: 'first ', complete: false });
    });
});
