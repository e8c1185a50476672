/**
 * npx blueprint run cocoonRootAdmin <root> <action> [values...]
 * Actions: add-worker-hash|del-worker-hash|add-model-hash|del-model-hash|add-proxy-hash|del-proxy-hash <hex>,
 *   add-model|del-model <model name> (sha256 of the full name), register-proxy <"ip:port[ ip:port]">,
 *   unregister-proxy <seqno>, update-proxy <seqno> <"ip:port">, change-fees <price> <worker fee>,
 *   change-params <price> <fee> <proxy delay> <client delay> <min proxy stake> <min client stake>,
 *   change-params-full <params.json> (same keys as deployCocoonRoot), upgrade-contracts (compiled codes),
 *   upgrade-code (compiled CocoonRoot code), change-owner <address>, reset.
 * The actions are defined once in wrappers/rootAdmin.ts (the `cocoon root` command uses the same table).
 * root_upgrade_full (replace data and code) is deliberately not offered here: build it with rootMsg.upgradeFull.
 */
import { toNano } from '@ton/core';
import type { NetworkProvider } from '@ton/blueprint';
import { ROOT_ACTIONS, type RootActionArgs } from '../wrappers/rootAdmin';
import { addressArg, arg, hashArg, rootState } from './common';

export async function run(provider: NetworkProvider, args: string[]) {
    const root = addressArg(args, 0, 'root address');
    const action = arg(args, 1, 'action');
    // Action values start at the third script argument.
    const values: RootActionArgs = {
        text: (i, what) => arg(args, i + 2, what),
        hash: (i, what) => hashArg(args, i + 2, what),
        uint: (i, what) => Number(arg(args, i + 2, what)),
        coins: (i, what) => BigInt(arg(args, i + 2, what)),
        address: (i, what) => addressArg(args, i + 2, what),
    };
    const spec = Object.prototype.hasOwnProperty.call(ROOT_ACTIONS, action) ? ROOT_ACTIONS[action] : undefined;
    if (!spec) throw new Error(`unknown action '${action}' (see the comment at the top of scripts/cocoonRootAdmin.ts)`);
    const body = await spec.build(values, root);
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
