/**
 * A GPU owner's view on the local network (`cocoon up`): the worker registered its profile on start,
 * `cocoon worker status` shows per-proxy earnings equal to the on-chain payouts to the nanoTON, and the
 * proxy's observed uptime (its /jsonstats worker_uptime) stops while the worker is disabled.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Address } from '@ton/core';
import OpenAI from 'openai';
import { createChainClient, readRegistry } from '../../../node/chain';
import { readRoot, readWorkerContract } from '../../../node/chain/cocoon';
import { startNetwork } from '../../../node/cli/up';
import { runWorker } from '../../../node/cli/worker';
import type { WorkerStatusReport } from '../../../node/cli/worker-registry';
import { captureIo } from '../helpers/cli-io';
import { waitFor } from '../../helpers/wait';

// `cocoon up` starts a chain, an indexer, a model and three daemons: minutes on a loaded 2-core machine.
jest.setTimeout(600_000);

const until = <T>(what: string, get: () => Promise<T>, timeoutMs = 60_000) => waitFor(get, what, timeoutMs, 200);

interface UptimeRow {
    owner: string;
    up: boolean;
    uptime_seconds: number;
    window_seconds: number;
}

describe('cocoon worker status on the local network', () => {
    let dir: string;
    beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), 'cocoon-worker-status-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const statusTitle =
        'registers on start; status equals the on-chain payouts to the nanoTON; observed uptime stops while the worker is disabled';
    it(statusTitle, async () => {
        const net = await startNetwork({
            dataDir: dir,
            host: '127.0.0.1',
            chainPort: 0,
            modelPort: 0,
            explorerPort: 0,
            basePort: 0,
            once: false,
        });
        try {
            const b = net.banner as {
                root: string;
                worker: string;
                accessSecret: string;
                stats: { proxy: string; worker: string };
                chain: { v4: string };
            };
            const chain = createChainClient({ url: b.chain.v4 });
            const root = Address.parse(b.root);
            const owner = Address.parse(b.worker);
            const workerHttp = b.stats.worker.replace(/\/stats$/, '');
            const proxyHttp = b.stats.proxy.replace(/\/stats$/, '');

            // `cocoon up` turns --register on: the profile is on-chain, with the served model's name without its version.
            const reg = (await readRegistry(chain, root, owner))!;
            expect(reg).toMatchObject({ status: 'active', profile: { tee: 'fake', models: ['cocoon/tiny-stories-1m'] } });

            const ai = new OpenAI({ baseURL: net.apiUrl, apiKey: 'unused', maxRetries: 0 });
            const res = await ai.chat.completions.create({
                model: 'cocoon/tiny-stories-1m',
                messages: [{ role: 'user', content: 'Once upon a time' }],
                max_tokens: 16,
            });
            expect(res.usage?.completion_tokens).toBeGreaterThan(0);

            const status = async (): Promise<WorkerStatusReport> => {
                const c = captureIo();
                const code = await runWorker(
                    [
                        'status',
                        '--root',
                        b.root,
                        '--endpoint',
                        b.chain.v4,
                        '--owner',
                        b.worker,
                        '--stats-url',
                        workerHttp,
                        '--proxy-stats',
                        proxyHttp,
                        '--json',
                    ],
                    {},
                    c.io,
                );
                expect({ code, err: c.err() }).toEqual({ code: 0, err: '' });
                return JSON.parse(c.out()) as WorkerStatusReport;
            };
            // The proxy signs the tokens once they are committed; then cash them out now (the fee guard would wait).
            await until('signed tokens reach the worker', async () =>
                (await status()).earnings.some((e) => BigInt(String(e.pending_tokens)) > 0n),
            );
            const pay = await fetch(`${workerHttp}/request/payout?force=true&confirm=true`, {
                method: 'POST',
                headers: { authorization: `Bearer ${b.accessSecret}` },
            });
            expect(pay.status).toBe(200);
            const params = (await readRoot(chain, root)).params;
            const report = await until('the payout lands on-chain', async () => {
                const r = await status();
                const sc = r.earnings[0] ? Address.parse(String(r.earnings[0].sc_address)) : null;
                const onChain = sc ? await readWorkerContract(chain, sc) : null;
                return onChain && onChain.tokens > 0n && BigInt(String(r.earnings[0].paid_tokens)) === onChain.tokens
                    ? { r, onChain }
                    : null;
            });
            const e = report.r.earnings[0];
            expect(BigInt(String(e.earned_nanoton))).toBe(report.onChain.tokens * params.workerFeePerToken);
            // --json writes nanoTON as decimal strings.
            expect(String(report.r.totals.earned_nanoton)).toBe(String(report.onChain.tokens * params.workerFeePerToken));
            expect(e.payout_fee_nanoton).toBe('10000000');
            expect(report.r.registration).toMatchObject({ status: 'active' });
            expect(report.r.observed_uptime).toEqual([expect.objectContaining({ owner: expect.any(String), up: true })]);

            // Disabled: the proxy stops counting; enabled again: it counts again.
            const admin = (action: string) =>
                fetch(`${workerHttp}/request/${action}`, { method: 'POST', headers: { authorization: `Bearer ${b.accessSecret}` } });
            const row = async () => {
                const j = (await (await fetch(`${proxyHttp}/jsonstats`)).json()) as { worker_uptime: UptimeRow[] };
                return j.worker_uptime.find((r) => Address.parse(r.owner).equals(owner));
            };
            expect((await admin('disable')).status).toBe(200);
            const down = await until('the proxy sees the worker disabled', async () => {
                const r = await row();
                return r && !r.up ? r : null;
            });
            const later = await until('the window moves on', async () => {
                const r = await row();
                return r && r.window_seconds > down.window_seconds ? r : null;
            });
            expect(later).toMatchObject({ up: false, uptime_seconds: down.uptime_seconds });
            expect((await admin('enable')).status).toBe(200);
            await until('the proxy sees the worker enabled', async () => (await row())?.up === true);
            expect((await status()).observed_uptime[0]).toMatchObject({ up: true });
        } finally {
            await net.stop();
        }
    });
});
