// Guarantee 2 — fencing: a stale leaseEpoch is refused with 409 fenced and changes nothing.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, claim, enroll, getJob, P, submit } from "./client.ts";
import { expireLeaseNow } from "./state.ts";

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
    expect(await runDurableObjectAlarm(env.COORDINATOR.getByName(product))).toBe(true);
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

  it("refuses a patch whose lease ran out even before the alarm fired (lazy expiry)", async () => {
    const product = "fence-lazy";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "x" });
    await claim(product, a.token);
    await expireLeaseNow(product, job.id);
    const late = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: a.token,
      json: { leaseEpoch: 1, stage: "building" },
    });
    expect(late.body).toMatchObject({ code: "fenced", current: 2 });
    const after = await getJob(product, job.id);
    expect(after.stage).toBe("queued");
    expect(after.leaseEpoch).toBe(2);
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
