// Build: `npm run build:web` -> web/dist, served by the indexer API server (indexer --web-dir).
import { defineConfig } from 'vite';

export default defineConfig({
    root: import.meta.dirname,
    // Relative asset URLs so the app also works when served under a path prefix.
    base: './',
    build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
    // Dev server: `npx vite web` with `?api=http://127.0.0.1:8090` in the URL, or this proxy.
    server: { proxy: { '/api': process.env.COCOON_INDEXER_URL ?? 'http://127.0.0.1:8090' } },
});
