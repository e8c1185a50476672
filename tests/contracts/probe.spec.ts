import { Blockchain } from '@ton/sandbox';
import '@ton/test-utils';
import { toNano } from '@ton/core';
import { cocoonClientFor } from '../../wrappers/CocoonClient';
import { proxyPublicKey, testParams } from './helpers';
it('probe', async () => {
    const bc = await Blockchain.create();
    const owner = await bc.treasury('o'); const proxy = await bc.treasury('p');
    const client = bc.openContract(await cocoonClientFor(owner.address, proxy.address, proxyPublicKey, testParams()));
    await client.send(owner.getSender(), { value: toNano('15') }, null);
    for (const v of ['0.001', '0.5']) {
    const r = await client.send(owner.getSender(), { value: toNano(v) }, { $$type: 'ExtClientTopUp', queryId: 0n, topUpAmount: toNano(v === '0.001' ? '0.5' : '5'), sendExcessesTo: owner.address });
    for (const t of r.transactions) { const d = t.description as any; console.log(v, d.computePhase?.type, d.computePhase?.exitCode, d.computePhase?.gasUsed, d.aborted, d.computePhase?.reason); }
    }
});
