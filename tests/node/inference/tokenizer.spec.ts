import { readGguf } from '../../../node/inference/engine/gguf';
import { StreamDecoder, Tokenizer } from '../../../node/inference/engine/tokenizer';
import { DEFAULT_MODEL_PATH } from '../../../node/inference/server/server';
import { buildTinyModel, ggufBytes } from './gguf-fixture';

const tok = Tokenizer.fromGguf(readGguf(DEFAULT_MODEL_PATH));

function rng(seed: number): () => number {
    let s = seed;
    return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
}

describe('SentencePiece-BPE tokenizer', () => {
    it('round-trips random text of every script through encode and decode', () => {
        const r = rng(5);
        const alphabet = [
            'a',
            'e',
            'T',
            ' ',
            '  ',
            '\n',
            '.',
            ',',
            '7',
            'é',
            'ß',
            'Ж',
            '猫',
            '🐱',
            '\t',
            '<|user|>',
            '<think>',
            '<s>',
            '"',
            '\u0000',
        ];
        for (let n = 0; n < 300; n++) {
            let s = '';
            const len = Math.floor(r() * 30);
            for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)];
            const ids = tok.encode(s, { bos: false });
            expect(tok.decode(ids)).toBe(s);
        }
    });

    it('keeps chat markers whole, never merged with neighbours', () => {
        const user = tok.idOf('<|user|>')!;
        const ids = tok.encode('x<|user|>y', { bos: false });
        expect(ids).toContain(user);
        expect(tok.decode(ids.slice(ids.indexOf(user) + 1))).toBe('y');
    });

    it('adds BOS by default and never decodes control tokens as text', () => {
        const ids = tok.encode('Hi');
        expect(ids[0]).toBe(tok.bos);
        expect(tok.decode([tok.bos, ...ids.slice(1), tok.eos])).toBe('Hi');
    });

    it('the stream decoder never splits a UTF-8 character across text pieces', () => {
        const text = 'caf\u00e9 \u732b \ud83d\udc31!';
        const ids = tok.encode(text, { bos: false });
        const d = new StreamDecoder(tok);
        const pieces = ids.map((id) => d.push(id));
        pieces.push(d.flush());
        expect(pieces.join('')).toBe(' ' + text);
        for (const p of pieces) expect(p).not.toContain('\ufffd');
        // An incomplete character at the very end becomes U+FFFD, as sentencepiece does.
        const cat = tok.encode('\ud83d\udc31', { bos: false }).filter((id) => tok.bytesOf(id).length === 1 && tok.bytesOf(id)[0] >= 0x80);
        const d2 = new StreamDecoder(tok);
        expect(d2.push(cat[0]) + d2.push(cat[1])).toBe('');
        expect(d2.flush()).toBe('\ufffd');
    });

    it('merges by score, leftmost first on ties (hand-made vocabulary)', () => {
        const t = Tokenizer.fromGguf(
            readGguf(ggufBytes(buildTinyModel({ dim: 8, nLayers: 1, nHeads: 1, nKvHeads: 1, hidden: 8, contextLength: 8 }))),
        );
        // "the" could be ▁t+he or ▁th+e; the vocabulary scores make ▁t first, then he, then ▁the.
        const ids = t.encode('the', { bos: false });
        expect(ids.map((i) => t.pieces[i])).toEqual(['\u2581the']);
        // Letters missing from the vocabulary fall back to bytes.
        expect(t.encode('Z', { bos: false }).map((i) => t.pieces[i])).toEqual(['\u2581', '<0x5A>']);
    });
});
