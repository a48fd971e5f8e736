import { defineConfig } from 'vitest/config';

/**
 * The fault-injection suite (`npm run test:faults`): the real CLI in child processes against the sandbox
 * with faults switched on. Kept apart from `npm test` because each case spawns several processes.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each file starts its own sandboxes, proxies and CLI children; two files at a time fill two cores.
    maxWorkers: 2,
  },
});
