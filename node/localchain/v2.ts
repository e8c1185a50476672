/**
 * The subset of the toncenter v2 API that TonClient, Blueprint and tools use, as JSON-RPC
 * (POST /api/v2/jsonRPC) and as plain GET/POST /api/v2/<method>. Answers are {ok, result} or
 * {ok:false, error, code} with the matching HTTP status, like toncenter.
 */
import { Address, beginCell, Cell, loadMessage, loadTransaction, type Message, type TupleItem } from '@ton/core';
import { Router, type Request, type Response } from 'express';
import { parseAddress, readAccount } from './account';
import { LocalChainError, type BlockRecord, type LocalChain, type TxRecord } from './chain';
import { runGetMethod } from './getmethod';

class V2Error extends Error {
    constructor(
        readonly code: number,
        message: string,
    ) {
        super(message);
    }
}

type Params = Record<string, unknown>;
type Method = (p: Params) => Promise<unknown> | unknown;

const MASTER_SHARD = '-9223372036854775808';

function blockIdExt(b: BlockRecord, workchain = -1) {
    return {
        '@type': 'ton.blockIdExt',
        workchain,
        shard: MASTER_SHARD,
        seqno: b.seqno,
        root_hash: b.rootHash.toString('base64'),
        file_hash: b.fileHash.toString('base64'),
    };
}

function str(p: Params, key: string): string {
    const v = p[key];
    if (typeof v === 'string' && v.length) return v;
    if (typeof v === 'number') return String(v);
    throw new V2Error(422, `parameter '${key}' is required`);
}

function addr(p: Params, key = 'address'): Address {
    try {
        return parseAddress(p[key]);
    } catch (e) {
        throw new V2Error(422, `${key}: ${(e as Error).message}`);
    }
}

function int(p: Params, key: string, dflt?: number): number {
    const v = p[key];
    if (v === undefined || v === null || v === '') {
        if (dflt !== undefined) return dflt;
        throw new V2Error(422, `parameter '${key}' is required`);
    }
    const n = Number(v);
    if (!Number.isInteger(n)) throw new V2Error(422, `parameter '${key}' must be an integer`);
    return n;
}

function messageJson(m: Message | undefined | null) {
    if (!m) return null;
    const body = m.body;
    const value = m.info.type === 'internal' ? m.info.value.coins.toString() : '0';
    return {
        '@type': 'raw.message',
        source: m.info.src && 'hash' in (m.info.src as object) ? (m.info.src as Address).toString() : '',
        destination: m.info.dest && 'hash' in (m.info.dest as object) ? (m.info.dest as Address).toString() : '',
        value,
        fwd_fee: m.info.type === 'internal' ? m.info.forwardFee.toString() : '0',
        ihr_fee: m.info.type === 'internal' ? m.info.ihrFee.toString() : '0',
        created_lt: m.info.type === 'external-in' ? '0' : m.info.createdLt.toString(),
        body_hash: body.hash().toString('base64'),
        msg_data: { '@type': 'msg.dataRaw', body: body.toBoc().toString('base64'), init_state: '' },
        message: '',
    };
}

export function txJson(t: TxRecord) {
    const tx = loadTransaction(t.cell.beginParse());
    const storageFee =
        tx.description.type === 'generic' && tx.description.storagePhase ? tx.description.storagePhase.storageFeesCollected : 0n;
    const fee = tx.totalFees.coins;
    return {
        '@type': 'raw.transaction',
        address: { '@type': 'accountAddress', account_address: Address.parseRaw(t.account).toString() },
        utime: t.now,
        data: t.cell.toBoc().toString('base64'),
        transaction_id: { '@type': 'internal.transactionId', lt: t.lt.toString(), hash: t.hash.toString('base64') },
        fee: fee.toString(),
        storage_fee: storageFee.toString(),
        other_fee: (fee - storageFee).toString(),
        in_msg: messageJson(tx.inMessage),
        out_msgs: [...tx.outMessages.values()].map(messageJson),
    };
}

function stackItemJson(item: TupleItem): unknown {
    switch (item.type) {
        case 'int':
            return ['num', item.value < 0n ? '-0x' + (-item.value).toString(16) : '0x' + item.value.toString(16)];
        case 'null':
            return ['null'];
        case 'nan':
            return ['num', 'NaN'];
        case 'cell':
            return ['cell', { bytes: item.cell.toBoc().toString('base64'), object: null }];
        case 'slice':
            return ['slice', { bytes: item.cell.toBoc().toString('base64'), object: null }];
        case 'builder':
            return ['builder', { bytes: item.cell.toBoc().toString('base64'), object: null }];
        case 'tuple':
            return ['tuple', { '@type': 'tvm.tuple', elements: item.items.map(tupleEntryJson) }];
    }
}

/** Elements nested in a tuple use tonlib's typed-entry form. */
function tupleEntryJson(item: TupleItem): unknown {
    switch (item.type) {
        case 'int':
            return { '@type': 'tvm.stackEntryNumber', number: { '@type': 'tvm.numberDecimal', number: item.value.toString() } };
        case 'cell':
            return { '@type': 'tvm.stackEntryCell', cell: { '@type': 'tvm.cell', bytes: item.cell.toBoc().toString('base64') } };
        case 'slice':
            return { '@type': 'tvm.stackEntrySlice', slice: { '@type': 'tvm.slice', bytes: item.cell.toBoc().toString('base64') } };
        case 'tuple':
            return { '@type': 'tvm.stackEntryTuple', tuple: { '@type': 'tvm.tuple', elements: item.items.map(tupleEntryJson) } };
        default:
            return { '@type': 'tvm.stackEntryUnsupported' };
    }
}

function parseStackArg(e: unknown): TupleItem {
    if (!Array.isArray(e) || typeof e[0] !== 'string') throw new V2Error(422, 'stack entries must be [type, value] pairs');
    const [type, value] = e as [string, unknown];
    if (type === 'num' || type === 'number' || type === 'int') {
        try {
            const s = String(value);
            return { type: 'int', value: s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s) };
        } catch {
            throw new V2Error(422, `invalid number in stack: ${String(value)}`);
        }
    }
    if (type === 'tvm.Cell' || type === 'tvm.Slice' || type === 'tvm.Builder' || type === 'cell' || type === 'slice') {
        try {
            const cell = Cell.fromBase64(String(value));
            return type.toLowerCase().endsWith('cell')
                ? { type: 'cell', cell }
                : type.toLowerCase().endsWith('builder')
                  ? { type: 'builder', cell }
                  : { type: 'slice', cell };
        } catch {
            throw new V2Error(422, `invalid BOC in stack entry of type ${type}`);
        }
    }
    if (type === 'null') return { type: 'null' };
    throw new V2Error(422, `unsupported stack entry type: ${type}`);
}

/** Forward fee of a message under the basechain's standard message prices (for estimateFee). */
function forwardFee(msg: Cell): bigint {
    const seen = new Set<string>();
    let bits = 0n,
        cells = 0n;
    const walk = (c: Cell) => {
        for (const r of c.refs) {
            const h = r.hash().toString('hex');
            if (seen.has(h)) continue;
            seen.add(h);
            cells++;
            bits += BigInt(r.bits.length);
            walk(r);
        }
    };
    walk(msg);
    return 400000n + ((26214400n * bits + 2621440000n * cells + 65535n) >> 16n);
}

export function v2Methods(chain: LocalChain): Record<string, Method> {
    const getTransactions: Method = (p) => {
        const a = addr(p);
        const limit = Math.min(int(p, 'limit', 10), 1000);
        const ltRaw = p.lt;
        const hashRaw = p.hash;
        let from: { lt: bigint; hash?: Buffer } | undefined;
        if (ltRaw !== undefined && ltRaw !== null && ltRaw !== '') {
            try {
                from = { lt: BigInt(String(ltRaw)) };
            } catch {
                throw new V2Error(422, 'lt must be an integer');
            }
            if (typeof hashRaw === 'string' && hashRaw) {
                const h = /^[0-9a-fA-F]{64}$/.test(hashRaw)
                    ? Buffer.from(hashRaw, 'hex')
                    : Buffer.from(hashRaw.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
                if (h.length !== 32) throw new V2Error(422, 'hash must be 32 bytes (hex or base64)');
                from.hash = h;
            }
        }
        const toLt = p.to_lt !== undefined && p.to_lt !== null && p.to_lt !== '' ? BigInt(String(p.to_lt)) : 0n;
        let txs: TxRecord[];
        try {
            txs = chain.transactions(a, limit, from);
        } catch (e) {
            if (e instanceof LocalChainError) throw new V2Error(404, e.message);
            throw e;
        }
        return txs.filter((t) => t.lt > toLt).map(txJson);
    };

    const locate =
        (mode: 'result' | 'source'): Method =>
        (p) => {
            const source = addr(p, 'source');
            const destination = addr(p, 'destination');
            const createdLt = BigInt(str(p, 'created_lt'));
            const list = chain.accountTransactions(mode === 'result' ? destination : source);
            for (const t of list) {
                const tx = loadTransaction(t.cell.beginParse());
                const msgs = mode === 'result' ? (tx.inMessage ? [tx.inMessage] : []) : [...tx.outMessages.values()];
                for (const m of msgs) {
                    if (m.info.type !== 'internal' || m.info.createdLt !== createdLt) continue;
                    if (m.info.src.equals(source) && m.info.dest.equals(destination)) return txJson(t);
                }
            }
            throw new V2Error(
                404,
                `transaction not found for message ${source.toString()} -> ${destination.toString()} created at lt ${createdLt}`,
            );
        };

    return {
        getAddressInformation: async (p) => {
            const acc = await readAccount(chain, addr(p));
            const last = acc.last ?? { lt: 0n, hash: Buffer.alloc(32) };
            return {
                '@type': 'raw.fullAccountState',
                balance: acc.balance.toString(),
                extra_currencies: [],
                code: acc.code?.toBoc().toString('base64') ?? '',
                data: acc.data?.toBoc().toString('base64') ?? '',
                last_transaction_id: { '@type': 'internal.transactionId', lt: last.lt.toString(), hash: last.hash.toString('base64') },
                block_id: blockIdExt(chain.lastBlock),
                frozen_hash: acc.frozenHash?.toString('base64') ?? '',
                sync_utime: chain.now(),
                state: acc.state === 'active' ? 'active' : acc.state === 'frozen' ? 'frozen' : 'uninitialized',
            };
        },
        getAddressBalance: async (p) => (await readAccount(chain, addr(p))).balance.toString(),
        getAddressState: async (p) => {
            const s = (await readAccount(chain, addr(p))).state;
            return s === 'active' ? 'active' : s === 'frozen' ? 'frozen' : 'uninitialized';
        },
        runGetMethod: async (p) => {
            const a = addr(p);
            const method = str(p, 'method');
            const stackIn = p.stack ?? [];
            if (!Array.isArray(stackIn)) throw new V2Error(422, 'stack must be an array');
            const result = await runGetMethod(chain, a, method, stackIn.map(parseStackArg));
            return {
                '@type': 'smc.runResult',
                gas_used: Number(result.gasUsed),
                exit_code: result.exitCode,
                stack: (result.stack ?? []).map(stackItemJson),
                block_id: blockIdExt(chain.lastBlock),
                last_transaction_id: { '@type': 'internal.transactionId', lt: '0', hash: Buffer.alloc(32).toString('base64') },
            };
        },
        sendBoc: async (p) => {
            await chain.sendExternal(bocParam(p));
            return { '@type': 'ok' };
        },
        sendBocReturnHash: async (p) => {
            const cell = bocParam(p);
            await chain.sendExternal(cell);
            return { '@type': 'raw.extMessageInfo', hash: cell.hash().toString('base64') };
        },
        getTransactions,
        getMasterchainInfo: () => ({
            '@type': 'blocks.masterchainInfo',
            last: blockIdExt(chain.lastBlock),
            init: blockIdExt(chain.firstBlock),
            state_root_hash: chain.lastBlock.rootHash.toString('base64'),
        }),
        shards: (p) => {
            const b = chain.block(int(p, 'seqno'));
            if (!b) throw new V2Error(404, `block ${String(p.seqno)} not found`);
            return { '@type': 'blocks.shards', shards: [blockIdExt(b, 0)] };
        },
        lookupBlock: (p) => {
            const b = p.unixtime !== undefined ? chain.blockByUtime(int(p, 'unixtime')) : chain.block(int(p, 'seqno'));
            if (!b) throw new V2Error(404, 'block not found');
            return blockIdExt(b, int(p, 'workchain', -1));
        },
        getBlockTransactions: (p) => {
            const b = chain.block(int(p, 'seqno'));
            if (!b) throw new V2Error(404, `block ${String(p.seqno)} not found`);
            // A local block holds one whole message chain; answer it in one page by default (TonClient does not page).
            const count = Math.min(int(p, 'count', 1024), 1024);
            const afterLt = p.after_lt !== undefined && p.after_lt !== '' ? BigInt(String(p.after_lt)) : -1n;
            const rest = b.txs.filter((t) => t.lt > afterLt).sort((x, y) => (x.lt < y.lt ? -1 : 1));
            const page = rest.slice(0, count);
            return {
                '@type': 'blocks.transactions',
                id: blockIdExt(b, int(p, 'workchain', -1)),
                req_count: count,
                incomplete: rest.length > page.length,
                transactions: page.map((t) => ({
                    '@type': 'blocks.shortTxId',
                    mode: 135,
                    account: t.account,
                    lt: t.lt.toString(),
                    hash: t.hash.toString('base64'),
                })),
            };
        },
        estimateFee: (p) => {
            const body = p.body ? Cell.fromBase64(String(p.body)) : beginCell().endCell();
            const fwd = forwardFee(body);
            return {
                '@type': 'query.fees',
                source_fees: { '@type': 'fees', in_fwd_fee: Number(fwd), storage_fee: 0, gas_fee: 0, fwd_fee: 0 },
                destination_fees: [],
            };
        },
        tryLocateTx: locate('result'),
        tryLocateResultTx: locate('result'),
        tryLocateSourceTx: locate('source'),
    };
}

function bocParam(p: Params): Cell {
    const raw = p.boc;
    if (typeof raw !== 'string' || !raw) throw new V2Error(422, "parameter 'boc' is required (base64 BOC of an external message)");
    let cell: Cell;
    try {
        cell = Cell.fromBase64(raw);
        loadMessage(cell.beginParse());
    } catch {
        throw new V2Error(422, 'boc is not a valid serialized message');
    }
    return cell;
}

export function v2Router(chain: LocalChain, opts: { methodPaths: boolean } = { methodPaths: true }): Router {
    const methods = v2Methods(chain);
    const r = Router();

    const call = async (method: string, params: Params): Promise<{ status: number; body: Record<string, unknown> }> => {
        // A method name from the URL or body: never one of Object.prototype's members (constructor, toString...).
        const fn = Object.hasOwn(methods, method) ? methods[method] : undefined;
        if (!fn) return { status: 404, body: { ok: false, error: `Method not found: ${method}`, code: 404 } };
        try {
            return { status: 200, body: { ok: true, result: await fn(params) } };
        } catch (e) {
            const code = e instanceof V2Error ? e.code : e instanceof LocalChainError ? e.code : 500;
            return { status: code, body: { ok: false, error: (e as Error).message, code } };
        }
    };

    const jsonRpc = async (req: Request, res: Response) => {
        const body = req.body as { id?: unknown; jsonrpc?: unknown; method?: unknown; params?: unknown } | undefined;
        if (!body || typeof body.method !== 'string') {
            res.status(400).json({
                ok: false,
                error: 'expected a JSON-RPC body {"method": "...", "params": {...}}',
                code: 400,
                id: body?.id ?? null,
                jsonrpc: '2.0',
            });
            return;
        }
        const params = body.params && typeof body.params === 'object' ? (body.params as Params) : {};
        const out = await call(body.method, params);
        res.status(out.status).json({ ...out.body, id: body.id ?? null, jsonrpc: '2.0' });
    };
    r.post('/jsonRPC', jsonRpc);
    if (!opts.methodPaths) return r;

    const byPath = async (req: Request, res: Response) => {
        const params = { ...(req.query as Params), ...((req.body as Params | undefined) ?? {}) };
        if (typeof params.stack === 'string') {
            try {
                params.stack = JSON.parse(params.stack);
            } catch {
                params.stack = undefined;
            }
        }
        const out = await call(req.params.method as string, params);
        res.status(out.status).json(out.body);
    };
    r.get('/:method', byPath);
    r.post('/:method', byPath);
    return r;
}
