/**
 * What a failed transaction's codes mean. The table itself comes from the contracts (indexer/protocol.ts
 * reads the generated wrappers: the compiler's code -> message table and the ERR_* constants); this module
 * only looks codes up per contract kind and says which phase failed.
 */
import type { ComputeSkipReason, ExitCodeInfo, TxFailure, TxOutcome } from './types';

/** Why a compute phase was skipped, in words (block.tlb ComputeSkipReason). */
const SKIP_MEANINGS = new Map<ComputeSkipReason, string>([
    ['no_state', 'compute skipped: the account has no code and the message brought no StateInit (not deployed)'],
    ['bad_state', 'compute skipped: the StateInit the message brought does not match the address'],
    ['no_gas', 'compute skipped: the message value buys no gas'],
    ['suspended', 'compute skipped: the account is suspended'],
]);

export class ExitCodeTable {
    private readonly byKey = new Map<string, { name: string | null; meaning: string }>();

    constructor(readonly entries: readonly ExitCodeInfo[] = []) {
        for (const e of entries) for (const c of e.contracts) this.byKey.set(`${c} ${e.code}`, { name: e.name, meaning: e.meaning });
    }

    /** The meaning of `code` in the table of contract `kind` (null: that contract's table lacks it). */
    lookup(kind: string, code: number): { name: string | null; meaning: string } | null {
        return this.byKey.get(`${kind} ${code}`) ?? null;
    }

    /** Where and why a transaction failed; null unless its outcome is a real failure. */
    failureOf(t: {
        accountKind: string;
        outcome: string;
        exitCode: number | null;
        actionResultCode: number | null;
        computeSkipped: string | null;
    }): TxFailure | null {
        if ((t.outcome as TxOutcome) !== 'failed') return null;
        if (t.computeSkipped !== null) {
            const meaning = SKIP_MEANINGS.get(t.computeSkipped as ComputeSkipReason) ?? `compute skipped: ${t.computeSkipped}`;
            return { phase: 'compute', code: null, name: null, meaning };
        }
        const at = (phase: 'compute' | 'action', code: number): TxFailure => {
            const known = this.lookup(t.accountKind, code);
            return { phase, code, name: known?.name ?? null, meaning: known?.meaning ?? null };
        };
        // Exit codes 0 and 1 are the two success codes of the compute phase.
        if (t.exitCode !== null && t.exitCode !== 0 && t.exitCode !== 1) return at('compute', t.exitCode);
        if (t.actionResultCode !== null && t.actionResultCode !== 0) return at('action', t.actionResultCode);
        if (t.exitCode === null) return { phase: 'compute', code: null, name: null, meaning: 'compute skipped' };
        return { phase: null, code: null, name: null, meaning: 'aborted' };
    }
}
