/** @jest-environment node */
import { AnswerTransformer, answerShape } from '../../../node/protocol/answer-transform';

const mark = (v: Record<string, unknown>) => ({ ...v, seen: true });

function run(shape: 'whole' | 'lines', chunks: (string | Buffer)[]): { parts: string[]; all: string } {
    const t = new AnswerTransformer(shape, mark);
    const parts = chunks.map((c) => t.push(Buffer.isBuffer(c) ? c : Buffer.from(c, 'utf8')).toString('utf8'));
    parts.push(t.end().toString('utf8'));
    return { parts, all: parts.join('') };
}

describe('answerShape', () => {
    it.each([
        ['text/event-stream; charset=utf-8', 'lines'],
        ['application/x-ndjson', 'lines'],
        ['application/json', 'whole'],
        [undefined, 'whole'],
    ])('%s -> %s', (type, shape) => expect(answerShape(type)).toBe(shape));
});

describe('AnswerTransformer', () => {
    it('SSE: each data line with a JSON object is rewritten when its newline arrives; [DONE], blank and event lines pass', () => {
        const { parts, all } = run('lines', ['data: {"a":1}\n\ndata: {"b"', ':2}\n\nevent: x\ndata: [DONE]\n\n']);
        expect(parts).toEqual(['data: {"a":1,"seen":true}\n\n', 'data: {"b":2,"seen":true}\n\nevent: x\ndata: [DONE]\n\n', '']);
        expect(all).toBe('data: {"a":1,"seen":true}\n\ndata: {"b":2,"seen":true}\n\nevent: x\ndata: [DONE]\n\n');
    });

    it('a chunk boundary inside a multi-byte character is harmless', () => {
        const line = Buffer.from('data: {"t":"héllo €"}\n', 'utf8');
        const cut = line.indexOf(Buffer.from('€')) + 1;
        expect(run('lines', [line.subarray(0, cut), line.subarray(cut)]).all).toBe('data: {"t":"héllo €","seen":true}\n');
    });

    it('NDJSON: bare JSON lines are rewritten, a last line without newline at the end', () => {
        expect(run('lines', ['{"x":1}\n{"y"', ':2}']).parts).toEqual(['{"x":1,"seen":true}\n', '', '{"y":2,"seen":true}']);
    });

    it('a whole JSON body is held until the end and rewritten once', () => {
        expect(run('whole', ['{\n  "a": ', '[1, 2]\n}']).parts).toEqual(['', '', '{"a":[1,2],"seen":true}']);
    });

    it('a whole body that is not JSON passes unchanged', () => {
        expect(run('whole', ['Bad ', 'Gateway']).all).toBe('Bad Gateway');
    });

    it('a value the rewrite returns unchanged keeps its bytes; `mention` skips parsing', () => {
        const keep = new AnswerTransformer('lines', (v) => (Object.hasOwn(v, 'usage') ? { ...v, cost: 1 } : v), {
            mention: '"usage"',
        });
        expect(keep.push(Buffer.from('data: { "a" : 1 }\ndata: {"usage": {}}\n')).toString()).toBe(
            'data: { "a" : 1 }\ndata: {"usage":{},"cost":1}\n',
        );
        const whole = new AnswerTransformer('whole', (v) => v);
        whole.push(Buffer.from('{ "a":  1 }'));
        expect(whole.end().toString()).toBe('{ "a":  1 }');
    });

    it('lines without the `mention` pass byte for byte, without being decoded and re-encoded', () => {
        const seen: Record<string, unknown>[] = [];
        const t = new AnswerTransformer('lines', (v) => (seen.push(v), { ...v, cost: 1 }), { mention: '"usage"' });
        // Not valid UTF-8: re-encoding would have turned it into U+FFFD.
        const odd = Buffer.concat([Buffer.from('data: {"t":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n\n')]);
        expect(t.push(odd).equals(odd)).toBe(true);
        expect(seen).toEqual([]);
        // The same bytes beside usage lines (first, middle and last place) keep every byte but the usage lines'.
        const usage = (n: number) => Buffer.from(`data: {"usage":{"n":${n}}}\r\n`);
        const piece = Buffer.concat([usage(1), odd, usage(2), odd, Buffer.from('data: [DONE]\n'), usage(3)]);
        const cost = (n: number) => Buffer.from(`data: {"usage":{"n":${n}},"cost":1}\r\n`);
        expect(t.push(piece).equals(Buffer.concat([cost(1), odd, cost(2), odd, Buffer.from('data: [DONE]\n'), cost(3)]))).toBe(true);
        expect(seen).toEqual([{ usage: { n: 1 } }, { usage: { n: 2 } }, { usage: { n: 3 } }]);
        // A mention that arrives split across pieces is found once the line is complete.
        expect(t.push(Buffer.from('data: {"us')).length).toBe(0);
        expect(t.push(Buffer.from('age":{}}\n')).toString()).toBe('data: {"usage":{},"cost":1}\n');
    });

    it('refuses a mention a byte search could miss', () => {
        expect(() => new AnswerTransformer('lines', (v) => v, { mention: 'usagé' })).toThrow(RangeError);
    });

    it('an error thrown by the rewrite reaches the caller', () => {
        const t = new AnswerTransformer('lines', () => {
            throw new Error('tampered');
        });
        expect(() => t.push(Buffer.from('{"a":1}\n'))).toThrow('tampered');
    });

    it('refuses to hold more than maxHeld bytes without a newline', () => {
        const t = new AnswerTransformer('lines', mark, { maxHeld: 8 });
        expect(() => t.push(Buffer.from('0123456789'))).toThrow('answer part longer than 8 bytes without a line break');
    });
});
