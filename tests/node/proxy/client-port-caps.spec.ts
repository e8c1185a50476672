/**
 * Caps on the proxy's client port (issue 22 item 12): connections that never authorise, and long-auth
 * waits (each may hold a connection for 300 s), are bounded so a stranger cannot exhaust the proxy.
 */
import { Address } from '@ton/core';
import type { client_params, RpcConnection } from '../../../node/protocol';
import {
    admitClient,
    ClientState,
    DEFAULT_MAX_LONG_AUTH_WAITS,
    DEFAULT_MAX_UNAUTHENTICATED_CLIENTS,
    ProxyInboundClientConnection,
} from '../../../node/proxy/inbound-client';
import { clientContract, fakeProxy, loopback, type FakeProxy, type Loopback } from '../helpers/proxy-port';

jest.setTimeout(30_000);

const SECRET = 'correct horse battery staple';
const params = (owner: Address): client_params => ({
    _: 'client.params',
    flags: 3,
    client_owner_address: owner.toString(),
    is_test: true,
    min_proto_version: 1,
    max_proto_version: 2,
});

let fake: FakeProxy;
let net: Loopback<ProxyInboundClientConnection>;
const live = new Set<ProxyInboundClientConnection>();

beforeEach(async () => {
    fake = await fakeProxy();
    live.clear();
    net = await loopback((conn) => {
        const c = new ProxyInboundClientConnection(conn, fake.port);
        live.add(c);
        conn.on('close', () => live.delete(c));
        return c;
    });
});
afterEach(async () => {
    await net.close();
});

async function connectAs(n: number, secret: string | null): Promise<{ peer: RpcConnection; inbound: ProxyInboundClientConnection }> {
    const owner = Address.parse('0:' + n.toString(16).padStart(2, '0').repeat(32));
    const { peer, inbound } = await net.dial();
    const probe = await peer.query({ _: 'client.connectToProxy', params: params(owner), min_config_version: 0 });
    const contract = Address.parse(probe.client_sc_address);
    fake.clientContracts.set(contract.toRawString(), clientContract(contract, secret === null ? {} : { secret }));
    return { peer, inbound };
}

it('defaults: 256 unauthenticated connections, 64 long-auth waits', () => {
    expect(DEFAULT_MAX_UNAUTHENTICATED_CLIENTS).toBe(256);
    expect(DEFAULT_MAX_LONG_AUTH_WAITS).toBe(64);
});

it('admits a connection only while fewer than the cap are unauthenticated; authorised ones do not count', async () => {
    const a = await connectAs(1, SECRET);
    const b = await connectAs(2, SECRET);
    expect([...live].map((c) => c.state)).toEqual([ClientState.Connected, ClientState.Connected]);
    expect(admitClient(live, 2)).toBe(false);
    expect(admitClient(live, 3)).toBe(true);
    // a authorises (a fresh connectToProxy on its connection is refused: the challenge came with the probe)
    const again = await net.dial();
    a.peer.close();
    await again.peer.query({ _: 'client.connectToProxy', params: params(Address.parse('0:' + '01'.repeat(32))), min_config_version: 0 });
    expect((await again.peer.query({ _: 'client.authorizeWithProxyShort', data: Buffer.from(SECRET) }))._).toBe(
        'client.authorizationWithProxySuccess',
    );
    await new Promise<void>((r) => (a.inbound.state === ClientState.Closed ? r() : a.inbound.conn.once('close', () => r())));
    expect(again.inbound.state).toBe(ClientState.Authorized);
    expect(admitClient(live, 2)).toBe(true); // b unauthenticated + one authorised
    b.peer.close();
});

it('refuses a long auth with 429 once the cap of waits is reached, and takes one again when a wait ends', async () => {
    fake.maxLongAuthWaits = 1;
    const first = await connectAs(3, null);
    const again1 = await net.dial();
    first.peer.close();
    await again1.peer.query({ _: 'client.connectToProxy', params: params(Address.parse('0:' + '03'.repeat(32))), min_config_version: 0 });
    const waiting = fake.registerWaitStarted();
    void again1.peer.query({ _: 'client.authorizeWithProxyLong' }).catch(() => undefined);
    await waiting;
    expect(fake.registrations.waiting).toBe(1);

    const second = await connectAs(4, null);
    const again2 = await net.dial();
    second.peer.close();
    await again2.peer.query({ _: 'client.connectToProxy', params: params(Address.parse('0:' + '04'.repeat(32))), min_config_version: 0 });
    const refused = await again2.peer.query({ _: 'client.authorizeWithProxyLong' });
    expect(refused).toEqual({
        _: 'client.authorizationWithProxyFailed',
        error_code: 429,
        error:
            "too many clients are waiting for their on-chain registration (1); retry in a minute (short auth with the contract's " +
            'secret is not limited)',
    });
    expect(again2.inbound.state).toBe(ClientState.Connected);
    expect(fake.registrations.waiting).toBe(1);

    // The first wait ends (its connection goes): the next long auth is taken.
    const gone = new Promise<void>((r) => again1.inbound.conn.once('close', () => r()));
    again1.peer.close();
    await gone;
    expect(fake.registrations.waiting).toBe(0);
    const waiting2 = fake.registerWaitStarted();
    void again2.peer.query({ _: 'client.authorizeWithProxyLong' }).catch(() => undefined);
    await waiting2;
    expect(fake.registrations.waiting).toBe(1);
    again2.peer.close();
});
