import { compileSchema, NodeFactory, finalizeGrammar } from './node/inference/structured/schema';
import { matches } from './node/inference/structured/matcher';
import { OutputPlanner, constraintFor } from './node/inference/structured/plan';
import { parseStructuredRequest } from './node/inference/structured/request';
import { Engine } from './node/inference/engine/engine';
import { DEFAULT_MODEL_PATH } from './node/inference/server/server';
const enc = new TextEncoder();
const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' }, tags: { type: 'array', items: { enum: ['a', 'b', 1] } }, n: { anyOf: [{ type: 'number' }, { type: 'null' }] } }, required: ['name', 'age', 'tags', 'n'], additionalProperties: false };
const f = new NodeFactory();
const root = compileSchema(schema, f, 'x');
finalizeGrammar(root, 'x');
console.log('min', root.min);
for (const d of [{ name: 'Tom', age: 3, tags: ['a', 1], n: null }, { name: 'T\u00e9\ud83d\ude00"', age: -30, tags: [], n: 1.5e10 }, { name: 'x', age: 1.5, tags: [], n: null }, { name: 'x', age: 1, tags: ['c'], n: null }]) {
  console.log(JSON.stringify(d), matches(root, enc.encode(JSON.stringify(d))));
}
(async () => {
  const engine = Engine.load(DEFAULT_MODEL_PATH, { slots: 1 });
  const planner = new OutputPlanner(engine.tokenizer);
  const req = parseStructuredRequest({ messages: [{ role: 'user', content: 'json please' }], response_format: { type: 'json_schema', json_schema: { name: 'p', schema, strict: true } } });
  for (let seed = 0; seed < 5; seed++) {
    const pc = constraintFor(planner.plan(req));
    const t0 = Date.now();
    const r = await engine.complete({ prompt: engine.tokenizer.encode('<|user|>\nTell me a story about a cat named Tom.<|end|>\n<|assistant|>\n'), maxTokens: 80, sampling: { temperature: 1, seed }, constraint: pc.constraint });
    console.log(Date.now() - t0, 'ms', r.finishReason, r.usage.completionTokens, r.text);
    JSON.parse(r.text);
  }
  const tr = parseStructuredRequest({ messages: [], tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } }, required: ['city'] } } }, { type: 'function', function: { name: 'get_time' } }], tool_choice: 'required' });
  for (let seed = 0; seed < 5; seed++) {
    const pc = constraintFor(planner.plan(tr));
    const r = await engine.complete({ prompt: engine.tokenizer.encode('<|user|>\nWhat is the weather in Paris?<|end|>\n<|assistant|>\n'), maxTokens: 60, sampling: { temperature: 1, seed }, constraint: pc.constraint });
    console.log(r.finishReason, r.usage.completionTokens, r.text);
  }
})();
