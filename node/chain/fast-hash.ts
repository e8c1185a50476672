/**
 * @ton/core hashes every cell it builds with @ton/crypto's sha256_sync, a pure-JavaScript SHA-256 that
 * goes through hex strings. Pointing that one function at Node's native SHA-256 gives identical digests
 * and makes cell construction ~30% cheaper (measured on transaction BOCs); any service that builds many
 * cells (the indexer, runners, the local chain) can install it once at start. It applies to the process.
 * Checked against the original on a sample before it is installed; a mismatch leaves everything as it was.
 */
import crypto from 'node:crypto';

let installed = false;

export function installNativeSha256(): boolean {
    if (installed) return true;
    // The function lives in this module; @ton/crypto's index re-exports it through a getter, and @ton/core
    // looks it up on every call, so replacing the export here reaches every caller.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- patching a CommonJS export in place
    const prim = require('@ton/crypto/dist/primitives/sha256') as { sha256_sync: (src: Buffer | string) => Buffer };
    const original = prim.sha256_sync;
    const native = (src: Buffer | string): Buffer =>
        crypto
            .createHash('sha256')
            .update(typeof src === 'string' ? Buffer.from(src, 'utf-8') : src)
            .digest();
    for (const sample of [Buffer.alloc(0), Buffer.from('cocoon'), crypto.randomBytes(131)]) {
        if (!original(sample).equals(native(sample))) return false;
    }
    prim.sha256_sync = native;
    installed = true;
    return true;
}
