/**
 * The worker keys the client daemon encrypts requests to (`--e2e on`). Upstream reads them from the
 * root contract's registry of key-manager keys, whose private halves its proxies hold and relay; this
 * project's proxy holds none. Instead the daemon encrypts to a worker's own attested key: it asks the
 * proxy for an attestation report on the model (cocoonx.getAttestationReport, a fresh nonce each time),
 * verifies it against the root it read on-chain (signature, certificates and quotes, image and model
 * hashes; fake quotes only under a test root), and takes the key of a worker listed there. A key is
 * thus used only if a TEE with an allowed image holds it. Keys are kept `ttlMs` per model.
 */
import { randomBytes, randomInt } from 'crypto';
import { verifyAttestationReport } from '../attestation/verify';
import type { RootState } from '../chain/cocoon';
import { baseModelName } from '../common/models';
import { rootAllowlist } from '../common/root-allowlist';
import type { RpcConnection } from '../protocol';

/** The client cannot find a worker key to encrypt to: the request is refused, never sent in plaintext. */
export class E2eKeyError extends Error {}

export const DEFAULT_E2E_KEY_TTL_MS = 60_000;
const REPORT_TIMEOUT_MS = 10_000;

export class WorkerKeys {
    private readonly byModel = new Map<string, { keys: Buffer[]; at: number }>();

    constructor(
        private readonly root: () => RootState,
        private readonly ttlMs = DEFAULT_E2E_KEY_TTL_MS,
    ) {}

    /** An attested key of a worker serving `model`, chosen at random among those the report lists. */
    async keyFor(conn: RpcConnection, model: string): Promise<Buffer> {
        const base = baseModelName(model);
        let entry = this.byModel.get(base);
        if (!entry || Date.now() - entry.at > this.ttlMs) {
            entry = { keys: await this.fetch(conn, base), at: Date.now() };
            this.byModel.set(base, entry);
        }
        return entry.keys[randomInt(entry.keys.length)];
    }

    /** The proxy found no worker holding a key (it left): the next request fetches a fresh report. */
    forget(model: string): void {
        this.byModel.delete(baseModelName(model));
    }

    private async fetch(conn: RpcConnection, model: string): Promise<Buffer[]> {
        const nonce = randomBytes(32);
        let json: string;
        try {
            json = (await conn.query({ _: 'cocoonx.getAttestationReport', nonce, model }, REPORT_TIMEOUT_MS)).json;
        } catch (e) {
            throw new E2eKeyError(
                `end-to-end encryption needs an attestation report from the proxy, which gave none: ${(e as Error).message}`,
            );
        }
        let report: unknown;
        try {
            report = JSON.parse(json);
        } catch {
            throw new E2eKeyError('the proxy sent an attestation report that is not JSON');
        }
        const root = this.root();
        const v = await verifyAttestationReport(report, { nonce, root: rootAllowlist(root), allowFakeQuotes: root.params.isTest });
        if (!v.ok)
            throw new E2eKeyError(
                `the proxy's attestation report does not verify, so no worker key is trusted: ${v.message} (${v.reason})`,
            );
        const keys = v.workers.filter((w) => baseModelName(w.model) === model).map((w) => Buffer.from(w.publicKey, 'hex'));
        if (!keys.length) throw new E2eKeyError(`no attested worker serves '${model}' right now`);
        return keys;
    }
}
