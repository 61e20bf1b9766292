// `gigafactory enroll --help` gave `--cap` the example `os:linux`, a capability the agent detects itself
// (agent/capabilities: engine:, has:, os:, arch:, node:) — granted by hand it holds on a host that lacks it, so jobs
// that need it go there (core/waiting-fix never tells such a capability as --cap). The example is one it cannot detect.
import { describe, expect, it } from "vitest";
import { captureCli } from "../support/cli-harness.ts";

describe("enroll --help's --cap example", () => {
  it("is a capability only an operator can declare", async () => {
    const run = await captureCli(["enroll", "--help"]);
    const line = run.stdout.split("\n").find((l) => l.trimStart().startsWith("--cap")) ?? "";
    const example = /e\.g\. ([\w:.-]+)/.exec(line)?.[1];
    expect(example).toBeDefined();
    expect(example).not.toMatch(/^(engine|has|os|arch|node):/);
  });
});
