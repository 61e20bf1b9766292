// End-to-end tests in Node against a real `wrangler dev` server over real sockets.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    // One server at a time: CI has two cores, and these tests measure behaviour under load.
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
