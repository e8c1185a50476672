import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes SQL migrations for indexer/db/schema.ts into ./drizzle (committed).
// `npx drizzle-kit migrate` applies them to DATABASE_URL, or to the PGlite dir COCOON_INDEXER_DATA (default .pglite).
const url = process.env.DATABASE_URL;
export default defineConfig({
    dialect: 'postgresql',
    schema: './indexer/db/schema.ts',
    out: './drizzle',
    ...(url && /^postgres(ql)?:\/\//.test(url)
        ? { dbCredentials: { url } }
        : { driver: 'pglite' as const, dbCredentials: { url: process.env.COCOON_INDEXER_DATA ?? './.pglite' } }),
});
