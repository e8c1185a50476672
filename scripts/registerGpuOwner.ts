/**
 * npx blueprint run registerGpuOwner <root> register|update <profile.json>
 * npx blueprint run registerGpuOwner <root> pause|resume|retire|withdraw|status
 * The sender's GPU-owner registration under a root (contracts/registry.tact). profile.json holds the
 * RegistryProfile keys (gpuModel, gpuCount, vramMib, tee, cpuModel, cpuCores, ramMib, region, models,
 * uptimePermille, workerKeys as hex); it is checked against the contract's bounds before anything is sent.
 */
import { readFileSync } from 'fs';
import { sleep, type NetworkProvider } from '@ton/blueprint';
import {
    cocoonRegistryFor,
    parseProfileCell,
    profileFromJson,
    REGISTRY_STATUS_NAMES,
    registryBody,
    registryMessageValue,
    validateProfile,
} from '../wrappers/CocoonRegistry';
import { addressArg, arg } from './common';
import { uint256Hex } from '../wrappers/uint256';

const ACTIONS = ['register', 'update', 'pause', 'resume', 'retire', 'withdraw', 'status'] as const;

export async function run(provider: NetworkProvider, args: string[]) {
    const root = addressArg(args, 0, 'root address');
    const given = arg(args, 1, `action (${ACTIONS.join(', ')})`);
    const action = ACTIONS.find((a) => a === given);
    if (!action) throw new Error(`unknown action '${given}' (${ACTIONS.join(', ')})`);
    const me = provider.sender().address;
    if (!me) throw new Error('the sender has no address (connect a wallet)');
    const registry = provider.open(await cocoonRegistryFor(root, me));
    const ui = provider.ui();
    ui.write(`registry contract ${registry.address.toString()}`);
    const deployed = await provider.isContractDeployed(registry.address);
    const held = deployed ? await registry.getGetRegistryData() : null;
    const accountState = await provider.provider(registry.address).getState();
    const queryId = BigInt(Date.now());

    if (action !== 'status') {
        let body;
        if (action === 'register' || action === 'update') {
            const file = arg(args, 2, 'profile JSON file');
            const profile = profileFromJson(JSON.parse(readFileSync(file, 'utf8')));
            validateProfile(profile);
            body = registryBody[action](profile, queryId, me);
        } else {
            body = registryBody[action](queryId, me);
        }
        const value = registryMessageValue(action, { deposit: held?.deposit ?? 0n, accountBalance: accountState.balance });
        await provider.sender().send({ to: registry.address, value, body, init: deployed ? undefined : registry.init });
        // Blueprint's mnemonic provider cannot wait for a transaction, so the script watches the contract's last one.
        const lastLt = accountState.last?.lt ?? 0n;
        for (let i = 0; ; i++) {
            if (((await provider.provider(registry.address).getState()).last?.lt ?? 0n) > lastLt) break;
            if (i === 60)
                throw new Error(`no transaction on ${registry.address.toString()} after 60 s: check the wallet balance and the network`);
            await sleep(1000);
        }
    }
    if (!(await provider.isContractDeployed(registry.address))) {
        ui.write('not registered');
        return;
    }
    const d = await registry.getGetRegistryData();
    ui.write(
        `status ${REGISTRY_STATUS_NAMES[Number(d.status)]} deposit ${d.deposit} registered_at ${d.registeredAt} ` +
            `updated_at ${d.updatedAt} unlock_at ${d.unlockAt}`,
    );
    if (d.profile) {
        const p = parseProfileCell(d.profile);
        ui.write(`profile ${JSON.stringify({ ...p, workerKeys: p.workerKeys.map(uint256Hex) })}`);
    }
}
