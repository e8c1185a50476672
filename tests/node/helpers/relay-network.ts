/**
 * A proxy relay with real wire-protocol connections on loopback, and workers serving through real
 * inference backends: the shared fixture of the proxy relay and client API tests.
 */
import { keyPairFromSeed } from '@ton/crypto';
import type { Backend } from '../../../node/inference';
import { OUR_RANGES, connect, listen, type RpcConnection, type RpcServer, type proxy_runQueryEx } from '../../../node/protocol';
import { silentLogger } from '../../../node/common/log';
import type { TokenPricing } from '../../../node/common/tokens';
import { QueryRelay, type ClientLink, type WorkerLink } from '../../../node/proxy/relay';
import { DecayingAverage } from '../../../node/proxy/routing';
import { SignedPaymentsLedger } from '../../../node/proxy/signed-payments';
import { runWorkerQuery } from '../../../node/worker/running-request';
import { startClientApi, type ClientApi, type ClientApiOptions } from '../../../node/client/http-api';
import { waitFor } from '../../helpers/wait';

export const MODEL = 'cocoon/tiny-stories-1m@local:0';
export const PRICING: TokenPricing = {
    pricePerToken: 20n,
    promptMultiplier: 10000n,
    cachedMultiplier: 1000n,
    completionMultiplier: 10000n,
    reasoningMultiplier: 10000n,
};

export interface RelayNetwork {
    relay: QueryRelay;
    clientPort: number;
    clients: ClientLink[];
    /** Deposit cap for every client (nanoTON); null = no cap. */
    balance: bigint | null;
    /** Resolves once the proxy side has registered the worker's link. */
    startWorker(backend: Backend, seed: number): Promise<{ conn: RpcConnection; key: { publicKey: Buffer; secretKey: Buffer } }>;
    /** Worker links the proxy side holds now (a closed link leaves once its close reaches the proxy). */
    workerCount(): number;
    close(): Promise<void>;
}

export async function startRelayNetwork(): Promise<RelayNetwork> {
    const relay = new QueryRelay({ pricePerToken: PRICING.pricePerToken });
    const clients: ClientLink[] = [];
    let n = 0;
    const registered = new Set<string>();
    const workerServer: RpcServer = await listen({
        port: 0,
        pow: false,
        logger: silentLogger,
        onConnection(conn: RpcConnection) {
            const id = `w${++n}`;
            const link: WorkerLink = {
                id,
                model: MODEL,
                coefficient: 1000n,
                enabled: true,
                running: 0,
                maxRunning: 8,
                averageQuerySeconds: 0,
                protoVersion: OUR_RANGES.worker.max,
                send: (o) => conn.send(o as never),
                ledger: new SignedPaymentsLedger(),
                signedPayment: () => ({ _: 'proxy.signedPaymentEmpty' }),
                average: new DecayingAverage(),
            };
            relay.addWorker(link);
            registered.add(id);
            conn.on('packet', (obj) => {
                if (obj._ === 'proxy.queryAnswerEx' || obj._ === 'proxy.queryAnswerPartEx' || obj._ === 'proxy.queryAnswerErrorEx')
                    relay.onWorkerAnswer(id, obj);
            });
            conn.on('close', () => {
                relay.removeWorker(id);
                registered.delete(id);
            });
        },
    });
    const net: RelayNetwork = {
        relay,
        clients,
        balance: null,
        clientPort: 0,
        workerCount: () => registered.size,
        async startWorker(backend, seed) {
            const key = keyPairFromSeed(Buffer.alloc(32, seed));
            const before = n;
            const conn = await connect({ host: '127.0.0.1', port: workerServer.port, pow: false, logger: silentLogger });
            let active = 0;
            conn.on('packet', (obj) => {
                if (obj._ !== 'proxy.runQueryEx') return;
                active++;
                void runWorkerQuery(obj as proxy_runQueryEx, {
                    backend,
                    servedModel: MODEL,
                    pricing: PRICING,
                    receiptKey: key,
                    send: (p) => {
                        if (!conn.closed) conn.send(p);
                    },
                    busy: () => active > 1,
                }).finally(() => active--);
            });
            await waitFor(() => n > before, 'the proxy to register the worker');
            return { conn, key };
        },
        async close() {
            await clientServer.close();
            await workerServer.close();
        },
    };
    const clientServer: RpcServer = await listen({
        port: 0,
        pow: false,
        logger: silentLogger,
        onConnection(conn: RpcConnection) {
            const link: ClientLink = {
                id: `c${clients.length}`,
                protoVersion: OUR_RANGES.client.max,
                send: (p) => conn.send(p),
                ledger: new SignedPaymentsLedger(),
                reserved: 0n,
                account: () => (net.balance === null ? null : { balance: net.balance, stake: net.balance, tokensCharged: 0n }),
            };
            clients.push(link);
            conn.on('packet', (obj) => {
                if (obj._ === 'client.runQueryEx') relay.runQuery(link, obj);
            });
            conn.handle(async (fn) => {
                if (fn._ === 'client.getWorkerTypesV2') return relay.workerTypes();
                throw new Error(`unsupported ${fn._}`);
            });
        },
    });
    net.clientPort = clientServer.port;
    return net;
}

/** The client API over a relay network: one proxy connection, the API on a free port. */
export async function startRelayApi(opts: Omit<ClientApiOptions, 'port' | 'proxy'> = {}): Promise<{
    net: RelayNetwork;
    proxyConn: RpcConnection;
    api: ClientApi;
    close(): Promise<void>;
}> {
    const net = await startRelayNetwork();
    const proxyConn = await connect({ host: '127.0.0.1', port: net.clientPort, pow: false, logger: silentLogger });
    const api = await startClientApi({ ...opts, port: 0, proxy: () => proxyConn });
    return {
        net,
        proxyConn,
        api,
        async close() {
            proxyConn.close();
            await api.close();
            await net.close();
        },
    };
}
