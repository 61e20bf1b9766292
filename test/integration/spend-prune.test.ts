// The retention pass forgets the spend rows (`run_spend`, `run_unpriced`, `run_estimate`) of a job shipped or
// cancelled before the feed cut-off (coordinator/policies/spend-prune), and no answer changes: the job's runs list
// (its runs' `spend`, folded into each run's stored doc) and the budget read the same before and after the pass, a
// fenced report resent for such a run charges nothing (late-spend refuses a job past the cut-off: without its mark,
// a resend would charge the run again whole), and a job settled since the cut-off or still running keeps its rows.
// A pass looks at a bounded number of jobs, oldest first, and the next goes on after them. Red before: the rows
// stayed for good — a product running 10,000 jobs a day grew them without bound.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { retentionCutoffs } from "../../src/core/retention.ts";
import { pruneSpend } from "../../src/durable-objects/coordinator/policies/spend-prune.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client";

const DAY_MS = 86_400_000;
const TABLES = ["run_spend", "run_unpriced", "run_estimate"] as const;

const budget = async (product: string) => (await api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN })).body;
const runsOf = async (product: string, jobId: string) =>
  (await api<{ runs: unknown[] }>("GET", `${P(product)}/jobs/${jobId}/runs`, { token: ADMIN })).body;

/** Rows per spend table of `jobId`, e.g. `{run_spend: 1, run_unpriced: 1, run_estimate: 1}`. */
const rowsOf = (product: string, jobId: string) =>
  runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
    Object.fromEntries(
      TABLES.map((t) => [
        t,
        state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t} WHERE job_id = ?`, jobId).one().n,
      ]),
    ),
  );

const ALL = { run_spend: 1, run_unpriced: 1, run_estimate: 1 };
const NONE = { run_spend: 0, run_unpriced: 0, run_estimate: 0 };

describe("the retention pass's spend rows", () => {
  it("forgets a long-settled job's, keeps a recent or running one's; runs, budget and a resent report unchanged", async () => {
    const product = "spend-prune";
    const put = { period: "month", ceilingUsd: 100, onExhausted: "pause" };
    expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: put })).status).toBe(200);
    const prices = { prices: { codex: { usdPerMillionIn: 1.25, usdPerMillionOut: 10 } } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: prices })).status).toBe(200);
    const f = await enroll(product, "f1", ["engine:codex"], 3);
    // Tokens only, at a price: each run has all three rows (its mark, its unpriced tokens, its estimate).
    const report = (jobId: string, leaseEpoch: number) =>
      api("PATCH", `${P(product)}/jobs/${jobId}`, {
        token: f.token,
        json: {
          leaseEpoch,
          stage: "building",
          insights: { tokensIn: 400_000, tokensOut: 100_000, unpricedTokens: 500_000 },
        },
      });
    const jobs: Record<string, { id: string; epoch: number }> = {};
    for (const name of ["old", "recent", "running"]) {
      const job = await submit(product, { title: name, engine: "codex" });
      const { job: claimed, lease } = (await claim(product, f.token)).body;
      expect(claimed.id).toBe(job.id);
      expect((await report(job.id, lease.leaseEpoch)).status).toBe(200);
      jobs[name] = { id: job.id, epoch: lease.leaseEpoch };
    }
    const { old, recent, running } = jobs as Record<string, { id: string; epoch: number }>;
    for (const j of [old!, recent!]) {
      const cancel = await api("POST", `${P(product)}/jobs/${j.id}/actions/cancel`, { token: ADMIN, json: {} });
      expect(cancel.status).toBe(200);
    }
    // `old` was cancelled 31 days ago (time as state, never slept): past the 30-day cut-off; `recent` just now.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec(
        "UPDATE jobs SET doc = json_set(doc, '$.updatedAt', json_extract(doc, '$.updatedAt') - ?) WHERE id = ?",
        31 * DAY_MS,
        old!.id,
      );
    });
    for (const j of [old!, recent!, running!]) expect(await rowsOf(product, j.id)).toEqual(ALL);
    const runsBefore = await runsOf(product, old!.id);
    expect(runsBefore.runs[0]).toMatchObject({ spend: { usd: 0, tokens: 500_000, unpricedTokens: 500_000 } });
    const budgetBefore = await budget(product);
    expect(budgetBefore).toMatchObject({ estimatedUsd: 4.5 });

    const pass = await env.COORDINATOR.getByName(product).prune(product, Date.now());
    expect(pass).toMatchObject({ ok: true });
    expect(await rowsOf(product, old!.id)).toEqual(NONE);
    expect(await rowsOf(product, recent!.id)).toEqual(ALL);
    expect(await rowsOf(product, running!.id)).toEqual(ALL);
    expect(await runsOf(product, old!.id)).toEqual(runsBefore);
    expect(await budget(product)).toEqual(budgetBefore);

    // The old run's report resent (a host back after a month): refused, and charged nothing — not the run again.
    expect((await report(old!.id, old!.epoch)).status).toBe(409);
    expect(await budget(product)).toEqual(budgetBefore);
    expect(await rowsOf(product, old!.id)).toEqual(NONE);
    // Idempotent: a second pass finds nothing more to forget.
    expect(await env.COORDINATOR.getByName(product).prune(product, Date.now())).toMatchObject({ ok: true });
    expect(await runsOf(product, old!.id)).toEqual(runsBefore);
    expect(await rowsOf(product, recent!.id)).toEqual(ALL);
  });

  it("looks at a bounded number of jobs a pass, oldest first; the next pass goes on after them", async () => {
    const product = "spend-prune-bound";
    const f = await enroll(product, "f1", [], 2);
    const ids: string[] = [];
    for (const name of ["first", "second"]) {
      const job = await submit(product, { title: name });
      const { lease } = (await claim(product, f.token)).body;
      const json = { leaseEpoch: lease.leaseEpoch, stage: "building", insights: { costUsd: 0.25, tokensIn: 10 } };
      expect((await api("PATCH", `${P(product)}/jobs/${job.id}`, { token: f.token, json })).status).toBe(200);
      expect(
        (await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} })).status,
      ).toBe(200);
      ids.push(job.id);
    }
    const [first, second] = ids as [string, string];
    const passes = await runInDurableObject(env.COORDINATOR.getByName(product), (instance, state) => {
      // Settled 32 and 31 days ago: both past the cut-off, `first` the older.
      for (const [id, days] of [
        [first, 32],
        [second, 31],
      ] as const)
        state.storage.sql.exec(
          "UPDATE jobs SET doc = json_set(doc, '$.updatedAt', json_extract(doc, '$.updatedAt') - ?) WHERE id = ?",
          days * DAY_MS,
          id,
        );
      const units = (instance as unknown as { units: Units }).units;
      const left = () =>
        state.storage.sql.exec<{ job_id: string }>("SELECT job_id FROM run_spend ORDER BY job_id").toArray();
      const out: Array<{ runs: number; left: string[] }> = [];
      for (let i = 0; i < 3; i++) {
        const runs = units.transact((tx) => pruneSpend(tx, retentionCutoffs(Date.now()), 1));
        out.push({ runs, left: left().map((r) => r.job_id) });
      }
      return out;
    });
    expect(passes).toEqual([
      { runs: 1, left: [second] },
      { runs: 1, left: [] },
      { runs: 0, left: [] },
    ]);
  });
});
