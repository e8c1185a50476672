/**
 * `npm run bench:gas`, two parts, written to tests/bench/gas.json; ends with one `RESULT {json}` line.
 * - operations: gas and fees of the Cocoon contracts' own transactions per operation.
 * - scenario: the original's integration scenario (price 0.00001 TON/token, worker fee 90 %, save-state
 *   notes through the proxy's cocoon wallet), measured the way that test measures it, beside the FunC and
 *   Tolk figures it gives for the originals (they are not in this repository, so not re-run here).
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { Blockchain, type BlockchainTransaction, type SendMessageResult } from '@ton/sandbox';
import { beginCell, internal, toNano, type Address } from '@ton/core';
import { cocoonWalletFor, walletExternal } from '../../wrappers/CocoonWallet';
import { buildProxyData, childCodes, cocoonProxyAt, cocoonProxyFor } from '../../wrappers/CocoonProxy';
import { buildParamsCell, CODE_MASK } from '../../wrappers/params';
import { cocoonClientFor } from '../../wrappers/CocoonClient';
import { cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import { OP, proxyKey, proxyPublicKey, testParams } from '../contracts/helpers';

/** Total fees per operation of the originals in the integration scenario (TON), from issue 23. */
const FUNC_BASELINE = new Map([
    ['save-state note', 0.002583],
    ['client top-up', 0.012],
    ['client charge', 0.011],
    ['worker payout', 0.014],
]);
const TOLK_BASELINE = new Map([
    ['save-state note', 0.002592],
    ['client top-up', 0.011],
    ['client charge', 0.008959],
    ['worker payout', 0.012],
]);
const TARGET_RATIO = 0.8;

interface Row {
    op: string;
    gas: bigint;
    fees: bigint;
    txs: number;
}

function measure(op: string, r: SendMessageResult, ours: Address[]): Row {
    const mine = r.transactions.filter((t: BlockchainTransaction) =>
        ours.some((a) => t.inMessage?.info.dest && (t.inMessage.info.dest as Address).equals?.(a)),
    );
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

/**
 * The original's integration scenario, measured as it measures it: the proxy's cocoon wallet sends 100
 * save-state notes (signed externals, 1 nanoTON each; cost = the wallet's balance drop), then the client
 * owner's wallet sends 2 top-ups of 100 TON (cost = its drop minus the 200 TON) and 5 charges of 2M tokens
 * each (its drop), and the worker owner's wallet 5 payouts of 2M tokens each (cost = what left the proxy
 * contract minus what the worker owner gained). Figures per operation, in nanoTON.
 */
async function scenario(): Promise<{ op: string; fees: bigint }[]> {
    const bc = await Blockchain.create();
    const NOW = 1_800_000_000;
    bc.now = NOW;
    const [proxyOwner, clientOwner, workerOwner, root] = await Promise.all(
        ['proxyOwner', 'clientOwner', 'workerOwner', 'root'].map((n) => bc.treasury(n)),
    );
    const codes = await childCodes();
    const params = testParams({
        workerScCode: codes.worker,
        clientScCode: codes.client,
        proxyDelayBeforeClose: 3600,
        clientDelayBeforeClose: 3600,
    });
    const wallet = bc.openContract(await cocoonWalletFor(proxyOwner.address, proxyKey.publicKey));
    await proxyOwner.send({ to: wallet.address, value: toNano('5'), init: wallet.init, bounce: false });
    // As the original's test: the proxy starts with a 10 TON stake in its data.
    const proxy = bc.openContract(
        await cocoonProxyAt(
            buildProxyData({
                ownerAddress: proxyOwner.address,
                proxyPublicKey,
                rootAddress: root.address,
                state: 0,
                balance: 0n,
                stake: toNano('10'),
                unlockTs: 0,
                params: buildParamsCell(params, CODE_MASK.proxyContract),
            }),
        ),
    );
    await proxyOwner.send({ to: proxy.address, value: toNano('11'), init: proxy.init, bounce: false });
    const worker = bc.openContract(await cocoonWorkerFor(workerOwner.address, proxy.address, proxyPublicKey, params));
    await workerOwner.send({ to: worker.address, value: toNano('2'), init: worker.init, bounce: false });
    const client = bc.openContract(await cocoonClientFor(clientOwner.address, proxy.address, proxyPublicKey, params));
    await clientOwner.send({ to: client.address, value: toNano('6'), init: client.init, bounce: false });
    const topUp = (amount: bigint, value: bigint) =>
        client.send(
            clientOwner.getSender(),
            { value },
            { $$type: 'ExtClientTopUp', queryId: 0n, topUpAmount: amount, sendExcessesTo: clientOwner.address },
        );
    const deposit = 10_000_000n * params.pricePerToken;
    await topUp(deposit, deposit + toNano('10'));
    const balance = async (a: Address) => (await bc.getContract(a)).balance;
    const ok = (r: SendMessageResult, what: string) => {
        // A 1-nanoTON note buys no gas: its compute phase is skipped, in the original as here.
        const failed = r.transactions.find(
            (t) =>
                t.description.type === 'generic' &&
                t.description.computePhase.type === 'vm' &&
                (!t.description.computePhase.success || t.description.aborted),
        );
        if (failed) throw new Error(`${what} failed in the scenario`);
    };

    const w0 = await balance(wallet.address);
    for (let i = 0; i < 100; i++) {
        const note = beginCell()
            .storeUint(OP.doNotProcess, 32)
            .storeUint(i, 64)
            .storeUint(OP.saveState, 32)
            .storeInt(i, 32)
            .storeUint(BigInt(i) * 7919n, 256)
            .endCell();
        const m = internal({ to: proxy.address, value: 1n, bounce: true, body: note });
        ok(
            await bc.sendMessage(
                walletExternal(
                    wallet,
                    { seqno: i, validUntil: NOW + 3600, messages: [{ mode: 1, message: m }] },
                    proxyKey.secretKey,
                    false,
                ),
            ),
            'save-state note',
        );
    }
    const saveState = (w0 - (await balance(wallet.address))) / 100n;

    let c0 = await clientOwner.getBalance();
    for (let i = 0; i < 2; i++) ok(await topUp(toNano('100'), toNano('105')), 'client top-up');
    const topUps = (c0 - (await clientOwner.getBalance()) - toNano('200')) / 2n;

    c0 = await clientOwner.getBalance();
    for (let i = 1; i <= 5; i++) {
        const body = signedMessage(
            SIGNED_OP.clientCharge,
            BigInt(i),
            2_000_000n * BigInt(i),
            client.address,
            clientOwner.address,
            proxyKey.secretKey,
        );
        ok(await clientOwner.send({ to: client.address, value: toNano('0.2'), body }), 'client charge');
    }
    const charges = (c0 - (await clientOwner.getBalance())) / 5n;

    const wo0 = await workerOwner.getBalance();
    const p0 = await balance(proxy.address);
    for (let i = 1; i <= 5; i++) {
        const body = signedMessage(
            SIGNED_OP.workerPayout,
            BigInt(i),
            2_000_000n * BigInt(i),
            worker.address,
            workerOwner.address,
            proxyKey.secretKey,
        );
        ok(await workerOwner.send({ to: worker.address, value: toNano('0.3'), body }), 'worker payout');
    }
    const payouts = (p0 - (await balance(proxy.address)) - ((await workerOwner.getBalance()) - wo0)) / 5n;

    return [
        { op: 'save-state note', fees: saveState },
        { op: 'client top-up', fees: topUps },
        { op: 'client charge', fees: charges },
        { op: 'worker payout', fees: payouts },
    ];
}

async function main(): Promise<void> {
    const bc = await Blockchain.create();
    bc.now = 1_800_000_000;
    const [operator, root, alice, gpu, relayer] = await Promise.all(
        ['operator', 'root', 'alice', 'gpu', 'relayer'].map((n) => bc.treasury(n)),
    );
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
    rows.push(
        measure(
            'client top-up',
            await client.send(
                alice.getSender(),
                { value: toNano('10.7') },
                { $$type: 'ExtClientTopUp', queryId: 1n, topUpAmount: toNano('10'), sendExcessesTo: alice.address },
            ),
            ours,
        ),
    );
    rows.push(measure('client charge', await signed(client.address, SIGNED_OP.clientCharge, 100_000n, 2n), ours));
    rows.push(measure('worker payout', await signed(worker.address, SIGNED_OP.workerPayout, 100_000n, 3n), ours));
    const note = beginCell()
        .storeUint(OP.doNotProcess, 32)
        .storeUint(12345, 64)
        .storeUint(OP.saveState, 32)
        .storeInt(1, 32)
        .storeUint(0, 256)
        .endCell();
    rows.push(measure('save-state note', await operator.send({ to: proxy.address, value: toNano('0.01'), body: note }), ours));
    rows.push(
        measure(
            'commission withdraw',
            await proxy.send(
                relayer.getSender(),
                { value: toNano('0.2') },
                { $$type: 'ExtProxyPayoutRequest', queryId: 4n, sendExcessesTo: relayer.address },
            ),
            ours,
        ),
    );
    rows.push(
        measure(
            'client withdraw',
            await client.send(
                alice.getSender(),
                { value: toNano('0.7') },
                { $$type: 'OwnerClientWithdraw', queryId: 5n, sendExcessesTo: alice.address },
            ),
            ours,
        ),
    );
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
    console.log("\nthe original's integration scenario, measured as it measures it (per operation)");
    console.log('operation                 fees TON   FunC TON   Tolk TON  vs FunC  <= 0.8x FunC  < Tolk');
    const scen = (await scenario()).map((r) => {
        const func = FUNC_BASELINE.get(r.op) ?? null;
        const tolk = TOLK_BASELINE.get(r.op) ?? null;
        const ratio = func === null ? null : ton(r.fees) / func;
        const meets = ratio !== null && ratio <= TARGET_RATIO;
        const beatsTolk = tolk !== null && ton(r.fees) < tolk;
        console.log(
            `${r.op.padEnd(24)} ${ton(r.fees).toFixed(6).padStart(10)} ${(func ?? 0).toFixed(6).padStart(10)} ` +
                `${(tolk ?? 0).toFixed(6).padStart(10)} ${(ratio ?? 0).toFixed(2).padStart(8)} ` +
                ` ${(meets ? 'yes' : 'NO').padStart(12)}  ${(beatsTolk ? 'yes' : 'NO').padStart(6)}`,
        );
        return {
            op: r.op,
            feesNano: r.fees.toString(),
            funcTon: func,
            tolkTon: tolk,
            ratio: ratio === null ? null : Number(ratio.toFixed(3)),
            meetsTarget: meets,
            cheaperThanTolk: beatsTolk,
        };
    });
    const out = { operations, scenario: scen };
    writeFileSync(join(__dirname, 'gas.json'), JSON.stringify(out, null, 2) + '\n');
    console.log('RESULT ' + JSON.stringify({ bench: 'gas', ...out }));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
