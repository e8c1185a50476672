/**
 * npx blueprint run cocoonClient <root> <proxy contract> <action> [value]
 * The sender's client contract at a proxy contract. Actions: deploy, top-up <TON>, increase-stake <TON>,
 * withdraw, request-refund (twice: close I, then close II after client_delay_before_close),
 * change-secret <secret string> (stores its sha256), register <nonce>, status.
 */
import { createHash } from 'crypto';
import { toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { cocoonClientFor } from '../wrappers/CocoonClient';
import { CocoonProxy } from '../wrappers/CocoonProxy';
import { addressArg, arg, rootState } from './common';

export async function run(provider: NetworkProvider, args: string[]) {
    const root = addressArg(args, 0, 'root address');
    const proxyAddress = addressArg(args, 1, 'proxy contract address');
    const action = arg(args, 2, 'action');
    const me = provider.sender().address;
    if (!me) throw new Error('the sender has no address (connect a wallet)');
    const { params } = await rootState(provider, root);
    const proxyData = await provider.open(CocoonProxy.fromAddress(proxyAddress)).getGetCocoonProxyData();
    const client = provider.open(await cocoonClientFor(me, proxyAddress, proxyData.proxyPublicKey, params));
    const via = provider.sender();
    const queryId = BigInt(Date.now());
    if (action === 'deploy') {
        await client.send(via, { value: toNano('0.8') }, null);
        await provider.waitForDeploy(client.address);
    } else if (action === 'top-up') {
        const amount = toNano(arg(args, 3, 'amount in TON'));
        await client.send(
            via,
            { value: amount + toNano('0.7') },
            { $$type: 'ExtClientTopUp', queryId, topUpAmount: amount, sendExcessesTo: me },
        );
    } else if (action === 'increase-stake') {
        await client.send(
            via,
            { value: toNano('0.7') },
            { $$type: 'OwnerClientIncreaseStake', queryId, newStake: toNano(arg(args, 3, 'new stake in TON')), sendExcessesTo: me },
        );
    } else if (action === 'withdraw') {
        await client.send(via, { value: toNano('0.7') }, { $$type: 'OwnerClientWithdraw', queryId, sendExcessesTo: me });
    } else if (action === 'request-refund') {
        await client.send(via, { value: toNano('0.7') }, { $$type: 'OwnerClientRequestRefund', queryId, sendExcessesTo: me });
    } else if (action === 'change-secret') {
        const hash = BigInt(
            '0x' +
                createHash('sha256')
                    .update(arg(args, 3, 'secret string'))
                    .digest('hex'),
        );
        await client.send(
            via,
            { value: toNano('0.7') },
            { $$type: 'OwnerClientChangeSecretHash', queryId, newSecretHash: hash, sendExcessesTo: me },
        );
    } else if (action === 'register') {
        await client.send(
            via,
            { value: toNano('1') },
            { $$type: 'OwnerClientRegister', queryId, nonce: BigInt(arg(args, 3, 'nonce')), sendExcessesTo: me },
        );
    } else if (action !== 'status') {
        throw new Error(
            `unknown action '${action}' (deploy, top-up, increase-stake, withdraw, request-refund, change-secret, register, status)`,
        );
    }
    provider.ui().write(`client contract ${client.address.toString()}`);
    if (action === 'status' || action === 'deploy') {
        const d = await client.getGetCocoonClientData();
        provider.ui().write(`state ${d.state} balance ${d.balance} stake ${d.stake} tokens_used ${d.tokensUsed} unlock_ts ${d.unlockTs}`);
    }
}
