/**
 * Timing headers, as upstream 9060ce5 adds them to every answer: each hop appends its own pair,
 *   X-Cocoon-Worker-Start / -End   (worker: request received, answer headers sent)
 *   X-Cocoon-Proxy-Start / -End    (proxy: query received, answer forwarded)
 *   X-Cocoon-Client-Start / -End   (client daemon: HTTP request received, answer headers sent)
 * The value is wall-clock Unix time in seconds with exactly six decimals ("1767225600.123456"),
 * upstream's FixedDouble(td::Clocks::system(), 6). End is taken when the answer's headers leave the
 * hop, so on a streamed answer it marks the first piece, not the last.
 */
export type TimingHop = 'Client' | 'Proxy' | 'Worker';

export const timingHeaderName = (hop: TimingHop, edge: 'Start' | 'End') => `X-Cocoon-${hop}-${edge}`;

/** Seconds since the epoch from Date.now()-style milliseconds, in upstream's text form. */
export function timingValue(unixMs: number): string {
    if (!Number.isFinite(unixMs) || unixMs < 0) throw new RangeError(`timing: ${unixMs} is not a wall-clock time`);
    return (unixMs / 1000).toFixed(6);
}

/** The two headers a hop appends, as [name, value] pairs in upstream's order (Start, then End). */
export function timingHeaders(hop: TimingHop, startMs: number, endMs: number): [string, string][] {
    return [
        [timingHeaderName(hop, 'Start'), timingValue(startMs)],
        [timingHeaderName(hop, 'End'), timingValue(endMs)],
    ];
}

/** Reads one back (e.g. for a latency breakdown); undefined when absent or not upstream's form. */
export function parseTimingValue(text: string | undefined): number | undefined {
    if (text === undefined || !/^\d{1,12}\.\d{6}$/.test(text)) return undefined;
    return Math.round(Number(text) * 1000);
}
