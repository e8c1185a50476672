/**
 * `npm run bench:gas`: gas and total fees per operation in the original's integration scenario
 * (price 0.00001 TON/token, worker fee 90 %), compared with the FunC contracts' figures (the baseline),
 * written to tests/bench/gas.json. Ends with one `RESULT {json}` line.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { Blockchain, type BlockchainTransaction, type SendMessageResult } from '@ton/sandbox';
import { beginCell, toNano, type Address } from '@ton/core';
import { childCodes, cocoonProxyFor } from '../../wrappers/CocoonProxy';
import { cocoonClientFor } from '../../wrappers/CocoonClient';
import { cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import { proxyKey, proxyPublicKey, testParams } from '../contracts/helpers';

/** Total fees of the FunC originals in the same scenario (TON), from the original integration test. */
const FUNC_BASELINE: Record<string, number> = { 'save-state note': 0.002583, 'client top-up': 0.012, 'client charge': 0.011, 'worker payout': 0.014 };
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
    const note = beginCell().storeUint(0x9a1247c0, 32).storeUint(12345, 64).storeUint(0x53109c0f, 32).storeInt(1, 32).storeUint(0, 256).endCell();
    rows.push(measure('save-state note', await operator.send({ to: proxy.address, value: toNano('0.01'), body: note }), ours));
    rows.push(measure('commission withdraw', await proxy.send(relayer.getSender(), { value: toNano('0.2') }, { $$type: 'ExtProxyPayoutRequest', queryId: 4n, sendExcessesTo: relayer.address }), ours));
    rows.push(measure('client withdraw', await client.send(alice.getSender(), { value: toNano('0.7') }, { $$type: 'OwnerClientWithdraw', queryId: 5n, sendExcessesTo: alice.address }), ours));
    rows.push(measure('client refund (grant)', await signed(client.address, SIGNED_OP.clientGrantRefund, 100_000n, 6n), ours));
    rows.push(measure('proxy close', await signed(proxy.address, SIGNED_OP.proxyClose, null, 7n), ours));
    bc.now = 1_800_000_000 + params.proxyDelayBeforeClose;
    rows.push(measure('proxy close complete', await signed(proxy.address, SIGNED_OP.proxyCloseComplete, null, 8n), ours));

    const ton = (n: bigint) => Number(n) / 1e9;
    console.log('operation                 txs      gas   fees TON   FunC TON   ratio   target <= 0.8x');
    const out = rows.map((r) => {
        const base = FUNC_BASELINE[r.op];
        const ratio = base ? ton(r.fees) / base : null;
        console.log(`${r.op.padEnd(24)} ${String(r.txs).padStart(4)} ${String(r.gas).padStart(8)} ${ton(r.fees).toFixed(6).padStart(10)} ${base ? base.toFixed(6).padStart(10) : '         -'} ${ratio ? ratio.toFixed(2).padStart(7) : '      -'}   ${ratio ? (ratio <= TARGET_RATIO ? 'met' : 'NOT met') : ''}`);
        return { op: r.op, txs: r.txs, gas: Number(r.gas), feesNano: r.fees.toString(), funcTon: base ?? null, ratio: ratio === null ? null : Number(ratio.toFixed(3)) };
    });
    writeFileSync(join(__dirname, 'gas.json'), JSON.stringify(out, null, 2) + '\n');
    console.log('RESULT ' + JSON.stringify({ bench: 'gas', operations: out }));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
