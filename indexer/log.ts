/**
 * Structured logs (one JSON object per line on stderr, with a level and a component): the project's one
 * logger, shared with the protocol, inference and runner layers.
 */
export { createLogger, silentLogger, type Logger, type LogLevel } from '../node/protocol/log';
