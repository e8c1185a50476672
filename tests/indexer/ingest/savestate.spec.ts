/**
 * The proxy runner's save-state note (wrappers/signed.ts saveStateNote: do_not_process + random, then
 * proxy_save_state seqno session_unique_hash) becomes a typed `save_state` event with the commit's seqno
 * and session hash, stored and served by /api/events.
 */
import { Address, beginCell } from '@ton/core';
import { storeDoNotProcess } from '../../../wrappers/CocoonProxy';
import { saveStateNote } from '../../../wrappers/signed';
import { startApiServer, type ApiServer } from '../../../indexer/api/server';
import type { EventInfo, Page, ProxySaveStatePayload } from '../../../indexer/api/types';
import { CatalogueDecoder } from '../../../indexer/ingest/decoder';
import { writeBatch } from '../../../indexer/ingest/store';
import { fromCoreTransaction } from '../../../indexer/ingest/txfacts';
import type { KnownAccount } from '../../../indexer/ingest/types';
import { silentLogger } from '../../../node/common/log';
import { cocoonProtocol } from '../../../indexer/protocol';
import { openTestDatabase, type TestDatabase } from '../helpers/db';
import { buildTransaction } from '../helpers/txbuild';

const raw = (n: number) => Address.parseRaw(`0:${n.toString(16).padStart(64, '0')}`);
const PROXY = raw(10);
const RUNNER_WALLET = raw(40);
const proxy: KnownAccount = {
    address: PROXY.toRawString(),
    kind: 'proxy',
    codeHash: null,
    paramsVersion: 1,
    parent: raw(1).toRawString(),
    owner: RUNNER_WALLET.toRawString(),
    pricePerToken: 10n,
    workerFeePerToken: 9n,
};
const decoder = new CatalogueDecoder(cocoonProtocol().catalogue);
const SESSION = 0x1234_5678_9abc_def0_1122_3344_5566_7788_99aa_bbcc_ddee_ff00_0102_0304_0506_0708n;

function decode(body: import('@ton/core').Cell, lt: bigint) {
    const tx = buildTransaction({
        account: PROXY,
        lt,
        now: 1_800_000_000 + Number(lt),
        prevLt: lt - 1n,
        prevHash: 1n,
        src: RUNNER_WALLET,
        value: 1n,
        body,
    });
    const hash = tx.hash().toString('hex');
    const t = { account: proxy.address, lt: tx.lt, hash, utime: tx.now, seqno: 1, tx: fromCoreTransaction(tx) };
    return { chain: { account: t.account, lt: t.lt, hash, utime: t.utime, seqno: 1 }, decoded: decoder.decode(t, proxy) };
}

describe('proxy save-state notes', () => {
    it('decode into save_state events with seqno and session hash', () => {
        const { decoded } = decode(saveStateNote(-7 + 19, SESSION, 0xabcdefn), 10n);
        expect(decoded.opName).toBe('proxy_save_state');
        expect(decoded.events).toEqual([
            {
                type: 'save_state',
                proxy: PROXY.toRawString(),
                payload: {
                    message: 'proxy_save_state',
                    from: RUNNER_WALLET.toRawString(),
                    queryId: String(0xabcdef),
                    seqno: 12,
                    sessionHash: SESSION.toString(16).padStart(64, '0'),
                } satisfies ProxySaveStatePayload,
            },
        ]);
        // A bare do_not_process note (no commit after the query id) stays a note without seqno.
        const bare = decode(
            beginCell()
                .store(storeDoNotProcess({ $$type: 'DoNotProcess', queryId: 42n }))
                .endCell(),
            11n,
        ).decoded;
        expect(bare.opName).toBe('do_not_process');
        expect(bare.events[0].payload).toEqual({
            message: 'do_not_process',
            from: RUNNER_WALLET.toRawString(),
            queryId: '42',
            seqno: null,
            sessionHash: null,
        });
        // Negative seqnos (int32) survive.
        expect(decode(saveStateNote(-3, 1n, 0n), 12n).decoded.events[0].payload).toMatchObject({
            seqno: -3,
            sessionHash: '0'.repeat(63) + '1',
        });
    });

    describe('in the events API', () => {
        let database: TestDatabase;
        let server: ApiServer;
        beforeAll(async () => {
            database = await openTestDatabase();
            const txs = [decode(saveStateNote(5, SESSION, 1n), 20n), decode(saveStateNote(6, SESSION, 2n), 21n)].map((d) => ({
                account: proxy,
                ...d,
                pending: false,
            }));
            await writeBatch(database.db, { txs, accounts: [] });
            server = await startApiServer({ database, log: silentLogger, webDir: null, opcodes: [] });
        });
        afterAll(async () => {
            await server?.close();
            await database?.close();
        });

        it('lists them with their fields', async () => {
            const res = await fetch(`${server.url}/api/events?type=save_state&proxy=${PROXY.toRawString()}`);
            expect(res.status).toBe(200);
            const page = (await res.json()) as Page<EventInfo>;
            expect(page.items.map((e) => e.payload as unknown as ProxySaveStatePayload)).toEqual([
                {
                    message: 'proxy_save_state',
                    from: RUNNER_WALLET.toRawString(),
                    queryId: '2',
                    seqno: 6,
                    sessionHash: SESSION.toString(16).padStart(64, '0'),
                },
                {
                    message: 'proxy_save_state',
                    from: RUNNER_WALLET.toRawString(),
                    queryId: '1',
                    seqno: 5,
                    sessionHash: SESSION.toString(16).padStart(64, '0'),
                },
            ]);
            expect(page.items.every((e) => e.type === 'save_state' && e.proxy === PROXY.toRawString() && e.success)).toBe(true);
        });
    });
});
