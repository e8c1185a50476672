/**
 * The decoder over the wrappers' catalogue, for the flows the end-to-end lifecycle does not drive:
 * refunds (granted and forced), grant-refund and last payout (which also close), owner operations,
 * proxy close and text commands, notes, bounced and unknown messages.
 */
import { Address, beginCell, Cell } from '@ton/core';
import {
    storeClientProxyRefundForce,
    storeClientProxyRefundGranted,
    storeClientProxyRequest,
    storeClientStateData,
    storeDoNotProcess,
    storeOwnerClientChangeSecretHashAndTopUp,
    storeOwnerClientIncreaseStake,
    storeOwnerClientRequestRefund,
    storeOwnerProxyClose,
    storePayout,
} from '../../../wrappers/CocoonProxy';
import { paymentPayload, wrapSigned, SIGNED_OP } from '../../../wrappers/signed';
import { CatalogueDecoder } from '../../../indexer/ingest/decoder';
import { fromCoreTransaction } from '../../../indexer/ingest/txfacts';
import type { KnownAccount } from '../../../indexer/ingest/types';
import { cocoonProtocol } from '../../../indexer/protocol';
import { buildTransaction, type OutSpec } from '../helpers/txbuild';

const raw = (n: number) => Address.parseRaw(`0:${n.toString(16).padStart(64, '0')}`);
const PROXY = raw(10);
const CLIENT = raw(20);
const WORKER = raw(30);
const OWNER = raw(40);
const known = (a: Address, kind: KnownAccount['kind'], parent: Address | null): KnownAccount => ({
    address: a.toRawString(),
    kind,
    codeHash: null,
    paramsVersion: 1,
    parent: parent?.toRawString() ?? null,
    owner: OWNER.toRawString(),
    pricePerToken: 10n,
    workerFeePerToken: 9n,
});
const decoder = new CatalogueDecoder(cocoonProtocol().catalogue);
const cell = (store: (b: import('@ton/core').Builder) => void) => beginCell().store(store).endCell();
const payout = (value: bigint): OutSpec => ({
    dest: OWNER,
    value,
    body: cell(storePayout({ $$type: 'Payout', queryId: 1n })),
    bounce: false,
});

function decode(acc: KnownAccount, body: Cell, opts: { src?: Address; out?: OutSpec[]; success?: boolean; bounced?: boolean } = {}) {
    const tx = buildTransaction({
        account: Address.parse(acc.address),
        lt: 100n,
        now: 1_800_000_000,
        prevLt: 1n,
        prevHash: 1n,
        body,
        value: 10n ** 9n,
        ...opts,
    });
    return decoder.decode(
        { account: acc.address, lt: tx.lt, hash: 'ab'.repeat(32), utime: tx.now, seqno: 1, tx: fromCoreTransaction(tx) },
        acc,
    );
}

const clientRequest = (payload: Cell | null) =>
    cell(
        storeClientProxyRequest({
            $$type: 'ClientProxyRequest',
            queryId: 3n,
            ownerAddress: OWNER,
            stateData: cell(
                storeClientStateData({
                    $$type: 'ClientStateData',
                    state: 2n,
                    balance: 0n,
                    stake: 10n ** 9n,
                    tokensUsed: 500n,
                    secretHash: 0n,
                }),
            ),
            payload,
        }),
    );

describe('CatalogueDecoder', () => {
    it('turns granted and forced refunds into refund events paid to the owner', () => {
        const granted = decode(
            known(PROXY, 'proxy', null),
            clientRequest(cell(storeClientProxyRefundGranted({ $$type: 'ClientProxyRefundGranted', coins: 700n, sendExcessesTo: OWNER }))),
            { src: CLIENT, out: [payout(700n)] },
        );
        expect(granted.opName).toBe('client_proxy_request');
        expect(granted.events).toEqual([
            expect.objectContaining({
                type: 'refund',
                proxy: PROXY.toRawString(),
                client: CLIENT.toRawString(),
                owner: OWNER.toRawString(),
                amount: 700n,
                payload: expect.objectContaining({ kind: 'granted', requested: '700' }),
            }),
        ]);
        const forced = decode(
            known(PROXY, 'proxy', null),
            clientRequest(
                cell(storeClientProxyRefundForce({ $$type: 'ClientProxyRefundForce', coins: 5n * 10n ** 9n, sendExcessesTo: OWNER })),
            ),
            { src: CLIENT, out: [payout(10n ** 9n)] },
        );
        // Capped by the proxy stake: the amount is what was actually paid.
        expect(forced.events[0]).toMatchObject({ type: 'refund', amount: 10n ** 9n, payload: { kind: 'force' } });
        const notice = decode(known(PROXY, 'proxy', null), clientRequest(null), { src: CLIENT });
        expect(notice.events).toEqual([
            expect.objectContaining({
                type: 'state_notification',
                client: CLIENT.toRawString(),
                payload: expect.objectContaining({
                    kind: 'notification',
                    stateData: expect.objectContaining({ state: '2', tokensUsed: '500' }),
                }),
            }),
        ]);
    });

    it('decodes signed grant-refund and last payout as a counter plus a close', () => {
        const signed = (op: typeof SIGNED_OP.clientGrantRefund | typeof SIGNED_OP.workerLastPayout, target: Address, tokens: bigint) =>
            wrapSigned(op, 4n, OWNER, { payload: paymentPayload(op, 4n, tokens, target), signature: Buffer.alloc(64) });
        const grant = decode(known(CLIENT, 'client', PROXY), signed(SIGNED_OP.clientGrantRefund, CLIENT, 900n), {
            out: [{ dest: PROXY, value: 10n, body: clientRequest(null) }],
        });
        expect(grant.events.map((e) => [e.type, e.cumulativeTokens ?? null, e.proxy])).toEqual([
            ['charge', 900n, PROXY.toRawString()],
            ['close', null, PROXY.toRawString()],
        ]);
        expect(grant.events[1].payload).toMatchObject({ phase: 'closed' });
        const last = decode(known(WORKER, 'worker', PROXY), signed(SIGNED_OP.workerLastPayout, WORKER, 321n), {
            out: [{ dest: PROXY, value: 10n, body: Cell.EMPTY }],
        });
        expect(last.events.map((e) => [e.type, e.cumulativeTokens ?? null])).toEqual([
            ['payout_request', 321n],
            ['close', null],
        ]);
    });

    it('decodes owner operations, failures keep their events', () => {
        const client = known(CLIENT, 'client', PROXY);
        const both = decode(
            client,
            cell(
                storeOwnerClientChangeSecretHashAndTopUp({
                    $$type: 'OwnerClientChangeSecretHashAndTopUp',
                    queryId: 1n,
                    topUpAmount: 3n * 10n ** 9n,
                    newSecretHash: 5n,
                    sendExcessesTo: OWNER,
                }),
            ),
            { src: OWNER },
        );
        expect(both.events.map((e) => [e.type, e.amount ?? null])).toEqual([
            ['deposit', 3n * 10n ** 9n],
            ['secret_changed', null],
        ]);
        const stake = decode(
            client,
            cell(
                storeOwnerClientIncreaseStake({
                    $$type: 'OwnerClientIncreaseStake',
                    queryId: 1n,
                    newStake: 2n * 10n ** 9n,
                    sendExcessesTo: OWNER,
                }),
            ),
            { src: OWNER, success: false },
        );
        expect(stake).toMatchObject({ success: false, exitCode: 1000, opName: 'owner_client_increase_stake' });
        expect(stake.events[0]).toMatchObject({ type: 'stake', payload: { newStake: '2000000000' } });
        const refund = decode(
            client,
            cell(storeOwnerClientRequestRefund({ $$type: 'OwnerClientRequestRefund', queryId: 1n, sendExcessesTo: OWNER })),
            { src: OWNER },
        );
        expect(refund.events[0].type).toBe('close');
    });

    it('decodes proxy close, text commands and save-state notes', () => {
        const proxy = known(PROXY, 'proxy', raw(1));
        expect(
            decode(proxy, cell(storeOwnerProxyClose({ $$type: 'OwnerProxyClose', queryId: 1n, sendExcessesTo: OWNER })), { src: OWNER })
                .events[0],
        ).toMatchObject({ type: 'close', payload: { phase: 'closing' } });
        const w = decode(proxy, beginCell().storeUint(0, 32).storeStringTail('w').endCell(), { src: OWNER, out: [payout(123n)] });
        expect(w.opName).toBe('text:w');
        expect(w.events[0]).toMatchObject({ type: 'commission_withdrawal', amount: 123n });
        expect(decode(proxy, beginCell().storeUint(0, 32).storeStringTail('c').endCell(), { src: OWNER }).events[0]).toMatchObject({
            type: 'close',
        });
        const note = decode(proxy, cell(storeDoNotProcess({ $$type: 'DoNotProcess', queryId: 42n })), { src: OWNER });
        expect(note.events).toEqual([
            expect.objectContaining({
                type: 'save_state',
                proxy: PROXY.toRawString(),
                payload: expect.objectContaining({ queryId: '42', from: OWNER.toRawString() }),
            }),
        ]);
    });

    it('labels bounced, unknown and note messages without inventing events', () => {
        const proxy = known(PROXY, 'proxy', null);
        const bounced = decode(proxy, clientRequest(null), { src: CLIENT, bounced: true });
        expect(bounced).toMatchObject({ bounced: true, events: [] });
        const unknown = decode(proxy, beginCell().storeUint(0xdeadbeef, 32).storeUint(0, 64).endCell(), { src: CLIENT });
        expect(unknown.events).toEqual([{ type: 'unknown', payload: { op: 0xdeadbeef, name: null } }]);
        const excesses = decode(known(OWNER, 'wallet', null), cell(storePayout({ $$type: 'Payout', queryId: 9n })), { src: PROXY });
        expect(excesses.events).toEqual([
            expect.objectContaining({
                type: 'wallet_receive',
                amount: 10n ** 9n,
                payload: { from: PROXY.toRawString(), message: 'payout' },
            }),
        ]);
    });
});
