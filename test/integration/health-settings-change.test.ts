// A change of the alert thresholds (settings `health`) takes effect at once: the PATCH makes a health pass due now,
// which the alarm runs — a job already silent past a lowered `stuckAfterMinutes` raises `stuck` then, and a raised one
// resolves it then, instead of at the pass the old thresholds had noted (up to a week ahead) or the cron's next minute.
// Time is set by state surgery (the job's last activity moved back), never by sleeping.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { nextHealthAt } from "../../src/durable-objects/coordinator/policies/health-deadline.ts";
import { ADMIN, alertsOf, api, claim, enroll, P, submit, until } from "./client.ts";

const MIN = 60_000;

const stub = (product: string) => env.COORDINATOR.getByName(product);
const patch = (product: string, health: Record<string, number>) =>
  api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { health } });
const stuck = async (product: string, state: "open" | "resolved") =>
  (await alertsOf(product, state)).filter((a) => a.kind === "stuck");

describe("a health threshold change", () => {
  it("is applied by a pass at once: stuck raised past a lowered threshold, resolved under a raised one", async () => {
    const product = "health-settings-change";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "silent" });
    await claim(product, f.token);
    await api("PATCH", `${P(product)}/jobs/${job.id}`, { token: f.token, json: { leaseEpoch: 1, stage: "building" } });
    // Silent for 10 min; the pass noted at the move to building is the default threshold's, 30 min after it.
    await runInDurableObject(stub(product), (_i, state) => {
      state.storage.sql.exec("UPDATE job_activity SET at = ? WHERE job_id = ?", Date.now() - 10 * MIN, job.id);
    });
    const noted = await runInDurableObject(stub(product), (_i, state) => nextHealthAt(state.storage.sql));
    expect(noted).toBeGreaterThan(Date.now() + 15 * MIN);

    expect((await patch(product, { stuckAfterMinutes: 5 })).status).toBe(200);
    await runDurableObjectAlarm(stub(product)); // the alarm the commit armed (it may have run already: then a no-op)
    const raised = await until(
      () => stuck(product, "open"),
      (a) => a.length === 1,
      { what: "a stuck alert for the job silent past the lowered threshold" },
    );
    expect(raised[0]).toMatchObject({ subject: `job:${job.id}` });
    expect(raised[0]!.message).toContain("threshold 5 min");

    expect((await patch(product, { stuckAfterMinutes: 60 })).status).toBe(200);
    await runDurableObjectAlarm(stub(product));
    await until(
      () => stuck(product, "resolved"),
      (a) => a.length === 1,
      { what: "the stuck alert resolved under the raised threshold" },
    );
    expect(await stuck(product, "open")).toEqual([]);
  });
});
