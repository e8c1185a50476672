/** A throwaway TLS identity for tests and benchmarks: an Ed25519 key and a self-signed certificate (PEM). */
import { generateKeyPairSync } from 'node:crypto';
import { buildCertificate } from '../../../node/attestation/certificate';

export function selfSignedCertificate(validMs = 3_600_000): { key: string; cert: string } {
    const { privateKey } = generateKeyPairSync('ed25519');
    const c = buildCertificate({ privateKey, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + validMs) });
    return { key: c.keyPem, cert: c.certPem };
}
