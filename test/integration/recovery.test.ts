// Guarantee 3 — recovery: an unrenewed lease expires (DO alarm), the job is requeued with
// epoch + 1 and its checkpoint kept; once maxAttempts are spent it lands in dead_letter.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, claim, enroll, getJob, P, submit } from "./client.ts";
import { expireLeaseNow, lapseExclusions } from "./state.ts";

describe("lease expiry", () => {
  it("requeues an expired lease by alarm with epoch + 1 and the checkpoint kept", async () => {
    const product = "recover-requeue";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "x", maxAttempts: 3 });
    await claim(product, a.token);
    const checkpoint = { branch: "gf/wip/x", sha: "abc1234", note: "half done" };
    await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: a.token,
      json: { leaseEpoch: 1, stage: "building", checkpoint },
    });
    await expireLeaseNow(product, job.id);
    expect(await runDurableObjectAlarm(env.COORDINATOR.getByName(product))).toBe(true);
    const after = await getJob(product, job.id);
    expect(after).toMatchObject({ stage: "queued", leaseEpoch: 2, attempt: 1, checkpoint });
    expect(after.holderFactoryId).toBeUndefined();
    const runs = await api<{ runs: Array<{ result?: { outcome: string } }> }>(
      "GET",
      `${P(product)}/jobs/${job.id}/runs`,
      { token: a.token },
    );
    expect(runs.body.runs.map((r) => r.result?.outcome)).toEqual(["timeout"]);
  });

  it("does not expire a lease that is still live when the alarm runs", async () => {
    const product = "recover-live";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "x" });
    await claim(product, a.token, 600);
    await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
    expect(await getJob(product, job.id)).toMatchObject({ stage: "assigned", leaseEpoch: 1 });
  });

  it("sends a job to dead_letter once its maxAttempts leases have all expired", async () => {
    const product = "recover-dead";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "x", maxAttempts: 2 });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const r = await claim(product, a.token);
      expect(r.body.job.attempt).toBe(attempt);
      await expireLeaseNow(product, job.id);
      await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
      // The only factory may have the job again once its exclusion's backoff has passed.
      await lapseExclusions(product, job.id);
    }
    const after = await getJob(product, job.id);
    expect(after.stage).toBe("dead_letter");
    expect(after.leaseEpoch).toBe(4);
    expect((await claim(product, a.token)).status).toBe(204);
  });

  it("retries a transient failure after a backoff (delayed dispatch)", async () => {
    const product = "recover-retry";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "x", maxAttempts: 2 });
    const path = `${P(product)}/jobs/${job.id}`;
    await claim(product, a.token);
    const failed = await api<{ stage: string; notBefore: number }>("PATCH", path, {
      token: a.token,
      json: { leaseEpoch: 1, stage: "failed", result: { outcome: "failure", rc: 1 } },
    });
    expect(failed.body.stage).toBe("queued");
    expect(failed.body.notBefore).toBeGreaterThan(Date.now());
    // Not claimable until the backoff passes.
    expect((await claim(product, a.token)).status).toBe(204);
  });

  it("a non-retryable failure stays failed until an operator requeues it", async () => {
    const product = "recover-final";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "x", maxAttempts: 5 });
    const path = `${P(product)}/jobs/${job.id}`;
    await claim(product, a.token);
    await api("PATCH", path, { token: a.token, json: { leaseEpoch: 1, stage: "building" } });
    const failed = await api("PATCH", path, {
      token: a.token,
      json: { leaseEpoch: 1, stage: "failed", result: { outcome: "budget_exceeded", message: "wall budget" } },
    });
    expect(failed.body).toMatchObject({ stage: "failed", lastResult: { outcome: "budget_exceeded" } });
    const requeued = await api("POST", `${path}/actions/requeue`, { token: "test-admin-token" });
    expect(requeued.body).toMatchObject({ stage: "queued", attempt: 0 });
    expect((await claim(product, a.token)).body.job.id).toBe(job.id);
  });
});
