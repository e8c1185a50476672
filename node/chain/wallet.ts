/**
 * Sending through a standard wallet (v4 or v5r1) on any ChainClient: build, sign and send an external,
 * then wait until the wallet's transaction for it is on-chain. Wrappers get a `Sender` from it.
 * The project's CocoonWallet can implement the same `ChainWallet` shape.
 */
import {
    Address,
    beginCell,
    external,
    internal,
    SendMode,
    storeMessage,
    type Cell,
    type Sender,
    type SenderArguments,
    type MessageRelaxed,
} from '@ton/core';
import { mnemonicToPrivateKey } from '@ton/crypto';
import { WalletContractV4, WalletContractV5R1 } from '@ton/ton';
import { ed25519Sign } from '../../wrappers/ed25519';
import { ChainError } from './errors';
import type { ChainClient, ChainTx } from './types';

export interface ChainWallet {
    readonly address: Address;
    /** Sends up to 4 messages in one external and resolves with the wallet's transaction. */
    send(messages: MessageRelaxed[], opts?: { timeoutMs?: number }): Promise<ChainTx>;
    /** A Sender for generated wrappers (`contract.send(wallet.sender(), ...)`). */
    sender(): Sender;
}

export async function openWallet(
    client: ChainClient,
    opts: { mnemonic?: string[]; secretKey?: Buffer; version?: 'v4' | 'v5r1' },
): Promise<ChainWallet> {
    let keyPair: { publicKey: Buffer; secretKey: Buffer };
    if (opts.mnemonic) keyPair = await mnemonicToPrivateKey(opts.mnemonic);
    else if (opts.secretKey?.length === 64) keyPair = { secretKey: opts.secretKey, publicKey: opts.secretKey.subarray(32) };
    else throw new ChainError('BAD_REQUEST', 'openWallet needs a 24-word mnemonic or a 64-byte Ed25519 secret key');
    // Both wallet versions share this surface; their createTransfer signatures differ only in options.
    type StandardWallet = {
        address: Address;
        init: { code: Cell; data: Cell };
        getSeqno(p: ReturnType<ChainClient['provider']>): Promise<number>;
        createTransfer(args: {
            seqno: number;
            signer: (message: Cell) => Promise<Buffer>;
            messages: MessageRelaxed[];
            sendMode: SendMode;
            timeout?: number;
        }): Promise<Cell>;
    };
    // The two classes' createTransfer option types are not assignable to one another, so each is seen through
    // StandardWallet, the part both really share.
    const wallet: StandardWallet =
        opts.version === 'v5r1'
            ? (WalletContractV5R1.create({ workchain: 0, publicKey: keyPair.publicKey }) as unknown as StandardWallet)
            : (WalletContractV4.create({ workchain: 0, publicKey: keyPair.publicKey }) as unknown as StandardWallet);
    const provider = client.provider(wallet.address, wallet.init);
    // The library's own signing is tweetnacl (10-20 ms of blocked event loop on a busy core); the
    // native Ed25519 gives the same bytes (no signature domain: the hash is what gets signed).
    const signer = async (message: Cell) => ed25519Sign(message.hash(), keyPair.secretKey);
    // One external at a time: a wallet's seqno admits a single pending transfer.
    let queue: Promise<unknown> = Promise.resolve();

    const send = (messages: MessageRelaxed[], sendOpts: { timeoutMs?: number } = {}): Promise<ChainTx> => {
        const run = queue.then(async () => {
            if (messages.length === 0 || messages.length > 4)
                throw new ChainError('BAD_REQUEST', `a wallet transfer carries 1 to 4 messages, got ${messages.length}`);
            const acc = await client.account(wallet.address);
            const seqno = acc.state === 'active' ? await wallet.getSeqno(provider) : 0;
            // valid_until from chain time, not this host's clock (a skewed host or a time-shifted local chain).
            const { utime } = await client.head();
            const body = await wallet.createTransfer({
                seqno,
                signer,
                messages,
                sendMode: SendMode.PAY_GAS_SEPARATELY + SendMode.IGNORE_ERRORS,
                timeout: Math.max(utime, Math.floor(Date.now() / 1000)) + 60,
            });
            const ext = beginCell()
                .store(storeMessage(external({ to: wallet.address, init: acc.state === 'active' ? undefined : wallet.init, body })))
                .endCell();
            const bodyHash = body.hash();
            await client.sendExternal(ext);
            return client.waitForTransaction(
                wallet.address,
                (t) => t.tx.inMessage?.info.type === 'external-in' && t.tx.inMessage.body.hash().equals(bodyHash),
                { afterLt: acc.last?.lt ?? 0n, timeoutMs: sendOpts.timeoutMs ?? 60_000 },
            );
        });
        queue = run.catch(() => undefined);
        return run;
    };

    return {
        address: wallet.address,
        send,
        sender: () => ({
            address: wallet.address,
            async send(args: SenderArguments) {
                await send([
                    internal({
                        to: args.to,
                        value: args.value,
                        bounce: args.bounce ?? true,
                        init: args.init ?? undefined,
                        body: args.body ?? undefined,
                    }),
                ]);
            },
        }),
    };
}
