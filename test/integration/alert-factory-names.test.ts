// An alert or lesson that is about one factory names it as `name (id)` — as the fleet, the factory_down and
// quarantine alerts and the waiting reasons do — not by its id alone: a breaker's `breaker_open` alert (open, then
// half-open once its cool-down passed), its breaker_trip lesson, and a `stuck` alert's holder; and a quarantine
// alert says the CLI command that releases it (it named only the API route), as webhook_failing's names its own.
// Pass 38 found the Alerts page saying "engine sample on factory fac_0mx… is open" beside a job that said "broken
// on build-box-7".
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, alertsOf, api, claim, enroll, P, submit } from "./client.ts";
import { lessonMirror } from "./lesson-support.ts";

async function failOnce(product: string, token: string): Promise<void> {
  const job = await submit(product, { title: "fails", engine: "claude" });
  const lease = (await claim(product, token)).body.lease;
  const result = { outcome: "failure", rc: 1, retryable: false };
  const r = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
    token,
    json: { leaseEpoch: lease.leaseEpoch, stage: "failed", result },
  });
  expect(r.status).toBe(200);
}

describe("alerts and lessons name a factory by its name and id", () => {
  it("a breaker's alert, open and half-open, and its lesson", async () => {
    const product = "alert-names-breaker";
    const breaker = { failureThreshold: 1, coolDownSeconds: 600, maxCoolDownSeconds: 3600 };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { breaker } })).status).toBe(200);
    const f = await enroll(product, "build-box-7", ["engine:claude"]);
    await failOnce(product, f.token);
    const named = `on factory build-box-7 (${f.factoryId})`;
    const [opened] = (await alertsOf(product)).filter((a) => a.kind === "breaker_open");
    expect(opened?.message).toContain(`engine claude's breaker ${named} is open until `);
    // The coordinator's mirror of the lessons journal (D1 trails it by the outbox: not waited for here).
    const lessons = await lessonMirror(product);
    expect(lessons.map((l) => l.text)).toEqual([expect.stringContaining(`claude ${named} tripped`)]);

    // The cool-down over (the stored open-until set back, no sleeping): the alarm's pass says half-open.
    const stub = env.COORDINATOR.getByName(product);
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE breakers SET open_until = ?", Date.now() - 1);
      return state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(stub);
    const [half] = (await alertsOf(product)).filter((a) => a.kind === "breaker_open");
    expect(half?.message).toContain(`engine claude's breaker ${named} is half-open since `);
  });

  it("a quarantine alert, with the command that releases it (as webhook_failing's names its own)", async () => {
    const product = "alert-names-quarantine";
    const settings = { errorBudget: { windowMinutes: 60, maxFailures: 1 }, breaker: { failureThreshold: 50 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const f = await enroll(product, "build-box-9", ["engine:claude"]);
    await failOnce(product, f.token);
    await failOnce(product, f.token); // more than 1 failed run: quarantined
    const [q] = (await alertsOf(product, "open")).filter((a) => a.kind === "factory_quarantined");
    expect(q?.message).toContain(`factory build-box-9 (${f.factoryId}) was quarantined`);
    expect(q?.message).toContain(`release it with \`gigafactory factory release ${f.factoryId}\``);
  });

  it("a stuck alert's holder", async () => {
    const product = "alert-names-stuck";
    const f = await enroll(product, "build-box-8");
    const job = await submit(product, { title: "hangs" });
    const lease = (await claim(product, f.token)).body.lease;
    const json = { leaseEpoch: lease.leaseEpoch, stage: "building" };
    expect((await api("PATCH", `${P(product)}/jobs/${job.id}`, { token: f.token, json })).status).toBe(200);
    const stub = env.COORDINATOR.getByName(product);
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE job_activity SET at = ? WHERE job_id = ?", Date.now() - 31 * 60_000, job.id);
    });
    await stub.sweep(product);
    const [stuck] = (await alertsOf(product, "open")).filter((a) => a.kind === "stuck");
    expect(stuck?.message).toContain(`on factory build-box-8 (${f.factoryId})`);
  });
});
