// Every view that prints money shows a sub-cent amount as such, not $0.00 (core/usd-text, dashboard/usd.js): the CLI's
// explain track line and budget view, and the dashboard's track-record lines and learned evidence. Before, each one
// formatted with `toFixed(2)` of its own and a $0.0012 run read as free.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { trackEvidence, trackLines } from "../../dashboard/learned.js";
import type { ShownBudget as BudgetView } from "../../src/cli/commands/budget-format.ts";
import { formatBudget } from "../../src/cli/commands/budget-format.ts";
import { trackLine } from "../../src/cli/commands/explain.ts";
import type { Candidate } from "../../src/shared/http-client.ts";

describe("sub-cent money in every view", () => {
  it("the CLI's explain track line", () => {
    const track = { engine: "codex", jobClass: "lang:rust", n: 9, neutral: false, successRate: 0.9, costUsd: 0.0012 };
    expect(trackLine({ track } as unknown as Candidate)).toContain("$0.0012/run");
  });

  it("the CLI's budget view: spend of a fraction of a cent", () => {
    const b = {
      period: "day",
      periodStart: 0,
      periodEnd: 86_400_000,
      spentUsd: 0.0034,
      ceilingUsd: 5,
      warnAtUsd: 4,
      state: "active",
      onExhausted: "pause",
      burndown: [{ at: 1_000, spentUsd: 0.0034 }],
    } as unknown as BudgetView;
    const text = formatBudget(b);
    expect(text).toContain("$0.0034 of $5.00");
    expect(text).not.toMatch(/\$0\.00(?!\d)/);
  });

  it("the dashboard's track-record lines and learned evidence", () => {
    const record = { successes: 3, failures: 0, n: 3, costUsd: { w: 3, mean: 0.0047, m2: 0 } };
    const lines = trackLines([{ factoryId: "f1", engine: "codex", jobClass: "lang:go", record }], "f1");
    expect(lines[0].text).toContain("$0.0047/run");
    const evidence = trackEvidence({ engine: "*", jobClass: "x", n: 12, neutral: false, costUsd: 0.0005 });
    expect(evidence).toContain("$0.00050/run");
  });
});
