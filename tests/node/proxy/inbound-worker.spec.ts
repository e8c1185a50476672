/**
 * The inbound worker connection's handshake state machine, without a chain: a fake proxy port (root set
 * by the test), real accounts, relay and payment signing, and real wire-protocol connections on loopback.
 */
import { randomBytes } from 'crypto';
import { Address } from '@ton/core';
import type { RpcConnection, worker_params } from '../../../node/protocol';
import { ProxyInboundWorkerConnection, WorkerState } from '../../../node/proxy/inbound-worker';
import { closed, expectedProxyParams, fakeProxy, loopback, MODEL, type FakeProxy, type Loopback } from '../helpers/proxy-port';

jest.setTimeout(30_000);

const OWNER = Address.parse('0:' + 'cd'.repeat(32));
const HARDWARE = {
    _: 'cocoonx.workerHardware' as const,
    gpu: 'H100',
    vram_mb: 81_920,
    gpu_count: 8,
    cpu: 'EPYC',
    cpu_cores: 96,
    ram_mb: 1_048_576,
};

const params = (over: Partial<worker_params> = {}): worker_params => ({
    _: 'worker.params',
    flags: 3,
    worker_owner_address: OWNER.toString(),
    model: MODEL,
    coefficient: 1500,
    is_test: true,
    proxy_cnt: 2,
    max_active_requests: 9,
    min_proto_version: 1,
    max_proto_version: 4,
    ...over,
});

describe('ProxyInboundWorkerConnection handshake', () => {
    let fake: FakeProxy;
    let net: Loopback<ProxyInboundWorkerConnection>;

    async function start(opts: { checkWorkerHashes?: boolean } = {}) {
        fake = await fakeProxy(opts);
        net = await loopback((conn) => new ProxyInboundWorkerConnection(conn, fake.port));
    }
    beforeEach(() => start());
    afterEach(async () => {
        await net.close();
    });

    const connectQuery = (peer: RpcConnection, over: Partial<worker_params> = {}) =>
        peer.query({ _: 'worker.connectToProxy', params: params(over) });

    async function connected() {
        const { peer, inbound } = await net.dial();
        const answer = await connectQuery(peer);
        return { peer, inbound, answer };
    }

    async function ready(isDisabled = false) {
        const c = await connected();
        expect(await c.peer.query({ _: 'worker.proxyHandshakeComplete', is_disabled: isDisabled })).toEqual({
            _: 'worker.proxyHandshakeCompleted',
        });
        return c;
    }

    const listedModels = () => fake.relay.workerTypes().types.map((t) => t.name);

    const connectedTitle =
        'New -> Connected: answers with the proxy params and the derived worker contract; the account exists, nothing is registered';
    it(connectedTitle, async () => {
        const { peer, inbound } = await net.dial();
        expect(inbound.state).toBe(WorkerState.New);
        const r = await connectQuery(peer);
        expect(inbound.state).toBe(WorkerState.Connected);
        expect(r.params).toEqual(expectedProxyParams(fake));
        const account = fake.accounts.findWorker(OWNER.toString())!;
        expect(r.worker_sc_address).toBe(account.contract.toString());
        expect(account.connections).toBe(0);
        expect(inbound.info).toBeNull();
        expect(listedModels()).toEqual([]);
    });

    const readyTitle =
        'Connected -> Ready: registered with the relay with its offer (capacity = max_active_requests / proxy_cnt, rounded up); ' +
        'close gives everything back';
    it(readyTitle, async () => {
        const { peer, inbound } = await connected();
        expect(await peer.query({ _: 'cocoonx.announceWorkerHardware', hardware: HARDWARE })).toEqual({ _: 'cocoonx.ok' });
        expect(await peer.query({ _: 'worker.proxyHandshakeComplete', is_disabled: false })).toEqual({
            _: 'worker.proxyHandshakeCompleted',
        });
        expect(inbound.state).toBe(WorkerState.Ready);
        const info = inbound.info!;
        expect(info.id).toMatch(/^w\d+$/);
        expect({
            model: info.model,
            coefficient: info.coefficient,
            maxRunning: info.maxRunning,
            enabled: info.enabled,
            owner: info.owner,
            imageHash: info.imageHash,
        }).toEqual({
            model: MODEL,
            coefficient: 1500n,
            maxRunning: 5,
            enabled: true,
            owner: OWNER.toString(),
            imageHash: '00'.repeat(32),
        });
        // Hardware announced before the handshake completed travels into the registered worker.
        expect(info.hardware).toEqual({ gpu: 'H100', vramMb: 81_920, gpuCount: 8, cpu: 'EPYC', cpuCores: 96, ramMb: 1_048_576 });
        const account = fake.accounts.findWorker(OWNER.toString())!;
        expect(info.workerAccount).toBe(account);
        expect(account.connections).toBe(1);
        expect(listedModels()).toEqual(['cocoon/tiny-stories-1m']);
        const gone = closed(inbound.conn);
        peer.close();
        await gone;
        expect(inbound.state).toBe(WorkerState.Closed);
        expect(inbound.info).toBeNull();
        expect(account.connections).toBe(0);
        expect(listedModels()).toEqual([]);
    });

    it('a worker that completes the handshake disabled is registered but offered to no client', async () => {
        const { inbound } = await ready(true);
        expect(inbound.info!.enabled).toBe(false);
        expect(listedModels()).toEqual([]);
    });

    it('Ready: worker.enabledDisabled, worker.newCoefficient and hardware updates reach the registered worker', async () => {
        const { peer, inbound } = await ready();
        const info = inbound.info!;
        expect(await peer.query({ _: 'cocoonx.announceWorkerHardware', hardware: { ...HARDWARE, gpu: 'B200' } })).toEqual({
            _: 'cocoonx.ok',
        });
        expect(info.hardware?.gpu).toBe('B200');
        peer.send({ _: 'worker.enabledDisabled', disabled: 1 });
        peer.send({ _: 'worker.newCoefficient', new_coefficient: 2500 });
        // A query after the packets: they arrive in order, so they have been handled once it is answered.
        await peer.query({ _: 'worker.extendedCompareBalanceWithProxy', tokens_committed_to_db: 0n, other: Buffer.alloc(0) });
        expect(info.enabled).toBe(false);
        expect(info.coefficient).toBe(2500n);
    });

    it('Ready: a negative coefficient closes the connection and unregisters the worker', async () => {
        const { peer, inbound } = await ready();
        const gone = closed(inbound.conn);
        peer.send({ _: 'worker.newCoefficient', new_coefficient: -1 });
        await gone;
        expect(inbound.state).toBe(WorkerState.Closed);
        expect(fake.accounts.findWorker(OWNER.toString())!.connections).toBe(0);
        expect(listedModels()).toEqual([]);
    });

    it('worker.updatePaymentStatus in Connected and in Ready: the account totals and its signed payment', async () => {
        const { peer } = await connected();
        const account = fake.accounts.findWorker(OWNER.toString())!;
        account.ledger.add(40n);
        account.ledger.committedToDb(1);
        account.ledger.committedToBlockchain(1);
        const r = await peer.query({ _: 'worker.updatePaymentStatus' });
        expect(r).toMatchObject({ _: 'worker.paymentStatus', db_tokens: 40n, max_tokens: 40n });
        expect(r.signed_payment).toEqual(fake.port.sign(account));
        expect(r.signed_payment._).toBe('proxy.signedPayment');
        await peer.query({ _: 'worker.proxyHandshakeComplete', is_disabled: false });
        expect(await peer.query({ _: 'worker.updatePaymentStatus' })).toEqual(r);
    });

    describe('worker.compareBalanceWithProxy', () => {
        async function withLedger() {
            const c = await connected();
            const account = fake.accounts.findWorker(OWNER.toString())!;
            account.ledger.add(100n);
            account.ledger.committedToDb(1);
            account.ledger.committedToBlockchain(1);
            account.ledger.add(20n);
            return { ...c, account };
        }

        it('equal or lower numbers than the store: error_code 0 with the proxy totals', async () => {
            const { peer, inbound, account } = await withLedger();
            const r = await peer.query({
                _: 'worker.compareBalanceWithProxy',
                tokens_committed_to_blockchain: 100n,
                tokens_committed_to_db: 90n,
                max_tokens: 120n,
            });
            expect(r).toEqual({
                _: 'worker.compareBalanceWithProxyResult',
                signed_payment: fake.port.sign(account),
                tokens_committed_to_db: 100n,
                max_tokens: 120n,
                error_code: 0,
            });
            expect(inbound.state).toBe(WorkerState.Connected);
        });

        it('a higher max_tokens only (requests the proxy did not count): error_code 1, the connection stays', async () => {
            const { peer, inbound } = await withLedger();
            const r = await peer.query({
                _: 'worker.compareBalanceWithProxy',
                tokens_committed_to_blockchain: 100n,
                tokens_committed_to_db: 100n,
                max_tokens: 121n,
            });
            expect(r.error_code).toBe(1);
            expect(inbound.state).toBe(WorkerState.Connected);
        });

        it.each([
            ['committed to the blockchain', { tokens_committed_to_blockchain: 101n, tokens_committed_to_db: 100n }],
            ['committed to the store', { tokens_committed_to_blockchain: 100n, tokens_committed_to_db: 101n }],
        ])(
            'more tokens %s than the proxy holds (a rolled-back or cloned proxy): error_code 2, then the proxy drops the worker',
            async (_what, numbers) => {
                const { peer, inbound, account } = await withLedger();
                const gone = closed(inbound.conn);
                const r = await peer.query({ _: 'worker.compareBalanceWithProxy', max_tokens: 120n, ...numbers });
                expect(r.error_code).toBe(2);
                await gone;
                expect(inbound.state).toBe(WorkerState.Closed);
                expect(account.connections).toBe(0);
                expect(listedModels()).toEqual([]);
            },
        );
    });

    describe('refusals in worker.connectToProxy (state back to New, no account opened: a corrected one may follow)', () => {
        const cases: [string, Partial<worker_params>, number, string][] = [
            ['params without is_test: 400', { flags: 0 }, 400, 'worker is too old: params without is_test'],
            ['a production worker on a test root: 400', { is_test: false }, 400, "test mode mismatch: the proxy's root is a test root"],
            [
                'no common protocol version: 400',
                { min_proto_version: 5, max_proto_version: 5 },
                400,
                'cannot choose common protocol version: worker speaks 5..5, we speak 1..4',
            ],
            ['an empty model: 400', { model: '' }, 400, 'worker model is empty'],
            ['a negative coefficient: 400', { coefficient: -1 }, 400, 'coefficient -1 is out of range 0..999999999'],
            ['a coefficient of 10^9: 400', { coefficient: 1_000_000_000 }, 400, 'coefficient 1000000000 is out of range 0..999999999'],
            ['max_active_requests 0: 400', { max_active_requests: 0 }, 400, 'max_active_requests and proxy_cnt must be at least 1'],
            ['proxy_cnt 0: 400', { proxy_cnt: 0 }, 400, 'max_active_requests and proxy_cnt must be at least 1'],
            ['a model the root does not allow: 403', { model: 'cocoon/other@x:0' }, 403, "model 'cocoon/other@x:0' (sha256 "],
            [
                'an owner that is not an address: 400',
                { worker_owner_address: 'nope' },
                400,
                "worker owner address 'nope' is not a TON address",
            ],
        ];
        it.each(cases)('%s', async (_what, over, code, message) => {
            const { peer, inbound } = await net.dial();
            const refused = connectQuery(peer, over);
            await expect(refused).rejects.toMatchObject({ errorCode: code });
            await expect(refused).rejects.toThrow(message);
            expect(inbound.state).toBe(WorkerState.New);
            expect(fake.accounts.workers()).toEqual([]);
            expect((await connectQuery(peer))._).toBe('worker.connectedToProxy');
            expect(inbound.state).toBe(WorkerState.Connected);
        });

        it('an image hash the root does not allow: 403 naming it', async () => {
            fake.root = { ...fake.root, registry: { ...fake.root.registry, workerHashes: [1n] } };
            const { peer, inbound } = await net.dial();
            await expect(connectQuery(peer)).rejects.toMatchObject({
                errorCode: 403,
                message: `worker image hash ${'00'.repeat(32)} is not allowed by the root contract`,
            });
            expect(inbound.state).toBe(WorkerState.New);
            expect(fake.accounts.workers()).toEqual([]);
        });

        it('with hash checks off (test roots), an unlisted image and model are accepted', async () => {
            await net.close();
            await start({ checkWorkerHashes: false });
            fake.root = { ...fake.root, registry: { ...fake.root.registry, workerHashes: [], modelHashes: [] } };
            const { inbound } = await connected();
            expect(inbound.state).toBe(WorkerState.Connected);
        });
    });

    describe('messages out of order', () => {
        it('anything but worker.connectToProxy first: 400, still New', async () => {
            const { peer, inbound } = await net.dial();
            const first = 'send worker.connectToProxy first';
            await expect(peer.query({ _: 'worker.proxyHandshakeComplete', is_disabled: false })).rejects.toMatchObject({
                errorCode: 400,
                message: first,
            });
            await expect(
                peer.query({
                    _: 'worker.compareBalanceWithProxy',
                    tokens_committed_to_blockchain: 0n,
                    tokens_committed_to_db: 0n,
                    max_tokens: 0n,
                }),
            ).rejects.toMatchObject({ errorCode: 400, message: first });
            await expect(peer.query({ _: 'worker.updatePaymentStatus' })).rejects.toMatchObject({ errorCode: 400, message: first });
            await expect(peer.query({ _: 'cocoonx.announceWorkerHardware', hardware: HARDWARE })).rejects.toMatchObject({
                errorCode: 400,
                message: first,
            });
            expect(inbound.state).toBe(WorkerState.New);
        });

        it('answers from a worker that is not registered yet are ignored (the relay never sees them)', async () => {
            const { peer, inbound } = await connected();
            peer.send({ _: 'worker.enabledDisabled', disabled: 1 });
            peer.send({ _: 'proxy.queryAnswerErrorEx', request_id: randomBytes(32), error_code: 500, error: 'x', flags: 0 });
            await peer.query({ _: 'worker.proxyHandshakeComplete', is_disabled: false });
            expect(inbound.info!.enabled).toBe(true);
            expect(fake.relay.runningCount).toBe(0);
        });

        it('a second worker.connectToProxy: 400, the first offer stands', async () => {
            const { peer, inbound } = await connected();
            await expect(connectQuery(peer, { coefficient: 9 })).rejects.toMatchObject({
                errorCode: 400,
                message: 'worker.connectToProxy was already sent on this connection',
            });
            expect(inbound.state).toBe(WorkerState.Connected);
            await peer.query({ _: 'worker.proxyHandshakeComplete', is_disabled: false });
            expect(inbound.info!.coefficient).toBe(1500n);
        });

        it('a second worker.proxyHandshakeComplete: 400, registered once', async () => {
            const { peer, inbound } = await ready();
            await expect(peer.query({ _: 'worker.proxyHandshakeComplete', is_disabled: false })).rejects.toMatchObject({
                errorCode: 400,
                message: 'handshake already complete',
            });
            expect(inbound.state).toBe(WorkerState.Ready);
            expect(fake.accounts.findWorker(OWNER.toString())!.connections).toBe(1);
        });

        it('hardware text over 200 characters: 400, nothing kept', async () => {
            const { peer, inbound } = await connected();
            await expect(
                peer.query({ _: 'cocoonx.announceWorkerHardware', hardware: { ...HARDWARE, cpu: 'x'.repeat(201) } }),
            ).rejects.toMatchObject({
                errorCode: 400,
                message: 'hardware.cpu is longer than 200 characters',
            });
            await peer.query({ _: 'worker.proxyHandshakeComplete', is_disabled: false });
            expect(inbound.info!.hardware).toBeNull();
        });

        it('an unknown query: 400 naming it', async () => {
            const { peer } = await connected();
            await expect(peer.query({ _: 'client.updatePaymentStatus' })).rejects.toMatchObject({
                errorCode: 400,
                message: 'unsupported query client.updatePaymentStatus',
            });
        });
    });

    it('a worker that closes before completing the handshake holds nothing: no count, nothing registered', async () => {
        const { peer, inbound } = await connected();
        const gone = closed(inbound.conn);
        peer.close();
        await gone;
        expect(inbound.state).toBe(WorkerState.Closed);
        expect(fake.accounts.findWorker(OWNER.toString())!.connections).toBe(0);
        expect(listedModels()).toEqual([]);
    });
});
