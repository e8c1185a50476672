import type { Config } from 'jest';

const config: Config = {
    preset: 'ts-jest',
    testEnvironment: '@ton/sandbox/jest-environment',
    testMatch: ['<rootDir>/tests/**/*.spec.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/', '/tests/bench/'],
    // Suites start real servers (chain, Postgres, proxies); allow them time on 2 shared cores.
    testTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default', '<rootDir>/tools/jest-summary-reporter.js'],
};

export default config;
