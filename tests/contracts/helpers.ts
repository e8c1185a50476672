import { keyPairFromSeed } from '@ton/crypto';
import type { CocoonParams } from '../../wrappers/params';
import { CocoonProxy } from '../../wrappers/CocoonProxy';
import { bufferToBigInt } from '../../wrappers/uint256';

export const proxyKey = keyPairFromSeed(Buffer.alloc(32, 1));
export const otherKey = keyPairFromSeed(Buffer.alloc(32, 2));
export const proxyPublicKey = bufferToBigInt(proxyKey.publicKey);

/** The original's integration scenario: 0.00001 TON per token, worker fee 90 %. */
export function testParams(over: Partial<CocoonParams> = {}): CocoonParams {
    return {
        structVersion: 3,
        paramsVersion: 1,
        uniqueId: 17,
        isTest: true,
        pricePerToken: 10_000n,
        workerFeePerToken: 9_000n,
        promptTokensPriceMultiplier: 10000,
        cachedTokensPriceMultiplier: 10000,
        completionTokensPriceMultiplier: 10000,
        reasoningTokensPriceMultiplier: 10000,
        proxyDelayBeforeClose: 600,
        clientDelayBeforeClose: 300,
        minProxyStake: 1_000_000_000n,
        minClientStake: 1_000_000_000n,
        proxyScCode: null,
        workerScCode: null,
        clientScCode: null,
        ...over,
    };
}

const op = CocoonProxy.opcodes;

export const OP = {
    excesses: op.Excesses,
    workerProxyRequest: op.WorkerProxyRequest,
    clientProxyRequest: op.ClientProxyRequest,
    payout: op.Payout,
    refused: op.ProxyRequestRefused,
    doNotProcess: op.DoNotProcess,
    saveState: op.ProxySaveState,
    extClientTopUp: op.ExtClientTopUp,
} as const;
