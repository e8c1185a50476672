/** @jest-environment node */
import * as tls from 'tls';
import { generateKeyPairSync, randomBytes } from 'crypto';
import {
    AttestationPolicy,
    QuoteProvider,
    RaTlsContext,
    anyPolicy,
    buildCertificate,
    fakePolicy,
    fakeProvider,
    imageHash,
    noneProvider,
    rawEd25519PublicKey,
    tdxPolicy,
    userClaimsHash,
    zeroMeasurements,
} from '../../../node/attestation';
import { ProtocolError, RpcConnection, RpcServer, connect, listen } from '../../../node/protocol';
import { tdxQuoteFixture } from '../helpers/attestation';

const FIXTURE_QUOTE = tdxQuoteFixture();
const contexts: RaTlsContext[] = [];
let server: RpcServer | undefined;

async function ctx(provider: QuoteProvider, policy: AttestationPolicy, extra: { now?: () => number } = {}): Promise<RaTlsContext> {
    const c = await RaTlsContext.create({ provider, policy, autoRotate: false, ...extra });
    contexts.push(c);
    return c;
}

afterEach(async () => {
    await server?.close();
    server = undefined;
    for (const c of contexts.splice(0)) c.close();
});

interface Started {
    port: number;
    accepted: Promise<RpcConnection>;
    rejected: Promise<ProtocolError>;
}

async function startServer(tlsCtx: RaTlsContext, pow: { difficulty: number } | false = { difficulty: 4 }): Promise<Started> {
    let onAccepted!: (c: RpcConnection) => void;
    let onRejected!: (e: ProtocolError) => void;
    const accepted = new Promise<RpcConnection>((r) => (onAccepted = r));
    const rejected = new Promise<ProtocolError>((r) => (onRejected = r));
    server = await listen({
        port: 0,
        tls: tlsCtx,
        pow,
        onConnection: (c) => {
            c.handle(() => ({ _: 'client.workerTypes', types: [] }));
            onAccepted(c);
        },
        onReject: (e) => onRejected(e as ProtocolError),
    });
    return { port: server.port, accepted, rejected };
}

/** The attestation code behind a server-side rejection. */
const causeCode = (e: ProtocolError) => (e.cause as { code?: string } | undefined)?.code ?? e.code;

/** A raw TLS client presenting an arbitrary certificate (no PoW on these servers). */
function rawTlsClient(port: number, cert: { certPem: string; keyPem: string }, extra: tls.ConnectionOptions = {}): Promise<void> {
    return new Promise((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port, cert: cert.certPem, key: cert.keyPem, rejectUnauthorized: false, ...extra });
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.resume();
    });
}

function certFor(opts: { quote?: Buffer; extra?: { oid: string; critical: boolean; value: Buffer }[]; notBefore?: Date; notAfter?: Date }) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const now = Date.now();
    return buildCertificate({
        privateKey,
        quote: opts.quote,
        extraExtensions: opts.extra,
        notBefore: opts.notBefore ?? new Date(now - 60_000),
        notAfter: opts.notAfter ?? new Date(now + 86_400_000),
    });
}

describe('mutual RA-TLS over PoW + TLS 1.3', () => {
    it('connects with fake attestation on both sides and exposes each peer identity', async () => {
        const serverCtx = await ctx(fakeProvider, fakePolicy());
        const clientCtx = await ctx(fakeProvider, fakePolicy());
        const s = await startServer(serverCtx, { difficulty: 8 });
        const client = await connect({ host: '127.0.0.1', port: s.port, tls: clientCtx, pow: { maxDifficulty: 28 } });
        const accepted = await s.accepted;

        const zeroImage = imageHash(zeroMeasurements());
        expect(client.peer).toMatchObject({
            policy: 'fake',
            attestation: 'fake',
            publicKey: serverCtx.certificate.publicKey,
            imageHash: zeroImage,
        });
        expect(accepted.peer).toMatchObject({
            policy: 'fake',
            attestation: 'fake',
            publicKey: clientCtx.certificate.publicKey,
            imageHash: zeroImage,
        });
        expect(accepted.peer.measurements?.reportData).toEqual(userClaimsHash(clientCtx.certificate.publicKey));
        const socket = accepted.tcp.stream as tls.TLSSocket;
        expect(socket.getProtocol()).toBe('TLSv1.3');
        expect(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384']).toContain(socket.getCipher().standardName);
        await expect(client.query({ _: 'client.getWorkerTypes' })).resolves.toEqual({ _: 'client.workerTypes', types: [] });
        client.close();
    });

    it('accepts unattested clients under policy any (the proxy client port)', async () => {
        const s = await startServer(await ctx(fakeProvider, anyPolicy()));
        const client = await connect({ host: '127.0.0.1', port: s.port, tls: await ctx(noneProvider, fakePolicy()) });
        expect((await s.accepted).peer).toMatchObject({ policy: 'any', attestation: 'none', imageHash: Buffer.alloc(32) });
        expect(client.peer.attestation).toBe('fake');
        client.close();
    });

    it('rejects claims not bound to the certificate key', async () => {
        const other = generateKeyPairSync('ed25519').privateKey;
        const stolen: QuoteProvider = { kind: 'fake', makeQuote: async () => userClaimsHash(rawEd25519PublicKey(other)) };
        const s = await startServer(await ctx(fakeProvider, fakePolicy()));
        await expect(connect({ host: '127.0.0.1', port: s.port, tls: await ctx(stolen, fakePolicy()) })).rejects.toBeInstanceOf(
            ProtocolError,
        );
        expect(causeCode(await s.rejected)).toBe('REPORTDATA_MISMATCH');
    });

    it('rejects a real TDX quote replayed in a certificate for another key (policy tdx, offline DCAP)', async () => {
        const s = await startServer(await ctx(fakeProvider, tdxPolicy({ mode: 'offline' })), false);
        await rawTlsClient(s.port, certFor({ quote: FIXTURE_QUOTE }));
        // The quote's signatures and PCK chain verify; the binding to the key does not.
        expect(causeCode(await s.rejected)).toBe('REPORTDATA_MISMATCH');
    });

    it('rejects an image hash that is not allowed, and accepts a listed one', async () => {
        const denied = await startServer(await ctx(fakeProvider, fakePolicy({ allowedImageHashes: [randomBytes(32)] })));
        await expect(connect({ host: '127.0.0.1', port: denied.port, tls: await ctx(fakeProvider, fakePolicy()) })).rejects.toBeInstanceOf(
            ProtocolError,
        );
        expect(causeCode(await denied.rejected)).toBe('IMAGE_HASH_NOT_ALLOWED');
        await server!.close();

        const allowed = await startServer(await ctx(fakeProvider, fakePolicy({ allowedImageHashes: [imageHash(zeroMeasurements())] })));
        const c = await connect({ host: '127.0.0.1', port: allowed.port, tls: await ctx(fakeProvider, fakePolicy()) });
        c.close();
    });

    it('rejects an expired or not yet valid certificate on either side', async () => {
        const s = await startServer(await ctx(fakeProvider, anyPolicy()), false);
        const now = Date.now();
        await rawTlsClient(s.port, certFor({ notBefore: new Date(now - 2 * 86_400_000), notAfter: new Date(now - 86_400_000) }));
        expect(causeCode(await s.rejected)).toBe('CERT_EXPIRED');
        await server!.close();
        const s2 = await startServer(await ctx(fakeProvider, anyPolicy()), false);
        await rawTlsClient(s2.port, certFor({ notBefore: new Date(now + 3600_000), notAfter: new Date(now + 86_400_000) }));
        expect(causeCode(await s2.rejected)).toBe('CERT_NOT_YET_VALID');
        await server!.close();

        // A server whose certificate was issued three days ago (its rotation stopped).
        const stale = await startServer(await ctx(fakeProvider, anyPolicy(), { now: () => Date.now() - 3 * 86_400_000 }));
        const err = (await connect({ host: '127.0.0.1', port: stale.port, tls: await ctx(fakeProvider, fakePolicy()) }).catch(
            (e: unknown) => e,
        )) as ProtocolError;
        expect(err.code).toBe('ATTESTATION');
        expect(causeCode(err)).toBe('CERT_EXPIRED');
    });

    it('rejects an unknown critical extension', async () => {
        const s = await startServer(await ctx(fakeProvider, anyPolicy()), false);
        await rawTlsClient(s.port, certFor({ extra: [{ oid: '1.3.6.1.4.1.99999.7', critical: true, value: Buffer.from([5, 0]) }] }));
        expect(causeCode(await s.rejected)).toBe('UNKNOWN_CRITICAL_EXTENSION');
    });

    it('rejects peers that do not satisfy the policy kind', async () => {
        // No quote at all where fake attestation is required.
        const s1 = await startServer(await ctx(fakeProvider, fakePolicy()));
        await expect(connect({ host: '127.0.0.1', port: s1.port, tls: await ctx(noneProvider, fakePolicy()) })).rejects.toBeInstanceOf(
            ProtocolError,
        );
        expect(causeCode(await s1.rejected)).toBe('QUOTE_REQUIRED');
        await server!.close();
        // A fake quote where real TDX is required.
        const s2 = await startServer(await ctx(fakeProvider, tdxPolicy({ mode: 'offline' })));
        await expect(connect({ host: '127.0.0.1', port: s2.port, tls: await ctx(fakeProvider, fakePolicy()) })).rejects.toBeInstanceOf(
            ProtocolError,
        );
        expect(causeCode(await s2.rejected)).toBe('QUOTE_PARSE');
    });

    it('refuses TLS below 1.3 and clients without a certificate', async () => {
        const s = await startServer(await ctx(fakeProvider, anyPolicy()), false);
        await rawTlsClient(s.port, certFor({}), { maxVersion: 'TLSv1.2' });
        expect((await s.rejected).code).toBe('TLS');
        await server!.close();
        const s2 = await startServer(await ctx(fakeProvider, anyPolicy()), false);
        await new Promise<void>((resolve) => {
            const sock = tls.connect({ host: '127.0.0.1', port: s2.port, rejectUnauthorized: false });
            sock.on('error', () => resolve());
            sock.on('close', () => resolve());
            sock.resume();
        });
        expect(causeCode(await s2.rejected)).toBe('CERT_MISSING');
    });

    it('rotates the certificate before expiry; new connections see the new key', async () => {
        const rotating = await RaTlsContext.create({
            provider: fakeProvider,
            policy: fakePolicy(),
            validitySeconds: 62,
            rotateBeforeSeconds: 1,
        });
        contexts.push(rotating);
        const first = rotating.certificate;
        // notBefore is backdated 60 s, so this certificate expires in ~2 s and rotates ~1 s before.
        const rotated = new Promise((r) => rotating.once('rotated', r));
        const s = await startServer(rotating);
        const clientCtx = await ctx(fakeProvider, fakePolicy());
        const c1 = await connect({ host: '127.0.0.1', port: s.port, tls: clientCtx });
        expect(c1.peer.publicKey).toEqual(first.publicKey);
        await rotated;
        expect(rotating.certificate.publicKey).not.toEqual(first.publicKey);
        expect(rotating.certificate.notAfter.getTime()).toBeGreaterThan(first.notAfter.getTime());
        const c2 = await connect({ host: '127.0.0.1', port: s.port, tls: clientCtx });
        expect(c2.peer.publicKey).toEqual(rotating.certificate.publicKey);
        c1.close();
        c2.close();
    });
});
