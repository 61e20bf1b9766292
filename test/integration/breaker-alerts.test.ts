// A `breaker_open` alert follows its breaker in workerd (policies/breaker-alerts): raised "open until T" when five
// failures trip it; once the cool-down has passed (the stored open-until set back, no sleeping) the alarm pass
// rewrites it to say half-open since T — the same alert, still open, no second one — and leaves it alone on the
// next pass; a failed trial re-raises "open until" with the doubled cool-down; a successful one resolves it. A rate
// limit that holds an open breaker longer (a run from before the trip) rewrites the same alert's "open until" to the
// new instant: it no longer names one that passed while the breaker stays open.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { instantWords } from "../../src/core/waiting-commands.ts";
import { ADMIN, api, claim, enroll, type JobView, P, submit } from "./client";

type AlertJson = { id: string; kind: string; subject: string; state: string; message: string };

const report = (product: string, token: string, jobId: string, epoch: number, json: Record<string, unknown>) =>
  api<JobView>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json: { leaseEpoch: epoch, ...json } });

async function runJob(product: string, token: string, outcome: "failure" | "success") {
  const job = await submit(product, { title: `run ${outcome}`, engine: "claude" });
  const c = await claim(product, token);
  expect(c.body.job.id).toBe(job.id);
  const epoch = c.body.lease.leaseEpoch;
  if (outcome === "success") {
    await report(product, token, job.id, epoch, { stage: "building" });
    await report(product, token, job.id, epoch, { stage: "testing", result: { outcome: "success", rc: 0 } });
  } else {
    await report(product, token, job.id, epoch, { stage: "failed", result: { outcome, rc: 1, retryable: false } });
  }
}

async function breakerAlerts(product: string): Promise<AlertJson[]> {
  const r = await api<{ alerts: AlertJson[] }>("GET", `${P(product)}/alerts`, { token: ADMIN });
  return r.body.alerts.filter((a) => a.kind === "breaker_open");
}

/** The cool-down ends now: the stored open-until set back (no sleeping); returns it. Then the alarm runs. */
async function coolDownOverAndAlarm(product: string, factoryId: string): Promise<number> {
  const stub = env.COORDINATOR.getByName(product);
  const until = Date.now() - 1;
  await runInDurableObject(stub, (_i, state) => {
    state.storage.sql.exec("UPDATE breakers SET open_until = ? WHERE factory_id = ?", until, factoryId);
    return state.storage.setAlarm(Date.now());
  });
  await runDurableObjectAlarm(stub);
  return until;
}

describe("a breaker_open alert follows its breaker through half-open", () => {
  it("says half-open once the cool-down passed, is re-raised open on a failed trial, resolved on a good one", async () => {
    const product = "breaker-alert-half-open";
    const f = await enroll(product, "f1", ["engine:claude"]);
    for (let i = 0; i < 5; i++) await runJob(product, f.token, "failure");
    const [opened] = await breakerAlerts(product);
    expect(opened).toMatchObject({ state: "open" });
    expect(opened?.message).toMatch(/is open until .*: 5 consecutive failed run/);

    const since = await coolDownOverAndAlarm(product, f.factoryId);
    const afterAlarm = await breakerAlerts(product);
    expect(afterAlarm).toHaveLength(1); // the same alert, refreshed: no second one
    expect(afterAlarm[0]).toMatchObject({ id: opened?.id, state: "open" });
    expect(afterAlarm[0]?.message).toContain(`is half-open since ${instantWords(since)}:`);
    expect(afterAlarm[0]?.message).not.toContain("open until");

    // The trial fails: open again, "open until" a new instant.
    await runJob(product, f.token, "failure");
    const [reopened] = await breakerAlerts(product);
    expect(reopened).toMatchObject({ id: opened?.id, state: "open" });
    expect(reopened?.message).toMatch(/is open until /);

    // Half-open again, and this trial succeeds: the breaker closes and its alert is resolved.
    await coolDownOverAndAlarm(product, f.factoryId);
    expect((await breakerAlerts(product))[0]?.message).toContain("is half-open since");
    await runJob(product, f.token, "success");
    expect((await breakerAlerts(product)).map((a) => a.state)).toEqual(["resolved"]);
  });

  it("names the new open-until when a rate limit holds an open breaker longer (the same alert, refreshed)", async () => {
    const product = "breaker-alert-extended";
    const breaker = { failureThreshold: 1, coolDownSeconds: 600, maxCoolDownSeconds: 3600 };
    await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { breaker } });
    const f = await enroll(product, "f1", ["engine:claude"], 2);
    const stale = await submit(product, { title: "from before the trip", engine: "claude" });
    const lease = (await claim(product, f.token, 300)).body.lease;
    await runJob(product, f.token, "failure"); // trips it: open for 600 s
    const [opened] = await breakerAlerts(product);
    expect(opened?.message).toMatch(/is open until /);

    // The run from before the trip reports a rate limit of an hour: the breaker stays open that long.
    const r = await report(product, f.token, stale.id, lease.leaseEpoch, {
      stage: "failed",
      result: { outcome: "rate_limited", retryAfterSeconds: 3600 },
    });
    expect(r.status).toBe(200);
    const listed = await api<{ breakers: Array<{ state: string; openUntil?: number }> }>(
      "GET",
      `${P(product)}/breakers`,
      { token: ADMIN },
    );
    const until = listed.body.breakers[0]?.openUntil ?? 0;
    expect(listed.body.breakers[0]?.state).toBe("open");
    const alerts = await breakerAlerts(product);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ id: opened?.id, state: "open" });
    expect(alerts[0]?.message).toContain(`is open until ${instantWords(until)}:`);
    expect(alerts[0]?.message).toContain("rate limit (retry after 3600 s)");
  });
});
