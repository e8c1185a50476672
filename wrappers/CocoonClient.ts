/** CocoonClient wrapper: the generated Tact wrapper plus the data layout helpers. */
import { beginCell, type Address, type Cell } from '@ton/core';
import {
    CocoonClient,
    loadClientConst,
    loadClientStorage,
    storeClientConst,
    storeClientStorage,
    type ClientConst,
    type ClientStorage,
} from '../build/CocoonClient/CocoonClient_CocoonClient';
import { buildParamsCell, CODE_MASK, type CocoonParams } from './params';
import { atState } from './stateInit';

export * from '../build/CocoonClient/CocoonClient_CocoonClient';

/** ^const_data: owner proxy proxy_public_key:uint256. */
export function clientConstData(owner: Address, proxy: Address, proxyPublicKey: bigint): Cell {
    return beginCell()
        .store(storeClientConst({ $$type: 'ClientConst', ownerAddress: owner, proxyAddress: proxy, proxyPublicKey }))
        .endCell();
}

/**
 * The original's layout (ClientStorage in contracts/storage.tact fits one cell, so Tact's serializer writes
 * it field after field): state:uint2 balance:Coins stake:Coins tokens_used:uint64 unlock_ts:uint32
 * secret_hash:uint256 ^const_data ^params.
 */
export function buildClientData(s: Omit<ClientStorage, '$$type'>): Cell {
    return beginCell()
        .store(storeClientStorage({ $$type: 'ClientStorage', ...s }))
        .endCell();
}

export function parseClientData(data: Cell): ClientStorage & { constFields: ClientConst } {
    const s = data.beginParse();
    const st = loadClientStorage(s);
    s.endParse();
    return { ...st, constFields: loadClientConst(st.constData.beginParse()) };
}

export async function cocoonClientAt(data: Cell): Promise<CocoonClient> {
    return atState(CocoonClient, (await CocoonClient.init()).code, data);
}

/** The client contract of `owner` at a proxy contract, as the proxy derives it: stake = min_client_stake. */
export function cocoonClientFor(owner: Address, proxy: Address, proxyPublicKey: bigint, params: CocoonParams): Promise<CocoonClient> {
    return cocoonClientAt(
        buildClientData({
            state: 0n,
            balance: 0n,
            stake: params.minClientStake,
            tokensUsed: 0n,
            unlockTs: 0n,
            secretHash: 0n,
            constData: clientConstData(owner, proxy, proxyPublicKey),
            params: buildParamsCell(params, CODE_MASK.child),
        }),
    );
}
