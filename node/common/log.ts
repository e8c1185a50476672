/**
 * The project's one logger: one JSON object per line on stderr, with a level and a component. It sits in
 * node/common with no imports, so every layer (protocol, inference, runners, indexer) can take it without
 * depending on another; a runner passes its own (child) logger down.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
    debug(msg: string, fields?: Record<string, unknown>): void;
    info(msg: string, fields?: Record<string, unknown>): void;
    warn(msg: string, fields?: Record<string, unknown>): void;
    error(msg: string, fields?: Record<string, unknown>): void;
    child(component: string): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function jsonSafe(_key: string, value: unknown): unknown {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
    return value;
}

export function createLogger(
    component = 'protocol',
    level: LogLevel = (process.env.COCOON_LOG_LEVEL as LogLevel | undefined) ?? 'info',
    write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Logger {
    const min = ORDER[level] ?? ORDER.info;
    const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
        if (ORDER[lvl] < min) return;
        write(JSON.stringify({ ts: new Date().toISOString(), level: lvl, component, msg, ...fields }, jsonSafe));
    };
    return {
        debug: (m, f) => emit('debug', m, f),
        info: (m, f) => emit('info', m, f),
        warn: (m, f) => emit('warn', m, f),
        error: (m, f) => emit('error', m, f),
        child: (c) => createLogger(`${component}.${c}`, level, write),
    };
}

export const silentLogger: Logger = {
    debug() {},
    info() {},
    warn() {},
    error() {},
    child: () => silentLogger,
};
