// The agent holds a run to its assignment's `allowance` — what is left of the job's budget.usd / tokens after its
// earlier runs (they bound the whole job) — not to the whole budget again: a retry of a $5 job that had spent $3.50
// is stopped past $1.50 and fails budget_exceeded saying it was what was left of the job's budget, where it ran on to
// $4 and completed. An assignment without an allowance (an older coordinator) is held to the manifest's budget, and
// a malformed allowance is refused like any other field the agent acts on. The breach says its amounts with shared
// decimals (core/usd-text `usdTexts`): a sub-cent over-spend is not "$0.0000", nor a float budget
// "$0.30000000000000004". Real Supervisor, seat and sample engine (its `gf-sample-cost` reports), fake connection
// (test/unit/agent-fakes).
import { describe, expect, it } from "vitest";
import { assignmentProblem } from "../../src/agent/assignment-guard.ts";
import { budgetBreach, runLimits } from "../../src/agent/insights.ts";
import type { Job } from "../../src/core/model.ts";
import { assignment, fakeSupervisor, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

const budgeted = (budget: Job["budget"]) => assignment("job_a", "body", 2, { budget });

describe("runLimits and budgetBreach", () => {
  it("hold the run to the allowance when there is one, saying it is what was left of the job's budget", () => {
    const limits = runLimits({ ...budgeted({ usd: 5, tokens: 1000 }), allowance: { usd: 1.5, tokens: 400 } });
    expect(limits).toMatchObject({ usd: 1.5, tokens: 400 });
    expect(budgetBreach(limits, { costUsd: 1.5, tokensIn: 400 })).toBeUndefined(); // exactly what is left is within
    expect(budgetBreach(limits, { costUsd: 2 })).toBe(
      "spent $2.00, more than the $1.50 left of the job's budget of $5.00",
    );
    expect(budgetBreach(limits, { tokensIn: 300, tokensOut: 101 })).toBe(
      "used 401 tokens, more than the 400 left of the job's budget of 1000",
    );
    expect(budgetBreach(runLimits({ ...budgeted({ usd: 5 }), allowance: { usd: 0 } }), { costUsd: 0.01 })).toMatch(
      /more than the \$0\.00 left/,
    );
  });

  it("fall back to the manifest's budget when the coordinator sent no allowance (an older one)", () => {
    const limits = runLimits(budgeted({ usd: 5, wallSeconds: 60 }));
    expect(budgetBreach(limits, { costUsd: 4.99 })).toBeUndefined();
    expect(budgetBreach(limits, { costUsd: 5.01 })).toBe("spent $5.01, budget is $5.00");
  });

  it("say amounts with the digits that tell them apart: never $0.0000 spent, an over-spend equal to its limit, or a float", () => {
    const left = runLimits({ ...budgeted({ usd: 0.00005 }), allowance: { usd: 0.00003 } });
    expect(budgetBreach(left, { costUsd: 0.00004 })).toBe(
      "spent $0.00004, more than the $0.00003 left of the job's budget of $0.00005",
    );
    expect(budgetBreach(runLimits(budgeted({ usd: 2 })), { costUsd: 2.00004 })).toBe("spent $2.00004, budget is $2.00");
    expect(budgetBreach(runLimits(budgeted({ usd: 0.1 + 0.2 })), { costUsd: 0.31 })).toBe(
      "spent $0.31, budget is $0.30",
    );
  });

  it("an assignment's allowance is optional but, when sent, must be non-negative numbers", () => {
    expect(assignmentProblem(budgeted({ usd: 5 }))).toBeUndefined();
    expect(assignmentProblem({ ...budgeted({ usd: 5 }), allowance: { usd: 1.5, tokens: 0 } })).toBeUndefined();
    expect(assignmentProblem({ ...budgeted({ usd: 5 }), allowance: { usd: -1 } })).toMatch(/^allowance\.usd: /);
    expect(assignmentProblem({ ...budgeted({ usd: 5 }), allowance: { tokens: 1.5 } })).toMatch(/^allowance\.tokens: /);
    expect(assignmentProblem({ ...budgeted({ usd: 5 }), allowance: "lots" })).toMatch(/^allowance: /);
  });
});

describe("a retry's run", () => {
  it("stops at what is left of the job's budget, not at the job's budget", async () => {
    const agent = tempAgent(rest.url);
    const { conn, stop } = fakeSupervisor(agent);
    try {
      conn.welcome();
      // $1 a second for 4 s ($1, $2, $3, then $4 at the end): within the $5 budget, past the $1.50 left of it.
      const a = assignment("job_retry", "gf-sample-cost: 4\ngf-sample-seconds: 4\n", 2, { budget: { usd: 5 } });
      conn.push({ type: "assign", assignments: [{ ...a, allowance: { usd: 1.5 } }] });
      const ended = await until("the run's final report", () => conn.finalReport("job_retry"));
      expect(ended.type).toBe("fail");
      const result = ended.type === "fail" ? ended.result : undefined;
      expect(result).toMatchObject({ outcome: "budget_exceeded", retryable: false });
      expect(result?.message).toContain("more than the $1.50 left of the job's budget of $5.00");
      // Stopped at its first report past the allowance ($2), not run on to the $4 the job's budget allowed.
      const insights = ended.type === "fail" ? ended.insights : undefined;
      expect(insights?.costUsd).toBe(2);
    } finally {
      await stop();
      agent.remove();
    }
  });
});
