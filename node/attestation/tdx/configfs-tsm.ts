/**
 * TDX quote generation through the Linux configfs-tsm interface (kernel >= 6.7, inside a TD):
 *   mkdir /sys/kernel/config/tsm/report/<entry>; write 64-byte reportdata to inblob; read outblob;
 *   `generation` must have advanced by exactly one (else another writer raced us); rmdir the entry.
 * The file operations are injectable so tests can run against a temporary directory.
 */
import * as fsp from 'fs/promises';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { AttestationError } from '../errors';

export const DEFAULT_TSM_REPORT_DIR = '/sys/kernel/config/tsm/report';

export interface TsmFs {
    mkdir(p: string): Promise<void>;
    rmdir(p: string): Promise<void>;
    readFile(p: string): Promise<Buffer>;
    writeFile(p: string, data: Buffer): Promise<void>;
    stat(p: string): Promise<{ isDirectory(): boolean }>;
}

const nodeFs: TsmFs = {
    mkdir: async (p) => {
        await fsp.mkdir(p);
    },
    rmdir: (p) => fsp.rmdir(p),
    readFile: (p) => fsp.readFile(p),
    writeFile: (p, d) => fsp.writeFile(p, d),
    stat: (p) => fsp.stat(p),
};

export interface ConfigfsTsmOptions {
    reportDir?: string;
    fs?: TsmFs;
    /** Expected `provider` file content; the kernel's TDX guest driver reports "tdx_guest". */
    expectedProvider?: string;
}

export class ConfigfsTsm {
    private readonly dir: string;
    private readonly fs: TsmFs;

    constructor(private readonly opts: ConfigfsTsmOptions = {}) {
        this.dir = opts.reportDir ?? DEFAULT_TSM_REPORT_DIR;
        this.fs = opts.fs ?? nodeFs;
    }

    async available(): Promise<boolean> {
        try {
            return (await this.fs.stat(this.dir)).isDirectory();
        } catch {
            return false;
        }
    }

    async assertAvailable(): Promise<void> {
        if (!(await this.available())) {
            throw new AttestationError(
                'TSM_UNAVAILABLE',
                `configfs-tsm not found at ${this.dir}: run inside a TDX guest with Linux >= 6.7 and configfs mounted ` +
                    '(mount -t configfs none /sys/kernel/config), or use the "fake" attestation provider for development',
            );
        }
    }

    async getQuote(reportData: Buffer): Promise<Buffer> {
        if (reportData.length !== 64) throw new AttestationError('TSM_FAILED', `reportdata must be 64 bytes, got ${reportData.length}`);
        await this.assertAvailable();
        const entry = path.join(this.dir, `cocoon-${process.pid}-${randomBytes(4).toString('hex')}`);
        try {
            await this.fs.mkdir(entry);
        } catch (err) {
            throw new AttestationError('TSM_FAILED', `cannot create ${entry}: ${(err as Error).message} (need root inside the TD)`, err);
        }
        try {
            const provider = (await this.fs.readFile(path.join(entry, 'provider')).catch(() => Buffer.from(''))).toString().trim();
            const expected = this.opts.expectedProvider ?? 'tdx_guest';
            if (provider && provider !== expected) {
                throw new AttestationError('TSM_FAILED', `configfs-tsm provider is "${provider}", expected "${expected}"`);
            }
            const before = await this.generation(entry);
            await this.fs.writeFile(path.join(entry, 'inblob'), reportData);
            const quote = await this.fs.readFile(path.join(entry, 'outblob'));
            const after = await this.generation(entry);
            if (after !== before + 1) {
                throw new AttestationError(
                    'TSM_FAILED',
                    `configfs-tsm generation went ${before} -> ${after}: another process wrote the same entry, retry`,
                );
            }
            if (quote.length === 0)
                throw new AttestationError('TSM_FAILED', 'configfs-tsm returned an empty quote (is the quote generation service running?)');
            return quote;
        } finally {
            await this.fs.rmdir(entry).catch(() => undefined);
        }
    }

    private async generation(entry: string): Promise<number> {
        const text = (await this.fs.readFile(path.join(entry, 'generation'))).toString().trim();
        const n = Number(text);
        if (!Number.isInteger(n)) throw new AttestationError('TSM_FAILED', `unexpected configfs-tsm generation "${text}"`);
        return n;
    }
}
