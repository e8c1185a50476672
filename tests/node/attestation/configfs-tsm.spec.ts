/** @jest-environment node */
import * as fs from 'fs';
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';
import { ConfigfsTsm, TsmFs, createRaTlsCertificate, parseRaTlsCertificate, tdxProvider, userClaimsHash } from '../../../node/attestation';

/**
 * A temporary directory laid out like /sys/kernel/config/tsm/report. Real fs operations on it, plus
 * what the kernel does on its own: a new entry gets `provider` and `generation`, and writing `inblob`
 * produces `outblob` and bumps `generation`.
 */
function kernelLikeFs(opts: { provider?: string; interfere?: boolean } = {}): { fs: TsmFs; root: string; written: Buffer[] } {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsm-'));
    const written: Buffer[] = [];
    const real: TsmFs = {
        mkdir: async (p) => {
            await fsp.mkdir(p);
            await fsp.writeFile(path.join(p, 'provider'), `${opts.provider ?? 'tdx_guest'}\n`);
            await fsp.writeFile(path.join(p, 'generation'), '0\n');
        },
        rmdir: (p) => fsp.rm(p, { recursive: true }),
        readFile: (p) => fsp.readFile(p),
        writeFile: async (p, data) => {
            await fsp.writeFile(p, data);
            if (path.basename(p) === 'inblob') {
                written.push(Buffer.from(data));
                const dir = path.dirname(p);
                const gen = Number((await fsp.readFile(path.join(dir, 'generation'))).toString());
                await fsp.writeFile(path.join(dir, 'outblob'), Buffer.concat([Buffer.from('QUOTE:'), data]));
                await fsp.writeFile(path.join(dir, 'generation'), `${gen + (opts.interfere ? 2 : 1)}\n`);
            }
        },
        stat: (p) => fsp.stat(p),
    };
    return { fs: real, root, written };
}

describe('configfs-tsm quote provider', () => {
    it('reports a clear error where configfs-tsm is absent', async () => {
        const tsm = new ConfigfsTsm({ reportDir: path.join(os.tmpdir(), 'no-such-tsm-dir') });
        expect(await tsm.available()).toBe(false);
        await expect(tsm.getQuote(Buffer.alloc(64))).rejects.toMatchObject({
            code: 'TSM_UNAVAILABLE',
            message: expect.stringContaining('TDX guest'),
        });
    });

    it('writes reportdata to inblob, reads outblob and removes its entry', async () => {
        const k = kernelLikeFs();
        const tsm = new ConfigfsTsm({ reportDir: k.root, fs: k.fs });
        const rd = Buffer.alloc(64, 0x5a);
        expect(await tsm.getQuote(rd)).toEqual(Buffer.concat([Buffer.from('QUOTE:'), rd]));
        expect(k.written).toEqual([rd]);
        expect(fs.readdirSync(k.root)).toEqual([]);
        await expect(tsm.getQuote(Buffer.alloc(10))).rejects.toMatchObject({ code: 'TSM_FAILED' });
    });

    it('detects a concurrent writer through the generation counter and a wrong provider', async () => {
        const racing = kernelLikeFs({ interfere: true });
        await expect(new ConfigfsTsm({ reportDir: racing.root, fs: racing.fs }).getQuote(Buffer.alloc(64))).rejects.toMatchObject({
            code: 'TSM_FAILED',
            message: expect.stringContaining('generation'),
        });
        expect(fs.readdirSync(racing.root)).toEqual([]);
        const sev = kernelLikeFs({ provider: 'sev_guest' });
        await expect(new ConfigfsTsm({ reportDir: sev.root, fs: sev.fs }).getQuote(Buffer.alloc(64))).rejects.toMatchObject({
            code: 'TSM_FAILED',
            message: expect.stringContaining('sev_guest'),
        });
    });

    it('puts the configfs quote for SHA-512(public key) into the RA-TLS certificate', async () => {
        const k = kernelLikeFs();
        const cert = await createRaTlsCertificate(tdxProvider({ reportDir: k.root, fs: k.fs }));
        const parsed = parseRaTlsCertificate(cert.der);
        expect(k.written).toEqual([userClaimsHash(cert.publicKey)]);
        expect(parsed.quote).toEqual(Buffer.concat([Buffer.from('QUOTE:'), userClaimsHash(cert.publicKey)]));
        expect(parsed.userClaims).toEqual(cert.publicKey);
    });
});
