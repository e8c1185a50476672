/**
 * The inbound client connection's handshake state machine, without a chain: a fake proxy port (root,
 * client contracts and long-auth registrations set by the test), real accounts, relay and payment
 * signing, and real wire-protocol connections on loopback.
 */
import { randomBytes } from 'crypto';
import { Address } from '@ton/core';
import { CONTRACT_STATE } from '../../../node/chain/cocoon';
import type { client_connectedToProxy, client_params, client_QueryAnswerEx, RpcConnection } from '../../../node/protocol';
import { ClientState, LONG_AUTH_TIMEOUT_MS, ProxyInboundClientConnection } from '../../../node/proxy/inbound-client';
import {
    clientContract,
    closed,
    expectedProxyParams,
    fakeProxy,
    Gate,
    loopback,
    type FakeProxy,
    type Loopback,
} from '../helpers/proxy-port';

jest.setTimeout(30_000);

const OWNER = Address.parse('0:' + 'ab'.repeat(32));
const SECRET = 'correct horse battery staple';

const params = (over: Partial<client_params> = {}): client_params => ({
    _: 'client.params',
    flags: 3,
    client_owner_address: OWNER.toString(),
    is_test: true,
    min_proto_version: 1,
    max_proto_version: 4,
    ...over,
});

describe('ProxyInboundClientConnection handshake', () => {
    let fake: FakeProxy;
    let net: Loopback<ProxyInboundClientConnection>;

    beforeEach(async () => {
        fake = await fakeProxy();
        net = await loopback((conn) => new ProxyInboundClientConnection(conn, fake.port));
    });
    afterEach(async () => {
        await net.close();
    });

    const connectQuery = (peer: RpcConnection, over: Partial<client_params> = {}, minConfig = 0) =>
        peer.query({ _: 'client.connectToProxy', params: params(over), min_config_version: minConfig });

    /**
     * Dials, sends client.connectToProxy and puts the client contract on the fake chain (short auth with SECRET unless
     * `secret` is null).
     */
    async function connected(
        secret: string | null = SECRET,
    ): Promise<{ peer: RpcConnection; inbound: ProxyInboundClientConnection; answer: client_connectedToProxy; contract: Address }> {
        const { peer } = await net.dial();
        const probe = await connectQuery(peer);
        const contract = Address.parse(probe.client_sc_address);
        // The contract's state decides the challenge: read it before connectToProxy on a second connection.
        fake.clientContracts.set(contract.toRawString(), clientContract(contract, secret === null ? {} : { secret }));
        const again = await net.dial();
        peer.close();
        const answer = await connectQuery(again.peer);
        return { peer: again.peer, inbound: again.inbound, answer, contract };
    }

    async function authorized() {
        const c = await connected();
        const r = await c.peer.query({ _: 'client.authorizeWithProxyShort', data: Buffer.from(SECRET) });
        expect(r._).toBe('client.authorizationWithProxySuccess');
        return c;
    }

    /** Sends client.runQueryEx and resolves with the final piece of its answer. */
    function runQuery(peer: RpcConnection, minConfig = 0): Promise<client_QueryAnswerEx> {
        const request_id = randomBytes(32);
        const answer = new Promise<client_QueryAnswerEx>((resolve) => {
            peer.on('packet', (p) => {
                const a = p as client_QueryAnswerEx;
                if (
                    (a._ === 'client.queryAnswerErrorEx' || a._ === 'client.queryAnswerEx' || a._ === 'client.queryAnswerPartEx') &&
                    a.request_id.equals(request_id)
                )
                    resolve(a);
            });
        });
        peer.send({
            _: 'client.runQueryEx',
            model_name: 'cocoon/tiny-stories-1m',
            query: Buffer.from('q'),
            max_coefficient: 4000,
            max_tokens: 16,
            timeout: 5,
            request_id,
            min_config_version: minConfig,
            flags: 0,
        });
        return answer;
    }

    const connectedTitle =
        'New -> Connected: answers with the proxy params, the derived client contract and a long-auth challenge when the contract ' +
        'has no secret';
    it(connectedTitle, async () => {
        const { peer, inbound } = await net.dial();
        expect(inbound.state).toBe(ClientState.New);
        const r = await connectQuery(peer);
        expect(inbound.state).toBe(ClientState.Connected);
        expect(r.params).toEqual(expectedProxyParams(fake));
        expect(r.auth._).toBe('client.proxyConnectionAuthLong');
        expect(r.auth.nonce).toBeGreaterThanOrEqual(0n);
        expect(r.auth.nonce).toBeLessThan(1n << 63n);
        expect(r.signed_payment).toEqual({ _: 'proxy.signedPaymentEmpty' });
        // Only the client contract was read; nothing is held before authorisation.
        expect(fake.clientReads.map((a) => a.toString())).toEqual([r.client_sc_address]);
        expect(fake.accounts.clients()).toEqual([]);
        expect(inbound.info).toBeNull();
    });

    it('Connected with a secret hash on-chain: a short-auth challenge carrying that hash', async () => {
        const { answer, contract } = await connected();
        expect(answer.auth._).toBe('client.proxyConnectionAuthShort');
        const hash = fake.clientContracts.get(contract.toRawString())!.secretHash;
        expect(answer.auth._ === 'client.proxyConnectionAuthShort' && answer.auth.secret_hash.toString('hex')).toBe(
            hash.toString(16).padStart(64, '0'),
        );
    });

    const shortAuthTitle =
        'short auth: Connected -> Authorizing -> Authorized, one connection counted on the account, released when the connection ' +
        'closes';
    it(shortAuthTitle, async () => {
        const { peer, inbound, contract } = await connected();
        const gate = (fake.gate = new Gate());
        const answer = peer.query({ _: 'client.authorizeWithProxyShort', data: Buffer.from(SECRET) });
        await gate.reached;
        expect(inbound.state).toBe(ClientState.Authorizing);
        gate.open();
        const r = await answer;
        expect(r).toEqual({
            _: 'client.authorizationWithProxySuccess',
            signed_payment: { _: 'proxy.signedPaymentEmpty' },
            tokens_committed_to_db: 0n,
            max_tokens: 0n,
        });
        expect(inbound.state).toBe(ClientState.Authorized);
        const account = fake.accounts.findClient(OWNER.toString())!;
        expect(account.contract.equals(contract)).toBe(true);
        expect(account.connections).toBe(1);
        expect(account.chain?.secretHash).toBe(fake.clientContracts.get(contract.toRawString())!.secretHash);
        expect(inbound.info?.clientAccount).toBe(account);
        expect(inbound.info?.id).toMatch(/^c\d+$/);
        const gone = closed(inbound.conn);
        peer.close();
        await gone;
        expect(inbound.state).toBe(ClientState.Closed);
        expect(inbound.info).toBeNull();
        expect(account.connections).toBe(0);
    });

    it('short auth with a wrong secret: 401, back to Connected with nothing held; the right secret then authorises', async () => {
        const { peer, inbound } = await connected();
        const r = await peer.query({ _: 'client.authorizeWithProxyShort', data: Buffer.from('wrong secret') });
        expect(r).toEqual({
            _: 'client.authorizationWithProxyFailed',
            error_code: 401,
            error: 'secret does not match the hash stored in the client contract: use long auth (on-chain nonce)',
        });
        expect(inbound.state).toBe(ClientState.Connected);
        expect(fake.accounts.clients()).toEqual([]);
        const ok = await peer.query({ _: 'client.authorizeWithProxyShort', data: Buffer.from(SECRET) });
        expect(ok._).toBe('client.authorizationWithProxySuccess');
        expect(fake.accounts.findClient(OWNER.toString())!.connections).toBe(1);
    });

    it('short auth against a contract without a secret hash: 401 (a secret cannot match nothing)', async () => {
        const { peer, inbound } = await connected(null);
        const r = await peer.query({ _: 'client.authorizeWithProxyShort', data: Buffer.alloc(0) });
        expect(r).toMatchObject({ _: 'client.authorizationWithProxyFailed', error_code: 401 });
        expect(inbound.state).toBe(ClientState.Connected);
    });

    it('long auth: waits 300 s at most for the owner_client_register with its nonce; seen -> Authorized', async () => {
        const { peer, inbound, answer, contract } = await connected(null);
        const waiting = fake.registerWaitStarted();
        const r = peer.query({ _: 'client.authorizeWithProxyLong' });
        await waiting;
        expect(inbound.state).toBe(ClientState.Authorizing);
        expect(fake.registerTimeouts).toEqual([LONG_AUTH_TIMEOUT_MS]);
        expect(LONG_AUTH_TIMEOUT_MS).toBe(300_000);
        fake.registrations.onRegister({ lt: 5n, clientContract: contract, owner: OWNER, nonce: answer.auth.nonce });
        expect((await r)._).toBe('client.authorizationWithProxySuccess');
        expect(inbound.state).toBe(ClientState.Authorized);
        expect(fake.registrations.waiting).toBe(0);
    });

    const staleNonceTitle =
        'long auth with a stale nonce (one registered for an earlier connection): 408 after the wait, back to Connected, nothing held';
    it(staleNonceTitle, async () => {
        const { peer, inbound, answer, contract } = await connected(null);
        const stale = answer.auth.nonce ^ 1n;
        fake.registrations.onRegister({ lt: 5n, clientContract: contract, owner: OWNER, nonce: stale });
        fake.longAuthTimeoutMs = 1;
        const r = await peer.query({ _: 'client.authorizeWithProxyLong' });
        expect(r).toEqual({
            _: 'client.authorizationWithProxyFailed',
            error_code: 408,
            error:
                `no owner_client_register with nonce ${answer.auth.nonce} from ${contract.toString()} reached the proxy contract ` +
                `within 300 s`,
        });
        expect(inbound.state).toBe(ClientState.Connected);
        expect(fake.accounts.clients()).toEqual([]);
        expect(fake.registrations.waiting).toBe(0);
    });

    it('a connection that closes during long auth stops waiting and acquires nothing', async () => {
        const { peer, inbound } = await connected(null);
        const waiting = fake.registerWaitStarted();
        void peer.query({ _: 'client.authorizeWithProxyLong' }).catch(() => undefined);
        await waiting;
        expect(fake.registrations.waiting).toBe(1);
        const gone = closed(inbound.conn);
        peer.close();
        await gone;
        expect(inbound.state).toBe(ClientState.Closed);
        expect(fake.registrations.waiting).toBe(0);
        expect(fake.accounts.clients()).toEqual([]);
    });

    it('a connection that closes while its secret is checked acquires nothing (no account, no connection count)', async () => {
        const { peer, inbound } = await connected();
        const gate = (fake.gate = new Gate());
        const reads = fake.clientReads.length;
        void peer.query({ _: 'client.authorizeWithProxyShort', data: Buffer.from(SECRET) }).catch(() => undefined);
        await gate.reached;
        const gone = closed(inbound.conn);
        peer.close();
        await gone;
        // The check goes on (the read was under way) and reads the contract again before it would acquire.
        const secondRead = new Gate();
        fake.gate = secondRead;
        gate.open();
        await secondRead.reached;
        secondRead.open();
        await new Promise((r) => setImmediate(r)); // the check's continuation (microtasks) has run
        expect(fake.clientReads.length).toBe(reads + 2);
        expect(inbound.state).toBe(ClientState.Closed);
        expect(inbound.info).toBeNull();
        expect(fake.accounts.clients()).toEqual([]);
    });

    describe('refusals in client.connectToProxy (state back to New: a corrected one may follow)', () => {
        const cases: [string, Partial<client_params>, string][] = [
            ['params without is_test', { flags: 2 }, 'client is too old: params without is_test'],
            ['a production client on a test root', { is_test: false }, "test mode mismatch: the proxy's root is a test root"],
            [
                'no common protocol version',
                { min_proto_version: 5, max_proto_version: 6 },
                'cannot choose common protocol version: client speaks 5..6, we speak 1..4',
            ],
            [
                'protocol version 0 only',
                { min_proto_version: 0, max_proto_version: 0 },
                'cannot choose common protocol version: client speaks 0..0, we speak 1..4',
            ],
            [
                'params without the version range (version 0)',
                { flags: 1 },
                'cannot choose common protocol version: client speaks 0..0, we speak 1..4',
            ],
            [
                'an owner that is not an address',
                { client_owner_address: 'not-an-address' },
                "client owner address 'not-an-address' is not a TON address",
            ],
        ];
        it.each(cases)('%s: 400', async (_what, over, message) => {
            const { peer, inbound } = await net.dial();
            await expect(connectQuery(peer, over)).rejects.toMatchObject({ errorCode: 400, message });
            expect(inbound.state).toBe(ClientState.New);
            expect(fake.clientReads).toEqual([]);
            expect((await connectQuery(peer))._).toBe('client.connectedToProxy');
            expect(inbound.state).toBe(ClientState.Connected);
        });

        it('a config version the proxy does not know: re-reads the root once, then 400 if it is still too old', async () => {
            const { peer, inbound } = await net.dial();
            await expect(connectQuery(peer, {}, 5)).rejects.toMatchObject({
                errorCode: 400,
                message: 'active config version is too low: 4 < 5',
            });
            expect(fake.refreshRootCalls).toBe(1);
            expect(inbound.state).toBe(ClientState.New);
            fake.nextRoot = { ...fake.root, version: 5 };
            expect((await connectQuery(peer, {}, 5))._).toBe('client.connectedToProxy');
            expect(fake.refreshRootCalls).toBe(2);
        });

        it('a closed client contract: 403', async () => {
            const { peer, inbound } = await net.dial();
            const probe = await connectQuery(peer);
            const contract = Address.parse(probe.client_sc_address);
            fake.clientContracts.set(contract.toRawString(), clientContract(contract, { state: CONTRACT_STATE.closed }));
            const again = await net.dial();
            await expect(connectQuery(again.peer)).rejects.toMatchObject({
                errorCode: 403,
                message: `client contract ${contract.toString()} is closed`,
            });
            expect(again.inbound.state).toBe(ClientState.New);
            expect(inbound.state).toBe(ClientState.Connected);
        });
    });

    describe('messages out of order', () => {
        it('authorize before client.connectToProxy: refused, still New', async () => {
            const { peer, inbound } = await net.dial();
            for (const q of [
                { _: 'client.authorizeWithProxyShort' as const, data: Buffer.from(SECRET) },
                { _: 'client.authorizeWithProxyLong' as const },
            ]) {
                expect(await peer.query(q)).toEqual({
                    _: 'client.authorizationWithProxyFailed',
                    error_code: 400,
                    error: 'send client.connectToProxy first (once per connection)',
                });
            }
            expect(inbound.state).toBe(ClientState.New);
        });

        it('a second client.connectToProxy: 400, the first challenge stands', async () => {
            const { peer, inbound } = await connected();
            await expect(connectQuery(peer)).rejects.toMatchObject({
                errorCode: 400,
                message: 'client.connectToProxy was already sent on this connection',
            });
            expect(inbound.state).toBe(ClientState.Connected);
            expect((await peer.query({ _: 'client.authorizeWithProxyShort', data: Buffer.from(SECRET) }))._).toBe(
                'client.authorizationWithProxySuccess',
            );
        });

        it('a second authorization while one is being checked: refused without disturbing the first', async () => {
            const { peer, inbound } = await connected();
            const gate = (fake.gate = new Gate());
            const first = peer.query({ _: 'client.authorizeWithProxyShort', data: Buffer.from(SECRET) });
            await gate.reached;
            expect(await peer.query({ _: 'client.authorizeWithProxyLong' })).toEqual({
                _: 'client.authorizationWithProxyFailed',
                error_code: 400,
                error: 'an authorization is already running on this connection; wait for its answer',
            });
            gate.open();
            expect((await first)._).toBe('client.authorizationWithProxySuccess');
            expect(inbound.state).toBe(ClientState.Authorized);
            expect(fake.accounts.findClient(OWNER.toString())!.connections).toBe(1);
        });

        it('authorize again once authorised: refused, the connection is counted once', async () => {
            const { peer, inbound } = await authorized();
            expect(await peer.query({ _: 'client.authorizeWithProxyShort', data: Buffer.from(SECRET) })).toMatchObject({
                _: 'client.authorizationWithProxyFailed',
                error_code: 400,
            });
            expect(inbound.state).toBe(ClientState.Authorized);
            expect(fake.accounts.findClient(OWNER.toString())!.connections).toBe(1);
        });

        it('client.runQueryEx and client.updatePaymentStatus before authorisation: 401, nothing reaches the relay', async () => {
            const { peer } = await connected();
            const r = await runQuery(peer);
            expect(r).toMatchObject({
                _: 'client.queryAnswerErrorEx',
                error_code: 401,
                error: 'not authorized: run client.connectToProxy and authorize first',
                flags: 0,
            });
            await expect(peer.query({ _: 'client.updatePaymentStatus' })).rejects.toMatchObject({
                errorCode: 401,
                message: 'not authorized',
            });
            await expect(peer.query({ _: 'cocoonx.cancelQuery', request_id: Buffer.alloc(32, 1) })).rejects.toMatchObject({
                errorCode: 401,
                message: 'not authorized',
            });
            expect(fake.stats.total('queries')).toBe(0);
            expect(fake.relay.runningCount).toBe(0);
        });

        it('an unknown query: 400 naming it', async () => {
            const { peer } = await net.dial();
            await expect(peer.query({ _: 'worker.updatePaymentStatus' })).rejects.toMatchObject({
                errorCode: 400,
                message: 'unsupported query worker.updatePaymentStatus',
            });
        });
    });

    describe('Authorized', () => {
        it('queries go to the relay (no worker here: 503 from the relay) and are counted', async () => {
            const { peer } = await authorized();
            const r = await runQuery(peer);
            expect(r).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 503, flags: 1 });
            expect(fake.stats.total('queries')).toBe(1);
            expect(fake.stats.total('failed')).toBe(1);
            expect(fake.accounts.findClient(OWNER.toString())!.reserved).toBe(0n);
        });

        it('cocoonx.cancelQuery of a request that is not running (unknown or finished) is acknowledged and changes nothing', async () => {
            const { peer } = await authorized();
            expect(await peer.query({ _: 'cocoonx.cancelQuery', request_id: Buffer.alloc(32, 2) })).toEqual({ _: 'cocoonx.ok' });
            expect(fake.relay.runningCount).toBe(0);
            expect(fake.accounts.findClient(OWNER.toString())!.reserved).toBe(0n);
        });

        it('a query asking for a newer config version than the proxy knows: 400, not relayed', async () => {
            const { peer } = await authorized();
            const r = await runQuery(peer, 9);
            expect(r).toMatchObject({
                _: 'client.queryAnswerErrorEx',
                error_code: 400,
                error: 'active config version is too low: the proxy knows root version 4, the client asks for 9',
                flags: 0,
            });
            expect(fake.stats.total('queries')).toBe(0);
        });

        it('a client whose contract started closing: 403, not relayed', async () => {
            const { peer, inbound } = await authorized();
            inbound.info!.clientAccount.chain!.state = CONTRACT_STATE.closing;
            const r = await runQuery(peer);
            expect(r).toMatchObject({ _: 'client.queryAnswerErrorEx', error_code: 403, flags: 0 });
            expect(fake.stats.total('queries')).toBe(0);
        });

        it('client.updatePaymentStatus re-reads the contract and answers with the signed totals', async () => {
            const { peer, contract } = await authorized();
            const reads = fake.clientReads.length;
            const r = await peer.query({ _: 'client.updatePaymentStatus' });
            expect(r).toEqual({
                _: 'client.paymentStatus',
                signed_payment: { _: 'proxy.signedPaymentEmpty' },
                db_tokens: 0n,
                max_tokens: 0n,
            });
            expect(fake.clientReads.slice(reads).map((a) => a.toRawString())).toEqual([contract.toRawString()]);
        });

        it('two connections of one owner share one account: counted twice, each release counted', async () => {
            const a = await authorized();
            const b = await net.dial();
            await connectQuery(b.peer);
            expect((await b.peer.query({ _: 'client.authorizeWithProxyShort', data: Buffer.from(SECRET) }))._).toBe(
                'client.authorizationWithProxySuccess',
            );
            const account = fake.accounts.findClient(OWNER.toString())!;
            expect(b.inbound.info!.clientAccount).toBe(account);
            expect(account.connections).toBe(2);
            const gone = closed(a.inbound.conn);
            a.peer.close();
            await gone;
            expect(account.connections).toBe(1);
        });
    });
});
