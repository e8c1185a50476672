/**
 * Starts the embedded local chain: one sandbox chain served over the toncenter v2 (/api/v2) and
 * ton-api-v4 (/) HTTP APIs, with a faucet and pre-funded wallets whose mnemonics live in the data dir.
 */
import { randomBytes } from 'crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'fs';
import type { AddressInfo } from 'net';
import { join } from 'path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Address, toNano } from '@ton/core';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { WalletContractV4 } from '@ton/ton';
import { bearerToken, secretMatches } from '../common/bearer';
import { isLoopbackAddress } from '../common/loopback';
import { LocalChain } from './chain';
import { v2Router } from './v2';
import { v4Router } from './v4';

export interface FundedWallet {
    name: string;
    mnemonic: string[];
    address: string;
    /** Wallet contract version, as Blueprint's WALLET_VERSION expects it. */
    version: 'v4';
}

export interface LocalChainOptions {
    /** Persistent data directory; omit for an in-memory chain. */
    dataDir?: string;
    host?: string;
    /** 0 picks a free port. */
    port?: number;
    /** Number of pre-funded wallets (created once, then reused from the data dir). */
    wallets?: number;
    /** Initial balance of each pre-funded wallet. */
    walletBalance?: bigint;
    /** Largest single faucet payment. */
    faucetMax?: bigint;
    /**
     * Token the dev endpoints (/faucet, /admin/*) require as `Authorization: Bearer <token>`. Default: the
     * one in `<dataDir>/dev-token`, generated there (0600) on first start; random per run in memory.
     */
    devToken?: string;
    /** Serve the dev endpoints to other hosts too (default: loopback callers only). */
    devRemote?: boolean;
}

export interface RunningLocalChain {
    chain: LocalChain;
    /** ton-api-v4 endpoint (TonClient4). */
    v4Url: string;
    /** toncenter v2 JSON-RPC endpoint (TonClient, Blueprint --custom-version v2). */
    v2Url: string;
    url: string;
    port: number;
    wallets: FundedWallet[];
    /** What the dev endpoints want in `Authorization: Bearer`. */
    devToken: string;
    close(): Promise<void>;
}

/** The dev token: given, or kept in the data dir (generated once), or random for an in-memory chain. */
export function devTokenOf(dataDir: string | undefined, given?: string): string {
    if (given) return given;
    if (!dataDir) return randomBytes(24).toString('base64url');
    const path = join(dataDir, 'dev-token');
    if (!existsSync(path)) {
        mkdirSync(dataDir, { recursive: true });
        writeFileSync(path, randomBytes(24).toString('base64url') + '\n', { mode: 0o600 });
    }
    const token = readFileSync(path, 'utf8').trim();
    if (!token) throw new Error(`${path} is empty: delete it to generate a new dev token, or pass --dev-token`);
    return token;
}

/**
 * Guards the endpoints a public TON endpoint does not have (minting TON, moving time): loopback callers
 * only unless `devRemote`, and the dev token in every case (a web page on this machine can reach
 * loopback, but cannot know the token).
 */
function devGuard(token: string, remote: boolean) {
    return (req: Request, res: Response, next: NextFunction) => {
        const path = req.originalUrl.split('?')[0];
        if (!remote && !isLoopbackAddress(req.socket.remoteAddress)) {
            return void res.status(403).json({
                ok: false,
                error:
                    `${path} is a dev endpoint, served to loopback callers only ` +
                    `(start the chain with --dev-remote to serve it to other hosts)`,
                code: 403,
            });
        }
        const given = bearerToken(req);
        if (given === undefined || !secretMatches(given, token)) {
            res.setHeader('WWW-Authenticate', 'Bearer realm="cocoon-chain"');
            return void res.status(401).json({
                ok: false,
                error:
                    `${path} needs the chain's dev token: send Authorization: Bearer <token> (printed by cocoon chain, ` +
                    `kept in <data-dir>/dev-token)`,
                code: 401,
            });
        }
        next();
    };
}

async function loadOrCreateWallets(
    chain: LocalChain,
    opts: Required<Pick<LocalChainOptions, 'wallets' | 'walletBalance'>> & { dataDir?: string },
): Promise<FundedWallet[]> {
    const path = opts.dataDir ? join(opts.dataDir, 'wallets.json') : null;
    const saved = path && existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as FundedWallet[]) : [];
    if (saved.length >= opts.wallets) return saved;
    // A data dir made with fewer wallets (`cocoon chain` makes 3 in .cocoon/chain, `cocoon up` needs 4)
    // gets the missing ones added: returning fewer than asked left a caller's last role without a wallet.
    const wallets: FundedWallet[] = [...saved];
    for (let i = saved.length; i < opts.wallets; i++) {
        const mnemonic = await mnemonicNew();
        const key = await mnemonicToPrivateKey(mnemonic);
        const w = WalletContractV4.create({ workchain: 0, publicKey: key.publicKey });
        await chain.fund(w.address, opts.walletBalance);
        wallets.push({ name: `wallet${i}`, mnemonic, address: w.address.toString({ bounceable: false }), version: 'v4' });
    }
    if (path) {
        mkdirSync(opts.dataDir!, { recursive: true });
        writeFileSync(path, JSON.stringify(wallets, null, 2), { mode: 0o600 });
    }
    return wallets;
}

export async function startLocalChain(options: LocalChainOptions = {}): Promise<RunningLocalChain> {
    const chain = await LocalChain.open({ dataDir: options.dataDir });
    const wallets = await loadOrCreateWallets(chain, {
        dataDir: options.dataDir,
        wallets: options.wallets ?? 3,
        walletBalance: options.walletBalance ?? toNano('1000000'),
    });
    const faucetMax = options.faucetMax ?? toNano('1000000');
    const devToken = devTokenOf(options.dataDir, options.devToken);
    const dev = devGuard(devToken, options.devRemote ?? false);

    const app = express();
    app.disable('x-powered-by');
    app.use(express.json({ limit: '16mb' }));
    app.use((req, res, next) => {
        res.setHeader('Access-Control-Allow-Origin', '*');
        res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-API-Key');
        // Read-only data and signed external messages only: what any public TON endpoint serves to pages.
        // The dev endpoints need a token a page cannot know.
        if (req.method === 'OPTIONS') return void res.sendStatus(204);
        next();
    });
    app.use('/api/v2', v2Router(chain));
    app.use('/', v2Router(chain, { methodPaths: false })); // `/jsonRPC` at the root, as Blueprint's --custom examples use it

    app.use(['/faucet', '/admin'], dev);

    app.post('/faucet', async (req, res) => {
        const body = (req.body ?? {}) as { address?: unknown; amount?: unknown };
        let to: Address;
        try {
            to = Address.parse(String(body.address));
        } catch {
            return void res
                .status(400)
                .json({ ok: false, error: 'faucet: body must be {"address": "<TON address>", "amount": "<nanoTON, optional>"}' });
        }
        let amount: bigint;
        try {
            amount = body.amount === undefined ? toNano('100') : BigInt(String(body.amount));
        } catch {
            return void res.status(400).json({ ok: false, error: 'faucet: amount must be an integer number of nanoTON' });
        }
        if (amount <= 0n || amount > faucetMax) {
            return void res.status(400).json({ ok: false, error: `faucet: amount must be between 1 and ${faucetMax} nanoTON` });
        }
        const block = await chain.fund(to, amount);
        res.json({ ok: true, result: { address: to.toString(), amount: amount.toString(), block: block.seqno } });
    });

    app.post('/admin/time', async (req, res) => {
        const shift = Number((req.body as { shift?: unknown } | undefined)?.shift);
        if (!Number.isInteger(shift) || shift < 0) {
            return void res.status(400).json({ ok: false, error: 'admin/time: body must be {"shift": <seconds, non-negative integer>}' });
        }
        await chain.shiftTime(shift);
        res.json({ ok: true, result: { now: chain.now(), offset: chain.timeOffset } });
    });

    app.get('/status', (_req, res) => {
        res.json({
            ok: true,
            result: {
                now: chain.now(),
                offset: chain.timeOffset,
                lastBlock: chain.lastBlock.seqno,
                wallets: wallets.map((w) => w.address),
            },
        });
    });

    app.use(v4Router(chain));

    app.use((_req: Request, res: Response) => {
        res.status(404).json({
            ok: false,
            error:
                'not found: the local chain serves /api/v2/<method>, /api/v2/jsonRPC, the ton-api-v4 routes (/block/..., ' +
                '/account/..., /send), /faucet, /admin/time and /status',
            code: 404,
        });
    });
    app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
        const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
        res.status(status).json({
            ok: false,
            error: err.type === 'entity.parse.failed' ? 'request body is not valid JSON' : err.message,
            code: status,
        });
    });

    const host = options.host ?? '127.0.0.1';
    const server = await new Promise<import('http').Server>((resolve, reject) => {
        const s = app.listen(options.port ?? 0, host, () => resolve(s));
        s.once('error', reject);
    });
    const port = (server.address() as AddressInfo).port;
    const url = `http://${host}:${port}`;
    return {
        chain,
        url,
        v4Url: url,
        v2Url: `${url}/api/v2/jsonRPC`,
        port,
        wallets,
        devToken,
        async close() {
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            });
            await chain.close();
        },
    };
}
