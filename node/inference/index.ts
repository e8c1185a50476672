/**
 * node/inference: everything a worker needs to run or reach a model.
 * - `createBackend`: adapter for any OpenAI-compatible server (pass-through bytes + usage);
 * - `UsageCounter` / `usageFromBody` / `normalizeUsage`: billing counters from SSE, NDJSON or JSON;
 * - `startEmbeddedServer`: the built-in OpenAI-compatible server over the TypeScript engine;
 * - `Engine`: the engine itself, for in-process use;
 * - `parseStructuredRequest`: validation of tools / tool_choice / response_format (OpenAI's rules). It is
 *   pure: a module that must not load the engine imports './structured/request' directly.
 */
export { InferenceError } from './errors';
export { normalizeUsage, toOpenAiUsage, usageOfMessage } from './usage';
export type { TokenUsage, OpenAiUsage } from './usage';
export { MessageStream, formatFromContentType } from './adapter/event-stream';
export type { BodyFormat, StreamMessage } from './adapter/event-stream';
export { UsageCounter, usageFromBody } from './adapter/usage-counter';
export type { UsageReport, BackendErrorInfo } from './adapter/usage-counter';
export { createBackend, BackendError, normalizeBaseUrl, withUsageRequested } from './adapter/backend';
export type { Backend, BackendOptions, BackendResponse, CallOptions, HealthReport, ModelInfo } from './adapter/backend';
export { Engine } from './engine/engine';
export type { DecodingConstraint, EngineOptions, EngineUsage, GenerateEvent, GenerateRequest, FinishReason } from './engine/engine';
export { Tokenizer } from './engine/tokenizer';
export { readGguf } from './engine/gguf';
export { startEmbeddedServer, DEFAULT_MODEL_PATH } from './server/server';
export type { EmbeddedServer, EmbeddedServerOptions } from './server/server';
export { loadNodeLlamaCpp, openLlamaCppModel } from './llama-cpp';
export { parseStructuredRequest, validateToolMessages } from './structured/request';
export type { FunctionTool, ResponseFormat, StructuredRequest } from './structured/request';
