/**
 * npx blueprint run deployCocoonWallet <node public key hex> [withdraw|block|unblock <wallet>]
 * Deploys the node wallet of (sender = owner, key) with 2.5 TON, or sends an owner text command to it.
 */
import { beginCell, toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { cocoonWalletFor } from '../wrappers/CocoonWallet';
import { addressArg, arg } from './common';

const COMMANDS: Record<string, string> = { withdraw: 'w', block: 'b', unblock: 'u' };

export async function run(provider: NetworkProvider, args: string[]) {
    const owner = provider.sender().address;
    if (!owner) throw new Error('the sender has no address (connect a wallet)');
    const key = arg(args, 0, 'node public key (hex) or a command');
    if (COMMANDS[key]) {
        const wallet = addressArg(args, 1, 'cocoon wallet address');
        await provider
            .sender()
            .send({ to: wallet, value: toNano('0.05'), body: beginCell().storeUint(0, 32).storeStringTail(COMMANDS[key]).endCell() });
        provider.ui().write(`sent "${COMMANDS[key]}" to ${wallet.toString()}`);
        return;
    }
    if (!/^[0-9a-fA-F]{64}$/.test(key)) throw new Error('the node public key must be 32 bytes of hex');
    const wallet = provider.open(await cocoonWalletFor(owner, Buffer.from(key, 'hex')));
    await provider.sender().send({ to: wallet.address, value: toNano('2.5'), bounce: false, init: wallet.init });
    await provider.waitForDeploy(wallet.address);
    provider.ui().write(`CocoonWallet deployed at ${wallet.address.toString()} (owner ${owner.toString()})`);
}
