// Unit tests of the pure core, run in plain Node.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    environment: "node",
    // Two files at a time on two cores (vitest's default there is one). Tests wait for states, never for time: the
    // timeout only ends a hang — 5 s (the default) was passed by the git-heavy workspace tests (1.7 s alone on CI)
    // on a loaded machine with two files side by side.
    maxWorkers: 2,
    testTimeout: 20_000,
  },
});
