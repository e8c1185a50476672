/**
 * The tool-calling and structured-output fields of a chat completion request (`tools`, `tool_choice`,
 * `parallel_tool_calls`, `response_format`, tool turns in `messages`), checked by the same rules at the
 * client API and at the worker: the client refuses a bad tool definition before the request costs
 * anything, and the worker (which must not trust the client) refuses it before its backend sees it, with
 * the same message and `param`. The rules are OpenAI's, as node/inference/structured/request.ts states
 * them; only that pure module is imported, never the engine.
 */
import { InferenceError } from '../inference/errors';
import { parseStructuredRequest } from '../inference/structured/request';

export interface ToolFieldsProblem {
    message: string;
    /** The offending parameter, e.g. `tools[0].function.name`. */
    param: string | null;
}

/** Null when the body's tool and structured-output fields are valid (or absent). */
export function toolFieldsProblem(body: Record<string, unknown>): ToolFieldsProblem | null {
    try {
        parseStructuredRequest(body);
        return null;
    } catch (e) {
        if (e instanceof InferenceError) return { message: e.message, param: e.param };
        throw e;
    }
}
