/**
 * RaTlsContext: this node's RA-TLS certificate (rotated before it expires) plus the policy its peers
 * must satisfy. It produces Node `tls` options (TLS 1.3 only, AES-GCM suites, mutual authentication)
 * and verifies the peer certificate after the handshake. Node's own chain validation is switched off
 * (`rejectUnauthorized: false`): the certificates are self-signed by design, and trust comes from the
 * attestation, which `verifyPeer` checks before any application byte is read.
 */
import { EventEmitter } from 'events';
import { KeyObject, constants as cryptoConstants } from 'crypto';
import * as tls from 'tls';
import { AttestationError } from './errors';
import { PeerIdentity } from './identity';
import { AttestationPolicy } from './policy';
import { QuoteProvider } from './providers';
import { CreateCertificateOptions, RaTlsCertificate, createRaTlsCertificate, verifyRaTlsCertificate } from './certificate';

export const TLS_CIPHERSUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384';

export interface Logger {
    info(msg: string, fields?: Record<string, unknown>): void;
    warn(msg: string, fields?: Record<string, unknown>): void;
    error(msg: string, fields?: Record<string, unknown>): void;
}

export interface RaTlsOptions {
    /** Makes the quote for our own certificate (none | fake | tdx). */
    provider: QuoteProvider;
    /** What we demand from peers. */
    policy: AttestationPolicy;
    validitySeconds?: number;
    /** Rotate this long before notAfter (default 1 h). */
    rotateBeforeSeconds?: number;
    /** Start a timer that rotates automatically (default true). */
    autoRotate?: boolean;
    /** Reuse a fixed key for every certificate (default: a fresh key per certificate, as the original). */
    privateKey?: KeyObject;
    /** Clock (ms), injectable for tests. */
    now?: () => number;
    logger?: Logger;
    certificate?: CreateCertificateOptions['subject'];
}

export class RaTlsContext extends EventEmitter {
    private cert!: RaTlsCertificate;
    private context!: tls.SecureContext;
    private timer?: NodeJS.Timeout;
    private closed = false;

    private constructor(private readonly opts: RaTlsOptions) {
        super();
    }

    static async create(opts: RaTlsOptions): Promise<RaTlsContext> {
        const ctx = new RaTlsContext(opts);
        await ctx.rotate();
        return ctx;
    }

    get policy(): AttestationPolicy {
        return this.opts.policy;
    }

    get certificate(): RaTlsCertificate {
        return this.cert;
    }

    private now(): number {
        return this.opts.now ? this.opts.now() : Date.now();
    }

    /** Issues a new key + certificate; new connections use it, established ones keep theirs. */
    async rotate(): Promise<void> {
        const cert = await createRaTlsCertificate(this.opts.provider, {
            privateKey: this.opts.privateKey,
            validitySeconds: this.opts.validitySeconds,
            nowMs: this.now(),
            subject: this.opts.certificate,
        });
        this.context = tls.createSecureContext({
            cert: cert.certPem,
            key: cert.keyPem,
            minVersion: 'TLSv1.3',
            maxVersion: 'TLSv1.3',
            // Node routes TLS_* names in `ciphers` to the TLS 1.3 suite list.
            ciphers: TLS_CIPHERSUITES,
            // No session tickets: every connection re-runs the full attested handshake.
            secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
        });
        this.cert = cert;
        this.opts.logger?.info('RA-TLS certificate issued', {
            provider: this.opts.provider.kind,
            publicKey: cert.publicKey.toString('hex'),
            notAfter: cert.notAfter.toISOString(),
        });
        this.emit('rotated', cert);
        this.schedule();
    }

    private schedule(): void {
        clearTimeout(this.timer);
        if (this.closed || this.opts.autoRotate === false) return;
        const before = (this.opts.rotateBeforeSeconds ?? 3600) * 1000;
        const delay = Math.max(1000, this.cert.notAfter.getTime() - before - this.now());
        // setTimeout caps at ~24.8 days; certificates live one day by default.
        this.timer = setTimeout(
            () => {
                this.rotate().catch((err: Error) => {
                    this.opts.logger?.error('RA-TLS certificate rotation failed, retrying in 60 s', {
                        code: (err as AttestationError).code,
                        error: err.message,
                    });
                    clearTimeout(this.timer);
                    this.timer = setTimeout(() => this.schedule(), 60_000);
                    this.timer.unref();
                });
            },
            Math.min(delay, 0x7fffffff),
        );
        this.timer.unref();
    }

    /** Options for `new tls.TLSSocket(socket, …)` on the accepting side. */
    serverOptions(): tls.TLSSocketOptions {
        return { isServer: true, secureContext: this.context, requestCert: true, rejectUnauthorized: false };
    }

    /** Options for `tls.connect({ socket, … })` on the connecting side. */
    clientOptions(): tls.ConnectionOptions {
        return {
            secureContext: this.context,
            rejectUnauthorized: false,
            // Identity is the attested key, not a host name.
            checkServerIdentity: () => undefined,
        };
    }

    /** Checks the peer's RA-TLS certificate against the policy; throws AttestationError when rejected. */
    async verifyPeer(socket: tls.TLSSocket): Promise<PeerIdentity> {
        const protocol = socket.getProtocol();
        if (protocol !== 'TLSv1.3')
            throw new AttestationError('TLS_VERSION', `peer negotiated ${String(protocol)}, only TLSv1.3 is allowed`);
        const peer = socket.getPeerCertificate(false);
        if (!peer || !peer.raw) throw new AttestationError('CERT_MISSING', 'peer sent no certificate (mutual RA-TLS is required)');
        const v = await verifyRaTlsCertificate(peer.raw, this.opts.policy, this.now());
        return {
            policy: this.opts.policy.kind,
            attestation: v.attestation.kind,
            imageHash: v.attestation.imageHash,
            publicKey: v.publicKey,
            measurements: v.attestation.measurements,
            collateralRootHash: v.attestation.collateralRootHash,
            tcbStatus: v.attestation.tcbStatus,
            certificate: peer.raw,
            certificateNotAfter: v.notAfter,
            remoteAddress: socket.remoteAddress,
            remotePort: socket.remotePort,
        };
    }

    close(): void {
        this.closed = true;
        clearTimeout(this.timer);
    }
}
