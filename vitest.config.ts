import { defineConfig } from 'vitest/config';

// Four projects: unit (pure logic, no services), integration (real PostgreSQL,
// PGlite, FerretDB, Kafka from scripts/services), security (attacks, with integration's
// settings), e2e (real UI in Debian's Chromium).
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // Every engine answer is checked against the contract's schemas.
          setupFiles: ['test/output-contract-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Files share real services; running them one at a time keeps 2-core machines steady.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/output-contract-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/output-contract-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
