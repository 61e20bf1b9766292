// Leases across the coordinator's own outage (core/outage-grace, dispatch/outage-grace): a coordinator instance that
// starts to find a lease overdue by more than 5 s was not running to expire it — no holder could renew meanwhile —
// so every held lease gets max(TTL, 30 s) from the start, same epoch and holder, and the holder goes on renewing
// (before, every running job was expired at once on restart, before its agent could reconnect). A running
// coordinator gives no grace: the same overdue lease is expired at the holder's next frame. A restart with no lease
// overdue changes nothing. The restart is real: the object is aborted and a new instance loads.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, P, submit, until } from "./client";
import { expireLeaseNow } from "./state";

/** A new coordinator instance over the same storage: the old one is aborted, the next request constructs one. */
async function restart(product: string): Promise<void> {
  const stub = env.COORDINATOR.getByName(product);
  await runInDurableObject(stub, (_i, state) => {
    try {
      state.abort("test: restart");
    } catch {
      // abort throws in the caller by design
    }
  }).catch(() => undefined);
}

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
    await restart(product);
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
    await restart(product);
    expect((await getJob(product, b.id)).leaseExpiresAt).toBe(before);
  });
});
