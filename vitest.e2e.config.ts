// End-to-end tests in Node against a real local server over real sockets.
import { defineConfig } from "vitest/config";

/**
 * Files that load the machine on purpose (thousands of jobs, a descriptor-capped runtime, the benchmark floor):
 * they run after the others, one at a time, with no other server beside them.
 */
const UNDER_LOAD = [
  "test/e2e/load.test.ts",
  "test/e2e/bench-floor.test.ts",
  "test/e2e/drain.test.ts",
  "test/e2e/push.test.ts",
];

const common = {
  environment: "node",
  testTimeout: 240_000,
  hookTimeout: 120_000,
} as const;

export default defineConfig({
  test: {
    // Once for the run, not per server: the Worker's bundle and a migrated state (test/e2e/global-setup.ts).
    globalSetup: ["test/e2e/global-setup.ts"],
    projects: [
      {
        test: {
          ...common,
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          exclude: UNDER_LOAD,
          // Two files at a time, each with its own server (own port, own state dir): most of their time is spent
          // waiting on agents, leases and browsers, not on the CPU. Each server is one workerd (~150 MB).
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...common,
          name: "e2e-under-load",
          include: UNDER_LOAD,
          // One server at a time: CI has two cores, and these tests measure behaviour under load.
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
