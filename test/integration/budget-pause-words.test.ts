// A `budget_paused` wait in workerd names who paused and the spend against the ceiling: exhaustion's "spent ($2.05
// of $2.00 per day)" with the period's end as `detail.until` (the pause lifts then), an operator's "paused by an
// operator" with a resume as its end; and a job no factory can run reads `no_capable_factory` first with the pause
// in `detail.budgetPaused` — it read `budget_paused`, then `no_capable_factory` once the budget was resumed.
import { describe, expect, it } from "vitest";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client";

type Waiting = { code: string; message: string; detail: Record<string, unknown> };
type Budget = { periodEnd: number; state: string; pausedBy?: string };

const waitingOf = async (product: string, id: string) => (await getJob(product, id)).waitingReason as Waiting;

describe("a budget pause's words", () => {
  it("say who paused, the spend and the end; a job no factory can run says that first", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-pause-words");
      const budget = { period: "day", ceilingUsd: 2, onExhausted: "pause" };
      expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: budget })).status).toBe(200);
      const f = await enroll(product, "f", [], 2);
      const a = await submit(product, { title: "a" });
      const lease = (await claim(product, f.token)).body;
      const json = { leaseEpoch: lease.lease.leaseEpoch, stage: "building", insights: { costUsd: 2.05 } };
      expect((await api("PATCH", `${P(product)}/jobs/${a.id}`, { token: f.token, json })).status).toBe(200);
      const spent = (await api<Budget>("GET", `${P(product)}/budget`, { token: ADMIN })).body;
      expect(spent).toMatchObject({ state: "paused", pausedBy: "exhausted" });

      const plain = await submit(product, { title: "plain" });
      const exhausted = await waitingOf(product, plain.id);
      expect(exhausted.code).toBe("budget_paused");
      const end = `${new Date(spent.periodEnd).toISOString().slice(0, 19)}Z`;
      expect(exhausted.message).toContain(
        `budget is spent ($2.05 of $2.00 per day): dispatch is paused — it lifts when the day ends at ${end}`,
      );
      expect(exhausted.detail).toMatchObject({
        periodEndsAt: spent.periodEnd,
        pausedBy: "exhausted",
        spentUsd: 2.05,
        ceilingUsd: 2,
        until: spent.periodEnd,
      });

      const tpu = await submit(product, { title: "tpu", requires: ["tpu"] });
      const both = await waitingOf(product, tpu.id);
      expect(both.code).toBe("no_capable_factory");
      expect(both.message).toMatch(/^waiting for a factory with tpu — .*; and the product's budget is spent/);
      expect(both.detail).toMatchObject({ missing: ["tpu"], budgetPaused: { pausedBy: "exhausted" } });

      // Resumed (over the ceiling by choice), then paused by an operator: said so, with no end but a resume.
      expect((await api("POST", `${P(product)}/budget/resume`, { token: ADMIN })).status).toBe(200);
      expect((await api("POST", `${P(product)}/budget/pause`, { token: ADMIN })).status).toBe(200);
      const operator = await waitingOf(product, plain.id);
      expect(operator.message).toBe(
        "the product's budget is paused by an operator ($2.05 of $2.00 per day spent) — `gigafactory budget resume` lifts the pause",
      );
      expect(operator.detail).toMatchObject({ pausedBy: "operator" });
      expect(operator.detail).not.toHaveProperty("until");
    }));
});
