// Proves the unit run's temp dirs are scoped: every file's os.tmpdir() is the run's private root
// (test/unit/global-setup.ts), which the run removes whole at its end, so no test can leak dirs into the host's /tmp.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";

describe("the unit run's temp root", () => {
  it("is what os.tmpdir() answers in a test file, outside the host's shared temp dir", () => {
    const root = inject("unitTempRoot");
    expect(root).toMatch(/gf-unit-run-/);
    expect(tmpdir()).toBe(root);
    expect(path.dirname(mkdtempSync(path.join(tmpdir(), "gf-probe-")))).toBe(root);
  });

  it("is what a process the test starts uses too", () => {
    const out = spawnSync(process.execPath, ["-e", "process.stdout.write(require('node:os').tmpdir())"], {
      encoding: "utf8",
    });
    expect(out.stdout).toBe(inject("unitTempRoot"));
  });
});
