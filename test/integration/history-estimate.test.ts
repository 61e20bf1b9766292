// A run's estimate at settings prices (policies/estimate-spend: USD charged for tokens its engine gave no USD for)
// reaches its D1 history row, in workerd through the real outbox and history queue: a Codex-like run of 400k tokens
// in and 100k out, its engine priced at $2 / $10 per million, has `estimatedUsd` 1.8 in `GET …/history?kind=runs` —
// what its `spend.estimatedUsd` says, also for a run an operator cancelled after a progress report — and a run
// closed by a lease expiry whose fenced late report raised its estimate (policies/closed-run-raise) has its row
// raised to the new figure; a run with no price for its engine holds null. The rows were missing the figure: a run
// charged $1.80 read "— (500,000 unpriced)" in `history --kind runs` while `job` and `budget` said $1.80 estimated.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, P, submit, until } from "./client";
import { expireLeaseNow } from "./state";

type RunRow = {
  jobId: string;
  endedAt: number | null;
  tokensIn: number | null;
  costUsd: number | null;
  unpricedTokens: number | null;
  estimatedUsd?: number | null;
};
type Runs = { runs: Array<{ spend?: { estimatedUsd?: number } }> };

const rowsWhen = (product: string, ok: (rows: RunRow[]) => boolean, what: string) =>
  until(
    () => api<{ items: RunRow[] }>("GET", `${P(product)}/history?kind=runs&limit=100`, { token: ADMIN }),
    (r) => ok(r.body.items),
    { what },
  );
const tokensOnly = (leaseEpoch: number, tokensIn: number, tokensOut: number) => ({
  leaseEpoch,
  stage: "building",
  insights: { tokensIn, tokensOut, unpricedTokens: tokensIn + tokensOut },
});

describe("a run's estimate at settings prices in D1 history", () => {
  it("is on its run row as the coordinator charged it, raised by a late report; an unpriced engine's holds null", async () => {
    const product = "history-estimate";
    // 400k in at $2 per million and 100k out at $10 per million: $0.80 + $1.00.
    const prices = { codex: { usdPerMillionIn: 2, usdPerMillionOut: 10 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { prices } })).status).toBe(200);
    const f = await enroll(product, "f", ["engine:codex", "engine:other"]);
    const patch = (jobId: string, json: Record<string, unknown>) =>
      api<{ code?: string }>("PATCH", `${P(product)}/jobs/${jobId}`, { token: f.token, json });

    const done = await submit(product, { title: "codex done", engine: "codex" });
    const a = (await claim(product, f.token)).body.lease.leaseEpoch;
    expect((await patch(done.id, tokensOnly(a, 100_000, 20_000))).status).toBe(200);
    // The final report brings more tokens: charged in its unit before the run closes (jobs/report).
    const result = { ...tokensOnly(a, 400_000, 100_000), stage: "testing", result: { outcome: "success", rc: 0 } };
    expect((await patch(done.id, result)).status).toBe(200);

    // Cancelled after one progress report: the run closes with no final report.
    const cut = await submit(product, { title: "codex cancelled", engine: "codex" });
    const b = (await claim(product, f.token)).body.lease.leaseEpoch;
    expect((await patch(cut.id, tokensOnly(b, 400_000, 100_000))).status).toBe(200);
    const cancel = await api("POST", `${P(product)}/jobs/${cut.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(cancel.status).toBe(200);

    // No price for its engine: its tokens stay unpriced, nothing estimated.
    const unpriced = await submit(product, { title: "other", engine: "other" });
    const c = (await claim(product, f.token)).body.lease.leaseEpoch;
    expect((await patch(unpriced.id, tokensOnly(c, 400_000, 100_000))).status).toBe(200);
    const other = { ...tokensOnly(c, 400_000, 100_000), stage: "testing", result: { outcome: "success" } };
    expect((await patch(unpriced.id, other)).status).toBe(200);

    // Closed by a lease expiry at $0.40 estimated (100k in, 20k out), then raised by a late report to $1.80.
    const late = await submit(product, { title: "codex late", engine: "codex", maxAttempts: 5 });
    const d = (await claim(product, f.token)).body.lease.leaseEpoch;
    expect((await patch(late.id, tokensOnly(d, 100_000, 20_000))).status).toBe(200);
    await expireLeaseNow(product, late.id);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));

    const rowOf = (rows: RunRow[], jobId: string) => rows.find((r) => r.jobId === jobId) as RunRow;
    const closed = (await rowsWhen(product, (rs) => rs.filter((r) => r.endedAt !== null).length === 4, "4 ended runs"))
      .body.items;
    expect(rowOf(closed, done.id)).toMatchObject({ costUsd: null, unpricedTokens: 500_000, estimatedUsd: 1.8 });
    expect(rowOf(closed, cut.id)).toMatchObject({ tokensIn: 500_000, unpricedTokens: 500_000, estimatedUsd: 1.8 });
    expect(rowOf(closed, unpriced.id)).toMatchObject({ unpricedTokens: 500_000, estimatedUsd: null });
    expect(rowOf(closed, late.id)).toMatchObject({ unpricedTokens: 120_000, estimatedUsd: 0.4 });

    expect((await patch(late.id, tokensOnly(d, 400_000, 100_000))).body.code).toBe("fenced");
    const raised = await rowsWhen(product, (rs) => rowOf(rs, late.id)?.estimatedUsd === 1.8, "the late row raised");
    expect(rowOf(raised.body.items, late.id)).toMatchObject({ unpricedTokens: 500_000, estimatedUsd: 1.8 });
    // The figures the coordinator's own runs answer with.
    for (const [job, usd] of [
      [cut.id, 1.8],
      [late.id, 1.8],
    ] as const) {
      const runs = await api<Runs>("GET", `${P(product)}/jobs/${job}/runs`, { token: ADMIN });
      expect(runs.body.runs.map((r) => r.spend?.estimatedUsd)).toEqual([usd]);
    }
  });
});
