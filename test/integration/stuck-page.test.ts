// A `stuck` alert resolves when its job speaks again, even with more than a page (PER_CHECK) of other jobs building:
// the job's new activity sorts it out of the health pass's page (oldest activity first), and the alert of a job not
// read this pass is kept only while that job is still building AND still silent past the threshold — not merely
// still building, which kept the product `degraded` on a stale alert until the job left `building`.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PER_CHECK } from "../../src/durable-objects/coordinator/policies/health-check.ts";
import { ADMIN, alertsOf, api, claim, enroll, P, submit } from "./client.ts";
import { cloneQueued } from "./state.ts";

const MIN = 60_000;

async function sql(product: string, query: string, ...bindings: unknown[]): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(query, ...bindings);
  });
}

const stuck = async (product: string, state: string) =>
  (await alertsOf(product, state)).filter((a) => a.kind === "stuck").map((a) => a.subject);

describe("stuck behind a full page of building jobs", () => {
  it("resolves the alert of a job that reported progress, though a page of older-activity jobs builds", async () => {
    const product = "stuck-page";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "hangs, then speaks" });
    await claim(product, a.token);
    const building = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: a.token,
      json: { leaseEpoch: 1, stage: "building" },
    });
    expect(building.status).toBe(200);
    // PER_CHECK other building jobs, each with a change a minute ago: not stuck, but older than any activity now.
    await cloneQueued(product, job.id, PER_CHECK + 1);
    await sql(
      product,
      "UPDATE jobs SET doc = json_set(doc, '$.updatedAt', ?) WHERE id LIKE 'job_clone_%'",
      Date.now() - MIN,
    );
    // The job itself silent for 31 min: the oldest activity, first in the page, stuck.
    await sql(product, "UPDATE job_activity SET at = ? WHERE job_id = ?", Date.now() - 31 * MIN, job.id);
    await env.COORDINATOR.getByName(product).sweep(product);
    expect(await stuck(product, "open")).toEqual([`job:${job.id}`]);

    // It reports progress: its activity is now the newest, behind the full page of clones.
    const progress = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: a.token,
      json: { leaseEpoch: 1, progress: { pct: 50 } },
    });
    expect(progress.status).toBe(200);
    await env.COORDINATOR.getByName(product).sweep(product);
    expect(await stuck(product, "open")).toEqual([]);
    expect(await stuck(product, "resolved")).toEqual([`job:${job.id}`]);
    const health = await api<{ status: string }>("GET", `${P(product)}/health`, { token: ADMIN });
    expect(health.body.status).toBe("healthy");
  });
});
