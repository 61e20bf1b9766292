// The CLI's amounts read side by side share one set of decimals and no percent says 0 of a spend above 0: `job`'s
// budget, spent and each run's SPENT (a $0.001 budget read "$0.0010" beside "spent $0.125 of $0.001" and a run's
// "$0.13"), and `budget`'s "$0.75 of $100.00 (<1 %)" (read "(0 %)") — core/usd-text `usdTexts`, cli/number-text
// `flooredPercent`, still floored so ≥ 80 and ≥ 100 match the coordinator's states.
import { describe, expect, it } from "vitest";
import type { ShownBudget as BudgetView } from "../../src/cli/commands/budget-format.ts";
import { formatBudget } from "../../src/cli/commands/budget-format.ts";
import { renderJob } from "../../src/cli/commands/job.ts";
import { flooredPercent } from "../../src/cli/number-text.ts";
import type { Run } from "../../src/shared/responses.ts";
import { jobFixture } from "../support/fixtures.ts";

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);

const run = (attempt: number, usd: number): Run => ({
  jobId: "job_1",
  attempt,
  factoryId: "f1",
  leaseEpoch: attempt,
  startedAt: AT - 10_000,
  endedAt: AT - 5000,
  spend: { usd, tokens: 10 },
});

describe("one USD text rule in the CLI", () => {
  it("job: budget, spent and each run's SPENT in shared decimals", () => {
    const text = renderJob(jobFixture(AT, { id: "job_1", budget: { usd: 0.001 } }), [run(1, 0.125)], AT);
    expect(text).toMatch(/budget\s+\$0\.001\n/);
    expect(text).toMatch(/spent\s+\$0\.125 of \$0\.001 \(12500 %\) · 10 tokens/);
    expect(text).toMatch(/\$0\.125 · 10 tokens\s+—/); // the runs table's SPENT column, then its RESULT
    expect(text).not.toContain("$0.0010");
    expect(text).not.toContain("$0.13");
  });

  it("job: a spend above 0 that is under 1 % of the budget reads <1 %", () => {
    const text = renderJob(jobFixture(AT, { id: "job_1", budget: { usd: 100 } }), [run(1, 0.75)], AT);
    expect(text).toMatch(/spent\s+\$0\.75 of \$100\.00 \(<1 %\)/);
  });

  it("budget: $0.75 of $100.00 reads <1 %, and the floors stay where the states are", () => {
    const view = (spentUsd: number, ceilingUsd: number): BudgetView => ({
      period: "day",
      ceilingUsd,
      spentUsd,
      state: "ok",
      periodStart: AT,
      periodEnd: AT + 86_400_000,
      onExhausted: "pause",
      warnAtUsd: ceilingUsd * 0.8,
      exhausted: false,
      burndown: [],
    });
    expect(formatBudget(view(0.75, 100))).toMatch(/spent\s+\$0\.75 of \$100\.00 \(<1 %\)/);
    expect(formatBudget(view(0, 100))).toMatch(/spent\s+\$0\.00 of \$100\.00 \(0 %\)/);
    expect(flooredPercent(799_999, 1_000_000)).toBe("79");
    expect(flooredPercent(1_000_000, 1_000_000)).toBe("100");
    expect(flooredPercent(1, 0)).toBe("0");
  });
});
