// What the product budget's alerts say, against the real coordinator in workerd (policies/budget applying the rules
// of core/budget-alerts), found by a reviewer: the open `budget_warning` names the ceiling and period in force after an
// operator changes them (it kept saying "spent $8.50 of $10.00 this month" under a $9 weekly budget); the
// `budget_exhausted` alert of an overrun that an operator then pauses does not claim running jobs were stopped (an
// operator's pause lets them finish: the job dispatched during the overrun was still building under "dispatch
// paused, running jobs stopped"); and it names a sub-cent ceiling as every other budget text does ($0.035, not the
// "$0.04" that reads as a ceiling above the spend); the exhaustion pause's alert gives the spend when it was raised
// and what lifts the pause (the period's end, `budget set`, `budget resume`) — it gave neither.
import { describe, expect, it } from "vitest";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, alertsOf, api, claim, enroll, getJob, P, submit } from "./client";

/** What the warning says after its figures (core/budget-alerts): they are of the moment it was raised. */
const RAISED = " when this alert was raised; `gigafactory budget` shows the spend now";

type Reply = BudgetView & { code?: string };
const put = (product: string, json: unknown) => api<Reply>("PUT", `${P(product)}/budget`, { token: ADMIN, json });
const act = (product: string, verb: "pause" | "resume") =>
  api<Reply>("POST", `${P(product)}/budget/${verb}`, { token: ADMIN });
const report = (product: string, token: string, jobId: string, leaseEpoch: number, costUsd: number) =>
  api<{ stage: string }>("PATCH", `${P(product)}/jobs/${jobId}`, {
    token,
    json: { leaseEpoch, stage: "building", insights: { costUsd } },
  });
const messageOf = async (product: string, kind: string) =>
  (await alertsOf(product, "open")).find((a) => a.kind === kind)?.message;

describe("the budget_warning alert", () => {
  it("names the ceiling and period in force once an operator changes them, still over 80 %", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-alert-rule");
      await put(product, { period: "month", ceilingUsd: 10, onExhausted: "pause" });
      const f = await enroll(product, "f");
      const a = await submit(product, { title: "a" });
      const lease = (await claim(product, f.token, 300)).body;
      await report(product, f.token, a.id, lease.lease.leaseEpoch, 8.5);
      expect(await messageOf(product, "budget_warning")).toBe(`spent $8.50 of $10.00 this month (≥ 80 %)${RAISED}`);
      expect((await put(product, { period: "week", ceilingUsd: 9, onExhausted: "pause" })).body.state).toBe("warning");
      expect(await messageOf(product, "budget_warning")).toBe(`spent $8.50 of $9.00 this week (≥ 80 %)${RAISED}`);
      // A spend alone does not rewrite it: the warning says when the line was crossed, not every later report.
      await report(product, f.token, a.id, lease.lease.leaseEpoch, 8.75);
      expect(await messageOf(product, "budget_warning")).toBe(`spent $8.50 of $9.00 this week (≥ 80 %)${RAISED}`);
    }));
});

describe("the budget_exhausted alert", () => {
  it("of an overrun an operator pauses says running jobs finish, not that they were stopped", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-alert-overrun-pause");
      await put(product, { period: "month", ceilingUsd: 1, onExhausted: "stop" });
      const f = await enroll(product, "f");
      const a = await submit(product, { title: "a" });
      const first = (await claim(product, f.token, 300)).body;
      expect((await report(product, f.token, a.id, first.lease.leaseEpoch, 2)).body.stage).toBe("queued"); // stopped
      expect(await messageOf(product, "budget_exhausted")).toMatch(
        /^budget of \$1\.00 per month exhausted \(\$2\.00 spent when raised\): dispatch paused, running jobs stopped — it lifts when the month ends at \S+Z; `gigafactory budget set month CEILING_USD` raises the ceiling, `gigafactory budget resume` runs on over it$/,
      );
      expect((await act(product, "resume")).body.state).toBe("overrun");
      const again = (await claim(product, f.token, 300)).body; // dispatched over the ceiling, by the operator's choice
      expect(again.job.id).toBe(a.id);
      expect((await act(product, "pause")).body).toMatchObject({ state: "paused", pausedBy: "operator" });
      expect((await getJob(product, a.id)).stage).toBe("assigned"); // an operator's pause stops nothing
      expect(await messageOf(product, "budget_exhausted")).toBe(
        "budget of $1.00 per month exhausted: dispatch paused by an operator, running jobs finish; resumed, it goes on " +
          "over the ceiling until the period ends",
      );
    }));

  it("names a sub-cent ceiling with the digits the budget shows it with", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-alert-cents");
      await put(product, { period: "day", ceilingUsd: 0.035, onExhausted: "pause" });
      const f = await enroll(product, "f");
      const a = await submit(product, { title: "a" });
      const lease = (await claim(product, f.token, 300)).body;
      await report(product, f.token, a.id, lease.lease.leaseEpoch, 0.036);
      expect(await messageOf(product, "budget_exhausted")).toMatch(
        /^budget of \$0\.035 per day exhausted \(\$0\.036 spent when raised\): dispatch paused — it lifts when the day ends/,
      );
    }));
});
