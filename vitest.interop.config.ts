import { defineConfig } from 'vitest/config'

/**
 * Tests that measure rates at an origin (a budget held over 1 s windows): they run after the
 * others, one file at a time, so that no other test shares the machine's cores with them.
 */
const TIMED = ['test/interop/tile-rate.test.ts', 'test/interop/fleet.test.ts', 'test/interop/fleet-budget.test.ts']

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'interop', include: ['test/interop/**/*.test.ts'], exclude: TIMED, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'interop-timed', include: TIMED, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
})
