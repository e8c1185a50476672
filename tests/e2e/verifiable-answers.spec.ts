/** @jest-environment node */
/**
 * Verifiable answers on the local network (issue 26 receipts, issue 27 §2): a real answer through
 * client → proxy → worker carries its request id and receipt without trailers, the receipt is served
 * again by id, the attestation report binds a fresh nonce, and `cocoon verify` (and verifyAnswer) accept
 * the real answer and refuse a tampered answer, key, quote and hash, each with its own reason.
 */
import { randomBytes } from 'crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { keyPairFromSeed } from '@ton/crypto';
import {
    buildCertificate,
    ed25519KeyObject,
    verifyAttestationReport,
    verifyAnswer,
    workerCertificateFor,
    type AttestationReport,
} from '../../node/attestation';
import { readRoot } from '../../node/chain/cocoon';
import { rootAllowlist } from '../../node/common/root-allowlist';
import { signReceipt, type Receipt } from '../../node/common/receipt';
import { runVerify } from '../../node/cli/verify';
import { parseTimingValue } from '../../node/protocol';
import { captureIo } from '../node/helpers/cli-io';
import { startTestNetwork, type TestNetwork } from './helpers/network';

jest.setTimeout(180_000);

const MODEL = 'cocoon/tiny-stories-1m';
let net: TestNetwork;
let dir: string;

beforeAll(async () => {
    net = await startTestNetwork();
    dir = mkdtempSync(join(tmpdir(), 'cocoon-verify-'));
});
afterAll(async () => {
    await net?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

function ask(stream: boolean): Promise<Response> {
    return fetch(`${net.apiUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
            model: MODEL,
            messages: [{ role: 'user', content: 'Tell me a story about a cat.' }],
            max_tokens: 16,
            temperature: 0,
            stream,
        }),
    });
}

const decodeHeader = (v: string | null) => JSON.parse(Buffer.from(v ?? '', 'base64').toString('utf8')) as Receipt & { verified: boolean };

async function report(nonce: Buffer): Promise<AttestationReport> {
    const res = await fetch(`${net.apiUrl}/attestation/report?nonce=${nonce.toString('hex')}&model=${MODEL}`);
    expect(res.status).toBe(200);
    return (await res.json()) as AttestationReport;
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const c = captureIo();
    const code = await runVerify([...args, '--endpoint', net.local.v4Url, '--root', net.root.toString()], {}, c.io);
    return { code, out: c.out(), err: c.err() };
}

function file(name: string, content: string | Buffer): string {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
}

describe('receipts without trailers', () => {
    it('a whole answer carries its request id and its receipt as headers; GET /v1/receipts/{id} serves the same receipt', async () => {
        const res = await ask(false);
        expect(res.status).toBe(200);
        const id = res.headers.get('x-cocoon-request-id')!;
        expect(id).toMatch(/^[0-9a-f]{64}$/);
        const body = Buffer.from(await res.arrayBuffer());
        const header = decodeHeader(res.headers.get('x-cocoon-receipt'));
        expect(header.verified).toBe(true);
        // The receipt names the id the proxy gave the worker; the client's id is the lookup key.
        expect(header.requestId).toMatch(/^[0-9a-f]{64}$/);
        expect(header.responseBytes).toBe(body.length);
        expect(header.workerKey).toBe(keyPairFromSeed(Buffer.alloc(32, 9)).publicKey.toString('hex'));

        // Upstream's timing headers: each hop's Start/End, nested in order.
        const t = (h: string) => parseTimingValue(res.headers.get(h) ?? undefined)!;
        const order = [
            'x-cocoon-client-start',
            'x-cocoon-proxy-start',
            'x-cocoon-worker-start',
            'x-cocoon-worker-end',
            'x-cocoon-proxy-end',
            'x-cocoon-client-end',
        ].map(t);
        expect(order.every((v) => Number.isFinite(v))).toBe(true);
        expect([...order].sort((a, b) => a - b)).toEqual(order);

        const again = await fetch(`${net.apiUrl}/receipts/${id}`);
        expect(again.status).toBe(200);
        expect(await again.json()).toEqual(header);
    });

    it('a streamed answer names its request id up front; its receipt is retrievable afterwards', async () => {
        const res = await ask(true);
        const id = res.headers.get('x-cocoon-request-id')!;
        expect(id).toMatch(/^[0-9a-f]{64}$/);
        expect(res.headers.get('x-cocoon-receipt')).toBeNull();
        const body = Buffer.from(await res.arrayBuffer());
        const r = (await (await fetch(`${net.apiUrl}/receipts/${id}`)).json()) as Receipt & { verified: boolean };
        expect(r.verified).toBe(true);
        expect(r.responseBytes).toBe(body.length);
    });

    it('refuses a malformed id (400) and answers 404 for an unknown one, in the OpenAI error shape', async () => {
        const bad = await fetch(`${net.apiUrl}/receipts/not-an-id`);
        expect(bad.status).toBe(400);
        expect(((await bad.json()) as { error: { param: string; code: string } }).error).toMatchObject({
            param: 'id',
            code: 'invalid_request',
            type: 'invalid_request_error',
        });
        const unknown = await fetch(`${net.apiUrl}/receipts/${'ab'.repeat(32)}`);
        expect(unknown.status).toBe(404);
        expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('receipt_not_found');
    });
});

describe('attestation report', () => {
    it('binds the nonce, carries the proxy and the worker (fake, marked) and verifies against the root read on-chain', async () => {
        const nonce = randomBytes(32);
        const r = await report(nonce);
        expect(r.request_nonce).toBe(nonce.toString('hex'));
        expect(r.gateway_attestation.tee).toBe('fake');
        expect(r.model_attestations.map((m) => [m.model_name, m.tee, m.signing_public_key])).toEqual([
            ['cocoon/tiny-stories-1m@local:0', 'fake', keyPairFromSeed(Buffer.alloc(32, 9)).publicKey.toString('hex')],
        ]);
        expect(r.root.address).toBe(net.root.toString());
        const root = rootAllowlist(await readRoot(net.chain, net.root));
        const ok = await verifyAttestationReport(r, { nonce, root, allowFakeQuotes: true });
        expect(ok).toMatchObject({ ok: true, fake: true, rootTrusted: true, signer: 'proxy' });
        expect(await verifyAttestationReport(r, { nonce: randomBytes(32), root, allowFakeQuotes: true })).toMatchObject({
            ok: false,
            reason: 'NONCE_MISMATCH',
        });
        expect(await verifyAttestationReport(r, { nonce, root })).toMatchObject({ ok: false, reason: 'FAKE_QUOTE_NOT_ALLOWED' });
    });

    it.each([
        ['', 'nonce is required'],
        ['?nonce=xyz', 'hex'],
        [`?nonce=${'00'.repeat(65)}`, 'hex'],
    ])('refuses the query %s with a 400 naming nonce', async (query, message) => {
        const res = await fetch(`${net.apiUrl}/attestation/report${query}`);
        expect(res.status).toBe(400);
        const e = ((await res.json()) as { error: { message: string; param: string; code: string } }).error;
        expect(e).toMatchObject({ param: 'nonce', code: 'invalid_request' });
        expect(e.message).toContain(message.includes('required') ? "'nonce' is required" : message);
    });
});

describe('cocoon verify', () => {
    let receipt: Receipt & { verified: boolean };
    let body: Buffer;
    beforeAll(async () => {
        const res = await ask(false);
        body = Buffer.from(await res.arrayBuffer());
        receipt = decodeHeader(res.headers.get('x-cocoon-receipt'));
    });

    it('accepts a real answer (fake attestation only with --allow-fake-quotes, and says so)', async () => {
        const rf = file('receipt.json', JSON.stringify(receipt));
        const bf = file('answer.json', body);
        const r = await cli(rf, '--body', bf, '--api', net.apiUrl!, '--allow-fake-quotes');
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        expect(r.out).toContain('OK (FAKE attestation');
        expect(r.out).toContain(
            'checks: attestation report, signature, answer, quote (fake, accepted on request), attested key, root allows image and model',
        );
        const strict = await cli(rf, '--body', bf, '--api', net.apiUrl!);
        expect(strict.code).toBe(1);
        expect(strict.err).toMatch(/^REFUSED FAKE_QUOTE_NOT_ALLOWED: attestation report: /);
    });

    it('reads the base64 header form from stdin-like files and prints --help', async () => {
        const rf = file('receipt.b64', Buffer.from(JSON.stringify(receipt)).toString('base64'));
        const nonce = randomBytes(16);
        const rep = file('report.json', JSON.stringify(await report(nonce)));
        const r = await cli(rf, '--body', file('a2.json', body), '--report', rep, '--nonce', nonce.toString('hex'), '--allow-fake-quotes');
        expect(r.code).toBe(0);
        const help = captureIo();
        expect(await runVerify(['--help'], {}, help.io)).toBe(0);
        expect(help.out()).toContain('Usage: cocoon verify <receipt file | ->');
    });

    it('refuses a tampered answer', async () => {
        const tampered = Buffer.from(body);
        tampered[tampered.length - 3] ^= 1;
        const r = await cli(
            file('r1.json', JSON.stringify(receipt)),
            '--body',
            file('t1.json', tampered),
            '--api',
            net.apiUrl!,
            '--allow-fake-quotes',
        );
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/^REFUSED ANSWER_MISMATCH: /);
    });

    it('refuses a receipt re-signed with a key that is not the attested one', async () => {
        const { signature: _s, workerKey: _k, version: _v, verified: _x, ...unsigned } = receipt;
        const forged = signReceipt(unsigned, keyPairFromSeed(Buffer.alloc(32, 42)));
        const r = await cli(
            file('r2.json', JSON.stringify(forged)),
            '--body',
            file('a3.json', body),
            '--api',
            net.apiUrl!,
            '--allow-fake-quotes',
        );
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/^REFUSED KEY_NOT_ATTESTED: no worker in the attestation report holds the receipt's key/);
    });

    it('refuses a certificate whose quote does not bind its key', async () => {
        const now = Date.now();
        const cert = buildCertificate({
            privateKey: ed25519KeyObject(keyPairFromSeed(Buffer.alloc(32, 9)).secretKey),
            quote: randomBytes(64),
            notBefore: new Date(now - 3_600_000),
            notAfter: new Date(now + 3_600_000),
        });
        const r = await cli(
            file('r3.json', JSON.stringify(receipt)),
            '--body',
            file('a4.json', body),
            '--certificate',
            file('c.pem', cert.certPem),
            '--allow-fake-quotes',
        );
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/^REFUSED QUOTE_INVALID: worker quote: .*REPORTDATA_MISMATCH/);
    });

    it('refuses an image hash or a model the root does not allow', async () => {
        const nonce = randomBytes(32);
        const rep = await report(nonce);
        const cert = workerCertificateFor(rep, receipt.workerKey)!;
        const root = rootAllowlist(await readRoot(net.chain, net.root));
        const ok = await verifyAnswer({ receipt, body, root, evidence: { workerCertificate: cert }, allowFakeQuotes: true });
        expect(ok).toMatchObject({ ok: true, answerChecked: true });
        const noImage = await verifyAnswer({
            receipt,
            body,
            root: { ...root, workerHashes: [] },
            evidence: { workerCertificate: cert },
            allowFakeQuotes: true,
        });
        expect(noImage).toMatchObject({ ok: false, reason: 'IMAGE_HASH_NOT_ALLOWED' });
        const noModel = await verifyAnswer({
            receipt,
            body,
            root: { ...root, modelHashes: [] },
            evidence: { workerCertificate: cert },
            allowFakeQuotes: true,
        });
        expect(noModel).toMatchObject({ ok: false, reason: 'MODEL_NOT_ALLOWED' });
    });
});
