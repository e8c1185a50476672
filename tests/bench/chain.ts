/**
 * `npm run bench -- chain`: local chain throughput and latency.
 *   - transfers/s through HTTP sendBoc (toncenter v2) and POST /send (v4) vs the same transfers
 *     sent to the chain in-process (the baseline: no HTTP, no JSON);
 *   - page latency p50/p95 of v4 account-transaction pages and v2 getTransactions.
 * Ends with one `RESULT {json}` line.
 */
import { Address, beginCell, external, internal, SendMode, storeMessage, toNano, type Cell } from '@ton/core';
import { mnemonicToPrivateKey } from '@ton/crypto';
import { TonClient, TonClient4, WalletContractV4 } from '@ton/ton';
import { startLocalChain } from '../../node/localchain/server';

const N = Number(process.env.BENCH_CHAIN_TX ?? 200);
const PAGES = Number(process.env.BENCH_CHAIN_PAGES ?? 200);

function pct(xs: number[], p: number): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function main(): Promise<void> {
    const chain = await startLocalChain({ wallets: 3 });
    try {
        const keys = await Promise.all(chain.wallets.map((w) => mnemonicToPrivateKey(w.mnemonic)));
        const wallets = keys.map((k) => WalletContractV4.create({ workchain: 0, publicKey: k.publicKey }));
        const sink = Address.parse(`0:${'cd'.repeat(32)}`);
        const transfer = (i: number, seqno: number): Cell => {
            const body = wallets[i].createTransfer({
                seqno,
                secretKey: keys[i].secretKey,
                sendMode: SendMode.PAY_GAS_SEPARATELY,
                messages: [internal({ to: sink, value: toNano('0.01'), bounce: false })],
            });
            return beginCell()
                .store(storeMessage(external({ to: wallets[i].address, init: seqno === 0 ? wallets[i].init : undefined, body })))
                .endCell();
        };

        const timeIt = async (label: string, i: number, send: (c: Cell) => Promise<unknown>) => {
            const t0 = performance.now();
            for (let s = 0; s < N; s++) await send(transfer(i, s));
            const sec = (performance.now() - t0) / 1000;
            return { label, tx: N, seconds: Number(sec.toFixed(3)), perSecond: Number((N / sec).toFixed(1)) };
        };
        const inProcess = await timeIt('in-process (baseline)', 0, (c) => chain.chain.sendMessage(c));
        const v2 = await timeIt('HTTP v2 sendBoc', 1, async (c) => {
            const r = await fetch(chain.v2Url, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'sendBoc', params: { boc: c.toBoc().toString('base64') } }),
            });
            if (!r.ok) throw new Error(`sendBoc ${r.status}`);
        });
        const v4 = await timeIt('HTTP v4 /send', 2, async (c) => {
            const r = await fetch(`${chain.v4Url}/send`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ boc: c.toBoc().toString('base64') }),
            });
            if (!r.ok) throw new Error(`send ${r.status}`);
        });

        // Page latency over the sink's history (3N transactions).
        const c4 = new TonClient4({ endpoint: chain.v4Url });
        const c2 = new TonClient({ endpoint: chain.v2Url });
        const last = (await c4.getAccount((await c4.getLastBlock()).last.seqno, sink)).account.last!;
        const lt = BigInt(last.lt);
        const hash = Buffer.from(last.hash, 'base64');
        const lat4: number[] = [];
        const lat2: number[] = [];
        for (let i = 0; i < PAGES; i++) {
            let t = performance.now();
            await c4.getAccountTransactions(sink, lt, hash);
            lat4.push(performance.now() - t);
            t = performance.now();
            await c2.getTransactions(sink, { limit: 20 });
            lat2.push(performance.now() - t);
        }
        const pages = {
            v4: { p50ms: Number(pct(lat4, 50).toFixed(2)), p95ms: Number(pct(lat4, 95).toFixed(2)), txPerPage: 20 },
            v2: { p50ms: Number(pct(lat2, 50).toFixed(2)), p95ms: Number(pct(lat2, 95).toFixed(2)), txPerPage: 20 },
        };

        console.log('local chain: wallet transfers (each a 2-transaction message chain, sealed as one block)');
        for (const r of [inProcess, v2, v4])
            console.log(`  ${r.label.padEnd(24)} ${String(r.perSecond).padStart(8)} transfers/s  (${r.tx} in ${r.seconds} s)`);
        console.log(
            `  HTTP throughput relative to the in-process baseline: v2 ${(v2.perSecond / inProcess.perSecond).toFixed(2)}x, ` +
                `v4 ${(v4.perSecond / inProcess.perSecond).toFixed(2)}x (sandbox execution dominates)`,
        );
        console.log('page latency (20 transactions per page):');
        console.log(`  v4 /account/.../tx   p50 ${pages.v4.p50ms} ms   p95 ${pages.v4.p95ms} ms`);
        console.log(`  v2 getTransactions   p50 ${pages.v2.p50ms} ms   p95 ${pages.v2.p95ms} ms`);
        console.log(
            'RESULT ' +
                JSON.stringify({
                    bench: 'chain',
                    transfersPerSecond: { inProcess: inProcess.perSecond, v2: v2.perSecond, v4: v4.perSecond },
                    pages,
                }),
        );
    } finally {
        await chain.close();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
