import { defineConfig } from 'vitest/config';

// Pure tests (no servers) form the "unit" project: `npm run test:unit` runs them in seconds.
const unitTests = [
  'test/unit/**/*.test.ts',
  'test/batchDedup.test.ts',
  'test/files/formats.test.ts',
  'test/files/runView.test.ts',
];

// Integration tests share one real Temporal dev server and one real Postgres cluster (globalSetup);
// files run one at a time on this 2-core machine so timings stay sane. `npm test` runs both projects.
export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      // groupOrder: the projects run one after the other, never side by side.
      { extends: true, test: { name: 'unit', include: unitTests, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: unitTests,
          sequence: { groupOrder: 1 },
          globalSetup: ['test/helpers/globalSetup.ts'],
        },
      },
    ],
  },
});
