// The product budget's charge under reports in any order, as a fast-check property against the real coordinator in
// workerd (policies/run-spend, policies/late-spend, policies/budget): for random sequences of claims by two factories,
// cumulative reports (rising, resent or stale: an older report arriving late), reports by the factory that does not
// hold that run, final reports, operators' requeues and cancels of leased jobs and leases left to lapse, the budget's
// spend is exactly the sum, in micro-dollars, of each run's highest report accepted or refused `fenced` from its
// holder — a lost lease's spend charged once, a resend or stale report nothing, another factory's nothing. Near a
// small ceiling, with `onExhausted: stop`, no job is left running once the spend reaches it, and under either mode no
// claim succeeds after that.
import { env, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client";
import { lapseLease } from "./state";

/** One run as the test's model has it: what its holder reported, and the highest of it. */
interface Run {
  jobId: string;
  epoch: number;
  factory: number;
  max: number;
  sent: number[];
  final: boolean;
}

const JOBS = 3;
const Op = fc.oneof(
  fc.record({ k: fc.constant("claim" as const), f: fc.nat(1) }),
  fc.record({
    k: fc.constant("report" as const),
    r: fc.nat(20),
    add: fc.integer({ min: 0, max: 300 }).map((cents) => cents / 100),
    stale: fc.boolean(), // resend one of the run's earlier reports instead
    wrong: fc.boolean(), // sent by the other factory
    end: fc.constantFrom(undefined, "failed", "testing"),
  }),
  fc.record({ k: fc.constantFrom("requeue" as const, "cancel" as const, "lapse" as const), j: fc.nat(JOBS - 1) }),
);

const micros = (usd: number) => Math.round(usd * 1e6);
const charged = (runs: readonly Run[]) => runs.reduce((sum, r) => sum + micros(r.max), 0);
const leasedCount = (product: string) =>
  runInDurableObject(
    env.COORDINATOR.getByName(product),
    (_instance, state) =>
      state.storage.sql
        .exec<{ n: number }>("SELECT count(*) AS n FROM jobs WHERE stage IN ('assigned', 'building')")
        .one().n,
  );

let products = 0;
describe("the product budget's charge", () => {
  it("is each run's highest report from its holder, summed, whatever the order; nothing runs past exhaustion", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(Op, { minLength: 5, maxLength: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom("pause" as const, "stop" as const),
        fc.array(fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }), { minLength: JOBS, maxLength: JOBS }),
        // Each case within one budget period (a month's: its boundary is a midnight UTC too); a case that crossed
        // one is run again, on a fresh product (the counter's next).
        (ops, ceilingUsd, onExhausted, jobBudgets) =>
          inOneBudgetPeriod(async () => {
            const product = `budget-charge-${products++}`;
            const set = await api("PUT", `${P(product)}/budget`, {
              token: ADMIN,
              json: { period: "month", ceilingUsd, onExhausted },
            });
            expect(set.status).toBe(200);
            const factories = [await enroll(product, "a", [], 2), await enroll(product, "b", [], 2)];
            const jobs = [];
            for (const usd of jobBudgets)
              jobs.push(await submit(product, { title: "j", maxAttempts: 9, budget: { usd } }));
            const runs: Run[] = [];
            let exhausted = false;
            for (const op of ops) {
              if (op.k === "claim") {
                const c = await claim(product, factories[op.f]!.token, 300);
                if (c.status === 200) {
                  expect(exhausted, "a claim succeeded after the spend reached the ceiling").toBe(false);
                  const { job, lease } = c.body;
                  runs.push({ jobId: job.id, epoch: lease.leaseEpoch, factory: op.f, max: 0, sent: [], final: false });
                }
              } else if (op.k === "report") {
                const run = runs[op.r % Math.max(1, runs.length)];
                if (!run || (run.final && op.end)) continue;
                const last = run.sent.at(-1) ?? 0;
                const costUsd =
                  op.stale && run.sent.length > 0
                    ? run.sent[op.r % run.sent.length]!
                    : Math.round((last + op.add) * 100) / 100;
                const json: Record<string, unknown> = { leaseEpoch: run.epoch, insights: { costUsd } };
                json.stage = op.end ?? "building";
                if (op.end === "failed") json.result = { outcome: "failure", message: "engine failed" };
                const from = op.wrong ? 1 - run.factory : run.factory;
                const r = await api("PATCH", `${P(product)}/jobs/${run.jobId}`, {
                  token: factories[from]!.token,
                  json,
                });
                const code = (r.body as { code?: string } | null)?.code;
                // A report is charged when it lands or is refused as fenced (its lease lost); one refused for what it
                // says (a finish straight from `assigned`: illegal_transition) is not — it changes nothing.
                if (!op.wrong && (r.status === 200 || code === "fenced")) {
                  run.sent.push(costUsd);
                  run.max = Math.max(run.max, costUsd);
                  if (op.end && r.status === 200) run.final = true;
                }
              } else {
                const job = jobs[op.j]!;
                if (op.k === "lapse") await lapseLease(product, job.id);
                else await api("POST", `${P(product)}/jobs/${job.id}/actions/${op.k}`, { token: ADMIN, json: {} });
              }
              exhausted ||= charged(runs) >= micros(ceilingUsd);
              if (exhausted && onExhausted === "stop") expect(await leasedCount(product)).toBe(0);
            }
            const budget = (await api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN })).body;
            expect(micros(budget.spentUsd)).toBe(charged(runs));
          }),
      ),
      { numRuns: 20 },
    );
  }, 300_000);
});
