/**
 * Opening a generated contract class on a StateInit built by hand. Every Cocoon contract keeps its data in
 * the original's bit layout (contracts/storage.tact) and declares no Tact fields, so the generated
 * `fromInit()` only supplies the code; the data cell comes from the wrapper's layout builder.
 */
import { contractAddress, type Address, type Cell } from '@ton/core';

export interface StateInit {
    code: Cell;
    data: Cell;
}

/** The contract at the basechain address of (code, data), with that StateInit for deployment. */
export function atState<C>(Ctor: new (address: Address, init?: StateInit) => C, code: Cell, data: Cell): C {
    const init = { code, data };
    return new Ctor(contractAddress(0, init), init);
}
