import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // One consumer project per run, shared by the files' tests in order (the TypeScript step emits what the runs execute).
    sequence: { concurrent: false },
  },
})
