// The instant a job's move to building notes for the alarm (policies/health-deadline) is the first at which it is
// stuck: a health pass run exactly then raises `stuck` and notes nothing for the next ms. It noted the threshold
// itself, where the strict "longer than" rule (core/health `isStuck`) does not hold yet: the pass woken there found
// nothing, and the alarm came back one ms later for a second pass.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runHealthPass } from "../../src/durable-objects/coordinator/policies/health-check.ts";
import { nextHealthAt } from "../../src/durable-objects/coordinator/policies/health-deadline.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client.ts";

describe("the alarm a move to building notes", () => {
  it("is the first instant the job is stuck: one pass there raises the alert", async () => {
    const product = "deadline-edge";
    const settings = { health: { stuckAfterMinutes: 0.5 } }; // 30 s
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    await env.COORDINATOR.getByName(product).sweep(product); // nothing building: no stuck threshold ahead
    const a = await enroll(product, "a");
    const job = await submit(product, { title: "silent from the start" });
    await claim(product, a.token);
    const moved = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: a.token,
      json: { leaseEpoch: 1, stage: "building" },
    });
    expect(moved.status).toBe(200);

    const seen = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      const lastEvent = sql.exec<{ at: number }>("SELECT at FROM job_activity WHERE job_id = ?", job.id).one().at;
      const noted = nextHealthAt(sql);
      if (noted === undefined) throw new Error("no health pass noted after a move to building");
      // The pass the alarm runs at exactly the noted instant.
      const pass = runHealthPass({ sql, productId: product, now: noted }, new Set());
      const stuck = sql.exec("SELECT id FROM alerts WHERE kind = 'stuck' AND state <> 'resolved'").toArray();
      return { lastEvent, noted, pass, stuck: stuck.length };
    });
    expect(seen.stuck).toBe(1);
    expect(seen.noted).toBe(seen.lastEvent + 30_000 + 1);
    expect(seen.pass.nextAt === undefined || seen.pass.nextAt > seen.noted + 1).toBe(true);
  });
});
