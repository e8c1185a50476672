/**
 * Waiting on a condition instead of sleeping: `waitFor` polls `probe` (sync or async) until it returns a
 * truthy value and resolves with that value, or fails naming `what` once `ms` have passed. A probe that
 * throws fails the wait at once (wrap it in `.catch(() => false)` where an error only means "not yet").
 */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, ms = 30_000, everyMs = 10): Promise<NonNullable<T>> {
    const deadline = Date.now() + ms;
    for (;;) {
        const v = await probe();
        if (v) return v as NonNullable<T>;
        if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, everyMs));
    }
}
