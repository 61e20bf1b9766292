// A factory's success ratio in `GET …/metrics`, its Prometheus text and the D1 run history count a `budget_exceeded`
// run as the track records do (core/run-counts `countsAs`), in workerd through the real report, budget stop, outbox
// and history queue: a run that overran its job's OWN budget is the engine's failure — on the runs side, not the
// successes — and one the PRODUCT's budget stopped and requeued is on neither side. D1's row of each keeps the
// result's `retryable` (migration 0012) that tells the two apart. Before, the ratio read the outcome column alone
// and left every `budget_exceeded` out: a factory that kept blowing its budget read 100 % in the ratio while learned
// routing counted those runs as its failures, and D1's rows could not tell a stop from an overrun at all. A
// coordinator made before `runs.retryable` gains it on its next start, filled from each budget_exceeded run's document;
// and every start fills the rows of the metrics' window an older binary ended with NULL (a rollback), none older.
import { env, runInDurableObject } from "cloudflare:test";
import parse from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { applySchema } from "../../src/durable-objects/coordinator/runtime/schema.ts";
import type { MetricsSnapshot } from "../../src/shared/api-metrics.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, P, submit, until } from "./client";

type RunRow = { jobId: string; outcome: string | null; retryable?: boolean | null };

/** D1's run rows of `product` once `n` of them have ended (the history queue ships them in its own time). */
async function endedRuns(product: string, n: number): Promise<RunRow[]> {
  const r = await until(
    () => api<{ items: RunRow[] }>("GET", `${P(product)}/history?kind=runs&limit=100`, { token: ADMIN }),
    (x) => x.body.items.filter((i) => i.outcome !== null).length === n,
    { what: `${n} ended runs in D1 history` },
  );
  return r.body.items;
}

/** The product's factory series in Prometheus text: factory id → [runs, successes, success ratio or absent]. */
async function promFactories(product: string): Promise<Record<string, Array<number | undefined>>> {
  const text = (await api<string>("GET", `${P(product)}/metrics?format=prometheus`, { token: ADMIN })).body;
  const families = parse(text);
  const of = (name: string, id: string) => {
    const m = families.find((f) => f.name === name)?.metrics.find((x) => x.labels?.factory === id);
    return m && "value" in m ? Number(m.value) : undefined;
  };
  const ids = families.find((f) => f.name === "gigafactory_factory_runs")?.metrics.map((x) => x.labels?.factory);
  return Object.fromEntries(
    (ids ?? []).map((id) => [
      id,
      [
        of("gigafactory_factory_runs", String(id)),
        of("gigafactory_factory_successes", String(id)),
        of("gigafactory_factory_success_ratio", String(id)),
      ],
    ]),
  );
}

describe("a budget_exceeded run in the metrics and the D1 history", () => {
  it("counts an overrun of the job's own budget as the factory's failure", async () => {
    const product = "metrics-own-overrun";
    const f = await enroll(product, "blows");
    const manifest = { budget: { usd: 2 } };
    const patch = (jobId: string, json: Record<string, unknown>) =>
      api("PATCH", `${P(product)}/jobs/${jobId}`, { token: f.token, json });

    const ok = await submit(product, { title: "within", ...manifest });
    const a = (await claim(product, f.token)).body.lease.leaseEpoch;
    expect((await patch(ok.id, { leaseEpoch: a, stage: "building" })).status).toBe(200);
    const done = { leaseEpoch: a, stage: "testing", result: { outcome: "success", rc: 0 }, insights: { costUsd: 1 } };
    expect((await patch(ok.id, done)).status).toBe(200);

    // The agent's own stop at the job's budget (agent/report), claimed retryable: the coordinator records it
    // `retryable: false` whatever the factory says (jobs/report), so it counts as the factory's failure. Its spend
    // stays under the budget: a report over it would be the coordinator's own stop (policies/job-allowance), which
    // is final without jobs/report's rule, so the case would pass with that rule gone.
    const over = await submit(product, { title: "overruns", ...manifest });
    const b = (await claim(product, f.token)).body.lease.leaseEpoch;
    expect((await patch(over.id, { leaseEpoch: b, stage: "building" })).status).toBe(200);
    const blown = { outcome: "budget_exceeded", rc: 1, retryable: true };
    const end = { leaseEpoch: b, stage: "failed", result: blown, insights: { costUsd: 1.5 } };
    expect((await patch(over.id, end)).status).toBe(200);

    const m = (await api<MetricsSnapshot>("GET", `${P(product)}/metrics`, { token: ADMIN })).body;
    expect(m.factories).toEqual([{ id: f.factoryId, name: "blows", runs: 2, successes: 1, successRate: 0.5 }]);
    expect(await promFactories(product)).toEqual({ [f.factoryId]: [2, 1, 0.5] });

    const rows = await endedRuns(product, 2);
    const byJob = Object.fromEntries(rows.map((r) => [r.jobId, [r.outcome, r.retryable]]));
    expect(byJob).toEqual({ [ok.id]: ["success", null], [over.id]: ["budget_exceeded", false] });
  });

  it("leaves a run the product's budget stopped and requeued on neither side", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("metrics-product-stop");
      const budget = { period: "day", ceilingUsd: 2, onExhausted: "stop" };
      expect((await api("PUT", `${P(product)}/budget`, { token: ADMIN, json: budget })).status).toBe(200);
      const f = await enroll(product, "f");
      const g = await enroll(product, "g");
      const a = await submit(product, { title: "a" });
      const la = (await claim(product, f.token)).body;
      expect(la.job.id).toBe(a.id);
      const b = await submit(product, { title: "b" });
      const lb = (await claim(product, g.token)).body;
      expect(lb.job.id).toBe(b.id);
      const building = { stage: "building", insights: { costUsd: 0.5 } };
      const first = { leaseEpoch: la.lease.leaseEpoch, ...building };
      expect((await api("PATCH", `${P(product)}/jobs/${a.id}`, { token: f.token, json: first })).status).toBe(200);
      // g's spend exhausts the product's budget: both running jobs are stopped and requeued (policies/budget-stop).
      const spent = { leaseEpoch: lb.lease.leaseEpoch, stage: "building", insights: { costUsd: 2.5 } };
      expect((await api("PATCH", `${P(product)}/jobs/${b.id}`, { token: g.token, json: spent })).status).toBe(200);

      const rows = await endedRuns(product, 2);
      expect(rows.map((r) => [r.outcome, r.retryable])).toEqual([
        ["budget_exceeded", true],
        ["budget_exceeded", true],
      ]);
      const m = (await api<MetricsSnapshot>("GET", `${P(product)}/metrics`, { token: ADMIN })).body;
      const none = [f.factoryId, g.factoryId].sort().map((id) => [id, 0, 0]);
      expect(m.factories.map((x) => [x.id, x.runs, x.successes])).toEqual(none);
      expect(await promFactories(product)).toEqual({
        [f.factoryId]: [0, 0, undefined],
        [g.factoryId]: [0, 0, undefined],
      });
    }));

  it("fills runs.retryable from the run documents of a coordinator made before it", async () => {
    const product = "metrics-retryable-upgrade";
    const f = await enroll(product, "old");
    const m = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      // The runs table and index as they were before the column: then three runs ended under them.
      sql.exec("DROP INDEX runs_by_end_counted");
      sql.exec("ALTER TABLE runs DROP COLUMN retryable");
      sql.exec("CREATE INDEX runs_by_end ON runs(ended_at, factory_id, outcome) WHERE ended_at IS NOT NULL");
      const ended: Array<[string, Record<string, unknown>]> = [
        ["budget_exceeded", { outcome: "budget_exceeded", retryable: true }],
        ["budget_exceeded", { outcome: "budget_exceeded", retryable: false }],
        ["success", { outcome: "success" }],
      ];
      ended.forEach(([outcome, result], i) => {
        sql.exec(
          `INSERT INTO runs(job_id, attempt, factory_id, lease_epoch, engine, started_at, ended_at, outcome, doc)
           VALUES (?, 1, ?, 1, NULL, ?, ?, ?, ?)`,
          `job_old_${i}`,
          f.factoryId,
          Date.now() - 2_000,
          Date.now() - 1_000,
          outcome,
          JSON.stringify({ result }),
        );
      });
      applySchema(sql); // the next start
      return {
        rows: sql.exec("SELECT job_id, retryable FROM runs ORDER BY job_id").toArray(),
        indexes: sql
          .exec("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'runs_by_end%'")
          .toArray()
          .map((r) => r.name),
      };
    });
    expect(m.rows).toEqual([
      { job_id: "job_old_0", retryable: 1 },
      { job_id: "job_old_1", retryable: 0 },
      { job_id: "job_old_2", retryable: null }, // not read by the rule for a success: left as it was
    ]);
    expect(m.indexes).toEqual(["runs_by_end_counted"]);
    const snap = (await api<MetricsSnapshot>("GET", `${P(product)}/metrics`, { token: ADMIN })).body;
    expect(snap.factories).toEqual([{ id: f.factoryId, name: "old", runs: 2, successes: 1, successRate: 0.5 }]);
  });

  it("fills the window's NULL retryable of runs an older binary ended after a rollback, on every start", async () => {
    const product = "metrics-retryable-rollback";
    const f = await enroll(product, "rolled");
    const m = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      const now = Date.now();
      // The column exists (made by a newer start); an older binary then ended these without writing it.
      const ended: Array<[string, number]> = [
        ["job_stop", now - 1_000], // a product stop in the window: not counted once filled
        ["job_old", now - 25 * 3_600_000], // out of the window the metrics read: left for good
      ];
      for (const [job, at] of ended)
        sql.exec(
          `INSERT INTO runs(job_id, attempt, factory_id, lease_epoch, engine, started_at, ended_at, outcome, doc)
           VALUES (?, 1, ?, 1, NULL, ?, ?, 'budget_exceeded', ?)`,
          job,
          f.factoryId,
          at - 1_000,
          at,
          JSON.stringify({ result: { outcome: "budget_exceeded", retryable: true } }),
        );
      applySchema(sql); // the next start, the column already there
      applySchema(sql); // idempotent
      return sql.exec("SELECT job_id, retryable FROM runs ORDER BY job_id").toArray();
    });
    expect(m).toEqual([
      { job_id: "job_old", retryable: null },
      { job_id: "job_stop", retryable: 1 },
    ]);
    const snap = (await api<MetricsSnapshot>("GET", `${P(product)}/metrics`, { token: ADMIN })).body;
    expect(snap.factories.map((x) => [x.id, x.runs, x.successes])).toEqual([[f.factoryId, 0, 0]]); // not a failure
  });
});
