import * as fs from 'fs';
import { SCHEMA_PATH } from '../../../../node/protocol/tl/gen';
import { TypeRef, parseSchema } from '../../../../node/protocol/tl/schema';

export const schema = parseSchema(fs.readFileSync(SCHEMA_PATH, 'utf8'));

/** Deterministic sample values for every field type, with all optional fields present or absent. */
export function sample(t: TypeRef, seed: number, withOptional: boolean, depth = 0): unknown {
    switch (t.kind) {
        case 'flags':
            return undefined;
        case 'builtin':
            switch (t.name) {
                case 'int':
                    return (seed * 2654435761) | 0;
                case 'long':
                    return BigInt.asIntN(64, BigInt(seed) * 0x9e3779b97f4a7c15n);
                case 'double':
                    return seed + 0.25;
                case 'string':
                    return `s${seed}-é✓`;
                case 'bytes':
                    return Buffer.alloc(seed % 300, seed & 0xff);
                case 'int128':
                    return Buffer.alloc(16, seed);
                case 'int256':
                    return Buffer.alloc(32, seed + 1);
                case 'Bool':
                    return seed % 2 === 0;
                case 'true':
                    return true;
            }
            break;
        case 'bare':
            return sampleObject(t.name, seed, withOptional, depth + 1);
        case 'boxed': {
            const members = schema.types.get(t.name)!;
            return sampleObject(members[seed % members.length], seed, withOptional, depth + 1);
        }
        case 'vector':
            return depth > 3 ? [] : [0, 1].map((i) => sample(t.elem, seed + i + 1, withOptional, depth + 1));
    }
    throw new Error('unreachable');
}

export function sampleObject(name: string, seed: number, withOptional: boolean, depth = 0): Record<string, unknown> {
    const c = schema.byName.get(name)!;
    const o: Record<string, unknown> = { _: name };
    let i = 0;
    for (const f of c.fields) {
        i++;
        if (f.cond && !withOptional) continue;
        const v = sample(f.type, seed * 31 + i, withOptional, depth);
        if (v !== undefined) o[f.name] = v;
    }
    // Decoders always report the flags they read.
    for (const f of c.fields) {
        if (f.type.kind !== 'flags') continue;
        let flags = 0;
        for (const g of c.fields) if (g.cond?.flagsField === f.name && o[g.name] !== undefined) flags |= 1 << g.cond.bit;
        o[f.name] = flags >>> 0;
    }
    return o;
}
