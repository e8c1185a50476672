/**
 * Before a restarted proxy serves anyone: is its store at least as new as what the chain shows it did?
 * A proxy restored from an old backup would otherwise sign from stale ledgers (tokens it already signed
 * for would be metered again, and a client's charged tokens would exceed what the store says it used).
 * Three things on-chain are compared with the store:
 *
 *   - the latest save-state note from the proxy's wallet on its contract: its seqno must not exceed the
 *     store's seqno (every note is written after its seqno is in the store);
 *   - each client contract the store knows: its charged tokens must not exceed the tokens the store holds
 *     as committed to the database (a signed amount was committed there first; the store's committed-to-
 *     blockchain position may lag by one commit after a kill -9, so it is not the bound);
 *   - each worker contract the store knows: its paid tokens, likewise.
 *
 * Accounts created after the backup are unknown to the store and cannot be checked one by one; the save-
 * state note covers them (their requests moved the seqno on).
 */
import type { Address } from '@ton/core';
import type { ChainClient } from '../chain';
import { readClientContract, readWorkerContract } from '../chain/cocoon';
import { parseSaveStateNote } from '../../wrappers/signed';
import { ProxyFatalError } from './config';
import type { ProxyAccounts } from './ledgers';

/** How many of the contract's latest transactions are searched for the newest note (notes go out every chainCommitMs). */
export const NOTE_SEARCH_DEPTH = 256;

export interface BackupCheckDeps {
    chain: ChainClient;
    /** The proxy contract and the proxy's wallet (only its notes count). */
    contract: Address;
    wallet: Address;
    accounts: ProxyAccounts;
    storeSeqno: number;
}

/** The newest save-state note the wallet sent to the contract among its latest transactions; null when none. */
export async function latestNote(chain: ChainClient, contract: Address, wallet: Address): Promise<{ seqno: number; lt: bigint } | null> {
    const acc = await chain.account(contract);
    if (acc.state !== 'active' || !acc.last) return null;
    const txs = await chain.transactions(contract, { from: acc.last, limit: NOTE_SEARCH_DEPTH });
    for (const t of txs) {
        const m = t.tx.inMessage;
        if (!m || m.info.type !== 'internal' || !m.info.src.equals(wallet)) continue;
        const note = parseSaveStateNote(m.body);
        if (note) return { seqno: note.seqno, lt: t.lt };
    }
    return null;
}

/** Throws ProxyFatalError('ROLLBACK') naming what is behind; resolves when the store is not behind the chain. */
export async function checkStoreAgainstChain(d: BackupCheckDeps): Promise<void> {
    const behind: string[] = [];
    const note = await latestNote(d.chain, d.contract, d.wallet);
    if (note && note.seqno > d.storeSeqno)
        behind.push(`the chain holds a save-state note for seqno ${note.seqno}, the store is at seqno ${d.storeSeqno}`);
    for (const a of d.accounts.clients()) {
        const c = await readClientContract(d.chain, a.contract);
        const stored = a.ledger.tokensCommittedToDb;
        if (c && c.tokensUsed > stored)
            behind.push(`client contract ${a.contract.toString()} has charged ${c.tokensUsed} tokens, the store knows ${stored}`);
    }
    for (const a of d.accounts.workers()) {
        const w = await readWorkerContract(d.chain, a.contract);
        const stored = a.ledger.tokensCommittedToDb;
        if (w && w.tokens > stored)
            behind.push(`worker contract ${a.contract.toString()} has been paid ${w.tokens} tokens, the store knows ${stored}`);
    }
    if (behind.length) {
        throw new ProxyFatalError(
            'ROLLBACK',
            `the proxy's store is behind the chain (restored from an old backup, or another copy ran on): ${behind.join('; ')}. ` +
                'Refusing to serve: start from the newest data directory (or its database), never from an older copy.',
        );
    }
}
