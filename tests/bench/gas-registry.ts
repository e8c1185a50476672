/**
 * `npm run bench -- gas-registry`: gas and fees of each CocoonRegistry operation (contracts/registry.tact)
 * on @ton/sandbox, written to tests/bench/gas-registry.json. The registry has no FunC original, so there
 * is no baseline column. Fees = the registry's own transaction fees + the forward fee of its excess/refund
 * message (what the owner pays beyond what comes back). Ends with one `RESULT {json}` line.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { Blockchain, type SendMessageResult } from '@ton/sandbox';
import { toNano, type Address } from '@ton/core';
import { cocoonRegistryFor, REGISTRY_TERMS, registryBody, type RegistryProfile } from '../../wrappers/CocoonRegistry';

const PROFILE: RegistryProfile = {
    gpuModel: 'NVIDIA H100 80GB HBM3',
    gpuCount: 8,
    vramMib: 81_559,
    tee: 'tdx',
    cpuModel: 'Intel(R) Xeon(R) Platinum 8480+',
    cpuCores: 224,
    ramMib: 2_063_000,
    region: 'eu-west',
    models: ['Qwen/Qwen3-32B', 'Qwen/Qwen3-0.6B'],
    uptimePermille: 990,
    workerKeys: [1n, 2n],
};

function registryCost(op: string, r: SendMessageResult, registry: Address) {
    const tx = r.transactions.find((t) => t.inMessage?.info.dest?.toString() === registry.toString());
    if (!tx || tx.description.type !== 'generic' || tx.description.computePhase.type !== 'vm' || !tx.description.computePhase.success)
        throw new Error(`${op}: the registry did not accept the message`);
    const out = r.transactions.find((t) => t.inMessage?.info.src?.toString() === registry.toString())?.inMessage?.info;
    const forward = out?.type === 'internal' ? out.forwardFee : 0n;
    return { op, gas: Number(tx.description.computePhase.gasUsed), feesNano: (tx.totalFees.coins + forward).toString() };
}

async function main(): Promise<void> {
    const bc = await Blockchain.create();
    bc.now = 1_800_000_000;
    const [owner, root] = await Promise.all([bc.treasury('owner'), bc.treasury('root')]);
    const reg = await cocoonRegistryFor(root.address, owner.address);
    const send = (body: ReturnType<typeof registryBody.pause>, value = toNano('0.1')) =>
        owner.send({ to: reg.address, value, body, init: reg.init });
    const rows = [
        registryCost(
            'register (deploy)',
            await send(registryBody.register(PROFILE, 1n, owner.address), REGISTRY_TERMS.deposit + toNano('0.1')),
            reg.address,
        ),
        registryCost('update', await send(registryBody.update({ ...PROFILE, gpuCount: 4 }, 2n, owner.address)), reg.address),
        registryCost('pause', await send(registryBody.pause(3n, owner.address)), reg.address),
        registryCost('resume', await send(registryBody.resume(4n, owner.address)), reg.address),
        registryCost('retire', await send(registryBody.retire(5n, owner.address)), reg.address),
    ];
    bc.now += REGISTRY_TERMS.withdrawDelay;
    rows.push(registryCost('withdraw', await send(registryBody.withdraw(6n, owner.address)), reg.address));
    console.log('operation              gas    fees TON');
    for (const r of rows)
        console.log(`${r.op.padEnd(20)} ${String(r.gas).padStart(6)} ${(Number(r.feesNano) / 1e9).toFixed(6).padStart(11)}`);
    writeFileSync(join(__dirname, 'gas-registry.json'), JSON.stringify(rows, null, 2) + '\n');
    console.log('RESULT ' + JSON.stringify({ bench: 'gas-registry', operations: rows }));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
