// Pass 47's hostile review of the money path (workerd, real DO storage), red on main: each test names a fault in
// what a job's spend is charged to, or in what the coordinator then shows of it. Faults only, no fixes here.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { KeyedRecord } from "../../src/durable-objects/coordinator/policies/track-records.ts";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { ADMIN, api, claim, enroll, getJob, type JobView, P, submit } from "./client";
import { expireLeaseNow } from "./state";

type Reported = JobView & { code?: string };
const patch = (product: string, token: string, jobId: string, json: Record<string, unknown>) =>
  api<Reported>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json });
const budget = async (product: string) => (await api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN })).body;
const setBudget = (product: string, ceilingUsd: number, period = "day") =>
  api("PUT", `${P(product)}/budget`, { token: ADMIN, json: { period, ceilingUsd, onExhausted: "pause" } });
const runsOf = async (product: string, jobId: string) =>
  (
    await api<{ runs: Array<{ leaseEpoch: number; insights?: { costUsd?: number } }> }>(
      "GET",
      `${P(product)}/jobs/${jobId}/runs`,
      { token: ADMIN },
    )
  ).body.runs;
const trackRecords = async (product: string, factoryId: string) =>
  (
    await api<{ records: KeyedRecord[] }>("GET", `${P(product)}/routing/track-records?factoryId=${factoryId}`, {
      token: ADMIN,
    })
  ).body.records;

/** Let the job's lease run out and the alarm reap it: requeued with epoch + 1, its run closed `timeout`. */
async function loseLease(product: string, jobId: string): Promise<void> {
  await expireLeaseNow(product, jobId);
  await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
  expect((await getJob(product, jobId)).stage).toBe("queued");
}

describe("pass 47 review: what a run's late spend reaches", () => {
  // A user loses: the router's costFit and the fleet card read a factory's mean cost from its track record. A run
  // closed by lease expiry is recorded at the cost it had then; its agent's last report, fenced, charges the budget
  // and raises the run's cost in the job's runs and D1 history (policies/late-spend `raiseClosedRunCost`), but never
  // the track record (nor the experiment arm): a factory whose runs outlive their leases reads cheaper than it is.
  it("a fenced late report that raises a closed run's cost leaves the track record at the cost at the close", async () => {
    const product = "p47-late-track";
    expect((await setBudget(product, 100)).status).toBe(200);
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "outlives its lease", maxAttempts: 5 });
    const { lease } = (await claim(product, f.token)).body;
    const early = { leaseEpoch: lease.leaseEpoch, stage: "building", insights: { costUsd: 1 } };
    expect((await patch(product, f.token, job.id, early)).status).toBe(200);
    await loseLease(product, job.id); // run closed `timeout` at $1: a failure, counted in the track record
    const last = {
      leaseEpoch: lease.leaseEpoch,
      stage: "failed",
      result: { outcome: "failure" },
      insights: { costUsd: 9 },
    };
    expect((await patch(product, f.token, job.id, last)).body.code).toBe("fenced");
    expect((await budget(product)).spentUsd).toBe(9); // charged
    const run = (await runsOf(product, job.id)).find((r) => r.leaseEpoch === lease.leaseEpoch);
    expect(run?.insights?.costUsd).toBe(9); // the run's stored cost raised
    const records = await trackRecords(product, f.factoryId);
    expect(records).toHaveLength(1);
    expect(records[0]?.record.n).toBe(1);
    expect(records[0]?.record.costUsd.mean).toBe(9); // red: 1, the cost at the close
  });
  // A user loses: the run's history (GET …/runs `insights`, and its D1 row's tokensIn/tokensOut) is what a report
  // of tokens spent is read from. A run closed without a final report (lease expiry, cancel, stop) has its insights
  // raised to the cost it was charged (jobs/runs `runCost`) but not to the tokens: 1.5 M tokens counted against the
  // job's `budget.tokens` read as none in its history.
  it("a run closed by lease expiry after progress reports keeps its charged cost but loses its charged tokens", async () => {
    const product = "p47-expiry-tokens";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "tokens then silence", budget: { tokens: 10_000_000 }, maxAttempts: 5 });
    const { lease } = (await claim(product, f.token)).body;
    const insights = { tokensIn: 1_000_000, tokensOut: 500_000, costUsd: 1 };
    expect(
      (await patch(product, f.token, job.id, { leaseEpoch: lease.leaseEpoch, stage: "building", insights })).status,
    ).toBe(200);
    await loseLease(product, job.id);
    const run = (await runsOf(product, job.id)).find((r) => r.leaseEpoch === lease.leaseEpoch) as
      | { insights?: { costUsd?: number; tokensIn?: number; tokensOut?: number }; spend?: { tokens: number } }
      | undefined;
    expect(run?.spend?.tokens).toBe(1_500_000); // what the job's budget counted
    expect(run?.insights?.costUsd).toBe(1); // the cost was raised to the charge
    expect((run?.insights?.tokensIn ?? 0) + (run?.insights?.tokensOut ?? 0)).toBe(1_500_000); // red: 0
  });
  // The same fault in the experiment arm: `routing experiment` recommends the cheaper arm from `meanCostUsd`, counted
  // from the run's cost at its close; the late charge that raised the run to $9 never reaches the arm ($1).
  it("a fenced late report that raises a closed run's cost leaves the experiment arm's mean cost at the close's", async () => {
    const product = "p47-late-arm";
    const f = await enroll(product, "f", ["engine:codex", "lang:rust"]);
    const spec = {
      jobClass: "lang:rust",
      arms: { A: {}, B: { weights: { load: 2 } } },
      guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.9 },
    };
    const started = await api<{ id: string }>("POST", `${P(product)}/routing/experiments`, {
      token: ADMIN,
      json: spec,
    });
    expect(started.status).toBe(201);
    const job = await submit(product, { title: "arm run", engine: "codex", requires: ["lang:rust"], maxAttempts: 5 });
    const { lease } = (await claim(product, f.token)).body;
    const early = { leaseEpoch: lease.leaseEpoch, stage: "building", insights: { costUsd: 1 } };
    expect((await patch(product, f.token, job.id, early)).status).toBe(200);
    await loseLease(product, job.id); // the arm counts the run's timeout at $1
    const last = {
      leaseEpoch: lease.leaseEpoch,
      stage: "failed",
      result: { outcome: "failure" },
      insights: { costUsd: 9 },
    };
    expect((await patch(product, f.token, job.id, last)).body.code).toBe("fenced");
    type Arm = { n: number; meanCostUsd: number | null };
    const view = (
      await api<{ arms: { A: Arm; B: Arm } }>("GET", `${P(product)}/routing/experiments/${started.body.id}`, {
        token: ADMIN,
      })
    ).body;
    const arm = view.arms.A.n === 1 ? view.arms.A : view.arms.B;
    expect(arm.n).toBe(1);
    expect(arm.meanCostUsd).toBe(9); // red: 1
  });
});
