import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: load tests must not run side by side and distort each other.
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
  },
});
