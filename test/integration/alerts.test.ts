// Alerts and health in workerd, time set by state surgery instead of sleeping: a building job with no event past
// stuckAfterMinutes raises one `stuck` alert (deduplicated over passes), ack keeps it live and audited, activity
// resolves it, and activity is written only from the move to building on; a queued job past starvingAfterMinutes raises `starving` with its waiting reason,
// measured from when its wait began — a job that keeps losing its lease still starves, and is found behind a deep queue
// of younger work (and makes the product `stalled`); a product with work
// waiting and nothing finished for 2 × the interval is `stalled`; a factory whose last heartbeat is set back is
// degraded then down, and recovers — also one past the first PER_CHECK factories by name; the alarm runs the pass when a threshold is due, and a job that starts building brings it forward; passes tidy activity rows of
// ended jobs and alerts resolved over 30 days ago.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PER_CHECK } from "../../src/durable-objects/coordinator/policies/health-check.ts";
import { setMeta } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import { ADMIN, type AlertView, alertsOf, api, claim, enroll, getJob, P, submit, until } from "./client.ts";
import { cloneQueued, expireLeaseNow, lapseExclusions } from "./state.ts";

const MIN = 60_000;

async function sql(product: string, query: string, ...bindings: unknown[]): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(query, ...bindings);
  });
}

async function sweep(product: string) {
  return env.COORDINATOR.getByName(product).sweep(product);
}

const alerts = alertsOf;

async function building(product: string) {
  const a = await enroll(product, "a");
  const job = await submit(product, { title: "hangs" });
  await claim(product, a.token);
  await api("PATCH", `${P(product)}/jobs/${job.id}`, { token: a.token, json: { leaseEpoch: 1, stage: "building" } });
  return { a, job };
}

describe("stuck", () => {
  it("writes job activity only where stuck reads it: not for a submit or a lease, from the move to building on", async () => {
    const product = "al-activity";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "activity" });
    const rows = () =>
      runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
        state.storage.sql.exec("SELECT at FROM job_activity WHERE job_id = ?", job.id).toArray(),
      );
    await claim(product, a.token);
    expect(await rows()).toEqual([]); // queued, then assigned: never read for stuck
    await api("PATCH", `${P(product)}/jobs/${job.id}`, { token: a.token, json: { leaseEpoch: 1, stage: "building" } });
    expect(await rows()).toHaveLength(1);
  });

  it("raises one stuck alert for a silent building job, keeps it live when acked, resolves it on activity", async () => {
    const product = "al-stuck";
    const { a, job } = await building(product);
    await sweep(product);
    expect((await alerts(product)).filter((x) => x.kind === "stuck")).toEqual([]);

    await sql(product, "UPDATE job_activity SET at = ? WHERE job_id = ?", Date.now() - 31 * MIN, job.id);
    await sweep(product);
    await sweep(product); // a second pass refreshes, never duplicates
    const open = (await alerts(product, "open")).filter((x) => x.kind === "stuck");
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ subject: `job:${job.id}`, severity: "warning" });
    expect(open[0]!.message).toContain("no event for 31 min");

    const ack = await api<AlertView>("POST", `${P(product)}/alerts/${open[0]!.id}/ack`, { token: ADMIN });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ state: "acknowledged", acknowledgedBy: expect.any(String) });
    await sweep(product);
    expect((await alerts(product, "acknowledged")).map((x) => x.id)).toEqual([open[0]!.id]);
    // The acknowledgement is audited (outbox → history queue → D1), naming the operator and the alert.
    type Audit = { items: Array<{ action: string; actor: string; target: string }> };
    const audit = await until(
      async () => (await api<Audit>("GET", `${P(product)}/history?kind=audit`, { token: ADMIN })).body.items,
      (items) => items.some((a) => a.action === "alert.ack"),
    );
    expect(audit.find((a) => a.action === "alert.ack")).toMatchObject({
      actor: "admin",
      target: `alert:${open[0]!.id}`,
    });

    // A lease renewal is not activity: an agent renews while its engine hangs, which is what stuck must catch.
    const renew = await api("POST", `${P(product)}/jobs/${job.id}/lease/renew`, {
      token: a.token,
      json: { leaseEpoch: 1 },
    });
    expect(renew.status).toBe(200);
    await sweep(product);
    expect((await alerts(product, "acknowledged")).map((x) => x.id)).toEqual([open[0]!.id]);

    // The job reports progress: no longer stuck, the alert resolves on the next pass.
    await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: a.token,
      json: { leaseEpoch: 1, progress: { pct: 50 } },
    });
    await sweep(product);
    const resolved = (await alerts(product, "resolved")).filter((x) => x.kind === "stuck");
    expect(resolved.map((x) => x.id)).toEqual([open[0]!.id]);
    expect(await alerts(product, "open")).toEqual([]);
    // Acknowledging a resolved alert is a conflict, an unknown id a 404, a malformed one a 400.
    expect((await api("POST", `${P(product)}/alerts/${open[0]!.id}/ack`, { token: ADMIN })).status).toBe(409);
    expect((await api("POST", `${P(product)}/alerts/al_000000000000zzzz/ack`, { token: ADMIN })).status).toBe(404);
    expect((await api("POST", `${P(product)}/alerts/nope/ack`, { token: ADMIN })).status).toBe(400);
  });

  it("is raised by the alarm when the threshold noted by the last pass is due", async () => {
    const product = "al-alarm";
    const { job } = await building(product);
    await sweep(product);
    await sql(product, "UPDATE job_activity SET at = ? WHERE job_id = ?", Date.now() - 31 * MIN, job.id);
    const stub = env.COORDINATOR.getByName(product);
    // Through the meta table's one write path, which keeps the coordinator's cache of it (runtime/meta) in step.
    await runInDurableObject(stub, (_i, state) => setMeta(state.storage.sql, "health_next_at", String(Date.now() - 1)));
    await runInDurableObject(stub, (_i, state) => state.storage.setAlarm(Date.now()));
    // The runtime may fire a due alarm on its own before this: either way only the alarm ran a pass here.
    await runDurableObjectAlarm(stub);
    expect((await alerts(product, "open")).map((x) => x.kind)).toContain("stuck");
  });
  it("brings the alarm forward when a job starts building after the last pass, so stuck is not a cron minute late", async () => {
    const product = "al-deadline";
    const settings = { health: { stuckAfterMinutes: 0.5 } }; // 30 s
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    await sweep(product); // a pass with nothing building: no stuck threshold ahead
    const before = Date.now();
    await building(product);
    const after = Date.now();
    const noted = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => ({
      meta: Number(
        state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'health_next_at'").one().value,
      ),
      alarm: await state.storage.getAlarm(),
    }));
    expect(noted.meta).toBeGreaterThanOrEqual(before + 30_000);
    expect(noted.meta).toBeLessThanOrEqual(after + 30_001); // the first instant it is stuck (core/health `stuckAt`)
    expect(noted.alarm).not.toBeNull();
    expect(noted.alarm as number).toBeLessThanOrEqual(noted.meta);
  });
});

describe("starving and stalled", () => {
  /** `job`, waiting since `agoMin` minutes, is claimed by `token` and loses its lease by expiry `times` times. */
  async function keepsLosingItsLease(product: string, token: string, jobId: string, agoMin: number, times: number) {
    await sql(
      product,
      "UPDATE jobs SET queued_at = ?1, doc = json_set(doc, '$.queuedAt', ?1) WHERE id = ?2",
      Date.now() - agoMin * MIN,
      jobId,
    );
    for (let i = 0; i < times; i++) {
      expect((await claim(product, token)).body.job.id).toBe(jobId);
      await expireLeaseNow(product, jobId);
      await runDurableObjectAlarm(env.COORDINATOR.getByName(product));
      await lapseExclusions(product, jobId);
    }
    const requeued = await getJob(product, jobId);
    expect(requeued.stage).toBe("queued");
    expect(Date.now() - (requeued.queuedAt as number)).toBeLessThan(5 * MIN); // requeued just now…
    expect(Date.now() - (requeued.waitingSince as number)).toBeGreaterThan(60 * MIN); // …waiting since long before
  }

  it("measures from when the wait began: a job that keeps losing its lease starves, and the product is stalled", async () => {
    const product = "al-starve-requeued";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "never gets done" });
    await keepsLosingItsLease(product, a.token, job.id, 61, 2);
    await sweep(product);
    const open = await alerts(product, "open");
    expect(open.find((x) => x.kind === "starving")).toMatchObject({ subject: `job:${job.id}` });
    expect(open.find((x) => x.kind === "starving")!.message).toMatch(/has waited 61 min/);
    expect(open.find((x) => x.kind === "stalled")).toMatchObject({ subject: "product" });
    // A rate limit requeues it without ending its wait either: still starving from the same instant.
    const since = (await getJob(product, job.id)).waitingSince;
    const lease = (await claim(product, a.token)).body.lease;
    const limited = { outcome: "rate_limited", retryAfterSeconds: 0 };
    const r = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: a.token,
      json: { leaseEpoch: lease.leaseEpoch, stage: "failed", result: limited },
    });
    expect(r.body).toMatchObject({ stage: "queued", waitingSince: since });
    await sweep(product);
    expect((await alerts(product, "open")).filter((x) => x.kind === "starving")).toHaveLength(1);
  });

  it("finds such a job behind more than a page of younger queued work", async () => {
    const product = "al-starve-deep";
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "requeued, long waiting" });
    const filler = await submit(product, { title: "young", requires: ["gpu"] }); // no factory takes these
    await cloneQueued(product, filler.id, 150);
    // Requeued now, so 150 younger-by-wait jobs come first by queued_at: a page of 100 by queued_at misses it.
    await keepsLosingItsLease(product, a.token, job.id, 61, 1);
    await sweep(product);
    const starving = (await alerts(product, "open")).filter((x) => x.kind === "starving");
    expect(starving.map((x) => x.subject)).toEqual([`job:${job.id}`]);
  });

  it("raises starving with the job's waiting reason, and stalled for the product", async () => {
    const product = "al-starve";
    const job = await submit(product, { title: "needs a gpu", requires: ["gpu"] });
    let h = await api<{ status: string; queued: number }>("GET", `${P(product)}/health`, { token: ADMIN });
    expect(h.body).toMatchObject({ status: "healthy", queued: 1 });

    await sql(
      product,
      "UPDATE jobs SET queued_at = ?1, doc = json_set(doc, '$.queuedAt', ?1) WHERE id = ?2",
      Date.now() - 61 * MIN,
      job.id,
    );
    await sweep(product);
    const open = await alerts(product, "open");
    const starving = open.find((x) => x.kind === "starving");
    expect(starving).toMatchObject({ subject: `job:${job.id}` });
    expect(starving!.message).toMatch(/waited 61 min .*: no_factory|waited 61 min .*: \w+: /);
    // "shipped", not "finished": a job built and waiting in testing has not finished (a newcomer misread it).
    expect(open.find((x) => x.kind === "stalled")).toMatchObject({
      subject: "product",
      severity: "critical",
      message: expect.stringMatching(/^nothing shipped for 60 min while (1 job waits|\d+ jobs wait)$/),
    });
    h = await api("GET", `${P(product)}/health`, { token: ADMIN });
    expect(h.body.status).toBe("stalled");

    // The work leaves the queue: starving resolves in the cancel's own unit, stalled on the next pass.
    const cancel = await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} });
    expect(cancel.status).toBe(200);
    expect((await alerts(product, "resolved")).map((x) => x.kind)).toEqual(["starving"]);
    await sweep(product);
    expect(await alerts(product, "open")).toEqual([]);
    h = await api("GET", `${P(product)}/health`, { token: ADMIN });
    expect(h.body.status).toBe("healthy");

    // Tidy: the ended job's activity row is gone; a resolved alert is dropped once 30 days old, not before.
    const count = (q: string) =>
      runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => state.storage.sql.exec(q).toArray().length);
    expect(await count(`SELECT 1 FROM job_activity WHERE job_id = '${job.id}'`)).toBe(0);
    await sql(
      product,
      "UPDATE alerts SET opened_at = ?1, doc = json_set(doc, '$.openedAt', ?1, '$.resolvedAt', ?1) WHERE kind = 'starving'",
      Date.now() - 29 * 24 * 60 * MIN, // opened then too: no alert is resolved before it opened
    );
    await sweep(product);
    expect((await alerts(product, "resolved")).map((x) => x.kind).sort()).toEqual(["stalled", "starving"]);
    await sql(
      product,
      "UPDATE alerts SET opened_at = ?1, doc = json_set(doc, '$.openedAt', ?1, '$.resolvedAt', ?1) WHERE kind = 'starving'",
      Date.now() - 31 * 24 * 60 * MIN, // opened then too: no alert is resolved before it opened
    );
    await sweep(product);
    expect((await alerts(product, "resolved")).map((x) => x.kind)).toEqual(["stalled"]);
  });
});

describe("factory heartbeats", () => {
  it("marks a factory degraded after 1 missed beat and down after 3, then resolves both when it beats", async () => {
    const product = "al-beat";
    const a = await enroll(product, "a");
    await claim(product, a.token); // a claim is a heartbeat
    const beat = (agoMs: number) =>
      sql(
        product,
        "UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?) WHERE id = ?",
        Date.now() - agoMs,
        a.factoryId,
      );

    await beat(31_000);
    await sweep(product);
    expect((await alerts(product, "open")).map((x) => x.kind)).toEqual(["factory_degraded"]);
    let h = await api<{ status: string; factories: Record<string, number> }>("GET", `${P(product)}/health`, {
      token: ADMIN,
    });
    expect(h.body).toMatchObject({ status: "degraded", factories: { ok: 0, degraded: 1, down: 0 } });

    await beat(61_000);
    await sweep(product);
    expect((await alerts(product, "open")).map((x) => x.kind)).toEqual(["factory_down"]);
    expect((await alerts(product, "resolved")).map((x) => x.kind)).toEqual(["factory_degraded"]);

    await claim(product, a.token);
    await sweep(product);
    expect(await alerts(product, "open")).toEqual([]);
    h = await api("GET", `${P(product)}/health`, { token: ADMIN });
    expect(h.body).toMatchObject({ status: "healthy", factories: { ok: 1, degraded: 0, down: 0 } });
  });

  it("alerts on a factory past the first PER_CHECK by name, and resolves it when it beats again", async () => {
    const product = "al-many";
    const late = await enroll(product, "zz-late");
    for (let i = 0; i < PER_CHECK; i++) await enroll(product, `f${String(i).padStart(3, "0")}`);
    const now = Date.now();
    await sql(product, "UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?)", now);
    const silence = (agoMs: number) =>
      sql(
        product,
        "UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?) WHERE id = ?",
        Date.now() - agoMs,
        late.factoryId,
      );
    await silence(61_000);
    await sweep(product);
    expect((await alerts(product, "open")).map((x) => [x.kind, x.subject])).toEqual([
      ["factory_down", `factory:${late.factoryId}`],
    ]);
    await silence(0);
    await sweep(product);
    expect(await alerts(product, "open")).toEqual([]);
  });

  it("pages alerts newest first and refuses a viewer's ack", async () => {
    const product = "al-page";
    const viewer = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "v" },
    });
    for (const title of ["x", "y", "z"]) {
      const job = await submit(product, { title });
      await sql(
        product,
        "UPDATE jobs SET queued_at = ?1, doc = json_set(doc, '$.queuedAt', ?1) WHERE id = ?2",
        Date.now() - 61 * MIN,
        job.id,
      );
    }
    await sweep(product);
    const first = await api<{ alerts: AlertView[]; nextCursor?: string }>("GET", `${P(product)}/alerts?limit=2`, {
      token: viewer.body.token,
    });
    expect(first.status).toBe(200);
    expect(first.body.alerts).toHaveLength(2);
    const rest = await api<{ alerts: AlertView[]; nextCursor?: string }>(
      "GET",
      `${P(product)}/alerts?limit=2&cursor=${first.body.nextCursor}`,
      { token: viewer.body.token },
    );
    expect(rest.body.alerts.length).toBeGreaterThan(0);
    expect(new Set([...first.body.alerts, ...rest.body.alerts].map((a) => a.id)).size).toBe(
      first.body.alerts.length + rest.body.alerts.length,
    );
    expect(
      (await api("POST", `${P(product)}/alerts/${first.body.alerts[0]!.id}/ack`, { token: viewer.body.token })).status,
    ).toBe(403);
    expect((await api("GET", `${P(product)}/alerts?state=bogus`, { token: ADMIN })).status).toBe(400);
  });
});
