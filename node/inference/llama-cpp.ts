/**
 * Optional backend for operators who bring a real GGUF (e.g. Qwen3-0.6B, quantised) and no GPU server:
 * node-llama-cpp runs llama.cpp in-process. It is NOT a dependency of this project (85 MB of native
 * binaries); it is loaded only when asked for, and a missing install gives an actionable error.
 *
 * The simplest production path needs none of this: run llama.cpp's own `llama-server -m model.gguf`
 * (or vLLM / SGLang / Ollama) and point the adapter (`createBackend`) at its /v1 URL.
 */
import { InferenceError } from './errors';

/** The part of node-llama-cpp's API used here (the package ships its own full typings). */
export interface NodeLlamaCppModule {
    getLlama(opts: { gpu: false | 'auto'; build: 'never' | 'auto' }): Promise<{
        loadModel(opts: { modelPath: string }): Promise<NodeLlamaCppModel>;
    }>;
}

export interface NodeLlamaCppModel {
    tokenize(text: string, specialTokens?: boolean): number[];
    detokenize(tokens: readonly number[]): string;
    readonly tokens: { bos: number | null; eos: number | null };
    createContext(opts: { contextSize?: number; threads?: number }): Promise<unknown>;
    dispose(): Promise<void>;
}

export const NODE_LLAMA_CPP_INSTALL = 'npm install --omit=optional node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1';

/**
 * Load node-llama-cpp if the operator installed it. `require` is given indirectly so bundlers and
 * TypeScript do not try to resolve a package that is deliberately absent.
 */
export function loadNodeLlamaCpp(req: (id: string) => unknown = require): NodeLlamaCppModule {
    try {
        return req('node-llama-cpp') as NodeLlamaCppModule;
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
            throw new InferenceError(
                'OPTIONAL_DEPENDENCY',
                `the llama.cpp backend needs the optional package node-llama-cpp; install it with \`${NODE_LLAMA_CPP_INSTALL}\`, ` +
                    'or run llama-server and point the worker at its /v1 URL instead',
            );
        }
        if (code === 'ERR_REQUIRE_ESM') {
            throw new InferenceError(
                'OPTIONAL_DEPENDENCY',
                'node-llama-cpp is an ES module and needs Node >= 20.17 to be required from CommonJS (or run llama-server instead)',
                500,
                'server_error',
                null,
                e,
            );
        }
        throw new InferenceError(
            'OPTIONAL_DEPENDENCY',
            `node-llama-cpp failed to load: ${(e as Error).message}`,
            500,
            'server_error',
            null,
            e,
        );
    }
}

/**
 * Open a GGUF with node-llama-cpp on the CPU. Never builds or downloads (build: 'never'); one thread is
 * the right default for tiny models (thread sync costs more than their matmuls), use 2+ from ~100M.
 */
export async function openLlamaCppModel(modelPath: string, opts: { threads?: number; contextSize?: number } = {}) {
    const mod = loadNodeLlamaCpp();
    const llama = await mod.getLlama({ gpu: false, build: 'never' });
    const model = await llama.loadModel({ modelPath });
    const context = await model.createContext({ contextSize: opts.contextSize, threads: opts.threads ?? 1 });
    return { model, context };
}
