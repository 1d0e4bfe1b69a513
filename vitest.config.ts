import { defineConfig } from 'vitest/config';

// Integration tests share one real Temporal dev server and one real Postgres cluster (globalSetup);
// files run one at a time on this 2-core machine so timings stay sane.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/globalSetup.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
