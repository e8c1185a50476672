/** @jest-environment node */
/**
 * `cocoon up` on a saturated CPU (issue 22 item 10): busy-looping threads take every core while the network
 * starts; the start must still end with a client connected to its proxy and a completion answered.
 */
import { mkdtempSync, rmSync } from 'fs';
import { cpus, tmpdir } from 'os';
import { join } from 'path';
import { inspect } from 'util';
import { Worker } from 'worker_threads';
import { startNetwork, type RunningNetwork } from '../../../node/cli/up';

jest.setTimeout(600_000);

let dir: string;
const busy: Worker[] = [];
let net: RunningNetwork | undefined;

beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cocoon-up-load-'));
});
afterAll(async () => {
    for (const b of busy) await b.terminate();
    await net?.stop();
    rmSync(dir, { recursive: true, force: true });
});

it('starts the whole network while every core is busy and answers a completion', async () => {
    // One spinning thread per core: the event loop of the network gets only what the scheduler leaves it.
    for (let i = 0; i < Math.max(2, cpus().length); i++) busy.push(new Worker('for (;;) {}', { eval: true }));
    await Promise.all(busy.map((b) => new Promise((r) => b.once('online', r))));

    try {
        net = await startNetwork({
            dataDir: dir,
            host: '127.0.0.1',
            chainPort: 0,
            modelPort: 0,
            explorerPort: 0,
            basePort: 0,
            once: false,
        });
    } catch (e) {
        // Some errors (a compiler diagnostic, an AggregateError) print as blank lines in jest's report.
        throw new Error(`startNetwork failed: ${inspect(e, { depth: 4 })}`);
    }
    expect(net.client.ready).toBe(true);
    const res = await fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 8 }),
    });
    const body = (await res.json()) as { choices?: { message: { content: string } }[]; usage?: { completion_tokens: number } };
    expect(res.status).toBe(200);
    expect(body.usage!.completion_tokens).toBeGreaterThan(0);
    expect(body.choices![0].message.content.length).toBeGreaterThan(0);
});
