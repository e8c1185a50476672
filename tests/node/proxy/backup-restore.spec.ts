/** @jest-environment node */
/**
 * A proxy restored from an old copy of its data directory (issue 22 item 9): it compares its store with
 * the chain before serving anyone and stops with a clear message when it is behind; the newest directory
 * starts normally.
 */
import { cpSync, rmSync } from 'fs';
import { join } from 'path';
import { ProxyRunner } from '../../../node/proxy/runner';
import { startTestNetwork, type TestNetwork } from '../../e2e/helpers/network';

jest.setTimeout(300_000);

let net: TestNetwork;

beforeAll(async () => {
    net = await startTestNetwork({ tls: false, params: { pricePerToken: 1000n, workerFeePerToken: 800n } });
});
afterAll(async () => {
    await net?.close();
});

async function chat(): Promise<void> {
    const res = await fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'cocoon/tiny-stories-1m', messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 8 }),
    });
    expect(res.status).toBe(200);
    await res.text();
}

it('refuses to start from a copy of its data directory older than what the chain shows, and starts from the newest one', async () => {
    const dataDir = net.proxyConfig.dataDir!;
    const backup = join(net.dir, 'proxy-backup');
    await chat();
    // The root registers these ports: the restarts listen on them again.
    net.proxyConfig.workerPort = net.proxy.workerPort;
    net.proxyConfig.clientPort = net.proxy.clientPort;
    await net.proxy.close(1000);
    cpSync(dataDir, backup, { recursive: true });
    const backupSeqno = net.proxy.seqnos.db;

    // Serving more from the newest directory: a new session (its note is on-chain) and another request.
    await net.startProxy();
    expect(net.proxy.seqnos.committed).toBeGreaterThan(backupSeqno);
    await net.client!.waitReady(60_000);
    await chat();
    await net.proxy.close(1000);

    rmSync(dataDir, { recursive: true, force: true });
    cpSync(backup, dataDir, { recursive: true });
    const started = ProxyRunner.start(net.proxyConfig);
    await expect(started).rejects.toMatchObject({ code: 'ROLLBACK' });
    await expect(started).rejects.toThrow(
        new RegExp(
            `store is behind the chain .*save-state note for seqno \\d+, the store is at seqno ${backupSeqno}.*never from an older copy`,
        ),
    );
    net.proxy = undefined as unknown as ProxyRunner; // nothing to close
});
