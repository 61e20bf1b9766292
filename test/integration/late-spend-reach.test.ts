// What a closed run's late charge reaches (workerd, real DO storage and D1): a fenced report after the run's close
// (lease expiry here) charges the run and raises its stored cost and tokens, and with them everything that counted the
// run at its close — its track record's cost mean (the router's costFit, explain, the fleet card) and its experiment
// arm's mean cost — once: a resent or older report adds nothing; a rebuild from D1 history then gives the live record.
// A run closed without a final report keeps the tokens it was charged (in its runs and its D1 row), and a late
// report raising only its tokens reaches its D1 row too.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TrackRecord } from "../../src/core/track-record.ts";
import type { KeyedRecord } from "../../src/durable-objects/coordinator/policies/track-records.ts";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { ADMIN, api, claim, enroll, getJob, type JobView, P, submit } from "./client";
import { historyUntil } from "./history-wait.ts";
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

/** A D1 runs row as `GET …/history?kind=runs` lists it. */
type D1Run = { outcome: string | null; costUsd: number | null; tokensIn: number | null; tokensOut: number | null };

/** Two track records equal to float noise (a revision and a replay add the same terms in other orders). */
function expectSameRecord(got: TrackRecord, want: TrackRecord): void {
  expect([got.n, got.updatedAt]).toEqual([want.n, want.updatedAt]);
  for (const k of ["successes", "failures"] as const) expect(got[k]).toBeCloseTo(want[k], 9);
  for (const k of ["durationMs", "costUsd"] as const)
    for (const f of ["w", "mean", "m2"] as const) expect(got[k][f]).toBeCloseTo(want[k][f], 6);
}

/** Let the job's lease run out and the alarm reap it: requeued with epoch + 1, its run closed `timeout`. */
async function loseLease(product: string, jobId: string): Promise<void> {
  await expireLeaseNow(product, jobId);
  await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
  expect((await getJob(product, jobId)).stage).toBe("queued");
}

describe("what a closed run's late charge reaches", () => {
  // The router's costFit and the fleet card read a factory's mean cost from its track record: a run closed by lease
  // expiry was recorded at the cost it had then, and its agent's last report, fenced, raised the run (and D1) but not
  // the record — a factory whose runs outlive their leases read cheaper than it is, and a rebuild disagreed (pass 47).
  it("a fenced late report raises a closed run's track record cost once, to what a rebuild from D1 gives", async () => {
    const product = "late-reach-track";
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
    // A resend and an older report: fenced again, charging nothing and raising nothing.
    expect((await patch(product, f.token, job.id, last)).body.code).toBe("fenced");
    expect((await patch(product, f.token, job.id, { ...last, insights: { costUsd: 5 } })).body.code).toBe("fenced");
    expect((await budget(product)).spentUsd).toBe(9); // charged
    const run = (await runsOf(product, job.id)).find((r) => r.leaseEpoch === lease.leaseEpoch);
    expect(run?.insights?.costUsd).toBe(9); // the run's stored cost raised
    const live = await trackRecords(product, f.factoryId);
    expect(live).toHaveLength(1);
    expect(live[0]?.record.n).toBe(1);
    expect(live[0]?.record.costUsd.mean).toBeCloseTo(9, 9); // was 1, the cost at the close
    expect(live[0]?.record.costUsd.w).toBeCloseTo(1, 9); // one run's weight: revised, not counted twice
    // D1 has the raised run: a rebuild from it gives the record kept live.
    await historyUntil<{ costUsd: number | null }>(product, "runs", (rows) => rows[0]?.costUsd === 9, {
      query: `&jobId=${job.id}`,
    });
    const rebuilt = await api("POST", `${P(product)}/routing/rebuild`, { token: ADMIN });
    expect([rebuilt.status, rebuilt.body]).toEqual([200, { counted: 1, skipped: 0, chunks: 1 }]);
    const again = await trackRecords(product, f.factoryId);
    expect(again).toHaveLength(1);
    expectSameRecord(again[0]!.record, live[0]!.record);
  });
  // A run's history (GET …/runs `insights`, its D1 row's tokensIn/tokensOut, `gigafactory history`) is what a report
  // of tokens spent reads: a run closed without a final report (lease expiry, cancel, stop) had its cost raised to
  // what it was charged (jobs/runs `runCost`) but not its tokens — 1.5 M tokens counted against the job's
  // `budget.tokens` read as none (pass 47). The mark keeps in + out only: the shortfall goes on tokensIn.
  it("a run closed by lease expiry after progress reports keeps the cost and the tokens it was charged", async () => {
    const product = "late-reach-expiry-tokens";
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
    expect(run?.insights).toEqual({ costUsd: 1, tokensIn: 1_500_000 }); // was {costUsd: 1}: no tokens
    const rows = await historyUntil<D1Run>(product, "runs", (r) => r[0]?.outcome === "timeout", {
      query: `&jobId=${job.id}`,
    });
    expect(rows.body.items[0]).toMatchObject({ costUsd: 1, tokensIn: 1_500_000, tokensOut: null });
  });
  // A fenced report after the close that raises the run's tokens and not its cost: the run and its D1 row (an ended
  // row took only a higher cost before: history/write) show the tokens charged.
  it("a fenced late report raising only a closed run's tokens raises them in its runs and its D1 row", async () => {
    const product = "late-reach-late-tokens";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "tokens after the close", maxAttempts: 5 });
    const { lease } = (await claim(product, f.token)).body;
    const early = { leaseEpoch: lease.leaseEpoch, stage: "building", insights: { costUsd: 1, tokensOut: 100 } };
    expect((await patch(product, f.token, job.id, early)).status).toBe(200);
    await loseLease(product, job.id);
    // Closed at what it was charged: $1 and 100 tokens (on tokensIn: the mark keeps no split).
    await historyUntil<D1Run>(product, "runs", (r) => r[0]?.outcome === "timeout" && r[0].tokensIn === 100, {
      query: `&jobId=${job.id}`,
    });
    const last = {
      leaseEpoch: lease.leaseEpoch,
      stage: "failed",
      result: { outcome: "failure" },
      insights: { costUsd: 1, tokensIn: 400, tokensOut: 200 },
    };
    expect((await patch(product, f.token, job.id, last)).body.code).toBe("fenced");
    const run = (await runsOf(product, job.id)).find((r) => r.leaseEpoch === lease.leaseEpoch);
    expect(run?.insights).toEqual({ costUsd: 1, tokensIn: 600 }); // the 600 tokens charged
    const rows = await historyUntil<D1Run>(product, "runs", (r) => r[0]?.tokensIn === 600, {
      query: `&jobId=${job.id}`,
    });
    expect(rows.body.items[0]).toMatchObject({ costUsd: 1, tokensIn: 600, tokensOut: null, outcome: "timeout" });
  });
  // `routing experiment` recommends the cheaper arm from `meanCostUsd` (and a cost guardrail decides on it): counted
  // from the run's cost at its close, the late charge that raised the run to $9 never reached the arm (pass 47).
  it("a fenced late report raising the counted run's cost raises its experiment arm's mean cost, once", async () => {
    const product = "late-reach-arm";
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
    expect((await patch(product, f.token, job.id, last)).body.code).toBe("fenced"); // a resend: nothing more
    type Arm = { n: number; costRuns: number; meanCostUsd: number | null };
    const view = (
      await api<{ arms: { A: Arm; B: Arm } }>("GET", `${P(product)}/routing/experiments/${started.body.id}`, {
        token: ADMIN,
      })
    ).body;
    const arm = view.arms.A.n === 1 ? view.arms.A : view.arms.B;
    expect(arm.n).toBe(1);
    expect(arm.costRuns).toBe(1); // revised, not a second sample
    expect(arm.meanCostUsd).toBe(9); // was 1
  });
});
