/**
 * Transaction -> typed events. Message layouts come from the message catalogue (wrappers/messages.ts,
 * one definition per message); this file only says what each message *means* for the network's history:
 * which event it is, who it involves, how much money or how many tokens it moves.
 */
import type { Cell } from '@ton/core';
import type { EventType, ProxySaveStatePayload } from '../domain';
import type { Decoder } from './ports';
import { txFacts, type OutMessage, type TxFacts } from './txfacts';
import type { ChainTx, DecodedEvent, DecodedTx, KnownAccount } from './types';
import { uint256Hex } from '../../wrappers/uint256';

/** A decoded message body: its catalogue name and fields (bigint, Address, Cell, nested objects). */
export interface DecodedMessage {
    name: string;
    op: number;
    fields: Record<string, unknown>;
}

/** What the decoder needs from the message catalogue. */
export interface MessageCatalogue {
    /** Decodes a body by its opcode; null for an unknown opcode or a body that does not parse. */
    decode(body: Cell): DecodedMessage | null;
    /** Name of a known opcode (used to label bodies that did not parse). */
    nameOf(op: number): string | null;
}

interface Ctx {
    acc: KnownAccount;
    facts: TxFacts;
    msg: DecodedMessage;
    /** Out messages with their catalogue names (bodies are not decoded: names and values are all events need). */
    out: (OutMessage & { name: string | null })[];
    profileOf?: (cell: Cell) => unknown;
}

type Handler = (c: Ctx) => DecodedEvent[];

/** Fields left out of event payloads: a signature is of no use once the chain has accepted it. */
const OMIT = new Set(['signature']);

/** JSON-safe copy of decoded fields (bigints and addresses as strings, cells as base64 BOC, buffers as hex). */
export function plain(v: unknown): unknown {
    if (typeof v === 'bigint') return v.toString();
    if (v === null || v === undefined) return null;
    if (Buffer.isBuffer(v)) return v.toString('hex');
    if (typeof v === 'object') {
        const o = v as { toRawString?: () => string; toBoc?: () => Buffer; asCell?: () => { toBoc(): Buffer } };
        if (typeof o.toRawString === 'function') return o.toRawString();
        if (typeof o.toBoc === 'function') return o.toBoc().toString('base64');
        // A slice (`as remaining` fields such as the root's proxy descriptor), as the cell of its bits.
        if (typeof o.asCell === 'function') return o.asCell().toBoc().toString('base64');
        if (Array.isArray(v)) return v.map(plain);
        return Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
                .filter(([k]) => !OMIT.has(k))
                .map(([k, x]) => [k, plain(x)]),
        );
    }
    return v;
}

/** Reads a field by path ("payload.newTokens"), walking nested decoded structures. */
function get(fields: Record<string, unknown>, path: string): unknown {
    let cur: unknown = fields;
    for (const key of path.split('.')) {
        if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
        cur = (cur as Record<string, unknown>)[key];
    }
    return cur;
}

export function bigField(fields: Record<string, unknown>, ...paths: string[]): bigint | null {
    for (const p of paths) {
        const v = get(fields, p);
        if (typeof v === 'bigint') return v;
        if (typeof v === 'number') return BigInt(v);
    }
    return null;
}

export function addrField(fields: Record<string, unknown>, ...paths: string[]): string | null {
    for (const p of paths) {
        const v = get(fields, p) as { toRawString?: () => string } | undefined;
        if (v && typeof v.toRawString === 'function') return v.toRawString();
    }
    return null;
}

const payload = (c: Ctx, extra: Record<string, unknown> = {}) => ({
    message: c.msg.name,
    ...(plain(c.msg.fields) as Record<string, unknown>),
    ...extra,
});
const one = (type: EventType, c: Ctx, e: Partial<DecodedEvent> = {}): DecodedEvent[] => [{ type, payload: payload(c), ...e }];

/** The proxy contract a client or worker message was forwarded to (its first out message), else its known parent. */
const proxyOf = (c: Ctx) => c.out.find((o) => o.dest && o.dest === c.acc.parent)?.dest ?? c.out[0]?.dest ?? c.acc.parent;
/** Sum of `payout` messages sent (what actually reached a human's wallet). */
const paidOut = (c: Ctx) => c.out.filter((o) => o.name === 'payout').reduce((a, o) => a + o.value, 0n);
const firstPayoutDest = (c: Ctx) => c.out.find((o) => o.name === 'payout')?.dest ?? null;

const root =
    (type: EventType, extra: (c: Ctx) => Record<string, unknown> = () => ({})): Handler =>
    (c) => [{ type, payload: payload(c, extra(c)) }];

/** By catalogue name; a Map, because names come from chain data and must never reach Object.prototype. */
const HANDLERS = new Map<string, Handler>(
    Object.entries({
        // Root: registry and params.
        root_add_worker_type: root('registry_change', () => ({ action: 'add', list: 'worker' })),
        root_del_worker_type: root('registry_change', () => ({ action: 'delete', list: 'worker' })),
        root_add_model_type: root('registry_change', () => ({ action: 'add', list: 'model' })),
        root_del_model_type: root('registry_change', () => ({ action: 'delete', list: 'model' })),
        root_add_proxy_type: root('registry_change', () => ({ action: 'add', list: 'proxy' })),
        root_del_proxy_type: root('registry_change', () => ({ action: 'delete', list: 'proxy' })),
        root_reset: root('registry_change', () => ({ action: 'reset' })),
        root_register_proxy: root('proxy_registered'),
        root_unregister_proxy: root('proxy_unregistered'),
        root_update_proxy: root('proxy_updated'),
        root_change_price: root('params_changed'),
        root_change_fees: root('params_changed'),
        root_change_params_full: root('params_changed'),
        root_change_params: root('params_changed'),
        root_upgrade_contracts: root('params_changed'),
        root_upgrade: root('root_upgraded'),
        root_upgrade_full: root('root_upgraded'),
        root_change_owner: (c) => one('root_owner_changed', c, { owner: addrField(c.msg.fields, 'newOwner', 'newOwnerAddress') }),

        // Client contract.
        ext_client_top_up: (c) =>
            one('deposit', c, {
                client: c.acc.address,
                proxy: proxyOf(c),
                owner: c.acc.owner,
                amount: bigField(c.msg.fields, 'amount', 'topUpAmount'),
            }),
        owner_client_change_secret_hash_and_top_up: (c) => [
            ...one('deposit', c, {
                client: c.acc.address,
                proxy: proxyOf(c),
                owner: c.acc.owner,
                amount: bigField(c.msg.fields, 'amount', 'topUpAmount'),
            }),
            ...one('secret_changed', c, { client: c.acc.address, owner: c.acc.owner }),
        ],
        owner_client_register: (c) => one('client_register', c, { client: c.acc.address, proxy: proxyOf(c), owner: c.acc.owner }),
        owner_client_change_secret_hash: (c) => one('secret_changed', c, { client: c.acc.address, owner: c.acc.owner }),
        owner_client_increase_stake: (c) => one('stake', c, { client: c.acc.address, proxy: proxyOf(c), owner: c.acc.owner }),
        owner_client_withdraw: (c) => one('withdraw_request', c, { client: c.acc.address, proxy: proxyOf(c), owner: c.acc.owner }),
        owner_client_request_refund: (c) => one('close', c, { client: c.acc.address, proxy: proxyOf(c), owner: c.acc.owner }),
        ext_client_charge_signed: (c) =>
            one('charge', c, { client: c.acc.address, proxy: proxyOf(c), owner: c.acc.owner, cumulativeTokens: tokensOf(c) }),
        ext_client_grant_refund_signed: (c) => [
            ...one('charge', c, { client: c.acc.address, proxy: proxyOf(c), owner: c.acc.owner, cumulativeTokens: tokensOf(c) }),
            { type: 'close', client: c.acc.address, proxy: proxyOf(c), owner: c.acc.owner, payload: payload(c, { phase: 'closed' }) },
        ],

        // Proxy contract: what clients and workers forward, and the proxy's own operations.
        client_proxy_request: (c) => clientToProxy(c),
        worker_proxy_request: (c) => workerToProxy(c),
        ext_proxy_payout_request: (c) => one('commission_withdrawal', c, { proxy: c.acc.address, owner: c.acc.owner, amount: paidOut(c) }),
        ext_proxy_increase_stake: (c) =>
            one('stake', c, { proxy: c.acc.address, amount: bigField(c.msg.fields, 'grams', 'amount', 'stake') }),
        owner_proxy_close: (c) => one('close', c, { proxy: c.acc.address, owner: c.acc.owner, payload: payload(c, { phase: 'closing' }) }),
        ext_proxy_close_request_signed: (c) =>
            one('close', c, { proxy: c.acc.address, owner: c.acc.owner, payload: payload(c, { phase: 'closing' }) }),
        ext_proxy_close_complete_request_signed: (c) =>
            one('close', c, { proxy: c.acc.address, owner: c.acc.owner, amount: paidOut(c), payload: payload(c, { phase: 'closed' }) }),

        // Worker contract.
        ext_worker_payout_request_signed: (c) =>
            one('payout_request', c, { worker: c.acc.address, proxy: proxyOf(c), owner: c.acc.owner, cumulativeTokens: tokensOf(c) }),
        ext_worker_last_payout_request_signed: (c) => [
            ...one('payout_request', c, { worker: c.acc.address, proxy: proxyOf(c), owner: c.acc.owner, cumulativeTokens: tokensOf(c) }),
            { type: 'close', worker: c.acc.address, proxy: proxyOf(c), owner: c.acc.owner, payload: payload(c, { phase: 'closed' }) },
        ],
        owner_worker_register: (c) => one('worker_register', c, { worker: c.acc.address, proxy: proxyOf(c), owner: c.acc.owner }),

        // GPU owners' registry (beyond the original): the profile history and the status changes.
        owner_registry_register: (c) => gpu('gpu_register', c),
        owner_registry_update: (c) => gpu('gpu_update', c),
        owner_registry_pause: (c) => gpu('gpu_status', c, 'paused'),
        owner_registry_resume: (c) => gpu('gpu_status', c, 'active'),
        owner_registry_retire: (c) => gpu('gpu_status', c, 'retired'),
        owner_registry_withdraw: (c) => gpu('gpu_status', c, 'withdrawn', paidBack(c)),
    } satisfies Record<string, Handler>),
);

/**
 * A registry event. The profile cell is replaced by its decoded form (the catalogue gives the cell; the
 * layout belongs to the wrapper, passed in as `profileOf`), so the history reads without a BOC decoder.
 */
function gpu(type: EventType, c: Ctx, status?: string, amount?: bigint): DecodedEvent[] {
    const cell = c.msg.fields.profile as Cell | undefined;
    const extra: Record<string, unknown> = status ? { status } : {};
    if (cell && typeof cell.beginParse === 'function') extra.profile = c.profileOf?.(cell) ?? null;
    return [{ type, owner: c.acc.owner, amount: amount ?? null, payload: payload(c, extra) }];
}

/** What the registry sent back to its owner (the deposit on withdraw, with the excess). */
const paidBack = (c: Ctx) => c.out.filter((o) => o.dest === c.acc.owner).reduce((a, o) => a + o.value, 0n);

/** The cumulative counter of a signed envelope, from its (catalogue-decoded) signed payload. */
function tokensOf(c: Ctx): bigint | undefined {
    return bigField(c.msg.fields, 'payload.fields.newTokensUsed', 'payload.fields.newTokens') ?? undefined;
}

/** The optional payload cell forwarded with client_proxy_request / worker_proxy_request, decoded. */
function innerPayload(c: Ctx): DecodedMessage | null {
    const p = get(c.msg.fields, 'payload');
    if (p && typeof p === 'object' && 'name' in (p as object) && 'fields' in (p as object)) return p as DecodedMessage;
    return null;
}

function clientToProxy(c: Ctx): DecodedEvent[] {
    const client = c.facts.source;
    const inner = innerPayload(c);
    const base = { proxy: c.acc.address, client, owner: addrField(c.msg.fields, 'ownerAddress', 'owner') };
    switch (inner?.name) {
        case 'client_proxy_refund_granted':
        case 'client_proxy_refund_force':
            return [
                {
                    type: 'refund',
                    ...base,
                    amount: paidOut(c),
                    payload: payload(c, {
                        kind: inner.name === 'client_proxy_refund_force' ? 'force' : 'granted',
                        requested: plain(bigField(inner.fields, 'coins', 'amount')),
                    }),
                },
            ];
        case 'client_proxy_register':
            return [{ type: 'client_register', ...base, payload: payload(c) }];
        default:
            return [{ type: 'state_notification', ...base, payload: payload(c, { kind: inner?.name ?? 'notification' }) }];
    }
}

function workerToProxy(c: Ctx): DecodedEvent[] {
    const worker = c.facts.source;
    const inner = innerPayload(c);
    const owner = addrField(c.msg.fields, 'ownerAddress', 'owner');
    if (inner?.name === 'worker_proxy_payout_request') {
        const workerPart = bigField(inner.fields, 'workerPart') ?? paidOut(c);
        const proxyPart = bigField(inner.fields, 'proxyPart') ?? 0n;
        return [
            { type: 'payout', proxy: c.acc.address, worker, owner: firstPayoutDest(c) ?? owner, amount: workerPart, payload: payload(c) },
            {
                type: 'commission',
                proxy: c.acc.address,
                worker,
                amount: proxyPart,
                payload: { message: c.msg.name, workerPart: workerPart.toString(), proxyPart: proxyPart.toString() },
            },
        ];
    }
    return [
        { type: 'state_notification', proxy: c.acc.address, worker, owner, payload: payload(c, { kind: inner?.name ?? 'notification' }) },
    ];
}

/** Text commands (op 0): the proxy's "c" (close) and "w" (withdraw), the wallet's "w", "b", "u". */
function textCommand(body: Cell | null): string | null {
    if (!body) return null;
    const s = body.beginParse();
    if (s.remainingBits < 40 || s.loadUint(32) !== 0) return null;
    return String.fromCharCode(s.loadUint(8));
}

function walletEvents(acc: KnownAccount, facts: TxFacts, msg: DecodedMessage | null, out: Ctx['out']): DecodedEvent[] {
    if (facts.external) {
        const messages = out.map((o) => ({ dest: o.dest, value: o.value.toString(), message: o.name }));
        return [{ type: 'wallet_send', owner: acc.owner, amount: out.reduce((a, o) => a + o.value, 0n), payload: { messages } }];
    }
    const text = textCommand(facts.body);
    if (facts.source && facts.source === acc.owner && (text || (msg && msg.name !== 'excesses' && msg.name !== 'payout'))) {
        return [
            {
                type: 'wallet_admin',
                owner: acc.owner,
                payload: { message: msg?.name ?? `text:${text}`, ...(msg ? (plain(msg.fields) as object) : {}) },
            },
        ];
    }
    return [
        {
            type: 'wallet_receive',
            owner: acc.owner,
            amount: facts.inValue,
            payload: { from: facts.source, message: msg?.name ?? (text ? `text:${text}` : null) },
        },
    ];
}

export class CatalogueDecoder implements Decoder {
    /** `profileOf` decodes a registry profile cell (indexer/protocol.ts gpuProfileOf). */
    constructor(
        private catalogue: MessageCatalogue,
        private profileOf?: (cell: Cell) => unknown,
    ) {}

    decode(t: ChainTx, acc: KnownAccount): DecodedTx {
        const facts = txFacts(t.tx);
        const decodeBody = (b: Cell | null) => {
            if (!b) return null;
            try {
                return this.catalogue.decode(b);
            } catch {
                return null;
            }
        };
        const msg = facts.bounced ? null : decodeBody(facts.body);
        const out = facts.outMessages.map((o) => Object.assign(o, { name: o.op === null ? null : this.catalogue.nameOf(o.op) }));
        const opName = msg?.name ?? (facts.op === null ? null : facts.op === 0 ? textOpName(facts.body) : this.catalogue.nameOf(facts.op));
        const events: DecodedEvent[] = [];
        if (facts.deployed)
            events.push({ type: 'deploy', success: true, owner: acc.owner, payload: { kind: acc.kind, codeHash: acc.codeHash } });
        if (!facts.bounced) {
            if (acc.kind === 'wallet') events.push(...walletEvents(acc, facts, msg, out));
            else if (msg && (msg.name === 'do_not_process' || msg.name === 'proxy_save_state'))
                events.push(...saveState(acc, msg, facts.source));
            else if (msg && HANDLERS.has(msg.name))
                events.push(...HANDLERS.get(msg.name)!({ acc, facts, msg, out, profileOf: this.profileOf }));
            else if (facts.op === 0 && acc.kind === 'proxy') events.push(...proxyText(acc, facts, out));
            else if (facts.op !== null && facts.op !== 0 && !msg && !isNote(opName))
                events.push({ type: 'unknown', payload: { op: facts.op, name: opName } });
        }
        const { body: _body, outMessages: _out, ...rest } = facts;
        return {
            ...rest,
            opName,
            outMsgs: out.length,
            outMessages: out.map((o) => ({ dest: o.dest, value: o.value, op: o.op, name: o.name, createdLt: o.createdLt })),
            events,
        };
    }
}

/** Messages every contract accepts and ignores (excesses, payouts arriving) carry no event of their own. */
const isNote = (name: string | null) => name === 'excesses' || name === 'payout';

function textOpName(body: Cell | null): string | null {
    const t = textCommand(body);
    return t ? `text:${t}` : 'text';
}

function proxyText(acc: KnownAccount, facts: TxFacts, out: Ctx['out']): DecodedEvent[] {
    const t = textCommand(facts.body);
    const paid = out.filter((o) => o.name === 'payout').reduce((a, o) => a + o.value, 0n);
    if (t === 'w')
        return [{ type: 'commission_withdrawal', proxy: acc.address, owner: acc.owner, amount: paid, payload: { message: 'text:w' } }];
    if (t === 'c') return [{ type: 'close', proxy: acc.address, owner: acc.owner, payload: { message: 'text:c', phase: 'closing' } }];
    return [];
}

/**
 * `do_not_process` notes to a proxy contract are its runner's save-state commits: the catalogue names a
 * note that carries the commit `proxy_save_state` (fields queryId, seqno, sessionHash); any other note
 * stays `do_not_process` (queryId only). Both become a `save_state` event (payload: ProxySaveStatePayload).
 */
function saveState(acc: KnownAccount, msg: DecodedMessage, source: string | null): DecodedEvent[] {
    if (acc.kind !== 'proxy') return [];
    const f = msg.fields;
    const commit = msg.name === 'proxy_save_state' && typeof f.sessionHash === 'bigint';
    const payload: ProxySaveStatePayload = {
        message: msg.name === 'proxy_save_state' ? 'proxy_save_state' : 'do_not_process',
        from: source,
        queryId: typeof f.queryId === 'bigint' ? f.queryId.toString() : null,
        seqno: commit ? Number(f.seqno) : null,
        sessionHash: commit ? uint256Hex(f.sessionHash as bigint) : null,
    };
    return [{ type: 'save_state', proxy: acc.address, payload: payload as unknown as Record<string, unknown> }];
}
