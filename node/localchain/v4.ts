/**
 * The subset of the ton-api-v4 HTTP API that TonClient4 uses (block/latest, account, lite, changed,
 * run get-method, account transactions, block by seqno/utime, send). Account state is always the
 * latest one: the local chain keeps no historical states, so `seqno` in a path only has to exist.
 */
import { Address, Cell, parseTuple, serializeTuple } from '@ton/core';
import { Router, type Request, type Response } from 'express';
import { readAccount, parseAddress } from './account';
import { serializeMultiRootBoc } from './boc';
import { LocalChainError, type BlockRecord, type LocalChain } from './chain';
import { runGetMethod } from './getmethod';

const MASTER_SHARD = '-9223372036854775808';

export function blockId(b: BlockRecord) {
    return {
        workchain: -1,
        seqno: b.seqno,
        shard: MASTER_SHARD,
        rootHash: b.rootHash.toString('base64'),
        fileHash: b.fileHash.toString('base64'),
    };
}

class V4Error extends Error {
    constructor(
        readonly status: number,
        message: string,
    ) {
        super(message);
    }
}

function requireBlock(chain: LocalChain, raw: string): BlockRecord {
    const seqno = Number(raw);
    if (!Number.isInteger(seqno) || seqno < 0) throw new V4Error(400, `invalid block seqno: ${raw}`);
    const b = chain.block(seqno) ?? (seqno > chain.lastBlock.seqno ? undefined : chain.firstBlock);
    if (!b) throw new V4Error(404, `block ${seqno} not found (latest is ${chain.lastBlock.seqno})`);
    return b;
}

function address(raw: string): Address {
    try {
        return parseAddress(raw);
    } catch (e) {
        throw new V4Error(400, (e as Error).message);
    }
}

function handle(fn: (req: Request, res: Response) => Promise<unknown> | unknown) {
    return async (req: Request, res: Response) => {
        try {
            const body = await fn(req, res);
            if (body !== undefined) res.json(body);
        } catch (e) {
            const status = e instanceof V4Error ? e.status : e instanceof LocalChainError ? e.code : 500;
            res.status(status >= 400 && status < 600 ? status : 500).json({ error: (e as Error).message });
        }
    };
}

export function v4Router(chain: LocalChain): Router {
    const r = Router();

    r.get(
        '/block/latest',
        handle(() => {
            const last = chain.lastBlock;
            const first = chain.firstBlock;
            return {
                last: blockId(last),
                init: { fileHash: first.fileHash.toString('base64'), rootHash: first.rootHash.toString('base64') },
                stateRootHash: last.rootHash.toString('base64'),
                now: chain.now(),
            };
        }),
    );

    r.get(
        '/block/utime/:utime',
        handle((req) => {
            const utime = Number(req.params.utime);
            if (!Number.isInteger(utime)) throw new V4Error(400, `invalid utime: ${req.params.utime}`);
            const b = chain.blockByUtime(utime);
            return b ? { exist: true, block: blockWithTxs(b) } : { exist: false };
        }),
    );

    r.get(
        '/block/:seqno',
        handle((req) => {
            const seqno = Number(req.params.seqno);
            if (!Number.isInteger(seqno) || seqno < 0) throw new V4Error(400, `invalid block seqno: ${req.params.seqno}`);
            const b = chain.block(seqno);
            return b ? { exist: true, block: blockWithTxs(b) } : { exist: false };
        }),
    );

    r.get(
        '/block/:seqno/:address/run/:method{/:args}',
        handle(async (req) => {
            const b = requireBlock(chain, req.params.seqno as string);
            const addr = address(req.params.address as string);
            let args: ReturnType<typeof parseTuple> = [];
            if (req.params.args) {
                try {
                    args = parseTuple(Cell.fromBase64((req.params.args as string).replace(/-/g, '+').replace(/_/g, '/')));
                } catch {
                    throw new V4Error(400, 'invalid get-method arguments: expected url-safe base64 BOC of a serialized tuple');
                }
            }
            const result = await runGetMethod(chain, addr, req.params.method as string, args);
            return {
                exitCode: result.exitCode,
                resultRaw: result.stack ? serializeTuple(result.stack).toBoc({ idx: false, crc32: false }).toString('base64') : null,
                block: blockId(b),
                shardBlock: { ...blockId(b), workchain: 0, shard: MASTER_SHARD },
            };
        }),
    );

    r.get(
        '/block/:seqno/:address/changed/:lt',
        handle(async (req) => {
            const b = requireBlock(chain, req.params.seqno as string);
            const addr = address(req.params.address as string);
            const last = chain.lastTransaction(addr);
            let lt: bigint;
            try {
                lt = BigInt(req.params.lt as string);
            } catch {
                throw new V4Error(400, `invalid lt: ${req.params.lt}`);
            }
            return { changed: !!last && last.lt > lt, block: blockId(b) };
        }),
    );

    r.get(
        '/block/:seqno/:address{/:lite}',
        handle(async (req) => {
            const b = requireBlock(chain, req.params.seqno as string);
            if (req.params.lite !== undefined && req.params.lite !== 'lite') throw new V4Error(404, `unknown path /${req.params.lite}`);
            const addr = address(req.params.address as string);
            const acc = await readAccount(chain, addr);
            const lite = req.params.lite === 'lite';
            const state =
                acc.state === 'active'
                    ? lite
                        ? {
                              type: 'active',
                              codeHash: (acc.code?.hash() ?? Buffer.alloc(32)).toString('base64'),
                              dataHash: (acc.data?.hash() ?? Buffer.alloc(32)).toString('base64'),
                          }
                        : {
                              type: 'active',
                              code: acc.code?.toBoc().toString('base64') ?? null,
                              data: acc.data?.toBoc().toString('base64') ?? null,
                          }
                    : acc.state === 'frozen'
                      ? { type: 'frozen', stateHash: acc.frozenHash!.toString('base64') }
                      : { type: 'uninit' };
            const account = {
                state,
                balance: { coins: acc.balance.toString(), currencies: {} },
                last: acc.last ? { lt: acc.last.lt.toString(), hash: acc.last.hash.toString('base64') } : null,
                storageStat: acc.storage
                    ? {
                          lastPaid: acc.storage.lastPaid,
                          duePayment: null,
                          used: { bits: acc.storage.bits, cells: acc.storage.cells, publicCells: 0 },
                      }
                    : null,
            };
            return lite ? { account } : { account, block: blockId(b) };
        }),
    );

    r.get(
        '/account/:address/tx/:lt/:hash',
        handle((req) => {
            const addr = address(req.params.address as string);
            let lt: bigint;
            let hash: Buffer;
            try {
                lt = BigInt(req.params.lt as string);
                hash = Buffer.from((req.params.hash as string).replace(/-/g, '+').replace(/_/g, '/'), 'base64');
            } catch {
                throw new V4Error(400, 'invalid transaction id: expected /account/:address/tx/:lt/:hash (url-safe base64)');
            }
            if (hash.length !== 32) throw new V4Error(400, 'invalid transaction hash: expected 32 bytes');
            const txs = chain.transactions(addr, 20, { lt, hash });
            return {
                blocks: txs.map((t) => ({ ...blockId(chain.block(t.block)!), workchain: 0 })),
                boc: txs.length ? serializeMultiRootBoc(txs.map((t) => t.cell)).toString('base64') : '',
            };
        }),
    );

    r.post(
        '/send',
        handle(async (req) => {
            const boc = (req.body as { boc?: unknown } | undefined)?.boc;
            if (typeof boc !== 'string') throw new V4Error(400, 'body must be JSON {"boc": "<base64 message BOC>"}');
            let cell: Cell;
            try {
                cell = Cell.fromBase64(boc);
            } catch {
                throw new V4Error(400, 'boc is not a valid base64 BOC');
            }
            await chain.sendExternal(cell);
            return { status: 1 };
        }),
    );

    return r;
}

function blockWithTxs(b: BlockRecord) {
    return {
        shards: [
            {
                ...blockId(b),
                transactions: b.txs.map((t) => ({
                    account: Address.parseRaw(t.account).toString({ urlSafe: true, bounceable: true }),
                    hash: t.hash.toString('base64'),
                    lt: t.lt.toString(),
                })),
            },
        ],
    };
}
