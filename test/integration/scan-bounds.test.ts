// Every path that walks the queue examines a bounded number of due jobs: an HTTP claim behind thousands of jobs no one can run costs the same as push dispatch.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_SCAN } from "../../src/durable-objects/coordinator/dispatch/urgency-order.ts";
import { api, claim, enroll, P } from "./client";

/**
 * `count` due jobs requiring a capability no factory has, older than anything submitted after: one is submitted,
 * then cloned by direct SQL (state set, not built through thousands of submits and their outbox deliveries).
 */
async function unrunnable(product: string, count: number): Promise<void> {
  const seed = await api<{ id: string }>("POST", `${P(product)}/jobs`, {
    token: "test-admin-token",
    json: { manifest: { title: "gpu job", requires: ["gpu:h100"] } },
  });
  expect(seed.status).toBe(201);
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO jobs(id, stage, priority_value, queued_at, created_at, rev, doc)
       SELECT printf('job_clone_%05d', i), stage, priority_value, queued_at - 1, created_at - 1, rev,
              json_set(doc, '$.id', printf('job_clone_%05d', i))
         FROM jobs, n WHERE jobs.id = ?2`,
      count - 1,
      seed.body.id,
    );
  });
}

describe("scan bound", () => {
  it("HTTP claim examines at most MAX_SCAN due jobs: a runnable job behind MAX_SCAN unrunnable ones is not reached", async () => {
    const product = "scan-claim";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    await unrunnable(product, MAX_SCAN);
    const runnable = await api<{ id: string }>("POST", `${P(product)}/jobs`, {
      token: "test-admin-token",
      json: { manifest: { title: "cpu job", requires: ["os:linux"] } },
    });
    expect(runnable.status).toBe(201);
    // Before the bound, this claim loaded and scored all MAX_SCAN + 1 jobs and took the last one.
    expect((await claim(product, f.token)).status).toBe(204);
  });

  it("HTTP claim still finds a runnable job inside the bound", async () => {
    const product = "scan-claim-within";
    const f = await enroll(product, "cpu-box", ["os:linux"]);
    await unrunnable(product, MAX_SCAN - 1);
    await api("POST", `${P(product)}/jobs`, {
      token: "test-admin-token",
      json: { manifest: { title: "cpu job", requires: ["os:linux"] } },
    });
    const r = await claim(product, f.token);
    expect(r.status).toBe(200);
    expect(r.body.job).toMatchObject({ title: "cpu job" });
  });
});
