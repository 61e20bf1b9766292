// Learned routing counts a run that blew its job's own budget (`budget_exceeded`) as the engine's failure at what it
// spent, in workerd: two factories of one engine whose records differ only by four such runs ($3 each against a $2
// job budget) rank the steady, dearer-per-success factory first — when the overruns were left out, the one that kept
// blowing its budget looked cheapest and was ranked first — and a rebuild from the D1 runs history counts them the
// same. A run the PRODUCT's budget stopped and requeued (`budget_exceeded`, retryable) stays neutral: the engine did
// not fail, and its partial spend would understate a whole run's as a preemption's would. Only the coordinator says
// that: a factory's own `budget_exceeded` report claiming `retryable: true` counts as the failure it is.
import { describe, expect, it } from "vitest";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, P, submit, until } from "./client";

const CAPS = ["engine:codex", "lang:rust"];
const MANIFEST = { engine: "codex", requires: ["lang:rust"], budget: { usd: 2 } };

type Cand = { factoryId: string; track: { n: number; neutral: boolean; costUsd?: number; successRate?: number } };
type Records = { records: Array<{ factoryId: string; n: number }> };

/** `token`'s factory claims and ends one new job per entry: `ok` a success, `over` a budget overrun; at `costUsd`. */
async function runJobs(
  product: string,
  token: string,
  runs: Array<{ end: "ok" | "over"; costUsd: number; retryable?: boolean }>,
) {
  for (const [i, run] of runs.entries()) {
    const job = await submit(product, { title: `rust ${i}`, ...MANIFEST });
    const c = await claim(product, token);
    expect(c.body.job.id).toBe(job.id);
    const path = `${P(product)}/jobs/${job.id}`;
    const leaseEpoch = c.body.lease.leaseEpoch;
    await api("PATCH", path, { token, json: { leaseEpoch, stage: "building" } });
    const end =
      run.end === "ok"
        ? { stage: "testing", result: { outcome: "success", rc: 0 } }
        : { stage: "failed", result: { outcome: "budget_exceeded", rc: 1, retryable: run.retryable ?? false } };
    const r = await api("PATCH", path, { token, json: { leaseEpoch, ...end, insights: { costUsd: run.costUsd } } });
    expect(r.status).toBe(200);
  }
}

describe("a budget overrun in the track records", () => {
  it("counts as the engine's failure at its spend: the factory that keeps blowing its budget is not ranked cheapest", async () => {
    const product = "routing-overrun";
    const settings = { breaker: { failureThreshold: 1000 }, errorBudget: { maxFailures: 100_000 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const blows = await enroll(product, "blows", CAPS);
    const steady = await enroll(product, "steady", CAPS);
    const ok = (costUsd: number) => ({ end: "ok" as const, costUsd });
    await runJobs(product, blows.token, [...Array(6).fill(ok(1)), ...Array(4).fill({ end: "over", costUsd: 3 })]);
    await runJobs(product, steady.token, Array(6).fill(ok(1.5)));

    const next = await submit(product, { title: "next rust job", ...MANIFEST });
    const why = (await api<{ ranked: Cand[] }>("GET", `${P(product)}/jobs/${next.id}/explain`, { token: ADMIN })).body;
    expect(why.ranked.map((c) => c.factoryId)).toEqual([steady.factoryId, blows.factoryId]);
    const b = why.ranked.find((c) => c.factoryId === blows.factoryId) as Cand;
    expect(b.track).toMatchObject({ n: 10, neutral: false });
    expect(b.track.costUsd).toBeCloseTo(1.8, 4); // (6 × $1 + 4 × $3) / 10, decayed over the test’s few ms
    expect(b.track.successRate).toBeCloseTo(7 / 12, 4); // Beta(1, 1): (6 + 1) / (10 + 2)

    const before = (await api<Records>("GET", `${P(product)}/routing/track-records`, { token: ADMIN })).body;
    await until(
      () =>
        api<{ items: Array<{ endedAt: number | null }> }>("GET", `${P(product)}/history?kind=runs&limit=100`, {
          token: ADMIN,
        }),
      (r) => r.body.items.filter((x) => x.endedAt !== null).length === 16,
      { what: "all 16 runs ended in D1 history" },
    );
    const rebuilt = await api("POST", `${P(product)}/routing/rebuild`, { token: ADMIN });
    expect(rebuilt.body).toEqual({ counted: 16, skipped: 0, chunks: 1 });
    expect((await api<Records>("GET", `${P(product)}/routing/track-records`, { token: ADMIN })).body).toEqual(before);
  });

  it("leaves a run the product's budget stopped and requeued out, live and rebuilt", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("routing-overrun-stop");
      const budget = { period: "day", ceilingUsd: 2, onExhausted: "stop" };
      expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: budget })).status).toBe(200);
      const f = await enroll(product, "f", CAPS);
      const g = await enroll(product, "g", CAPS);
      const a = await submit(product, { title: "a", engine: "codex", requires: ["lang:rust"] });
      const la = (await claim(product, f.token)).body;
      expect(la.job.id).toBe(a.id);
      const b = await submit(product, { title: "b", engine: "codex", requires: ["lang:rust"] });
      const lb = (await claim(product, g.token)).body;
      expect(lb.job.id).toBe(b.id);
      await api("PATCH", `${P(product)}/jobs/${a.id}`, {
        token: f.token,
        json: { leaseEpoch: la.lease.leaseEpoch, stage: "building", insights: { costUsd: 0.5 } },
      });
      // g's spend exhausts the product's budget: both running jobs are stopped and requeued.
      const spent = await api("PATCH", `${P(product)}/jobs/${b.id}`, {
        token: g.token,
        json: { leaseEpoch: lb.lease.leaseEpoch, stage: "building", insights: { costUsd: 2.5 } },
      });
      expect(spent.status).toBe(200);
      const runsOf = () =>
        api<{ items: Array<{ outcome: string | null }> }>("GET", `${P(product)}/history?kind=runs&limit=100`, {
          token: ADMIN,
        });
      const ended = await until(
        runsOf,
        (r) => r.body.items.filter((x) => x.outcome === "budget_exceeded").length === 2,
        {
          what: "both stopped runs in D1 history",
        },
      );
      expect(ended.body.items.map((x) => x.outcome)).toEqual(["budget_exceeded", "budget_exceeded"]);
      const live = (await api<Records>("GET", `${P(product)}/routing/track-records`, { token: ADMIN })).body;
      expect(live.records).toEqual([]);
      const rebuilt = await api("POST", `${P(product)}/routing/rebuild`, { token: ADMIN });
      expect(rebuilt.body).toEqual({ counted: 0, skipped: 0, chunks: 1 });
    }));

  it("counts a factory's own overrun reported as retryable as a failure: only the coordinator's stop is neutral", async () => {
    const product = "routing-overrun-claimed";
    const f = await enroll(product, "claims-retryable", CAPS);
    await runJobs(product, f.token, [{ end: "over", costUsd: 1, retryable: true }]); // under $2: the factory's word alone
    type Counted = { records: Array<{ factoryId: string; record: { n: number; failures: number } }> };
    const live = (await api<Counted>("GET", `${P(product)}/routing/track-records`, { token: ADMIN })).body;
    expect(live.records.map((r) => [r.factoryId, r.record.n, r.record.failures])).toEqual([[f.factoryId, 1, 1]]);
  });
});
