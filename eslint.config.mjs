// Lint rules for every TypeScript file of the project (`npm run lint`, part of `npm test`'s pretest and CI).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
    { ignores: ['build/**', 'dist/**', 'web/dist/**', 'node_modules/**', 'drizzle/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            // tsc's noUnusedLocals/noUnusedParameters report these; `_` marks a deliberately unused one.
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
            'no-constant-condition': ['error', { checkLoops: false }],
            // `x != null` (null or undefined) is the one loose comparison we allow.
            eqeqeq: ['error', 'always', { null: 'ignore' }],
            // Input validation rejects control characters on purpose.
            'no-control-regex': 'off',
            // Closures and iterators that must reach the instance name it `self`.
            '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
            'prefer-const': 'error',
            // No line over 140 columns, comments and strings included (generated.ts too: its generator wraps what it emits).
            'max-len': ['error', { code: 140, tabWidth: 4 }],
        },
    },
    {
        // Benchmarks and tests load a module after patching the environment, which an import cannot do.
        files: ['tests/**/*.ts'],
        rules: { '@typescript-eslint/no-require-imports': 'off' },
    },
);
