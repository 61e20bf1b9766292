// GET …/metrics as Prometheus text in workerd carries the product budget's state, read from the same snapshot as
// the JSON: one `gigafactory_budget_state` series per state (1 for the JSON's `budget.state`, 0 for the others) and
// `gigafactory_budget_dispatch_paused` 1 while the budget pauses dispatch — by exhaustion (a report reaching the
// ceiling) and by an operator — and 0 again once resumed (`overrun`: over the ceiling by an operator's choice); the
// JSON's `dispatchPaused` and `dispatchPausedBy` (exhausted, operator) say the same, and why.
import parse from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { BUDGET_STATES } from "../../src/core/budget.ts";
import type { MetricsSnapshot } from "../../src/shared/api-metrics.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client";

const PRODUCT = "metrics-budget-state";

/** `product`'s budget state as the JSON says it and as the text says it: the state at 1, and the dispatch pause. */
async function states(
  product: string,
): Promise<{ json?: string; ones: string[]; zeros: number; paused: number; by: string | null }> {
  const json = (await api<MetricsSnapshot>("GET", `${P(product)}/metrics`, { token: ADMIN })).body;
  const text = await api<string>("GET", `${P(product)}/metrics?format=prometheus`, { token: ADMIN });
  const families = parse(text.body as unknown as string);
  const state = families.find((f) => f.name === "gigafactory_budget_state")?.metrics ?? [];
  const paused = families.find((f) => f.name === "gigafactory_budget_dispatch_paused")?.metrics ?? [];
  expect(state.map((m) => m.labels?.state).sort()).toEqual([...BUDGET_STATES].sort());
  expect(state.every((m) => m.labels?.product === product && m.labels?.period === "day")).toBe(true);
  expect(paused).toHaveLength(1);
  expect(json.dispatchPaused).toBe(Number(paused[0]?.value) === 1);
  return {
    by: json.dispatchPausedBy ?? null,
    json: json.budget?.state,
    ones: state.filter((m) => Number(m.value) === 1).map((m) => String(m.labels?.state)),
    zeros: state.filter((m) => Number(m.value) === 0).length,
    paused: Number(paused[0]?.value),
  };
}

describe("the budget's state in the Prometheus exposition", () => {
  it("follows exhaustion, an operator's pause and resume, as the JSON does", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product(PRODUCT);
      const put = await api("PUT", `${P(product)}/budget`, {
        token: ADMIN,
        json: { period: "day", ceilingUsd: 1, onExhausted: "pause" },
      });
      expect(put.status).toBe(200);
      const others = BUDGET_STATES.length - 1;
      expect(await states(product)).toEqual({ json: "ok", ones: ["ok"], zeros: others, paused: 0, by: null });

      const f = await enroll(product, "f");
      const job = await submit(product, { title: "spends it all" });
      const lease = (await claim(product, f.token)).body;
      expect(lease.job.id).toBe(job.id);
      const report = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
        token: f.token,
        json: { leaseEpoch: lease.lease.leaseEpoch, stage: "building", insights: { costUsd: 1 } },
      });
      expect(report.status).toBe(200);
      expect(await states(product)).toEqual({
        json: "paused",
        ones: ["paused"],
        zeros: others,
        paused: 1,
        by: "exhausted",
      });

      // Resumed over the ceiling: dispatch goes on, the state says so.
      expect((await api("POST", `${P(product)}/budget/resume`, { token: ADMIN })).status).toBe(200);
      expect(await states(product)).toEqual({ json: "overrun", ones: ["overrun"], zeros: others, paused: 0, by: null });

      // An operator's pause over it, and its resume.
      expect((await api("POST", `${P(product)}/budget/pause`, { token: ADMIN })).status).toBe(200);
      expect(await states(product)).toEqual({
        json: "paused",
        ones: ["paused"],
        zeros: others,
        paused: 1,
        by: "operator",
      });
      expect((await api("POST", `${P(product)}/budget/resume`, { token: ADMIN })).status).toBe(200);
      expect(await states(product)).toEqual({ json: "overrun", ones: ["overrun"], zeros: others, paused: 0, by: null });
    }));
});
