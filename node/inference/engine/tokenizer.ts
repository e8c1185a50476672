/**
 * SentencePiece-BPE tokenizer read from GGUF (`tokenizer.ggml.model = "llama"`), matching sentencepiece
 * and llama.cpp: identity normalisation, spaces as U+2581, one dummy-prefix space at the start of the
 * text, user-defined pieces (chat markers) matched whole and never merged, then the highest-scoring
 * adjacent pair merged first (leftmost on ties), and characters outside the vocabulary encoded as
 * <0xXX> byte tokens.
 */
import { InferenceError } from '../errors';
import { GgufFile, metaNumber } from './gguf';

export const enum TokenType {
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

const SPACE = '\u2581';

export class Tokenizer {
    readonly vocabSize: number;
    readonly bos: number;
    readonly eos: number;
    readonly unk: number;
    readonly addBos: boolean;
    readonly addDummyPrefix: boolean;
    /** Ids that end a generation: EOS plus control/user-defined end-of-turn markers. */
    readonly endOfGeneration: Set<number>;
    private readonly pieceToId = new Map<string, number>();
    private readonly userDefined: string[];
    /** First UTF-16 unit of every user-defined piece: a cheap test before trying them at a position. */
    private readonly userDefinedStarts = new Set<number>();
    private readonly utf8 = new TextEncoder();
    private readonly byteIds = new Int32Array(256).fill(-1);
    /** Raw bytes each id decodes to (empty for control tokens). */
    private readonly idBytes: Uint8Array[];

    constructor(
        readonly pieces: string[],
        readonly scores: Float32Array,
        readonly types: Uint8Array,
        opts: { bos: number; eos: number; unk: number; addBos: boolean; addDummyPrefix?: boolean; extraEnd?: number[] },
    ) {
        this.vocabSize = pieces.length;
        this.bos = opts.bos;
        this.eos = opts.eos;
        this.unk = opts.unk;
        this.addBos = opts.addBos;
        this.addDummyPrefix = opts.addDummyPrefix ?? true;
        const enc = new TextEncoder();
        const ud: string[] = [];
        this.idBytes = pieces.map((p, id) => {
            const t = types[id];
            if (t === TokenType.Byte) {
                const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(p);
                if (!m) throw new InferenceError('MODEL_LOAD', `byte token ${id} has a malformed piece ${JSON.stringify(p)}`);
                const b = parseInt(m[1], 16);
                this.byteIds[b] = id;
                return Uint8Array.of(b);
            }
            if (t === TokenType.Control || t === TokenType.Unknown || t === TokenType.Unused) {
                return new Uint8Array(0);
            }
            if (t === TokenType.UserDefined) ud.push(p);
            // Later duplicates never win: sentencepiece keeps the first id of a piece.
            if (!this.pieceToId.has(p)) this.pieceToId.set(p, id);
            return enc.encode(p.split(SPACE).join(' '));
        });
        // Longest first, so a marker that is a prefix of another never shadows it.
        this.userDefined = ud.sort((a, b) => b.length - a.length);
        for (const u of ud) this.userDefinedStarts.add(u.charCodeAt(0));
        this.endOfGeneration = new Set([this.eos, ...(opts.extraEnd ?? [])]);
    }

    static fromGguf(file: GgufFile): Tokenizer {
        const model = file.metadata.get('tokenizer.ggml.model');
        if (model !== 'llama') {
            throw new InferenceError(
                'UNSUPPORTED_MODEL',
                `tokenizer ${JSON.stringify(model)} is not supported by the embedded engine (SentencePiece "llama" only)`,
            );
        }
        const pieces = file.metadata.get('tokenizer.ggml.tokens');
        if (!Array.isArray(pieces) || pieces.some((p) => typeof p !== 'string')) {
            throw new InferenceError('MODEL_LOAD', 'tokenizer.ggml.tokens is missing or not a string array');
        }
        const n = pieces.length;
        const rawScores = file.metadata.get('tokenizer.ggml.scores');
        const rawTypes = file.metadata.get('tokenizer.ggml.token_type');
        const scores = new Float32Array(n);
        const types = new Uint8Array(n).fill(TokenType.Normal);
        if (Array.isArray(rawScores)) rawScores.forEach((s, i) => (scores[i] = Number(s)));
        if (Array.isArray(rawTypes)) rawTypes.forEach((t, i) => (types[i] = Number(t)));
        const addBos = file.metadata.get('tokenizer.ggml.add_bos_token');
        const addPrefix = file.metadata.get('tokenizer.ggml.add_space_prefix');
        const strs = pieces as string[];
        const extraEnd = ['<|end|>', '<|im_end|>', '<|eot_id|>', '<end_of_turn>'].map((p) => strs.indexOf(p)).filter((i) => i >= 0);
        const eot = file.metadata.get('tokenizer.ggml.eot_token_id');
        if (eot !== undefined) extraEnd.push(Number(eot));
        return new Tokenizer(strs, scores, types, {
            bos: metaNumber(file, 'tokenizer.ggml.bos_token_id', 1),
            eos: metaNumber(file, 'tokenizer.ggml.eos_token_id', 2),
            unk: metaNumber(file, 'tokenizer.ggml.unknown_token_id', 0),
            addBos: addBos === undefined ? true : addBos === true,
            addDummyPrefix: addPrefix === undefined ? true : addPrefix === true,
            extraEnd,
        });
    }

    idOf(piece: string): number | undefined {
        return this.pieceToId.get(piece);
    }

    /** Encode text; `bos` prepends the BOS id (default: the model's add_bos_token). */
    encode(text: string, opts: { bos?: boolean } = {}): number[] {
        const out: number[] = [];
        if (opts.bos ?? this.addBos) out.push(this.bos);
        if (text.length === 0) return out;
        let s = text.replace(/ /g, SPACE);
        if (this.addDummyPrefix) s = SPACE + s;
        this.encodeNormalized(s, out);
        return out;
    }

    private encodeNormalized(s: string, out: number[]): void {
        // Symbols as a doubly linked list over code points; user-defined pieces are single frozen symbols.
        const text: string[] = [];
        const frozen: boolean[] = [];
        let i = 0;
        outer: while (i < s.length) {
            if (this.userDefinedStarts.has(s.charCodeAt(i))) {
                for (const u of this.userDefined) {
                    if (s.startsWith(u, i)) {
                        text.push(u);
                        frozen.push(true);
                        i += u.length;
                        continue outer;
                    }
                }
            }
            const cp = s.codePointAt(i)!;
            const ch = String.fromCodePoint(cp);
            text.push(ch);
            frozen.push(false);
            i += ch.length;
        }
        const n = text.length;
        const prev = new Int32Array(n);
        const next = new Int32Array(n);
        for (let k = 0; k < n; k++) {
            prev[k] = k - 1;
            next[k] = k + 1 < n ? k + 1 : -1;
        }
        // Candidate merges in a binary heap ordered by (score desc, left position asc); stale entries
        // (a side already merged away or changed) are skipped when popped.
        const heap: { score: number; left: number; right: number; merged: string }[] = [];
        const less = (a: (typeof heap)[0], b: (typeof heap)[0]) => a.score > b.score || (a.score === b.score && a.left < b.left);
        const push = (left: number, right: number) => {
            if (left < 0 || right < 0 || frozen[left] || frozen[right]) return;
            const merged = text[left] + text[right];
            const id = this.pieceToId.get(merged);
            if (id === undefined || this.types[id] !== TokenType.Normal) return;
            const item = { score: this.scores[id], left, right, merged };
            heap.push(item);
            let c = heap.length - 1;
            while (c > 0) {
                const p = (c - 1) >> 1;
                if (!less(heap[c], heap[p])) break;
                [heap[c], heap[p]] = [heap[p], heap[c]];
                c = p;
            }
        };
        const pop = () => {
            const top = heap[0];
            const last = heap.pop()!;
            if (heap.length) {
                heap[0] = last;
                let c = 0;
                for (;;) {
                    const l = 2 * c + 1;
                    const r = l + 1;
                    let m = c;
                    if (l < heap.length && less(heap[l], heap[m])) m = l;
                    if (r < heap.length && less(heap[r], heap[m])) m = r;
                    if (m === c) break;
                    [heap[c], heap[m]] = [heap[m], heap[c]];
                    c = m;
                }
            }
            return top;
        };
        for (let k = 0; k + 1 < n; k++) push(k, k + 1);
        while (heap.length) {
            const { left, right, merged } = pop();
            // Stale if either side changed since the candidate was queued.
            if (next[left] !== right || text[left] + text[right] !== merged) continue;
            text[left] = merged;
            text[right] = '';
            const nr = next[right];
            next[left] = nr;
            if (nr >= 0) prev[nr] = left;
            push(prev[left], left);
            push(left, nr);
        }
        for (let k = 0; k >= 0 && k < n; k = next[k]) {
            const piece = text[k];
            const id = this.pieceToId.get(piece);
            if (id !== undefined) {
                out.push(id);
                continue;
            }
            for (const b of this.utf8.encode(piece)) {
                const bid = this.byteIds[b];
                out.push(bid >= 0 ? bid : this.unk);
            }
        }
    }

    /** Decode ids to text; sentencepiece drops the dummy-prefix space of the first piece. */
    decode(ids: ArrayLike<number>, opts: { stripLeadingSpace?: boolean } = {}): string {
        const d = new StreamDecoder(this);
        let s = '';
        for (let i = 0; i < ids.length; i++) s += d.push(ids[i]);
        s += d.flush();
        if ((opts.stripLeadingSpace ?? true) && this.addDummyPrefix && s.startsWith(' ')) s = s.slice(1);
        return s;
    }

    bytesOf(id: number): Uint8Array {
        return this.idBytes[id] ?? new Uint8Array(0);
    }

    isControl(id: number): boolean {
        return this.types[id] === TokenType.Control;
    }

    /** A token that stands for its bytes only (normal or byte piece): not a control or chat marker. */
    isPlainText(id: number): boolean {
        const t = this.types[id];
        return (t === TokenType.Normal || t === TokenType.Byte) && this.idBytes[id].length > 0;
    }
}

/**
 * Turns a token stream into text without ever splitting a UTF-8 character: byte-fallback tokens of a
 * multi-byte character are held until the character is complete.
 */
export class StreamDecoder {
    private pending: number[] = [];
    private readonly decoder = new TextDecoder('utf-8');

    constructor(private readonly tok: Tokenizer) {}

    push(id: number): string {
        const b = this.tok.bytesOf(id);
        if (this.pending.length === 0 && b.length > 0 && b[0] < 0x80 && isAscii(b)) return asciiString(b);
        for (let i = 0; i < b.length; i++) this.pending.push(b[i]);
        const cut = completePrefix(this.pending);
        if (cut === 0) return '';
        const s = this.decoder.decode(Uint8Array.from(this.pending.slice(0, cut)));
        this.pending = this.pending.slice(cut);
        return s;
    }

    /** Remaining bytes (an incomplete character becomes U+FFFD, as in sentencepiece). */
    flush(): string {
        if (!this.pending.length) return '';
        const s = this.decoder.decode(Uint8Array.from(this.pending));
        this.pending = [];
        return s;
    }
}

function isAscii(b: Uint8Array): boolean {
    for (let i = 0; i < b.length; i++) if (b[i] >= 0x80) return false;
    return true;
}

function asciiString(b: Uint8Array): string {
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return s;
}

/** Length of the longest prefix that does not end inside a UTF-8 sequence. */
function completePrefix(bytes: number[]): number {
    const n = bytes.length;
    // Walk back over at most 3 continuation bytes to the last lead byte.
    let i = n - 1;
    let cont = 0;
    while (i >= 0 && cont < 3 && (bytes[i] & 0xc0) === 0x80) {
        i--;
        cont++;
    }
    if (i < 0) return n;
    const lead = bytes[i];
    const need = lead >= 0xf0 && lead < 0xf8 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (lead < 0x80 || lead >= 0xf8) return n;
    return need > cont + 1 ? i : n;
}
