/**
 * Quote providers make the attestation a node puts into its own RA-TLS certificate.
 * - none: no quote at all (peers must use policy "any");
 * - fake: quote = the 64-byte reportdata itself (the original's fake_tdx), for development and tests;
 * - tdx:  a real DCAP quote from configfs-tsm (only inside a TDX guest).
 */
import { ConfigfsTsm, ConfigfsTsmOptions } from './tdx/configfs-tsm';

export type ProviderKind = 'none' | 'fake' | 'tdx';

export interface QuoteProvider {
    readonly kind: ProviderKind;
    /** Returns the quote binding `reportData`, or undefined when this provider attests nothing. */
    makeQuote(reportData: Buffer): Promise<Buffer | undefined>;
}

export const noneProvider: QuoteProvider = { kind: 'none', makeQuote: async () => undefined };

export const fakeProvider: QuoteProvider = { kind: 'fake', makeQuote: async (reportData) => Buffer.from(reportData) };

export function tdxProvider(opts: ConfigfsTsmOptions = {}): QuoteProvider {
    const tsm = new ConfigfsTsm(opts);
    return { kind: 'tdx', makeQuote: (reportData) => tsm.getQuote(reportData) };
}

export function createProvider(kind: ProviderKind, opts: ConfigfsTsmOptions = {}): QuoteProvider {
    if (kind === 'none') return noneProvider;
    if (kind === 'fake') return fakeProvider;
    return tdxProvider(opts);
}
