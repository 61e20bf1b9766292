// npm test counts a layer as failing, stopping the run with a non-zero exit, whenever its counts say a failure: its
// exit status not 0, no JSON report to read (it ended before writing one), or a report with failed tests — a layer
// that exited 0 without a report was counted "1 failed" and the run still exited 0 (scripts/test-report countLayer).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { countLayer } from "../../scripts/test-report.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-test-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A vitest JSON report's counts, written to a file of its own. */
function report(name: string, passed: number, failed: number, skipped: number): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ numPassedTests: passed, numFailedTests: failed, numPendingTests: skipped }));
  return file;
}

describe("countLayer", () => {
  it("a report's counts; failing only with a failure", () => {
    expect(countLayer(0, report("green", 5, 0, 2))).toEqual({ passed: 5, failed: 0, skipped: 2, failing: false });
    expect(countLayer(1, report("red", 4, 1, 0))).toEqual({ passed: 4, failed: 1, skipped: 0, failing: true });
  });

  it("no report, or one that is no JSON: one failure, failing whatever the exit status", () => {
    for (const status of [0, 1]) {
      expect(countLayer(status, path.join(dir, "none.json"))).toEqual({
        passed: 0,
        failed: 1,
        skipped: 0,
        failing: true,
      });
    }
    const torn = path.join(dir, "torn.json");
    writeFileSync(torn, '{"numPassedTests": 3');
    expect(countLayer(0, torn).failing).toBe(true);
  });

  it("failed tests in the report fail the layer even with exit 0", () => {
    expect(countLayer(0, report("odd", 4, 1, 0)).failing).toBe(true);
  });
});
