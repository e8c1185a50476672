#!/usr/bin/env node
'use strict';
// `npx cocoon`: runs the compiled CLI that `npm ci` builds into dist/ (fast start). When dist/ is missing
// (`npm ci --ignore-scripts`) or older than a source file (an edited checkout), it runs the TypeScript
// sources through ts-node instead, so the command never runs stale code.
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const compiled = join(root, 'dist', 'node', 'cli', 'cocoon.js');
const stamp = join(root, 'dist', '.tsbuildinfo');

function newestSource(dir) {
    let newest = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
        else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
    return newest;
}

function compiledIsCurrent() {
    if (!existsSync(compiled) || !existsSync(stamp)) return false;
    const built = statSync(stamp).mtimeMs;
    return ['node', 'indexer', 'wrappers'].every((d) => !existsSync(join(root, d)) || newestSource(join(root, d)) <= built);
}

if (compiledIsCurrent()) {
    require(compiled).main(process.argv.slice(2));
} else {
    if (existsSync(compiled))
        process.stderr.write('cocoon: sources changed since the last `npm run build:js`; running them through ts-node\n');
    require('ts-node').register({ transpileOnly: true });
    require('../node/cli/cocoon.ts').main(process.argv.slice(2));
}
