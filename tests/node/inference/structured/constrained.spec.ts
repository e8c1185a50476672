/**
 * Constrained decoding on the real embedded model (the committed 1M-parameter GGUF): every answer is
 * checked by ajv, an independent validator, never by the grammar that produced it.
 */
import Ajv from 'ajv';
import { DecodingConstraint, Engine } from '../../../../node/inference/engine/engine';
import { DEFAULT_MODEL_PATH } from '../../../../node/inference/server/server';
import { mentionedTools } from '../../../../node/inference/structured/auto';
import { Vocabulary } from '../../../../node/inference/structured/constraint';
import { constraintFor, minimumTokens, OutputPlanner } from '../../../../node/inference/structured/plan';
import { parseStructuredRequest } from '../../../../node/inference/structured/request';
import { PET_SCHEMA, WEATHER_TOOLS } from './fixtures';

/** 100 sequential generations: ~50 s on an idle core, several minutes when the 2 cores are shared (a workload, not a wait). */
const HUNDRED_RUNS_MS = 600_000;
const ajv = new Ajv({ strict: false });

/** Counts the tokens the engine samples, so usage can be checked against it. */
class Counting implements DecodingConstraint {
    sampled = 0;
    constructor(readonly inner: DecodingConstraint) {}
    mask(logits: Float32Array, budget: number): 'sample' | 'finish' {
        return this.inner.mask(logits, budget);
    }
    accept(id: number): boolean {
        this.sampled++;
        return this.inner.accept(id);
    }
}

describe('constrained decoding on the embedded model', () => {
    const engine = Engine.load(DEFAULT_MODEL_PATH, { slots: 1 });
    const planner = new OutputPlanner(engine.tokenizer);
    const prompt = (text: string) => engine.tokenizer.encode(`<|user|>\n${text}<|end|>\n<|assistant|>\n`);

    async function run(body: Record<string, unknown>, text: string, seed: number, maxTokens: number, temperature = 1) {
        const messages = [{ role: 'user', content: text }];
        const req = parseStructuredRequest({ messages, ...body });
        const plan = planner.plan(req, req.toolChoice === 'auto' ? mentionedTools(messages, req.tools) : []);
        const planned = constraintFor(plan);
        const counting = new Counting(planned.constraint!);
        const r = await engine.complete({ prompt: prompt(text), maxTokens, sampling: { temperature, seed }, constraint: counting });
        expect(r.usage.completionTokens).toBe(counting.sampled);
        return { ...r, branch: planned.branch(), plan };
    }

    it(
        'json_schema: 100 generations at temperature 1, 100 valid against the schema (ajv)',
        async () => {
            const validate = ajv.compile(PET_SCHEMA);
            const invalid: string[] = [];
            for (let seed = 0; seed < 100; seed++) {
                const r = await run(
                    { response_format: { type: 'json_schema', json_schema: { name: 'pet', strict: true, schema: PET_SCHEMA } } },
                    'Tell me about a cat named Tom in json.',
                    seed,
                    96,
                );
                expect(r.finishReason).toBe('stop');
                let ok = false;
                try {
                    ok = validate(JSON.parse(r.text));
                } catch {
                    ok = false;
                }
                if (!ok) invalid.push(r.text);
            }
            expect(invalid).toEqual([]);
        },
        HUNDRED_RUNS_MS,
    );

    it(
        'tool calls (tool_choice "required", parallel calls): 100 generations, 100 well-formed calls with valid arguments',
        async () => {
            const validators = new Map(
                WEATHER_TOOLS.map((t) => [
                    t.function.name,
                    ajv.compile(t.function.parameters ?? { type: 'object', additionalProperties: false }),
                ]),
            );
            const bad: string[] = [];
            const names = new Set<string>();
            for (let seed = 0; seed < 100; seed++) {
                const r = await run({ tools: WEATHER_TOOLS, tool_choice: 'required' }, 'What is the weather in Paris?', seed, 96);
                expect([r.branch, r.finishReason]).toEqual(['tool', 'stop']);
                const calls = JSON.parse(r.text) as { name: string; arguments: unknown }[];
                const ok =
                    Array.isArray(calls) &&
                    calls.length >= 1 &&
                    calls.every((c) => Object.keys(c).join() === 'name,arguments' && validators.get(c.name)?.(c.arguments) === true);
                if (!ok) bad.push(r.text);
                for (const c of calls) names.add(c.name);
            }
            expect(bad).toEqual([]);
            expect(names.size).toBeGreaterThan(1); // the model's logits choose among the tools; nothing is hard-wired
        },
        HUNDRED_RUNS_MS,
    );

    it('a named tool_choice (even with parallel_tool_calls) and parallel_tool_calls false: exactly one call', async () => {
        for (let seed = 0; seed < 20; seed++) {
            const r = await run(
                { tools: WEATHER_TOOLS, tool_choice: { type: 'function', function: { name: 'get_weather' } }, parallel_tool_calls: true },
                'Weather in Rome?',
                seed,
                64,
            );
            const calls = JSON.parse(r.text) as { name: string; arguments: { city: string; unit: string } }[];
            expect(calls.length).toBe(1);
            expect(calls[0].name).toBe('get_weather');
            expect(['c', 'f']).toContain(calls[0].arguments.unit);
        }
        for (let seed = 0; seed < 20; seed++) {
            const r = await run(
                { tools: WEATHER_TOOLS, tool_choice: 'required', parallel_tool_calls: false },
                'Weather in Rome?',
                seed,
                64,
            );
            expect((JSON.parse(r.text) as unknown[]).length).toBe(1);
        }
    });

    it(
        'json_object: 100 generations, each a JSON object',
        async () => {
            const bad: string[] = [];
            for (let seed = 0; seed < 100; seed++) {
                const r = await run({ response_format: { type: 'json_object' } }, 'A story as json.', seed, 64);
                let v: unknown;
                try {
                    v = JSON.parse(r.text);
                } catch {
                    v = undefined;
                }
                if (v === null || typeof v !== 'object' || Array.isArray(v)) bad.push(r.text);
            }
            expect(bad).toEqual([]);
        },
        HUNDRED_RUNS_MS,
    );

    it('closes in time: with max_tokens equal to the shortest document, the answer is still whole and valid', async () => {
        const validate = ajv.compile(PET_SCHEMA);
        const body = { response_format: { type: 'json_schema', json_schema: { name: 'pet', strict: true, schema: PET_SCHEMA } } };
        const need = minimumTokens(planner.plan(parseStructuredRequest({ messages: [{ role: 'user', content: 'json' }], ...body })));
        expect(need).toBe('{"name":"","age":0,"mood":"sad","tags":[],"owner":null}'.length);
        // The guarantee rests on every byte being a token of its own (SentencePiece byte fallback).
        expect(Vocabulary.of(engine.tokenizer).everyByteIsAToken).toBe(true);
        for (let seed = 0; seed < 10; seed++) {
            const r = await run(body, 'A pet in json.', seed, need);
            expect(validate(JSON.parse(r.text))).toBe(true);
            expect(r.usage.completionTokens).toBeLessThanOrEqual(need);
        }
    });

    const autoToolChoiceTitle =
        'tool_choice "auto": a tool named in the last user turn is called, otherwise the first token decides (text with this ' +
        'model); a seed repeats its answer';
    it(autoToolChoiceTitle, async () => {
        const ask = (text: string) => [{ role: 'user', content: text }];
        expect(mentionedTools(ask('What is the weather in Paris?'), parseStructuredRequest({ tools: WEATHER_TOOLS }).tools)).toEqual([
            'get_weather',
        ]);
        expect(mentionedTools(ask('Tell me a story about a cat.'), parseStructuredRequest({ tools: WEATHER_TOOLS }).tools)).toEqual([]);
        expect(
            mentionedTools(
                [...ask('weather?'), { role: 'assistant', content: 'ok' }, ...ask('the times, and a PING')],
                parseStructuredRequest({ tools: WEATHER_TOOLS }).tools,
            ),
        ).toEqual(['get_time', 'ping']);
        for (let seed = 0; seed < 20; seed++) {
            const tool = await run({ tools: WEATHER_TOOLS }, 'What is the weather in Paris?', seed, 64);
            expect([tool.branch, tool.finishReason]).toEqual(['tool', 'stop']);
            expect((JSON.parse(tool.text) as { name: string }[]).every((c) => c.name === 'get_weather')).toBe(true);
            const text = await run({ tools: WEATHER_TOOLS }, 'Tell me a story about a cat.', seed, 32);
            expect(text.branch).toBe('text');
            expect(text.text.length).toBeGreaterThan(0);
            const again = await run({ tools: WEATHER_TOOLS }, 'Tell me a story about a cat.', seed, 32);
            expect(again.text).toBe(text.text);
        }
    });
});
