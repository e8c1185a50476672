/**
 * `npm run bench:gas`, two parts, written to tests/bench/gas.json; ends with one `RESULT {json}` line.
 * - operations: gas and fees of the Cocoon contracts' own transactions per operation.
 * - scenario: the original's integration scenario (price 0.00001 TON/token, worker fee 90 %, every
 *   operation sent by a participant's cocoon wallet through a signed external), with the total fees of the
 *   whole trace per operation (every transaction's fees plus every forward fee, the wallet's included)
 *   beside the FunC and Tolk figures that scenario measures on the originals (they are not in this
 *   repository, so they are not re-run here).
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { Blockchain, type BlockchainTransaction, type SendMessageResult } from '@ton/sandbox';
import { beginCell, internal, toNano, type Address, type Cell } from '@ton/core';
import { cocoonWalletFor, walletExternal } from '../../wrappers/CocoonWallet';
import { childCodes, cocoonProxyFor } from '../../wrappers/CocoonProxy';
import { cocoonClientFor } from '../../wrappers/CocoonClient';
import { cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import { OP, proxyKey, proxyPublicKey, testParams } from '../contracts/helpers';

/** Total fees per operation of the originals in the integration scenario (TON), from issue 23. */
const FUNC_BASELINE = new Map([['save-state note', 0.002583], ['client top-up', 0.012], ['client charge', 0.011], ['worker payout', 0.014]]);
const TOLK_BASELINE = new Map([['save-state note', 0.002592], ['client top-up', 0.011], ['client charge', 0.008959], ['worker payout', 0.012]]);
const TARGET_RATIO = 0.8;

interface Row { op: string; gas: bigint; fees: bigint; txs: number }

function measure(op: string, r: SendMessageResult, ours: Address[]): Row {
    const mine = r.transactions.filter((t: BlockchainTransaction) => ours.some((a) => t.inMessage?.info.dest && (t.inMessage.info.dest as Address).equals?.(a)));
    let gas = 0n;
    let fees = 0n;
    for (const t of mine) {
        fees += t.totalFees.coins;
        if (t.description.type === 'generic' && t.description.computePhase.type === 'vm') gas += t.description.computePhase.gasUsed;
        const info = t.inMessage?.info;
        if (info?.type === 'internal' && ours.some((a) => (info.src as Address).equals(a))) fees += info.forwardFee;
    }
    return { op, gas, fees, txs: mine.length };
}

/** Every fee the trace paid: each transaction's total fees and each internal message's forward fee. */
function traceFees(r: SendMessageResult): bigint {
    let fees = 0n;
    for (const t of r.transactions) {
        fees += t.totalFees.coins;
        const info = t.inMessage?.info;
        if (info?.type === 'internal') fees += info.forwardFee;
    }
    return fees;
}

/** The original's integration scenario, wallet-driven: total fees per operation, averaged over `rounds`. */
async function scenario(rounds: number) {
    const bc = await Blockchain.create();
    const NOW = 1_800_000_000;
    bc.now = NOW;
    const [proxyOwner, clientOwner, workerOwner, root] = await Promise.all(['proxyOwner', 'clientOwner', 'workerOwner', 'root'].map((n) => bc.treasury(n)));
    const codes = await childCodes();
    const params = testParams({ workerScCode: codes.worker, clientScCode: codes.client, proxyScCode: codes.proxy });
    // One cocoon wallet per participant (the nodes' wallets), all under the proxy key's test seed.
    const wallets = await Promise.all([proxyOwner, clientOwner, workerOwner].map(async (o) => bc.openContract(await cocoonWalletFor(o.address, proxyKey.publicKey))));
    for (const [i, o] of [proxyOwner, clientOwner, workerOwner].entries()) await o.send({ to: wallets[i].address, value: toNano('1000'), init: wallets[i].init, bounce: false });
    const [pw, cw, ww] = wallets;
    const seqno = new Map<string, number>();
    const via = (w: typeof pw, to: Address, value: bigint, body: Cell | null, mode = 1) => {
        const n = seqno.get(w.address.toString()) ?? 0;
        seqno.set(w.address.toString(), n + 1);
        return bc.sendMessage(walletExternal(w, { seqno: n, validUntil: NOW + 3600, messages: [{ mode, message: internal({ to, value, bounce: true, body: body ?? undefined }) }] }, proxyKey.secretKey, false));
    };
    const proxy = bc.openContract(await cocoonProxyFor(pw.address, proxyPublicKey, root.address, params));
    const client = bc.openContract(await cocoonClientFor(cw.address, proxy.address, proxyPublicKey, params));
    const worker = bc.openContract(await cocoonWorkerFor(ww.address, proxy.address, proxyPublicKey, params));
    await proxyOwner.send({ to: proxy.address, value: toNano('10'), init: proxy.init, bounce: false });
    await clientOwner.send({ to: client.address, value: toNano('1'), init: client.init, bounce: false });
    await workerOwner.send({ to: worker.address, value: toNano('1'), init: worker.init, bounce: false });
    const topUpBody = (amount: bigint) => beginCell().storeUint(OP.extClientTopUp, 32).storeUint(0, 64).storeCoins(amount).storeAddress(cw.address).endCell();
    const totals = new Map<string, bigint>();
    const add = (op: string, r: SendMessageResult, ok: Address) => {
        if (!r.transactions.some((t) => t.inMessage?.info.dest && (t.inMessage.info.dest as Address).equals?.(ok) && t.description.type === 'generic' && t.description.computePhase.type === 'vm' && t.description.computePhase.success)) {
            throw new Error(`${op}: the operation failed in the scenario`);
        }
        totals.set(op, (totals.get(op) ?? 0n) + traceFees(r));
    };
    for (let i = 1; i <= rounds; i++) {
        const note = beginCell().storeUint(OP.doNotProcess, 32).storeUint(i, 64).storeUint(OP.saveState, 32).storeInt(i, 32).storeUint(BigInt(i) * 7919n, 256).endCell();
        add('save-state note', await via(pw, proxy.address, 1n, note), pw.address);
        add('client top-up', await via(cw, client.address, toNano('100.2'), topUpBody(toNano('100')), 0), proxy.address);
        add('client charge', await via(cw, client.address, toNano('0.2'), signedMessage(SIGNED_OP.clientCharge, BigInt(i), 2_000_000n * BigInt(i), client.address, cw.address, proxyKey.secretKey), 0), client.address);
        add('worker payout', await via(ww, worker.address, toNano('0.2'), signedMessage(SIGNED_OP.workerPayout, BigInt(i), 2_000_000n * BigInt(i), worker.address, ww.address, proxyKey.secretKey), 0), proxy.address);
    }
    return [...totals].map(([op, fees]) => ({ op, fees: fees / BigInt(rounds) }));
}

async function main(): Promise<void> {
    const bc = await Blockchain.create();
    bc.now = 1_800_000_000;
    const [operator, root, alice, gpu, relayer] = await Promise.all(['operator', 'root', 'alice', 'gpu', 'relayer'].map((n) => bc.treasury(n)));
    const codes = await childCodes();
    const params = testParams({ workerScCode: codes.worker, clientScCode: codes.client, proxyScCode: codes.proxy });
    const proxy = bc.openContract(await cocoonProxyFor(operator.address, proxyPublicKey, root.address, params));
    const client = bc.openContract(await cocoonClientFor(alice.address, proxy.address, proxyPublicKey, params));
    const worker = bc.openContract(await cocoonWorkerFor(gpu.address, proxy.address, proxyPublicKey, params));
    const ours = [proxy.address, client.address, worker.address];
    const rows: Row[] = [];
    const signed = (to: Address, op: Parameters<typeof signedMessage>[0], n: bigint | null, q: bigint) =>
        relayer.send({ to, value: toNano('0.7'), body: signedMessage(op, q, n, to, relayer.address, proxyKey.secretKey) });

    rows.push(measure('deploy proxy', await proxy.send(operator.getSender(), { value: toNano('0.3') }, null), ours));
    rows.push(measure('deploy client', await client.send(alice.getSender(), { value: toNano('0.8') }, null), ours));
    rows.push(measure('deploy worker', await worker.send(gpu.getSender(), { value: toNano('0.3') }, null), ours));
    rows.push(measure('client top-up', await client.send(alice.getSender(), { value: toNano('10.7') }, { $$type: 'ExtClientTopUp', queryId: 1n, topUpAmount: toNano('10'), sendExcessesTo: alice.address }), ours));
    rows.push(measure('client charge', await signed(client.address, SIGNED_OP.clientCharge, 100_000n, 2n), ours));
    rows.push(measure('worker payout', await signed(worker.address, SIGNED_OP.workerPayout, 100_000n, 3n), ours));
    const note = beginCell().storeUint(OP.doNotProcess, 32).storeUint(12345, 64).storeUint(OP.saveState, 32).storeInt(1, 32).storeUint(0, 256).endCell();
    rows.push(measure('save-state note', await operator.send({ to: proxy.address, value: toNano('0.01'), body: note }), ours));
    rows.push(measure('commission withdraw', await proxy.send(relayer.getSender(), { value: toNano('0.2') }, { $$type: 'ExtProxyPayoutRequest', queryId: 4n, sendExcessesTo: relayer.address }), ours));
    rows.push(measure('client withdraw', await client.send(alice.getSender(), { value: toNano('0.7') }, { $$type: 'OwnerClientWithdraw', queryId: 5n, sendExcessesTo: alice.address }), ours));
    rows.push(measure('client refund (grant)', await signed(client.address, SIGNED_OP.clientGrantRefund, 100_000n, 6n), ours));
    rows.push(measure('proxy close', await signed(proxy.address, SIGNED_OP.proxyClose, null, 7n), ours));
    bc.now = 1_800_000_000 + params.proxyDelayBeforeClose;
    rows.push(measure('proxy close complete', await signed(proxy.address, SIGNED_OP.proxyCloseComplete, null, 8n), ours));

    const ton = (n: bigint) => Number(n) / 1e9;
    console.log('operations (Cocoon contracts only)');
    console.log('operation                 txs      gas   fees TON');
    const operations = rows.map((r) => {
        console.log(`${r.op.padEnd(24)} ${String(r.txs).padStart(4)} ${String(r.gas).padStart(8)} ${ton(r.fees).toFixed(6).padStart(10)}`);
        return { op: r.op, txs: r.txs, gas: Number(r.gas), feesNano: r.fees.toString() };
    });
    console.log('\nintegration scenario (wallet-driven, whole trace, mean of 5 rounds)');
    console.log('operation                 fees TON   FunC TON   Tolk TON  vs FunC  <= 0.8x FunC  < Tolk');
    const scen = (await scenario(5)).map((r) => {
        const func = FUNC_BASELINE.get(r.op) ?? null;
        const tolk = TOLK_BASELINE.get(r.op) ?? null;
        const ratio = func === null ? null : ton(r.fees) / func;
        const meets = ratio !== null && ratio <= TARGET_RATIO;
        const beatsTolk = tolk !== null && ton(r.fees) < tolk;
        console.log(`${r.op.padEnd(24)} ${ton(r.fees).toFixed(6).padStart(10)} ${(func ?? 0).toFixed(6).padStart(10)} ${(tolk ?? 0).toFixed(6).padStart(10)} ${(ratio ?? 0).toFixed(2).padStart(8)}  ${(meets ? 'yes' : 'NO').padStart(12)}  ${(beatsTolk ? 'yes' : 'NO').padStart(6)}`);
        return { op: r.op, feesNano: r.fees.toString(), funcTon: func, tolkTon: tolk, ratio: ratio === null ? null : Number(ratio.toFixed(3)), meetsTarget: meets, cheaperThanTolk: beatsTolk };
    });
    const out = { operations, scenario: scen };
    writeFileSync(join(__dirname, 'gas.json'), JSON.stringify(out, null, 2) + '\n');
    console.log('RESULT ' + JSON.stringify({ bench: 'gas', ...out }));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
