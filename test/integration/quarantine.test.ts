// Quarantine on error budget in workerd (issue 9 part 4): a factory whose failed runs within the window exceed the
// product's errorBudget.maxFailures becomes `quarantined` in the same unit as the failing report, gets no new work
// while the lease it already holds runs on to its end; an operator's POST …/factories/{f}/release returns it to
// `active` with its window cleared (one more failure does not quarantine it again) and work flows to it, and so does
// POST …/status active (or draining): leaving quarantine is a release whichever way it is asked for; a viewer
// cannot release (403), an unknown factory is 404 and a factory that is not quarantined is 409.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, type JobView, mintToken, P, submit } from "./client";
import { auditDelivered } from "./history-wait.ts";

const ADM = { token: ADMIN };

const report = (product: string, token: string, jobId: string, epoch: number, json: Record<string, unknown>) =>
  api<JobView>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json: { leaseEpoch: epoch, ...json } });

async function failOne(product: string, token: string) {
  const job = await submit(product, { title: "doomed" });
  const c = await claim(product, token);
  expect(c.body.job.id).toBe(job.id);
  const r = await report(product, token, job.id, c.body.lease.leaseEpoch, {
    stage: "failed",
    result: { outcome: "failure", retryable: false },
  });
  expect(r.status).toBe(200);
}

const statusOf = async (product: string, id: string) =>
  (await api<{ status: string }>("GET", `${P(product)}/factories/${id}`, { token: ADMIN })).body.status;

const mint = async (product: string, role: "viewer" | "operator", name?: string) =>
  (await mintToken(product, role, name)).token;

describe("quarantine on error budget", () => {
  it("quarantines past the budget, gives no new work, lets the running lease finish, and release restores it", async () => {
    const product = "quarantine-budget";
    // Breakers out of the way (a high threshold): this is the factory-wide budget, not one engine's breaker.
    const settings = { errorBudget: { maxFailures: 2, windowMinutes: 60 }, breaker: { failureThreshold: 100 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const f = await enroll(product, "flaky", [], 2);
    const running = await submit(product, { title: "long one" });
    const held = await claim(product, f.token);
    expect(held.body.job.id).toBe(running.id);
    await failOne(product, f.token);
    await failOne(product, f.token);
    expect(await statusOf(product, f.factoryId)).toBe("active"); // 2 failures: at the budget, not over it
    await failOne(product, f.token);
    expect(await statusOf(product, f.factoryId)).toBe("quarantined");

    const waiting = await submit(product, { title: "new work" });
    expect((await claim(product, f.token)).status).toBe(204);
    // The lease it held goes on: its completion is accepted.
    await report(product, f.token, running.id, held.body.lease.leaseEpoch, { stage: "building" });
    const done = await report(product, f.token, running.id, held.body.lease.leaseEpoch, { stage: "testing" });
    expect(done.body.stage).toBe("testing");

    const operator = await mint(product, "operator");
    const released = await api<{ status: string }>("POST", `${P(product)}/factories/${f.factoryId}/release`, {
      token: operator,
    });
    expect(released.status).toBe(200);
    expect(released.body.status).toBe("active");
    const window = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
      state.storage.sql.exec("SELECT * FROM error_budgets WHERE factory_id = ?", f.factoryId).toArray(),
    );
    expect(window).toEqual([]);
    const c = await claim(product, f.token);
    expect(c.body.job.id).toBe(waiting.id);
    // The window was cleared: one more failure does not put it straight back.
    await report(product, f.token, waiting.id, c.body.lease.leaseEpoch, {
      stage: "failed",
      result: { outcome: "failure", retryable: false },
    });
    expect(await statusOf(product, f.factoryId)).toBe("active");
    // Exactly these two: read once all the coordinator wrote is in D1 (history-wait `auditDelivered`) — waiting for
    // two missed a third landing later.
    const actions = (await auditDelivered(product)).filter(
      (a) => a.action.startsWith("factory.") && a.action !== "factory.enroll",
    );
    expect(actions.map((a) => [a.action, a.actor === "system" ? "system" : "operator"])).toEqual([
      ["factory.quarantine", "system"],
      ["factory.release", "operator"],
    ]);
  });

  it("does not count neutral ends: cancelled runs and rate limits never quarantine", async () => {
    const product = "quarantine-neutral";
    const settings = { errorBudget: { maxFailures: 1, windowMinutes: 60 }, breaker: { failureThreshold: 100 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const f = await enroll(product, "f");
    for (let i = 0; i < 3; i++) {
      const job = await submit(product, { title: `throttled ${i}` });
      const c = await claim(product, f.token);
      expect(c.body.job.id).toBe(job.id);
      await report(product, f.token, job.id, c.body.lease.leaseEpoch, {
        stage: "failed",
        result: { outcome: "rate_limited", retryAfterSeconds: 0 },
      });
      // Retried on the same factory once the breaker's hold is over (set back here, no sleeping: a rate limit that
      // names no wait holds for the base cool-down): this run is cancelled by an operator mid-lease.
      await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
        state.storage.sql.exec("UPDATE breakers SET open_until = ?", Date.now() - 1);
      });
      expect((await claim(product, f.token)).body.job.id).toBe(job.id);
      const cancelled = await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} });
      expect(cancelled.status).toBe(200);
    }
    expect(await statusOf(product, f.factoryId)).toBe("active");
  });

  it("release: viewer 403, unknown factory 404, an active one already so (changed: false), a draining one 409", async () => {
    const product = "quarantine-release-refusals";
    const f = await enroll(product, "f");
    const viewer = await mint(product, "viewer");
    const path = `${P(product)}/factories/${f.factoryId}/release`;
    expect((await api("POST", path, { token: viewer })).status).toBe(403);
    const missing = await api<{ code: string }>("POST", `${P(product)}/factories/nope/release`, { token: ADMIN });
    expect(missing.status).toBe(404);
    // Active already — what a release makes it: a no-op, as a second approve or revoke is, not a 409.
    const active = await api<{ status: string; changed: boolean }>("POST", path, { token: ADMIN });
    expect([active.status, active.body.status, active.body.changed]).toEqual([200, "active", false]);
    const status = (to: string, token = ADMIN) =>
      api<{ status: string; statusReason?: string; changed: boolean }>(
        "POST",
        `${P(product)}/factories/${f.factoryId}/status`,
        { token, json: { status: to } },
      );
    const drained = await status("draining");
    expect(drained.body).toMatchObject({ status: "draining", changed: true });
    // Drained twice, by another operator: already so — the first reason kept, nothing audited again.
    const again = await status("draining", await mint(product, "operator", "second"));
    expect([again.status, again.body.changed]).toEqual([200, false]);
    expect(again.body.statusReason).toBe(drained.body.statusReason);
    const draining = await api<{ code: string; factoryStatus: string }>("POST", path, { token: ADMIN });
    expect([draining.status, draining.body.code, draining.body.factoryStatus]).toEqual([409, "conflict", "draining"]);
    expect((await status("active")).body.changed).toBe(true);
    expect((await status("active")).body.changed).toBe(false);
    const audited = (await auditDelivered(product)).map((a) => a.action).filter((a) => a.startsWith("factory."));
    expect(audited).toEqual(["factory.enroll", "factory.draining", "factory.active"]);
  });

  for (const to of ["active", "draining"] as const) {
    it(`POST …/status ${to} on a quarantined factory releases it: alert resolved, window cleared, audited`, async () => {
      const product = `quarantine-status-${to}`;
      const settings = { errorBudget: { maxFailures: 1, windowMinutes: 60 }, breaker: { failureThreshold: 100 } };
      expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
      const f = await enroll(product, "f");
      await failOne(product, f.token);
      await failOne(product, f.token);
      expect(await statusOf(product, f.factoryId)).toBe("quarantined");
      const live = async () =>
        (await api<{ alerts: Array<{ kind: string; state: string }> }>("GET", `${P(product)}/alerts`, ADM)).body.alerts
          .filter((a) => a.kind === "factory_quarantined" && a.state !== "resolved")
          .map((a) => a.kind);
      expect(await live()).toEqual(["factory_quarantined"]);
      const set = await api<{ status: string }>("POST", `${P(product)}/factories/${f.factoryId}/status`, {
        token: ADMIN,
        json: { status: to },
      });
      expect(set.status).toBe(200);
      expect(set.body.status).toBe(to);
      expect(await live()).toEqual([]);
      if (to === "draining") {
        const back = { token: ADMIN, json: { status: "active" } };
        expect((await api("POST", `${P(product)}/factories/${f.factoryId}/status`, back)).status).toBe(200);
      }
      // The window was cleared: one more failure does not put it straight back.
      await failOne(product, f.token);
      expect(await statusOf(product, f.factoryId)).toBe("active");
      const expected =
        to === "active"
          ? ["factory.enroll", "factory.quarantine", "factory.release"]
          : ["factory.enroll", "factory.quarantine", "factory.release", "factory.draining", "factory.active"];
      // The history is shipped after the commit: read once all the coordinator wrote is in D1 (history-wait
      // `auditDelivered`) — waiting for as many as expected missed one more landing later.
      const actions = (await auditDelivered(product)).map((a) => a.action).filter((a) => a.startsWith("factory."));
      expect(actions).toEqual(expected);
    });
  }
});
