/**
 * Tools and structured output.
 * - request.ts / strict-schema.ts: validation of `tools`, `tool_choice`, `parallel_tool_calls`,
 *   `response_format` and tool turns in `messages`, as OpenAI documents them (pure; the worker imports it);
 * - schema.ts: JSON Schema → grammar nodes (the supported subset and what is refused);
 * - matcher.ts: byte-level pushdown matcher over those nodes;
 * - constraint.ts: token masks over a model vocabulary (constrained decoding), tool_choice "auto";
 * - tool-calls.ts: the tool-call grammar and the streaming reader of tool calls;
 * - auto.ts: how tool_choice "auto" decides on the embedded engine (a tool named in the last user turn);
 * - plan.ts: from a validated request to the engine's constraint, with a grammar cache.
 */
export { parseStructuredRequest, validateToolMessages, MAX_TOOLS } from './request';
export type { FunctionTool, ResponseFormat, StructuredRequest } from './request';
export { checkStrictSchema, STRICT_LIMITS } from './strict-schema';
export { compileSchema, NodeFactory, MAX_NESTING, NUMBER_LIMITS } from './schema';
export type { SchemaNode } from './schema';
export { MatchState, matches } from './matcher';
export { JsonGrammar, Vocabulary, TokenMasker, GrammarConstraint, AutoToolConstraint } from './constraint';
export { ToolCallReader, toolCallsNode, MAX_PARALLEL_CALLS } from './tool-calls';
export type { ToolCallEvent } from './tool-calls';
export { OutputPlanner, constraintFor, minimumTokens } from './plan';
export type { OutputPlan, PlannedConstraint, PlannerOptions } from './plan';
export { mentionedTools, nameWords } from './auto';
