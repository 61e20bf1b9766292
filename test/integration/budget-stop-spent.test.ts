// A budget stop (policies/budget-stop) of a job whose runs have spent exactly its own `budget.usd`: within it
// (core/job-budget `jobOverrun` is strict: the run kept building), but nothing left for another run (`spentBudget`:
// AT a limit), so dispatch/lease-ops `giveBack` ends it `failed`, not requeued. The stop closed its run
// `budget_exceeded` "stopped and requeued; …", retryable, and its lesson counted it as requeued, before `giveBack`
// decided (helper R's review of pass 41). Now the run says "stopped, not retried: spent $0.50 of its job budget
// $0.50", not retryable, and the lesson says which job was requeued and which failed — beside another job, and alone.
import { describe, expect, it } from "vitest";
import type { Lesson } from "../../src/core/lessons.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client.ts";
import { lessonMirror } from "./lesson-support.ts";

type Runs = { runs: Array<{ result?: { outcome: string; message?: string; retryable?: boolean } }> };

describe("a budget stop of a job at exactly its own budget", () => {
  it("says 'requeued' only of a job the stop requeued", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-stop-spent");
      const budget = { period: "day", ceilingUsd: 1, onExhausted: "stop" };
      expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: budget })).status).toBe(200);
      const f = await enroll(product, "f", [], 2);
      const capped = await submit(product, { title: "capped", budget: { usd: 0.5 } });
      const other = await submit(product, { title: "other" });
      const a = (await claim(product, f.token)).body;
      const b = (await claim(product, f.token)).body;
      const leaseOf = (id: string) => (a.job.id === id ? a : b).lease.leaseEpoch;
      const report = (id: string, costUsd: number) =>
        api("PATCH", `${P(product)}/jobs/${id}`, {
          token: f.token,
          json: { leaseEpoch: leaseOf(id), stage: "building", insights: { costUsd } },
        });
      // Exactly its own budget: within it, still building.
      const within = await report(capped.id, 0.5);
      expect(within.status).toBe(200);
      expect(within.body.stage).toBe("building");
      // The other job's spend exhausts the product budget: the stop takes both leases.
      expect((await report(other.id, 0.6)).status).toBe(200);

      const job = (await getJob(product, capped.id)) as { stage: string };
      const { runs } = (await api<Runs>("GET", `${P(product)}/jobs/${capped.id}/runs`, { token: ADMIN })).body;
      const said = runs.map((r) => r.result?.message ?? "").join(" | ");
      const stop = (await lessonMirror(product)).find((l: Lesson) => l.trigger === "budget_stop");
      // Ended failed by giveBack (nothing left of its own budget for another run) — so its run and the lesson must not
      // say it was requeued, nor call the run retryable.
      expect(job.stage).toBe("failed");
      expect(said).not.toMatch(/requeued/);
      expect(runs.at(-1)?.result?.retryable).not.toBe(true);
      expect(stop?.text ?? "").not.toMatch(/^2 running jobs .* were stopped and requeued/);
      // What did happen, said: the run, the job's last result, and the lesson (the other job requeued, starting over).
      expect(runs.at(-1)?.result).toEqual({
        outcome: "budget_exceeded",
        message:
          "budget exhausted: $1.10 of $1.00 per day — stopped, not retried: spent $0.50 of its job budget $0.50: nothing left for another run",
        retryable: false,
      });
      expect(stop?.text).toBe(
        '2 running jobs ("capped", "other") were stopped because the product budget ran out (budget exhausted: $1.10 of $1.00 per day); 1 was requeued and starts over (no checkpoint); 1 had spent its own job budget and failed.',
      );
      expect(((await getJob(product, other.id)) as { stage: string }).stage).toBe("queued");
    }));
});

describe("a budget stop of a lone job whose own report spends both budgets", () => {
  it("its run and the lesson say it failed, not that it was requeued", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("budget-stop-spent-lone");
      const budget = { period: "day", ceilingUsd: 0.5, onExhausted: "stop" };
      expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: budget })).status).toBe(200);
      const f = await enroll(product, "f", [], 1);
      const capped = await submit(product, { title: "capped", budget: { usd: 0.5 } });
      const lease = (await claim(product, f.token)).body;
      const json = { leaseEpoch: lease.lease.leaseEpoch, stage: "building", insights: { costUsd: 0.5 } };
      expect((await api("PATCH", `${P(product)}/jobs/${capped.id}`, { token: f.token, json })).status).toBe(200);

      expect(((await getJob(product, capped.id)) as { stage: string }).stage).toBe("failed");
      const { runs } = (await api<Runs>("GET", `${P(product)}/jobs/${capped.id}/runs`, { token: ADMIN })).body;
      expect(runs.map((r) => r.result)).toEqual([
        {
          outcome: "budget_exceeded",
          message:
            "budget exhausted: $0.50 of $0.50 per day — stopped, not retried: spent $0.50 of its job budget $0.50: nothing left for another run",
          retryable: false,
        },
      ]);
      const stop = (await lessonMirror(product)).find((l: Lesson) => l.trigger === "budget_stop");
      expect(stop?.text).toBe(
        '"capped" was stopped because the product budget ran out (budget exhausted: $0.50 of $0.50 per day); it had spent its own job budget, so it failed, not retried.',
      );
    }));
});
