/**
 * @module scripts/test-report
 * What `npm test` counts of one layer's vitest run (scripts/test): its JSON report's passed, failed and skipped
 * tests, and whether the layer failed.
 */
import { readFileSync } from "node:fs";

/** One layer's counts, and whether it stops the run (`failing`). */
export interface LayerCount {
  passed: number;
  failed: number;
  skipped: number;
  failing: boolean;
}

/**
 * The counts of a layer that ended with exit `status`, read from its JSON report at `reportPath`. A layer with no
 * report to read (it crashed before writing one) counts one failure. Failing whenever its counts say a failure, not
 * by its status alone: a layer that exited 0 without a report was counted "1 failed" and the run exited 0 (CI green).
 * Throws nothing.
 */
export function countLayer(status: number, reportPath: string): LayerCount {
  try {
    const r = JSON.parse(readFileSync(reportPath, "utf8")) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
    };
    const failed = r.numFailedTests;
    return { passed: r.numPassedTests, failed, skipped: r.numPendingTests, failing: status !== 0 || failed > 0 };
  } catch {
    return { passed: 0, failed: 1, skipped: 0, failing: true }; // the layer crashed before reporting
  }
}
