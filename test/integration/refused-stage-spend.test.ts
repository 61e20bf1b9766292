// A run report refused for its stage still charges what its engine spent (issue 9, parts 1–2; jobs/report): a
// factory's PATCH that passes the lease fence but asks for a stage it may not move to (`review` for a job without
// reviewers, `shipped`) is refused `409 illegal_transition` and changes nothing about the job — but the money in its
// `insights` was really spent, and was lost with the refusal's rollback ($9 reported left the budget $4 short). It is
// charged as a progress report on the live lease would be: the product budget and the job's own, once (a resend adds
// nothing), and a report that spends nothing keeps nothing.
import { describe, expect, it } from "vitest";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, getJob, type JobView, P, submit } from "./client";

type Reported = JobView & { code?: string };
const patch = (product: string, token: string, jobId: string, json: Record<string, unknown>) =>
  api<Reported>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json });
const budget = async (product: string) => (await api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN })).body;

async function building(product: string, manifest: Record<string, unknown>) {
  const put = { period: "day", ceilingUsd: 100, onExhausted: "pause" };
  expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: put })).status).toBe(200);
  const f = await enroll(product, "f");
  const job = await submit(product, manifest);
  const { lease } = (await claim(product, f.token)).body;
  const started = await patch(product, f.token, job.id, { leaseEpoch: lease.leaseEpoch, stage: "building" });
  expect(started.body.stage).toBe("building");
  return { token: f.token, jobId: job.id, leaseEpoch: lease.leaseEpoch as number };
}

describe("a factory's report refused for its stage", () => {
  it("still charges its spend to the product budget, once, and moves nothing", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("refused-stage-spend");
      const { token, jobId, leaseEpoch } = await building(product, { title: "no reviewers", reviewers: 0 });
      const wrong = { leaseEpoch, stage: "review", result: { outcome: "success" }, insights: { costUsd: 9 } };
      const refused = await patch(product, token, jobId, wrong);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe("illegal_transition");
      expect((await budget(product)).spentUsd).toBe(9);
      expect(await getJob(product, jobId)).toMatchObject({ stage: "building", leaseEpoch });
      // Resent (a lost answer): refused again, charged nothing more — the run's high-water mark is 9.
      expect((await patch(product, token, jobId, wrong)).body.code).toBe("illegal_transition");
      expect((await budget(product)).spentUsd).toBe(9);
      // The run goes on and finishes where its gate says: its later $10 total adds $1.
      const done = await patch(product, token, jobId, { ...wrong, stage: "testing", insights: { costUsd: 10 } });
      expect(done.body.stage).toBe("testing");
      expect((await budget(product)).spentUsd).toBe(10);
    }));

  it("charges a job's own budget too, and a stage no factory reports is refused the same way", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("refused-stage-own");
      const { token, jobId, leaseEpoch } = await building(product, { title: "capped", budget: { usd: 2 } });
      const shipped = await patch(product, token, jobId, { leaseEpoch, stage: "shipped", insights: { costUsd: 3 } });
      expect(shipped.status).toBe(409);
      expect(shipped.body.code).toBe("illegal_transition");
      expect((await budget(product)).spentUsd).toBe(3);
      // Over its own $2: the run ends as an in-lease overrun does.
      const job = (await getJob(product, jobId)) as JobView & { lastResult?: { outcome: string } };
      expect(job).toMatchObject({ stage: "failed", lastResult: { outcome: "budget_exceeded" } });
    }));

  it("keeps nothing when the refused report spends nothing", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("refused-stage-free");
      const { token, jobId, leaseEpoch } = await building(product, { title: "free", reviewers: 0 });
      expect((await patch(product, token, jobId, { leaseEpoch, stage: "review" })).body.code).toBe(
        "illegal_transition",
      );
      expect((await budget(product)).spentUsd).toBe(0);
      expect(await getJob(product, jobId)).toMatchObject({ stage: "building", leaseEpoch });
    }));
});
