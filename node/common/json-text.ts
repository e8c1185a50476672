/**
 * Checks on a JSON request body as text, shared by the client API and the worker's validator: strict
 * UTF-8, a nesting limit and duplicate top-level keys. JSON.parse accepts all three silently: it turns
 * invalid bytes into U+FFFD, parses any depth (and the JSON.stringify on the way to the backend then
 * overflows the stack) and keeps the last of two equal keys (a request-smuggling vector between parsers).
 */

/** How deep a request body may nest, in objects and arrays (the top-level object is level 1). */
export const DEFAULT_MAX_JSON_DEPTH = 64;

export class JsonTextError extends Error {
    constructor(
        message: string,
        readonly param: string | null = null,
    ) {
        super(message);
    }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as a string; bytes that are not UTF-8 are refused (RFC 8259 requires it). */
export function decodeUtf8(raw: Buffer | string): string {
    if (typeof raw === 'string') return raw;
    try {
        return utf8.decode(raw);
    } catch {
        throw new JsonTextError('request body is not valid UTF-8');
    }
}

export interface JsonTextLimits {
    maxDepth?: number;
    /** Refuse a top-level key given twice. */
    uniqueTopLevelKeys?: boolean;
}

/**
 * Runs on text JSON.parse has accepted. Strings are skipped with indexOf (prompts are most of the bytes);
 * only keys at depth 1 are decoded. Errors name the top-level field they were found in.
 */
export function checkJsonText(text: string, limits: JsonTextLimits = {}): void {
    const maxDepth = limits.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
    const seen = limits.uniqueTopLevelKeys ? new Set<string>() : null;
    let field: string | null = null;
    let depth = 0;
    let i = 0;
    const n = text.length;
    while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 34) {
            const end = closingQuote(text, i);
            if (depth === 1 && isKey(text, end + 1)) {
                const raw = text.slice(i + 1, end);
                field = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
                if (seen?.has(field)) throw new JsonTextError(`duplicate key '${field}' in request body`, field);
                seen?.add(field);
            }
            i = end + 1;
            continue;
        }
        if (c === 123 || c === 91) {
            if (++depth > maxDepth)
                throw new JsonTextError(
                    `request body is nested deeper than ${maxDepth} levels${field === null ? '' : ` (in '${field}')`}`,
                    field,
                );
        } else if (c === 125 || c === 93) depth--;
        i++;
    }
}

function isKey(text: string, from: number): boolean {
    let k = from;
    while (k < text.length && isJsonSpace(text.charCodeAt(k))) k++;
    return text.charCodeAt(k) === 58;
}

/** Index of the quote that closes the string opened at `open` (one not preceded by an odd run of backslashes). */
function closingQuote(text: string, open: number): number {
    let from = open + 1;
    for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return text.length;
        let slashes = 0;
        for (let b = q - 1; b > open && text.charCodeAt(b) === 92; b--) slashes++;
        if (slashes % 2 === 0) return q;
        from = q + 1;
    }
}

function isJsonSpace(c: number): boolean {
    return c === 32 || c === 10 || c === 13 || c === 9;
}
