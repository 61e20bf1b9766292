// GET …/stats end to end in workerd: counts by stage (every stage present, 0 when none), their total and the queue
// version agree with what was submitted and claimed; the count comes from a stage-led index (EXPLAIN QUERY PLAN of
// the very query shows a covering scan of jobs_by_stage or jobs_by_stage_created, so no job document is read); a
// viewer may read it, no token is a 401.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { STAGES } from "../../src/core/model.ts";
import { STAGE_COUNT_SQL } from "../../src/durable-objects/coordinator/policies/metrics.ts";
import type { StatsSnapshot } from "../../src/shared/api-metrics.ts";
import { ADMIN, api, claim, enroll, P, rawApi, submit } from "./client";
import { queryPlan } from "./state";

const stats = (product: string, token = ADMIN) => api<StatsSnapshot>("GET", `${P(product)}/stats`, { token });

describe("GET …/stats", () => {
  it("counts jobs by stage with the total and the queue version", async () => {
    const product = "stats-counts";
    const empty = await stats(product);
    expect(empty.status).toBe(200);
    expect(Object.keys(empty.body.counts).sort()).toEqual([...STAGES].sort());
    expect(empty.body.total).toBe(0);
    const f = await enroll(product, "f", [], 1);
    for (let i = 0; i < 3; i++) await submit(product, { title: `job ${i}` });
    expect((await claim(product, f.token)).status).toBe(200);
    const r = await stats(product);
    expect(r.body.counts).toMatchObject({ queued: 2, assigned: 1, building: 0, shipped: 0 });
    expect(r.body.total).toBe(3);
    const version = (await api<{ version: number }>("GET", `${P(product)}/queue-state`, { token: ADMIN })).body;
    expect(r.body.queueVersion).toBe(version.version);
    expect(r.body.generated_at).toBeGreaterThan(0);
  });

  it("reads the stage index, not the job documents", async () => {
    const product = "stats-plan";
    await submit(product, { title: "x" });
    const plan = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      queryPlan(state.storage.sql, STAGE_COUNT_SQL),
    );
    // It and the bucket index lead with `stage`; SQLite takes the narrower one. A plain `SCAN jobs` would read every document.
    expect(plan).toMatch(/^SCAN jobs USING COVERING INDEX jobs_by_stage_created$/m);
    expect(plan).not.toMatch(/TEMP B-TREE/); // grouped in index order, no sort
  });

  it("is readable by a viewer, not without a token", async () => {
    const product = "stats-roles";
    const minted = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "script" },
    });
    expect((await stats(product, minted.body.token)).status).toBe(200);
    expect((await rawApi("GET", `${P(product)}/stats`)).status).toBe(401);
  });
});
