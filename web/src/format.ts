/**
 * Display formatting. Money arrives as decimal nanoTON strings; it is converted with string/bigint math
 * only, because a JS number loses precision above 2^53 nanoTON (~9M TON).
 */

const NANO_DIGITS = 9;

/** Inserts thousands separators into a string of digits. */
function group(digits: string): string {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The explorer's one TON display formatter. nanoTON (decimal string or bigint) -> "1,234.5 TON"-style text
 * without the unit: exact, trailing zeros of the fraction dropped, at most `maxFraction` fraction digits
 * (truncated toward zero, never rounded up). Without the separators and the cap its digits are those of
 * node/common/ton.ts `formatTon` (tests/web/format.spec.ts checks it); it takes the API's decimal strings and
 * works on strings so the browser bundle needs no @ton/core.
 */
export function formatTon(nano: string | bigint | null | undefined, maxFraction = NANO_DIGITS): string {
    if (nano === null || nano === undefined || nano === '') return '—';
    const s = typeof nano === 'bigint' ? nano.toString() : nano.trim();
    if (!/^-?\d+$/.test(s)) return s;
    const negative = s.startsWith('-');
    const digits = (negative ? s.slice(1) : s).replace(/^0+(?=\d)/, '').padStart(NANO_DIGITS + 1, '0');
    const whole = digits.slice(0, -NANO_DIGITS);
    const fraction = digits.slice(-NANO_DIGITS).slice(0, Math.max(0, maxFraction)).replace(/0+$/, '');
    const isZero = /^0*$/.test(whole) && fraction === '';
    return `${negative && !isZero ? '-' : ''}${group(whole)}${fraction ? `.${fraction}` : ''}`;
}

/** Decimal integer string (tokens, counts) with separators. */
export function formatInt(v: string | number | bigint | null | undefined): string {
    if (v === null || v === undefined || v === '') return '—';
    const s = String(v);
    if (!/^-?\d+$/.test(s)) return s;
    return s.startsWith('-') ? `-${group(s.slice(1))}` : group(s);
}

/**
 * nanoTON -> TON as a float, for chart axes only (a chart's pixel position tolerates rounding; labels and
 * tables always use formatTon). The split keeps large values accurate to the displayed precision.
 */
export function nanoToChartNumber(nano: string): number {
    const v = BigInt(nano);
    const whole = v / 1_000_000_000n;
    const frac = v % 1_000_000_000n;
    return Number(whole) + Number(frac) / 1e9;
}

/** Sums decimal nanoTON strings exactly. */
export function sumNano(values: readonly (string | null | undefined)[]): string {
    let total = 0n;
    for (const v of values) if (v) total += BigInt(v);
    return total.toString();
}

export function shortAddress(a: string | null | undefined): string {
    if (!a) return '—';
    const [wc, hex] = a.includes(':') ? a.split(':') : ['', a];
    if (!hex || hex.length <= 12) return a;
    return `${wc ? `${wc}:` : ''}${hex.slice(0, 6)}…${hex.slice(-4)}`;
}

export function shortHash(h: string | null | undefined): string {
    if (!h) return '—';
    return h.length > 14 ? `${h.slice(0, 8)}…${h.slice(-4)}` : h;
}

/** Unix seconds -> "2026-01-01 00:00:00 UTC". */
export function formatTime(utime: number | null | undefined): string {
    if (utime === null || utime === undefined) return '—';
    return new Date(utime * 1000)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

/** Unix seconds -> "just now", "5 min ago", "3 h ago", "2 days ago" (relative to `now`, ms). */
export function timeAgo(utime: number, now = Date.now()): string {
    const s = Math.round(now / 1000 - utime);
    if (s < 0) return 'in the future';
    if (s < 10) return 'just now';
    if (s < 60) return `${s} s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
    const d = Math.floor(s / 86400);
    return `${d} day${d === 1 ? '' : 's'} ago`;
}

/** Multiplier stored as 10000 = 1.0x. */
export function formatMultiplier(m: number): string {
    const whole = Math.trunc(m / 10000);
    const frac = String(m % 10000)
        .padStart(4, '0')
        .replace(/0+$/, '');
    return `${whole}${frac ? `.${frac}` : ''}×`;
}

/** Per-mille as a percentage with one decimal ("99.0%"); "—" when unknown. */
export function formatPermille(p: number | null | undefined): string {
    return p === null || p === undefined ? '—' : `${(p / 10).toFixed(1)}%`;
}

/** Seconds as the two largest units: "42 s", "3 min 5 s", "2 h 7 min", "3 d 4 h". */
export function formatDuration(seconds: number): string {
    const s = Math.max(0, Math.floor(seconds));
    const units: [number, string][] = [
        [86400, 'd'],
        [3600, 'h'],
        [60, 'min'],
        [1, 's'],
    ];
    const i = units.findIndex(([n]) => s >= n);
    if (i < 0) return '0 s';
    const [big, bigName] = units[i];
    const parts = [`${Math.floor(s / big)} ${bigName}`];
    const next = units[i + 1];
    if (next && Math.floor((s % big) / next[0]) > 0) parts.push(`${Math.floor((s % big) / next[0])} ${next[1]}`);
    return parts.join(' ');
}
