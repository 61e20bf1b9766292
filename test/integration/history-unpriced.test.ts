// A run's unpriced tokens (policies/unpriced-spend: those its engine gave no USD for) reach its D1 history row, in
// workerd through the real outbox and history queue: a Codex-like run reporting tokens and no USD has
// `unpricedTokens` in `GET …/history?kind=runs` — the figure the coordinator counted, as the run's
// `spend.unpricedTokens` says it, also for a run an operator cancelled after a progress report (no final report
// carried it) and after a late report of that run raised it (policies/closed-run-raise) — while a priced run's row
// holds null. The rows were missing the figure: D1's runs read as fully priced.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, P, submit, until } from "./client";

type RunRow = { jobId: string; endedAt: number | null; tokensIn: number | null; unpricedTokens?: number | null };

const endedRuns = (product: string, n: number) =>
  until(
    () => api<{ items: RunRow[] }>("GET", `${P(product)}/history?kind=runs&limit=100`, { token: ADMIN }),
    (r) => r.body.items.filter((x) => x.endedAt !== null).length === n,
    { what: `${n} ended runs in D1 history` },
  );

describe("a run's unpriced tokens in D1 history", () => {
  it("are on its run row as the coordinator counted them; a priced run's row holds null", async () => {
    const product = "history-unpriced";
    const f = await enroll(product, "f");
    const patch = (jobId: string, json: Record<string, unknown>) =>
      api("PATCH", `${P(product)}/jobs/${jobId}`, { token: f.token, json });

    const codex = await submit(product, { title: "codex-like" });
    const a = (await claim(product, f.token)).body.lease.leaseEpoch;
    const tokens = { tokensIn: 1000, tokensOut: 200, unpricedTokens: 1200 };
    expect((await patch(codex.id, { leaseEpoch: a, stage: "building", insights: tokens })).status).toBe(200);
    const done = { leaseEpoch: a, stage: "testing", result: { outcome: "success", rc: 0 } };
    expect(
      (await patch(codex.id, { ...done, insights: { ...tokens, tokensOut: 300, unpricedTokens: 1300 } })).status,
    ).toBe(200);

    const priced = await submit(product, { title: "claude-like" });
    const b = (await claim(product, f.token)).body.lease.leaseEpoch;
    const paid = { tokensIn: 500, tokensOut: 50, costUsd: 0.02 };
    expect((await patch(priced.id, { leaseEpoch: b, stage: "building" })).status).toBe(200);
    expect(
      (await patch(priced.id, { leaseEpoch: b, stage: "testing", result: { outcome: "success" }, insights: paid }))
        .status,
    ).toBe(200);

    // Cancelled after one progress report: the run closes with no final report to carry the figure.
    const cut = await submit(product, { title: "cancelled codex-like" });
    const c = (await claim(product, f.token)).body.lease.leaseEpoch;
    const progress = { tokensIn: 400, tokensOut: 100, unpricedTokens: 500 };
    expect((await patch(cut.id, { leaseEpoch: c, stage: "building", insights: progress })).status).toBe(200);
    expect((await api("POST", `${P(product)}/jobs/${cut.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );

    const rows = (await endedRuns(product, 3)).body.items;
    const rowOf = (jobId: string) => rows.find((r) => r.jobId === jobId) as RunRow;
    expect(rowOf(codex.id)).toMatchObject({ tokensIn: 1000, unpricedTokens: 1300 });
    expect(rowOf(priced.id).unpricedTokens).toBeNull();
    expect(rowOf(cut.id)).toMatchObject({ tokensIn: 500, unpricedTokens: 500 });
    // The figure the coordinator's own run answers with.
    const spend = await api<{ runs: Array<{ spend?: { unpricedTokens?: number } }> }>(
      "GET",
      `${P(product)}/jobs/${cut.id}/runs`,
      { token: ADMIN },
    );
    expect(spend.body.runs.map((r) => r.spend?.unpricedTokens)).toEqual([500]);

    // A report of the cancelled run, refused fenced, is still charged (policies/late-spend): its row rises with it.
    const late = {
      leaseEpoch: c,
      stage: "building",
      insights: { tokensIn: 800, tokensOut: 200, unpricedTokens: 1000 },
    };
    expect(((await patch(cut.id, late)).body as { code?: string }).code).toBe("fenced");
    const raised = await until(
      () => api<{ items: RunRow[] }>("GET", `${P(product)}/history?kind=runs&jobId=${cut.id}`, { token: ADMIN }),
      (r) => r.body.items[0]?.tokensIn === 1000, // in + out, the cancelled run having stored none of its own
      { what: "the cancelled run's row raised by its late report" },
    );
    expect(raised.body.items[0]).toMatchObject({ tokensIn: 1000, unpricedTokens: 1000 });
  });
});
