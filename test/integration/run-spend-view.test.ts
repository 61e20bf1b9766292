// `GET …/jobs/{id}/runs` shows what each run was charged (`spend`: its highest cumulative report, USD and tokens
// in + out), also while the run is still going — a run's insights are stored only when it ends, so a running job's
// spend showed nowhere (the pass-22 note: "`job ID` shows no spend"). A run that reported nothing has no `spend`; a
// lower later report does not lower it (the charge is a high-water mark); each run of a retried job keeps its own.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, P, submit } from "./client";

type Runs = { runs: Array<{ leaseEpoch: number; endedAt?: number; spend?: { usd: number; tokens: number } }> };
const runs = async (product: string, jobId: string) =>
  (await api<Runs>("GET", `${P(product)}/jobs/${jobId}/runs`, { token: ADMIN })).body.runs;

describe("a run's spend on read", () => {
  it("is the run's charge so far while it runs, and each run of a retried job keeps its own", async () => {
    const product = "run-spend-view";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "spendy", budget: { usd: 10 }, maxAttempts: 3 });
    const first = (await claim(product, f.token)).body.lease;
    expect((await runs(product, job.id)).map((r) => r.spend)).toEqual([undefined]);
    const report = (leaseEpoch: number, body: Record<string, unknown>, token = f.token) =>
      api("PATCH", `${P(product)}/jobs/${job.id}`, { token, json: { leaseEpoch, ...body } });
    const usage = (costUsd: number, tokensIn: number) => ({ costUsd, tokensIn, tokensOut: 10 });
    const going = await report(first.leaseEpoch, { progress: { pct: 10 }, insights: usage(1.25, 90) });
    expect([going.status, going.body]).toMatchObject([200, {}]);
    expect((await runs(product, job.id)).map((r) => [r.endedAt, r.spend])).toEqual([
      [undefined, { usd: 1.25, tokens: 100 }],
    ]);
    // A lower cumulative figure later does not lower the charge.
    await report(first.leaseEpoch, { progress: { pct: 20 }, insights: usage(0.5, 10) });
    expect((await runs(product, job.id))[0]?.spend).toEqual({ usd: 1.25, tokens: 100 });
    // The run fails; an operator requeues the job; the second run reports its own spend, the first keeps its charge.
    const failed = await report(first.leaseEpoch, {
      stage: "failed",
      result: { outcome: "failure", retryable: false },
    });
    expect([failed.status, failed.body]).toMatchObject([200, { stage: "failed" }]);
    const requeued = await api("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, { token: ADMIN, json: {} });
    expect(requeued.status).toBe(200);
    const g = await enroll(product, "g");
    const second = (await claim(product, g.token)).body.lease;
    const next = await report(second.leaseEpoch, { progress: { pct: 5 }, insights: usage(0.75, 40) }, g.token);
    expect([next.status, next.body]).toMatchObject([200, {}]);
    expect((await runs(product, job.id)).map((r) => r.spend)).toEqual([
      { usd: 1.25, tokens: 100 },
      { usd: 0.75, tokens: 50 },
    ]);
  });
});
