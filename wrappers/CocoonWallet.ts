/** CocoonWallet wrapper: generated Tact wrapper plus the signed external message builder. */
import { beginCell, external, storeMessage, type Address, type Cell, type MessageRelaxed, storeMessageRelaxed } from '@ton/core';
import { ed25519Sign as sign } from './ed25519';
import { CocoonWallet, loadWalletStorage, storeWalletStorage, type WalletStorage } from '../build/CocoonWallet/CocoonWallet_CocoonWallet';
import { atState } from './stateInit';
import { bufferToBigInt } from './uint256';

export * from '../build/CocoonWallet/CocoonWallet_CocoonWallet';

/** The original's layout (one cell): seqno:uint32 subwallet_id:uint32 public_key:uint256 status:uint32 owner. */
export function buildWalletData(s: Omit<WalletStorage, '$$type'>): Cell {
    return beginCell()
        .store(storeWalletStorage({ $$type: 'WalletStorage', ...s }))
        .endCell();
}

export function parseWalletData(data: Cell): WalletStorage {
    const s = data.beginParse();
    const st = loadWalletStorage(s);
    s.endParse();
    return st;
}

export async function cocoonWalletAt(data: Cell): Promise<CocoonWallet> {
    return atState(CocoonWallet, (await CocoonWallet.init()).code, data);
}

/** The node wallet of (owner, key), as the runner derives it: seqno 0, subwallet 0, status 0. */
export function cocoonWalletFor(owner: Address, publicKey: Buffer, subwallet = 0n): Promise<CocoonWallet> {
    return cocoonWalletAt(
        buildWalletData({
            seqno: 0n,
            subwalletId: subwallet,
            publicKey: bufferToBigInt(publicKey),
            status: 0n,
            ownerAddress: owner,
        }),
    );
}

export interface WalletTransfer {
    seqno: number;
    subwallet?: number;
    validUntil: number;
    /** Up to 4 (mode, internal message) pairs; the runner uses mode 0 for value > 1 nanoTON, else 1. */
    messages: { mode: number; message: MessageRelaxed | Cell }[];
}

/** Signed external body: signature over the hash of `subwallet valid_until seqno (mode ^msg)*`. */
export function walletExternalBody(t: WalletTransfer, secretKey: Buffer): Cell {
    if (t.messages.length > 4) throw new RangeError('a cocoon wallet external carries at most 4 messages');
    const inner = beginCell()
        .storeUint(t.subwallet ?? 0, 32)
        .storeUint(t.validUntil, 32)
        .storeUint(t.seqno, 32);
    for (const m of t.messages) {
        const cell =
            'bits' in m.message
                ? (m.message as Cell)
                : beginCell()
                      .store(storeMessageRelaxed(m.message as MessageRelaxed))
                      .endCell();
        inner.storeUint(m.mode, 8).storeRef(cell);
    }
    const signed = inner.endCell();
    return beginCell().storeBuffer(sign(signed.hash(), secretKey)).storeSlice(signed.beginParse()).endCell();
}

/** The whole external message (with StateInit for the first one, seqno 0), ready for sendBoc. */
export function walletExternal(
    wallet: { address: Address; init?: { code: Cell; data: Cell } | null },
    t: WalletTransfer,
    secretKey: Buffer,
    withInit: boolean,
): Cell {
    return beginCell()
        .store(
            storeMessage(
                external({ to: wallet.address, init: withInit ? wallet.init : undefined, body: walletExternalBody(t, secretKey) }),
            ),
        )
        .endCell();
}
