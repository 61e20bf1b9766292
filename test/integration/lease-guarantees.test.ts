// Guarantees 1 and 2 — leases: at most one live holder per job under many concurrent claims, and a stale leaseEpoch
// (a zombie holder) is refused with 409 fenced and changes nothing — but the expiry of a lapsed lease it found, kept.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, claim, enroll, getJob, P, submit } from "./client.ts";
import { expireLeaseNow, holdAlarm, lapseLease, runExpiry } from "./state.ts";

// Guarantee 1 — at most one live holder, under many concurrent claims.

describe("concurrent claims", () => {
  it("never give one job two live leases, whatever the number of racing factories", async () => {
    const product = "claims-race";
    const factories = await Promise.all(Array.from({ length: 16 }, (_, i) => enroll(product, `f${i}`, [], 4)));
    const jobs = await Promise.all(Array.from({ length: 30 }, (_, i) => submit(product, { title: `job ${i}` })));
    // 16 factories × 4 seats = 64 claim slots racing for 30 jobs, all at once.
    const replies = await Promise.all(
      factories.flatMap((f) => Array.from({ length: 4 }, () => claim(product, f.token))),
    );
    const won = replies.filter((r) => r.status === 200).map((r) => r.body.job.id);
    expect(replies.filter((r) => r.status === 204)).toHaveLength(64 - 30);
    expect(new Set(won).size).toBe(won.length);
    expect(new Set(won)).toEqual(new Set(jobs.map((j) => j.id)));

    // And the coordinator's own rows agree: one holder per job, epoch 1.
    const stub = env.COORDINATOR.getByName(product);
    const rows = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql
        .exec<{ id: string; holder: string; epoch: number }>(
          "SELECT id, holder_factory_id AS holder, lease_epoch AS epoch FROM jobs WHERE stage = 'assigned'",
        )
        .toArray(),
    );
    expect(rows).toHaveLength(30);
    for (const r of rows) expect(r.epoch).toBe(1);
  });

  it("respects seats: a factory never holds more live leases than it has seats", async () => {
    const product = "claims-seats";
    const f = await enroll(product, "one-seat", [], 1);
    await submit(product, { title: "a" });
    await submit(product, { title: "b" });
    const [r1, r2] = await Promise.all([claim(product, f.token), claim(product, f.token)]);
    expect([r1.status, r2.status].sort()).toEqual([200, 204]);
  });

  it("filters by capability: a job that requires gpu goes only to a gpu factory", async () => {
    const product = "claims-caps";
    const cpu = await enroll(product, "cpu", ["os:linux"]);
    const gpu = await enroll(product, "gpu", ["os:linux", "gpu"]);
    const job = await submit(product, { title: "train", requires: ["gpu"] });
    expect((await claim(product, cpu.token)).status).toBe(204);
    const won = await claim(product, gpu.token);
    expect(won.status).toBe(200);
    expect(won.body.job.id).toBe(job.id);
  });

  it("claims the most urgent job first: critical before low", async () => {
    const product = "claims-priority";
    const f = await enroll(product, "f", [], 2);
    await submit(product, { title: "low", priority: "low" });
    const critical = await submit(product, { title: "urgent", priority: "critical" });
    expect((await claim(product, f.token)).body.job.id).toBe(critical.id);
  });

  it("keeps a serial gate: two jobs with the same serialKey never run at once", async () => {
    const product = "claims-serial";
    const f = await enroll(product, "f", [], 4);
    await submit(product, { title: "a", serialKey: "repo-x" });
    await submit(product, { title: "b", serialKey: "repo-x" });
    await submit(product, { title: "c", serialKey: "repo-y" });
    // Every answer counts: the third claim finds b held behind a, so nothing (204), never an error taken as "no job".
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const r = await claim(product, f.token);
      answers.push(r.status === 200 ? r.body.job.title : r.status);
    }
    expect(answers.slice(0, 2).sort()).toEqual(["a", "c"]);
    expect(answers[2]).toBe(204);
  });
});

// Guarantee 2 — fencing: a stale leaseEpoch is refused with 409 fenced and changes nothing.

describe("fencing", () => {
  it("refuses a zombie's patch after its lease expired and the job was re-leased", async () => {
    const product = "fence-zombie";
    const a = await enroll(product, "a");
    const b = await enroll(product, "b");
    const job = await submit(product, { title: "x" });
    const first = await claim(product, a.token);
    expect(first.body.lease.leaseEpoch).toBe(1);
    await api("PATCH", `${P(product)}/jobs/${job.id}`, { token: a.token, json: { leaseEpoch: 1, stage: "building" } });

    await expireLeaseNow(product, job.id);
    await runExpiry(product, job.id);
    const second = await claim(product, b.token);
    expect(second.body.job.id).toBe(job.id);
    expect(second.body.lease.leaseEpoch).toBe(3); // 1 (a) → 2 (expired) → 3 (b)

    const before = await getJob(product, job.id);
    const zombie = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: a.token,
      json: { leaseEpoch: 1, stage: "failed", checkpoint: { note: "zombie" } },
    });
    expect(zombie.status).toBe(409);
    expect(zombie.headers.get("content-type")).toContain("application/problem+json");
    expect(zombie.body).toMatchObject({ code: "fenced", status: 409, given: 1, current: 3 });
    expect(await getJob(product, job.id)).toEqual(before);
  });

  it("refuses renew and release with a stale epoch, and a patch by a factory that is not the holder", async () => {
    const product = "fence-renew";
    const a = await enroll(product, "a");
    const b = await enroll(product, "b");
    const job = await submit(product, { title: "x" });
    await claim(product, a.token);
    const before = await getJob(product, job.id);
    const renew = await api("POST", `${P(product)}/jobs/${job.id}/lease/renew`, {
      token: a.token,
      json: { leaseEpoch: 0 },
    });
    expect(renew.body).toMatchObject({ code: "fenced" });
    const release = await api("POST", `${P(product)}/jobs/${job.id}/lease/release`, {
      token: a.token,
      json: { leaseEpoch: 7 },
    });
    expect(release.body).toMatchObject({ code: "fenced" });
    const other = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: b.token,
      json: { leaseEpoch: 1, stage: "building" },
    });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ code: "not_lease_holder" });
    expect(await getJob(product, job.id)).toEqual(before);
  });

  it("refuses a patch whose lease ran out before the alarm fired, and keeps the lazy expiry: requeued at once", async () => {
    const product = "fence-lazy";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "x" });
    await claim(product, a.token);
    const release = await holdAlarm(product); // nothing but the patch can find the expiry
    await lapseLease(product, job.id);
    const late = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: a.token,
      json: { leaseEpoch: 1, stage: "building" },
    });
    expect(late.body).toMatchObject({ code: "fenced", current: 2 });
    // The refusal rolls its unit back, but keeps the expiry it found due (dispatch/lease-ops FENCE): the job is
    // requeued by the time the answer is read, not when the alarm gets to it.
    expect(await getJob(product, job.id)).toMatchObject({ stage: "queued", leaseEpoch: 2 });
    await release();
  });

  it("a completed job fences its former holder: a resend is acknowledged unchanged, any other change refused", async () => {
    const product = "fence-double-complete";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "x" });
    await claim(product, a.token);
    const path = `${P(product)}/jobs/${job.id}`;
    await api("PATCH", path, { token: a.token, json: { leaseEpoch: 1, stage: "building" } });
    const done = await api("PATCH", path, { token: a.token, json: { leaseEpoch: 1, stage: "testing" } });
    expect(done.status).toBe(200);
    const before = await getJob(product, job.id);
    const resent = await api("PATCH", path, { token: a.token, json: { leaseEpoch: 1, stage: "testing" } });
    expect(resent.body).toMatchObject({ stage: "testing", duplicate: true });
    const other = await api<{ detail: string }>("PATCH", path, {
      token: a.token,
      json: { leaseEpoch: 1, stage: "failed" },
    });
    expect(other.body).toMatchObject({ code: "fenced", given: 1, current: 1, stage: "testing" });
    // Said as it is: the lease at this epoch ended (not "epoch 1 is stale (current epoch 1)").
    expect(other.body.detail).toBe(`job ${job.id} holds no lease at epoch 1 any more (it is testing)`);
    const progress = await api("PATCH", path, { token: a.token, json: { leaseEpoch: 1, progress: { pct: 5 } } });
    expect(progress.body).toMatchObject({ code: "fenced" });
    expect(await getJob(product, job.id)).toEqual(before);
    const stub = env.COORDINATOR.getByName(product);
    const runs = await runInDurableObject(stub, (_i, s) => s.storage.sql.exec("SELECT * FROM runs").toArray());
    expect(runs).toHaveLength(1);
  });
});
