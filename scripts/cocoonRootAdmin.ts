/**
 * npx blueprint run cocoonRootAdmin <root> <action> [values...]
 * Actions: add-worker-hash|del-worker-hash|add-model-hash|del-model-hash|add-proxy-hash|del-proxy-hash <hex>,
 *   add-model <model name> (sha256 of the full name), register-proxy <"ip:port[ ip:port]">,
 *   unregister-proxy <seqno>, update-proxy <seqno> <"ip:port">, change-fees <price> <worker fee>,
 *   change-params <price> <fee> <proxy delay> <client delay> <min proxy stake> <min client stake>,
 *   change-params-full <params.json> (same keys as deployCocoonRoot), upgrade-contracts (compiled codes),
 *   upgrade-code (compiled CocoonRoot code), change-owner <address>, reset.
 * root_upgrade_full (replace data and code) is deliberately not offered here: build it with rootMsg.upgradeFull.
 */
import { createHash } from 'crypto';
import { beginCell, toNano, type Cell } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { childCodes } from '../wrappers/CocoonProxy';
import { ROOT_OP, rootMsg } from '../wrappers/CocoonRoot';
import { addressArg, arg, rootState } from './common';

const HASH_OPS: Record<string, number> = {
    'add-worker-hash': ROOT_OP.addWorkerType, 'del-worker-hash': ROOT_OP.delWorkerType,
    'add-model-hash': ROOT_OP.addModelType, 'del-model-hash': ROOT_OP.delModelType,
    'add-proxy-hash': ROOT_OP.addProxyType, 'del-proxy-hash': ROOT_OP.delProxyType,
};

export async function run(provider: NetworkProvider, args: string[]) {
    const root = addressArg(args, 0, 'root address');
    const action = arg(args, 1, 'action');
    const hex = (i: number) => BigInt('0x' + arg(args, i, 'hash (hex)').replace(/^0x/, ''));
    let body: Cell;
    if (HASH_OPS[action] !== undefined) body = rootMsg.hash(HASH_OPS[action], hex(2));
    else if (action === 'add-model') body = rootMsg.hash(ROOT_OP.addModelType, BigInt('0x' + createHash('sha256').update(arg(args, 2, 'model name')).digest('hex')));
    else if (action === 'register-proxy') body = rootMsg.registerProxy(arg(args, 2, 'proxy address "ip:port"'));
    else if (action === 'unregister-proxy') body = rootMsg.unregisterProxy(Number(arg(args, 2, 'seqno')));
    else if (action === 'update-proxy') body = rootMsg.updateProxy(Number(arg(args, 2, 'seqno')), arg(args, 3, 'proxy address'));
    else if (action === 'change-fees') body = rootMsg.changeFees(BigInt(arg(args, 2, 'price per token')), BigInt(arg(args, 3, 'worker fee per token')));
    else if (action === 'change-params') {
        body = rootMsg.changeParams({
            price: BigInt(arg(args, 2, 'price')), workerFee: BigInt(arg(args, 3, 'worker fee')), proxyDelay: Number(arg(args, 4, 'proxy delay')),
            clientDelay: Number(arg(args, 5, 'client delay')), minProxyStake: BigInt(arg(args, 6, 'min proxy stake')), minClientStake: BigInt(arg(args, 7, 'min client stake')),
        });
    } else if (action === 'upgrade-contracts') {
        const c = await childCodes();
        body = rootMsg.upgradeContracts(c.proxy, c.worker, c.client);
    } else if (action === 'change-params-full') {
        const { paramsFromJson } = await import('./deployCocoonRoot');
        body = rootMsg.changeParamsFull(await paramsFromJson(arg(args, 2, 'params JSON file')));
    } else if (action === 'upgrade-code') {
        const { CocoonRoot } = await import('../wrappers/CocoonRoot');
        const probe = await CocoonRoot.fromInit(root, 0n, beginCell().endCell(), beginCell().endCell());
        body = rootMsg.upgrade(probe.init!.code);
    } else if (action === 'change-owner') body = rootMsg.changeOwner(addressArg(args, 2, 'new owner'));
    else if (action === 'reset') body = rootMsg.reset();
    else throw new Error(`unknown action '${action}' (see the comment at the top of scripts/cocoonRootAdmin.ts)`);
    const before = await rootState(provider, root);
    await provider.sender().send({ to: root, value: toNano('0.1'), body });
    for (let i = 0; i < 30; i++) {
        const now = await rootState(provider, root);
        if (now.version > before.version || (action === 'upgrade-code' && i > 3)) {
            provider.ui().write(`done: root version ${now.version}, params_version ${now.params.paramsVersion}`);
            return;
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error('the root did not change within 30 s: check that the sender is the root owner');
}
