import { Blockchain } from '@ton/sandbox';
import { beginCell, internal, toNano } from '@ton/core';
import { childCodes, cocoonProxyFor, CocoonProxy } from '../../wrappers/CocoonProxy';
import { cocoonClientFor } from '../../wrappers/CocoonClient';
import { cocoonWorkerFor } from '../../wrappers/CocoonWorker';
import { cocoonWalletFor, walletExternal } from '../../wrappers/CocoonWallet';
import { signedMessage, SIGNED_OP } from '../../wrappers/signed';
import { proxyKey, proxyPublicKey, testParams } from '../../tests/contracts/helpers';
async function main() {
  const bc = await Blockchain.create(); const NOW = 1_800_000_000; bc.now = NOW;
  const [proxyOwner, workerOwner, clientOwner, root] = await Promise.all(['proxyOwner','workerOwner','clientOwner','root'].map((n) => bc.treasury(n)));
  const codes = await childCodes();
  const params = testParams({ workerScCode: codes.worker, clientScCode: codes.client, proxyDelayBeforeClose: 3600, clientDelayBeforeClose: 3600 });
  const wallet = bc.openContract(await cocoonWalletFor(proxyOwner.address, proxyKey.publicKey));
  await proxyOwner.send({ to: wallet.address, value: toNano('5'), init: wallet.init, bounce: false });
  const p0 = await cocoonProxyFor(proxyOwner.address, proxyPublicKey, root.address, params);
  const proxy = bc.openContract(await CocoonProxy.fromInit(proxyOwner.address, proxyPublicKey, root.address, 0n, 0n, toNano('10'), 0n, p0.init!.data.refs.length ? (p0.init!.data.refs[p0.init!.data.refs.length-1].refs.length ? p0.init!.data.refs[0].refs[0] : p0.init!.data.refs[0]) : p0.init!.data));
  await proxy.send(proxyOwner.getSender(), { value: toNano('11') }, null);
  const worker = bc.openContract(await cocoonWorkerFor(workerOwner.address, proxy.address, proxyPublicKey, params));
  await worker.send(workerOwner.getSender(), { value: toNano('2') }, null);
  const client = bc.openContract(await cocoonClientFor(clientOwner.address, proxy.address, proxyPublicKey, params));
  await client.send(clientOwner.getSender(), { value: toNano('6') }, null);
  const dep = 10_000_000n * 10_000n;
  await client.send(clientOwner.getSender(), { value: dep + toNano('10') }, { $$type: 'ExtClientTopUp', queryId: 0n, topUpAmount: dep, sendExcessesTo: clientOwner.address });
  const bal = async (a: any) => (await bc.getContract(a)).balance;
  const names = new Map([[proxy.address.toString(),'proxy'],[client.address.toString(),'client'],[worker.address.toString(),'worker'],[wallet.address.toString(),'wallet'],[clientOwner.address.toString(),'cOwner'],[workerOwner.address.toString(),'wOwner'],[proxyOwner.address.toString(),'pOwner']]);
  let w0 = await bal(wallet.address);
  for (let i = 0; i < 100; i++) {
    const body = beginCell().storeUint(0x9a1247c0, 32).storeUint(BigInt(i), 64).storeUint(0x12345678, 32).storeUint(i, 32).endCell();
    const rr = await bc.sendMessage(walletExternal(wallet, { seqno: i, validUntil: NOW + 3600, messages: [{ mode: 1, message: internal({ to: proxy.address, value: 1n, bounce: true, body }) }] }, proxyKey.secretKey, false));
    if (i == 0) await dump(rr, names);
  }
  const saveState = (w0 - await bal(wallet.address)) / 100n;
  let c0 = await clientOwner.getBalance();
  for (let i = 0; i < 2; i++) await dump(await client.send(clientOwner.getSender(), { value: toNano('105') }, { $$type: 'ExtClientTopUp', queryId: 0n, topUpAmount: toNano('100'), sendExcessesTo: clientOwner.address }), names);
  const topUp = (c0 - await clientOwner.getBalance() - toNano('200')) / 2n;
  c0 = await clientOwner.getBalance();
  for (let i = 0; i < 5; i++) await dump(await clientOwner.send({ to: client.address, value: toNano('0.2'), body: signedMessage(SIGNED_OP.clientCharge, BigInt(i + 1), 2_000_000n * BigInt(i + 1), client.address, clientOwner.address, proxyKey.secretKey) }), names);
  const charge = (c0 - await clientOwner.getBalance()) / 5n;
  const wb = await workerOwner.getBalance(); const pb = await bal(proxy.address);
  for (let i = 0; i < 5; i++) await dump(await workerOwner.send({ to: worker.address, value: toNano('0.3'), body: signedMessage(SIGNED_OP.workerPayout, BigInt(i + 1), 2_000_000n * BigInt(i + 1), worker.address, workerOwner.address, proxyKey.secretKey) }), names);
  const paid = pb - await bal(proxy.address); const net = await workerOwner.getBalance() - wb;
  const payout = (paid - net) / 5n;
  console.log({ saveState: Number(saveState)/1e9, topUp: Number(topUp)/1e9, charge: Number(charge)/1e9, payout: Number(payout)/1e9 });
}
main();
export async function dump(r: any, names: Map<string,string>) {
  for (const t of r.transactions) {
    const d = t.description; const info = t.inMessage?.info;
    const to = info?.dest ? names.get(info.dest.toString()) ?? info.dest.toString().slice(0,6) : '?';
    const from = info?.src ? names.get(info.src.toString()) ?? info.src.toString().slice(0,6) : 'ext';
    console.log(`${from}->${to} total=${t.totalFees.coins} gas=${d.computePhase?.gasUsed} fwdIn=${info?.forwardFee ?? '-'} importFee=${info?.importFee ?? '-'} action=${d.actionPhase?.totalFwdFees ?? 0}/${d.actionPhase?.totalActionFees ?? 0} storage=${d.storagePhase?.storageFeesCollected}`);
  }
}
