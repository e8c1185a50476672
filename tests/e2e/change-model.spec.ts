/** @jest-environment node */
/**
 * worker.changeModel on the local network (issue 27 §1, upstream's live model switch): the proxy's admin
 * action asks a connected worker to switch; the worker checks the root allows the model, runs its
 * change-model script with the model name, and answers worker.changedModel; from then on the same
 * connection serves the new model (receipts name it) without a reconnect. Refusals: a model the root
 * does not list (refused by the proxy before the worker is asked), and a worker without a script.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { configureRoot } from '../../node/cli/network';
import type { Receipt } from '../../node/common/receipt';
import { MODEL, startTestNetwork, type TestNetwork } from './helpers/network';
import { waitFor } from '../helpers/wait';

jest.setTimeout(240_000);

const NEXT = 'cocoon/tiny-stories-1m@local:1';
let net: TestNetwork;
let dir: string;
let script: string;
const calls = () => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8') : '');

beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocoon-change-model-'));
    script = join(dir, 'change-model.sh');
    writeFileSync(script, `#!/bin/sh\necho "$1" >> '${join(dir, 'calls')}'\n`);
    chmodSync(script, 0o755);
    net = await startTestNetwork({ full: false });
    await net.startWorker({ changeModelScript: script });
    await net.startClient();
});
afterAll(async () => {
    await net?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

async function receiptModel(): Promise<string> {
    const res = await fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
            model: 'cocoon/tiny-stories-1m',
            messages: [{ role: 'user', content: 'Tell me a story about a cat.' }],
            max_tokens: 6,
        }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    return (JSON.parse(Buffer.from(res.headers.get('x-cocoon-receipt')!, 'base64').toString('utf8')) as Receipt).model;
}

const workerId = () => net.proxy.workerConnections()[0].id;

it('refuses a model the root does not allow, without asking the worker', async () => {
    await expect(net.proxy.changeWorkerModel(workerId(), NEXT)).rejects.toMatchObject({
        errorCode: 403,
        message: expect.stringContaining(`model '${NEXT}'`),
    });
    expect(calls()).toBe('');
    expect(net.proxy.workerConnections()[0].model).toBe(MODEL);
});

it('switches a connected worker live once the root allows the model: same connection, receipts name the new model', async () => {
    expect(await receiptModel()).toBe(MODEL);
    await configureRoot(net.chain, net.wallets.owner, net.root, { models: [NEXT] });
    await net.proxy.refreshRoot();
    await net.worker!.refreshRoot();
    const before = workerId();
    expect(await net.proxy.changeWorkerModel(before, NEXT)).toEqual({ worker: net.wallets.worker.address.toString(), model: NEXT });
    expect(calls()).toBe(`${NEXT}\n`);
    expect(net.proxy.workerConnections().map((w) => [w.id, w.model])).toEqual([[before, NEXT]]);
    expect(net.worker!.snapshot().model).toBe(NEXT);
    expect(await receiptModel()).toBe(NEXT);
});

it('a worker without a change-model script refuses, as upstream', async () => {
    await net.worker!.close(1000);
    await net.startWorker();
    await waitFor(() => net.proxy.workerConnections().length === 1, 'the worker at the proxy');
    await expect(net.proxy.changeWorkerModel(workerId(), MODEL)).rejects.toMatchObject({
        errorCode: 400,
        message: 'cannot change model: no change-model script configured (--change-model-script)',
    });
    expect(net.proxy.workerConnections()[0].model).toBe(MODEL);
});
