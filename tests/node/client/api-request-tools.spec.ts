/**
 * The client API applies the worker's tool and structured-output rules before a request costs anything:
 * same message, same param; a valid request's bytes go to the worker untouched.
 */
import { ApiRequestError, parseApiRequest } from '../../../node/client/api-request';
import { API_LIMITS as LIMITS } from '../../../node/client/http-api';
import { RequestValidationError, validateRequest } from '../../../node/worker/validate';
import { PET_SCHEMA, WEATHER_TOOLS } from '../inference/structured/fixtures';

const MODEL = 'cocoon/tiny-stories-1m';
const DEFAULTS = { maxCoefficient: 4000, timeoutSeconds: 120, maxTokens: 1000 };
const messages = [{ role: 'user', content: 'weather as json?' }];

function thrown(fn: () => unknown): Error {
    try {
        fn();
    } catch (e) {
        return e as Error;
    }
    throw new Error('expected a refusal');
}

describe('client API request: tools and structured output', () => {
    it.each<[string, object]>([
        ['bad tool name', { tools: [{ type: 'function', function: { name: 'a.b' } }] }],
        ['unknown tool_choice function', { tools: WEATHER_TOOLS, tool_choice: { type: 'function', function: { name: 'other' } } }],
        ['non-object parameters', { tools: [{ type: 'function', function: { name: 'f', parameters: [] } }] }],
        [
            'bad response_format',
            {
                response_format: {
                    type: 'json_schema',
                    json_schema: { name: 'p', strict: true, schema: { type: 'object', properties: { a: { type: 'string' } } } },
                },
            },
        ],
        ['orphan tool message', { messages: [...messages, { role: 'tool', tool_call_id: 'c', content: '1' }] }],
    ])("refuses %s with the worker's exact message and param", (_what, fields) => {
        const body = JSON.stringify({ model: MODEL, messages, ...fields });
        const client = thrown(() => parseApiRequest(Buffer.from(body), DEFAULTS, LIMITS, '/v1/chat/completions'));
        const worker = thrown(() => validateRequest('/v1/chat/completions', body, MODEL));
        expect(client).toBeInstanceOf(ApiRequestError);
        expect(worker).toBeInstanceOf(RequestValidationError);
        expect([client.message, (client as ApiRequestError).param]).toEqual([worker.message, (worker as RequestValidationError).param]);
        expect((client as ApiRequestError).param).not.toBeNull();
    });

    it("forwards a valid tools + json_schema request as the caller's bytes", () => {
        const raw = Buffer.from(
            JSON.stringify({
                model: MODEL,
                messages,
                tools: WEATHER_TOOLS,
                tool_choice: 'required',
                parallel_tool_calls: true,
                response_format: { type: 'json_schema', json_schema: { name: 'pet', schema: PET_SCHEMA } },
            }),
        );
        expect(parseApiRequest(raw, DEFAULTS, LIMITS, '/v1/chat/completions').payload).toBe(raw);
    });

    it('leaves /v1/completions bodies to the worker (which refuses tools there as an unknown option)', () => {
        const raw = Buffer.from(JSON.stringify({ model: MODEL, prompt: 'x', response_format: { type: 'json_object' } }));
        expect(parseApiRequest(raw, DEFAULTS, LIMITS, '/v1/completions').payload).toBe(raw);
    });
});
