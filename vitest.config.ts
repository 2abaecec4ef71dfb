import { defineConfig } from 'vitest/config';

// Two tiers. `unit` is pure logic, runs in seconds with no servers. `e2e` boots real servers on
// loopback; it runs files one after another (two cores run everything) and shares one sandbox per
// file where that is safe.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          // One fork runs every file in turn: server-backed suites never overlap.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
