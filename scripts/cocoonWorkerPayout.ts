/**
 * npx blueprint run cocoonWorkerPayout <worker contract> <signed payment (base64 BOC of the proxy's message body)>
 * Submits a proxy-signed payout with the sender as excess receiver ("repacking", as the worker runner does).
 */
import { beginCell, Cell, toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { addressArg, arg } from './common';

export async function run(provider: NetworkProvider, args: string[]) {
    const worker = addressArg(args, 0, 'worker contract address');
    const me = provider.sender().address;
    if (!me) throw new Error('the sender has no address (connect a wallet)');
    const signed = Cell.fromBase64(arg(args, 1, 'signed payment BOC (base64)')).beginParse();
    const op = signed.loadUint(32);
    if (op !== 0xa040ad28 && op !== 0xf5f26a36) throw new Error(`not a worker payout message (op 0x${op.toString(16)})`);
    const queryId = signed.loadUintBig(64);
    signed.loadAddress(); // the proxy's excess receiver: replaced by ours
    const body = beginCell()
        .storeUint(op, 32)
        .storeUint(queryId, 64)
        .storeAddress(me)
        .storeBuffer(signed.loadBuffer(64))
        .storeRef(signed.loadRef())
        .endCell();
    await provider.sender().send({ to: worker, value: toNano('0.5'), body });
    provider.ui().write(`payout submitted to ${worker.toString()}`);
}
