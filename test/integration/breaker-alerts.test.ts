// A `breaker_open` alert follows its breaker in workerd (policies/breaker-alerts): raised "open until T" when five
// failures trip it; once the cool-down has passed (the stored open-until set back, no sleeping) the alarm pass
// rewrites it to say half-open since T — the same alert, still open, no second one — and leaves it alone on the
// next pass; a failed trial re-raises "open until" with the doubled cool-down; a successful one resolves it.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
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
    expect(afterAlarm[0]?.message).toContain(`is half-open since ${new Date(since).toISOString()}`);
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
});
