/**
 * Public TL codec over the generated tables. Objects are plain `{ _: 'tl.name', ...fields }` values;
 * "boxed" encoding prefixes the 4-byte constructor ID (what goes inside tcp.packet/tcp.query data).
 */
import { ProtocolError } from '../errors';
import {
    TL_BOXED_READERS,
    TL_BOXED_WRITERS,
    TL_IDS,
    TL_READERS,
    TL_RESULT_TYPE,
    TL_WRITERS,
    TlAllMap,
    TlAny,
    TlFunction,
    TL_FUNCTION_NAMES,
    TlFunctionName,
    TlFunctionResultMap,
    TlName,
    TlTypeMap,
    TlTypeName,
} from './generated';
import { TlReader, TlWriter, hex32 } from './runtime';

const NAME_BY_ID = new Map<number, TlName>(Object.entries(TL_IDS).map(([name, id]) => [id, name as TlName]));

export function constructorId(name: TlName): number {
    return TL_IDS[name];
}

export function nameById(id: number): TlName | undefined {
    return NAME_BY_ID.get(id >>> 0);
}

function writerFor(name: string): (w: TlWriter, o: TlAny) => void {
    const write = (TL_WRITERS as Record<string, (w: TlWriter, o: TlAny) => void>)[name];
    if (!write) throw new ProtocolError('TL_ENCODE', `unknown TL constructor "${name}"`);
    return write;
}

/** Appends a boxed object (ID + fields) to a writer. */
export function writeBoxed(w: TlWriter, obj: TlAny): void {
    if (typeof obj !== 'object' || obj === null || typeof obj._ !== 'string') {
        throw new ProtocolError('TL_ENCODE', 'expected a TL object with a "_" constructor name');
    }
    const write = writerFor(obj._);
    w.uint32(TL_IDS[obj._]);
    write(w, obj);
}

/** Boxed encoding of any constructor or function. */
export function encode(obj: TlAny): Buffer {
    const w = new TlWriter();
    writeBoxed(w, obj);
    return w.finish();
}

export function encodeBare<K extends TlName>(name: K, obj: TlAllMap[K]): Buffer {
    const w = new TlWriter();
    writerFor(name)(w, obj as TlAny);
    return w.finish();
}

/** Reads one boxed object of any known constructor or function from the reader. */
export function readBoxed(r: TlReader): TlAny {
    const id = r.uint32('constructor');
    const name = NAME_BY_ID.get(id);
    if (!name) throw new ProtocolError('TL_DECODE', `unknown TL constructor 0x${hex32(id)}`);
    return (TL_READERS[name] as (r: TlReader) => TlAny)(r);
}

/** Decodes a boxed object of any known constructor or function; the buffer must hold exactly one. */
export function decode(buf: Uint8Array): TlAny {
    const r = new TlReader(buf);
    const obj = readBoxed(r);
    r.end(obj._);
    return obj;
}

/** Decodes a boxed value that must belong to `type` (e.g. 'tcp.Packet'). */
export function decodeAs<T extends TlTypeName>(type: T, buf: Uint8Array): TlTypeMap[T] {
    const r = new TlReader(buf);
    const obj = (TL_BOXED_READERS as unknown as Record<string, (r: TlReader) => TlTypeMap[T]>)[type](r);
    r.end(type);
    return obj;
}

export function encodeAs<T extends TlTypeName>(type: T, obj: TlTypeMap[T]): Buffer {
    const w = new TlWriter();
    // Indexing the mapped table by a generic key makes TS build a huge union; the table is keyed correctly.
    (TL_BOXED_WRITERS as unknown as Record<string, (w: TlWriter, o: unknown) => void>)[type](w, obj);
    return w.finish();
}

export function decodeBare<K extends TlName>(name: K, buf: Uint8Array): TlAllMap[K] {
    const r = new TlReader(buf);
    const obj = (TL_READERS as unknown as Record<string, (r: TlReader) => TlAllMap[K]>)[name](r);
    r.end(name);
    return obj;
}

const FUNCTIONS = new Set<string>(TL_FUNCTION_NAMES);

export function isFunction(obj: { _: string }): obj is TlFunction {
    return FUNCTIONS.has(obj._);
}

/** Decodes a boxed function call (what a tcp.query carries). */
export function decodeFunction(buf: Uint8Array): TlFunction {
    const obj = decode(buf);
    if (!isFunction(obj)) throw new ProtocolError('TL_DECODE', `${obj._} is not a TL function`);
    return obj;
}

/** Narrowing helper: `if (is(obj, 'tcp.ping')) obj.id`. */
export function is<K extends TlName>(obj: { _: string } | undefined | null, name: K): obj is TlAllMap[K] {
    return obj !== null && obj !== undefined && obj._ === name;
}

/** The boxed type a function returns, e.g. resultTypeOf('client.connectToProxy') = 'client.ConnectedToProxy'. */
export function resultTypeOf(name: TlFunctionName): TlTypeName {
    return TL_RESULT_TYPE[name];
}

/** True when `answer` is a constructor of the result type of `fn` (a query answer matches its request). */
export function isResultOf<F extends TlFunction>(fn: F, answer: TlAny): answer is TlFunctionResultMap[F['_']] {
    return !FUNCTIONS.has(answer._) && TL_RESULT_TYPE[answer._] === TL_RESULT_TYPE[fn._];
}
