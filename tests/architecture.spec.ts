/**
 * The layering rules of docs/runners.md and ARCHITECTURE.md, checked over every project import (static,
 * `import type`, re-exports and dynamic `import()`), so a shared helper put in a role folder, or a cycle,
 * fails here rather than in a review.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, normalize, relative } from 'path';

const ROOT = join(__dirname, '..');
const SOURCE_DIRS = ['node', 'indexer', 'wrappers', 'scripts', 'web/src'];
const SKIP = new Set(['node_modules', 'dist']);
const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
    return readdirSync(join(ROOT, dir)).flatMap((name) => {
        const path = `${dir}/${name}`;
        if (SKIP.has(name)) return [];
        if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
        return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
    });
}

const files = SOURCE_DIRS.flatMap(sourceFiles);
const known = new Set(files);

/** Project files a file imports (relative specifiers resolved to a path under the repository). */
function importsOf(file: string): string[] {
    const out = new Set<string>();
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(IMPORT)) {
        const spec = m[1] ?? m[2];
        if (!spec.startsWith('.')) continue;
        const base = relative(ROOT, normalize(join(ROOT, dirname(file), spec))).replace(/\\/g, '/');
        out.add([`${base}.ts`, `${base}.tsx`, `${base}/index.ts`].find((c) => known.has(c)) ?? base);
    }
    return [...out];
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));
const ROLES = ['node/client/', 'node/proxy/', 'node/worker/'];
const roleOf = (f: string) => ROLES.find((r) => f.startsWith(r));
const under = (f: string, ...dirs: string[]) => dirs.some((d) => f.startsWith(d));

/** Each rule names what may not import what; the answer lists every offending `file -> import`. */
const RULES: { rule: string; broken: (from: string, to: string) => boolean }[] = [
    { rule: 'wrappers import no node/ or indexer/ module', broken: (f, t) => under(f, 'wrappers/') && under(t, 'node/', 'indexer/') },
    {
        rule: 'a role folder imports no other role folder (shared code lives in node/common)',
        broken: (f, t) => roleOf(f) !== undefined && roleOf(t) !== undefined && roleOf(f) !== roleOf(t),
    },
    {
        rule: 'lower layers, the indexer and scripts import no runner and no CLI',
        broken: (f, t) =>
            under(
                f,
                'node/chain/',
                'node/protocol/',
                'node/attestation/',
                'node/inference/',
                'node/common/',
                'indexer/',
                'wrappers/',
                'scripts/',
            ) &&
            (roleOf(t) !== undefined || under(t, 'node/cli/')),
    },
    {
        rule: 'only the CLI starts the local chain (services reach it over HTTP)',
        broken: (f, t) => under(t, 'node/localchain/') && !under(f, 'node/localchain/', 'node/cli/'),
    },
    { rule: 'the indexer does not import the protocol layer', broken: (f, t) => under(f, 'indexer/') && under(t, 'node/protocol/') },
    { rule: 'indexer ingest does not import the API', broken: (f, t) => under(f, 'indexer/ingest/') && under(t, 'indexer/api/') },
    {
        rule: "the explorer imports only itself, the indexer's API and vocabulary, and import-free wrappers",
        broken: (f, t) => under(f, 'web/src/') && !under(t, 'web/', 'indexer/api/', 'indexer/domain.ts', 'wrappers/contractState.ts'),
    },
];

/** Strongly connected components with more than one file (Tarjan). */
function cycles(): string[][] {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const found: string[][] = [];
    const visit = (v: string) => {
        index.set(v, index.size);
        low.set(v, index.get(v)!);
        stack.push(v);
        onStack.add(v);
        for (const w of graph.get(v) ?? []) {
            if (!graph.has(w)) continue;
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        }
        if (low.get(v) === index.get(v)) {
            const component: string[] = [];
            let w: string;
            do {
                w = stack.pop()!;
                onStack.delete(w);
                component.push(w);
            } while (w !== v);
            if (component.length > 1) found.push(component.sort());
        }
    };
    for (const f of files) if (!index.has(f)) visit(f);
    return found;
}

describe('layering', () => {
    it('reads the whole source tree', () => {
        for (const f of [
            'node/proxy/runner.ts',
            'indexer/api/router.ts',
            'web/src/App.tsx',
            'scripts/common.ts',
            'wrappers/CocoonRoot.ts',
        ]) {
            expect(known.has(f)).toBe(true);
        }
        expect(graph.get('node/proxy/stats.ts')).toContain('node/common/chain-stats.ts');
        expect(graph.get('node/common/log.ts')).toEqual([]);
    });

    it.each(RULES)('$rule', ({ broken }) => {
        const offences = [...graph].flatMap(([from, deps]) => deps.filter((to) => broken(from, to)).map((to) => `${from} -> ${to}`));
        expect(offences).toEqual([]);
    });

    it('has no import cycles', () => {
        expect(cycles()).toEqual([]);
    });
});
