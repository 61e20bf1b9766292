// GET …/metrics reads only the runs of its window, whatever the product's history: the per-factory success query
// (policies/factory-rates FACTORY_RATES_SQL) is a range over the covering index runs_by_end_counted — EXPLAIN QUERY PLAN of the
// very query shows no scan of `runs` (runs are kept for good, and a Prometheus scrape every 15 s read all of them) —
// and a run that ended before the window is on neither side of a factory's ratio while one inside it counts. A revoked
// factory (its row kept for good) is listed only while a run of it ended in the window: listed with 0 runs, each
// revocation added its series to every scrape for ever.
import { env, runInDurableObject } from "cloudflare:test";
import parse from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { FACTORY_RATES_SQL } from "../../src/durable-objects/coordinator/policies/factory-rates.ts";
import { FACTORY_WINDOW_MS, type MetricsSnapshot } from "../../src/shared/api-metrics.ts";
import { ADMIN, api, enroll, P } from "./client";
import { queryPlan } from "./state";

/** One ended run of `factoryId`, written as finishRun leaves it (the ratio reads only these columns). */
function insertRun(sql: SqlStorage, factoryId: string, i: number, endedAt: number, outcome: string): void {
  sql.exec(
    `INSERT INTO runs(job_id, attempt, factory_id, lease_epoch, engine, started_at, ended_at, outcome, doc)
     VALUES (?, 1, ?, 1, NULL, ?, ?, ?, '{}')`,
    `job_window_${i}`,
    factoryId,
    endedAt - 1_000,
    endedAt,
    outcome,
  );
}

describe("GET …/metrics over a long history", () => {
  it("reads the window's runs by range over runs_by_end_counted, never a scan of every run", async () => {
    const product = "metrics-window-plan";
    await enroll(product, "box-p"); // the coordinator exists, its schema applied
    const plan = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      queryPlan(state.storage.sql, FACTORY_RATES_SQL, Date.now() - FACTORY_WINDOW_MS),
    );
    expect(plan).toMatch(/SEARCH runs USING COVERING INDEX runs_by_end_counted \(ended_at>\?\)/);
    expect(plan).not.toMatch(/SCAN runs/);
  });

  it("counts the runs that ended inside the window only", async () => {
    const product = "metrics-window-count";
    const f = await enroll(product, "box-w");
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const now = Date.now();
      insertRun(state.storage.sql, f.factoryId, 0, now - FACTORY_WINDOW_MS - 60_000, "failure"); // before the window
      insertRun(state.storage.sql, f.factoryId, 1, now - 5_000, "success");
      insertRun(state.storage.sql, f.factoryId, 2, now - 4_000, "failure");
    });
    const m = (await api<MetricsSnapshot>("GET", `${P(product)}/metrics`, { token: ADMIN })).body;
    expect(m.factories).toEqual([{ id: f.factoryId, name: "box-w", runs: 2, successes: 1, successRate: 0.5 }]);
  });

  it("lists a revoked factory only while a run of it ended in the window", async () => {
    const product = "metrics-window-revoked";
    const idle = await enroll(product, "box-idle");
    const busy = await enroll(product, "box-busy");
    await enroll(product, "box-kept"); // enrolled, no runs: listed with 0
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      insertRun(state.storage.sql, busy.factoryId, 3, Date.now() - 5_000, "success");
    });
    for (const f of [idle, busy]) {
      const r = await api("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, { token: ADMIN });
      expect(r.status).toBe(200);
    }
    const m = (await api<MetricsSnapshot>("GET", `${P(product)}/metrics`, { token: ADMIN })).body;
    expect(m.factories.map((f) => [f.name, f.runs]).sort()).toEqual([
      ["box-busy", 1],
      ["box-kept", 0],
    ]);
    const text = (await api<string>("GET", `${P(product)}/metrics?format=prometheus`, { token: ADMIN })).body;
    const runs = parse(text).find((f) => f.name === "gigafactory_factory_runs");
    expect(runs?.metrics.map((x) => x.labels?.name).sort()).toEqual(["box-busy", "box-kept"]);
  });
});
