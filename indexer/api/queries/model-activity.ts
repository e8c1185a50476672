/**
 * Who serves each model and how much it is used. Supply comes from the GPU owners' registries (the models
 * an active owner declares, its GPUs and worker keys); usage from the final payouts to the worker contracts
 * of the owners that offer the model (account_daily), since the chain does not record a model per request.
 * An owner offering two models counts towards both: the figures say "tokens paid to workers that offer
 * this model", an upper bound per model, and they are labelled that way.
 */
import { sql } from 'drizzle-orm';
import { rows, type DbOrTx } from '../../db/client';
import type { GpuProfile } from '../../ingest/types';
import { modelHash } from '../models';
import type { ModelActivity, ModelDemandDay } from '../types';

/** Days of demand history per model (the default of `?days=`). */
export const DEFAULT_DEMAND_DAYS = 30;
export const MAX_DEMAND_DAYS = 365;
/** Tokens per day is the mean over the latest days of the window. */
const RECENT_DAYS = 7;
const DAY_MS = 86_400_000;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function emptyActivity(days: string[]): ModelActivity {
    return { owners: 0, workers: 0, gpus: 0, tokensPerDay: '0', demand: days.map((day) => ({ day, tokens: '0' })) };
}

/**
 * Activity per model hash, over `days` UTC days ending at the latest day the chain has data for (the
 * chain's clock, not this server's: a time-shifted local chain shows its own days).
 */
export async function modelActivity(db: DbOrTx, hashes: readonly string[], days: number): Promise<Map<string, ModelActivity>> {
    const [last] = await rows<{ day: string | null }>(db, sql`select max(day) as day from daily_stats`);
    const endMs = last?.day ? Date.parse(`${last.day}T00:00:00Z`) : Date.parse(`${dayOf(Date.now())}T00:00:00Z`);
    const window = Array.from({ length: days }, (_, i) => dayOf(endMs - (days - 1 - i) * DAY_MS));
    const out = new Map(hashes.map((h) => [h, emptyActivity(window)]));
    const regs = await rows<{ owner: string; status: number; profile: GpuProfile | null }>(
        db,
        sql`select owner, status, profile from registries where profile is not null`,
    );
    const ownersOf = new Map<string, Set<string>>();
    for (const r of regs) {
        for (const name of new Set(r.profile!.models)) {
            const a = out.get(modelHash(name));
            if (!a) continue;
            const set = ownersOf.get(modelHash(name)) ?? new Set<string>();
            set.add(r.owner);
            ownersOf.set(modelHash(name), set);
            // Supply counts only owners serving now (1 = active); usage below counts every owner's history.
            if (r.status !== 1) continue;
            a.owners++;
            a.workers += r.profile!.workerKeys.length;
            a.gpus += r.profile!.gpuCount;
        }
    }
    const owners = [...new Set([...ownersOf.values()].flatMap((s) => [...s]))];
    if (!owners.length) return out;
    const used = await rows<{ owner: string; day: string; tokens: string }>(
        db,
        sql`select wk.owner, d.day, sum(d.tokens_paid)::text as tokens from account_daily d join workers wk on wk.address = d.address
            where wk.owner in (${sql.join(
                owners.map((o) => sql`${o}`),
                sql`, `,
            )}) and d.day >= ${window[0]} and d.day <= ${window[window.length - 1]}
            group by wk.owner, d.day`,
    );
    const index = new Map(window.map((d, i) => [d, i]));
    for (const [hash, set] of ownersOf) {
        const a = out.get(hash)!;
        const tokens = window.map(() => 0n);
        for (const u of used) if (set.has(u.owner)) tokens[index.get(u.day)!] += BigInt(u.tokens);
        a.demand = window.map((day, i): ModelDemandDay => ({ day, tokens: tokens[i].toString() }));
        const recent = tokens.slice(-RECENT_DAYS);
        a.tokensPerDay = (recent.reduce((s, t) => s + t, 0n) / BigInt(recent.length)).toString();
    }
    return out;
}
