// Guarantee 3 — recovery: an unrenewed lease expires, by alarm, by cron, or with a grace after an outage. Its job
// is requeued (epoch + 1, checkpoint kept) or dead-lettered once maxAttempts are spent — by the coordinator's alarm,
// by the cron sweep when the alarm was lost — and every holder gets a grace when the coordinator itself was down.

import {
  createExecutionContext,
  createScheduledController,
  env,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit, until } from "./client.ts";
import { openSocket } from "./sockets";
import { expireLeaseNow, lapseExclusions, restartCoordinator, runExpiry } from "./state.ts";

// Guarantee 3 — recovery: an unrenewed lease expires (DO alarm), the job is requeued with
// epoch + 1 and its checkpoint kept; once maxAttempts are spent it lands in dead_letter.

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
    await runExpiry(product, job.id);
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

  it("never claims a job past maxAttempts: whatever put it in the queue, it has a try left", async () => {
    // A path into `queued` that kept a spent attempt count made the claim's attempt + 1 pass maxAttempts ("lease
    // expired on attempt 3 of 2"); moveJob keeps a queued job's attempt below it. Forced here by surgery on a
    // blocked dependent, which its dep's ship moves to `queued` with its attempt as it is.
    const product = "lease-attempt-ceiling";
    const f = await enroll(product, "f");
    const dep = await submit(product, { title: "dep" });
    const job = await submit(product, { title: "x", deps: [dep.id], maxAttempts: 2 });
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      state.storage.sql.exec("UPDATE jobs SET doc = json_set(doc, '$.attempt', 2) WHERE id = ?", job.id);
    });
    const c = await claim(product, f.token);
    for (const stage of ["building", "testing"]) {
      const json = { leaseEpoch: c.body.lease.leaseEpoch, stage };
      expect((await api("PATCH", `${P(product)}/jobs/${dep.id}`, { token: f.token, json })).status).toBe(200);
    }
    await api("POST", `${P(product)}/jobs/${dep.id}/actions/ship`, { token: ADMIN });
    expect((await claim(product, f.token)).body.job).toMatchObject({ id: job.id, attempt: 2, maxAttempts: 2 });
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

// The cron safety net: a sweep requeues an expired lease even when the alarm was lost.

async function sweepAll() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("cron reaper", () => {
  it("requeues an expired lease whose alarm was lost, idempotently", async () => {
    const product = "reaper-lost-alarm";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x" });
    await claim(product, f.token);
    await expireLeaseNow(product, job.id);
    // Lose the alarm.
    await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      await state.storage.deleteAlarm();
    });
    await env.DB.prepare("INSERT OR IGNORE INTO products(id, first_seen_at, last_seen_at) VALUES (?, 0, 0)")
      .bind(product)
      .run();

    for (let i = 0; i < 2; i++) await sweepAll();
    // Requeued once (epoch 2), not twice.
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued", leaseEpoch: 2, attempt: 1 });
  });

  it("leaves a factory socket that has just connected alone, though its hello is not in yet", async () => {
    // A never-heard-from factory counts as down; its fresh socket must not be closed for it. (The likely cause of
    // "no welcome within 30 s" for 8 of 1,000 benchmark factories connecting, at one per minute's sweep.)
    const product = "reaper-fresh-socket";
    const f = await enroll(product, "fresh");
    await env.DB.prepare("INSERT OR IGNORE INTO products(id, first_seen_at, last_seen_at) VALUES (?, 0, 0)")
      .bind(product)
      .run();
    const s = await openSocket(`/api/v1/products/${product}/factories/connect`, { authorization: `Bearer ${f.token}` });
    await sweepAll();
    s.send({ type: "hello", v: 1, capabilities: [], seats: 1, engines: [], agentVersion: "test" });
    await s.next("welcome");
    expect(s.closed).toBeUndefined();
    s.close();
  });
});

// Leases across the coordinator's own outage (core/outage-grace, dispatch/outage-grace): a coordinator instance that
// starts to find a lease overdue by more than 5 s was not running to expire it — no holder could renew meanwhile —
// so every held lease gets max(TTL, 30 s) from the start, same epoch and holder, and the holder goes on renewing
// (before, every running job was expired at once on restart, before its agent could reconnect). A running
// coordinator gives no grace: the same overdue lease is expired at the holder's next frame. A restart with no lease
// overdue changes nothing. The restart is real: the object is aborted and a new instance loads.

const renew = (product: string, token: string, jobId: string, leaseEpoch: number) =>
  api<{ expiresAt: number; ttlSeconds: number; code?: string }>("POST", `${P(product)}/jobs/${jobId}/lease/renew`, {
    token,
    json: { leaseEpoch },
  });

describe("a lease across the coordinator's outage", () => {
  it("is extended when an instance starts to find it overdue: same epoch, and the holder renews it", async () => {
    const product = "outage-grace-restart";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "long build" });
    const { lease } = (await claim(product, f.token)).body;
    await expireLeaseNow(product, job.id, 60_000); // ran out a minute ago, while "nothing was running"
    await restartCoordinator(product);
    const after = await getJob(product, job.id);
    expect(after).toMatchObject({ stage: "assigned", leaseEpoch: lease.leaseEpoch, holderFactoryId: f.factoryId });
    expect(after.leaseExpiresAt).toBeGreaterThanOrEqual(Date.now() + 25_000);
    expect((await renew(product, f.token, job.id, lease.leaseEpoch)).status).toBe(200);
    type Audit = { items: Array<{ action: string; detail?: { leases?: number } }> };
    const graced = (r: { body: Audit }) => r.body.items?.find((a) => a.action === "lease.outage_grace");
    const read = () => api<Audit>("GET", `${P(product)}/history?kind=audit`, { token: ADMIN });
    const audit = await until(read, (r) => graced(r) !== undefined);
    expect(graced(audit)?.detail?.leases).toBe(1);
  });

  it("is expired as before on a running coordinator, and untouched by a restart with nothing overdue", async () => {
    const product = "outage-grace-none";
    const f = await enroll(product, "f", [], 2);
    const a = await submit(product, { title: "a" });
    const b = await submit(product, { title: "b" });
    const la = (await claim(product, f.token)).body.lease;
    await claim(product, f.token);
    await expireLeaseNow(product, a.id, 60_000); // no restart: nobody was down
    expect((await renew(product, f.token, a.id, la.leaseEpoch)).status).toBe(409);
    expect((await getJob(product, a.id)).leaseEpoch).toBe(la.leaseEpoch + 1);
    // b's lease runs out in 3 s: not overdue at the restart (however slow the machine), so no grace for anyone.
    await expireLeaseNow(product, b.id, -3_000);
    const before = (await getJob(product, b.id)).leaseExpiresAt;
    await restartCoordinator(product);
    expect((await getJob(product, b.id)).leaseExpiresAt).toBe(before);
  });
});
