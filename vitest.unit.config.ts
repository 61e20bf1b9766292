// Unit tests of the pure core, run in plain Node.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    environment: "node",
    // Tests wait for states, never for time: the timeout only ends a hang. The agent's workspace and engine tests
    // spawn dozens of git and engine processes; at vitest's 5 s they timed out on a loaded 2-core machine.
    testTimeout: 20_000,
  },
});
