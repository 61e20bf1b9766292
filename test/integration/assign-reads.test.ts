// A dispatch pass reads each breaker by its key only when its route context did not already show it closed
// (policies/breaker-reads: one statement a job at assignment), and it reads the experiments table once (its routing context, policies/experiments `experimentPolicy`),
// not once more for every job it assigns (`noteArmAssignment`: one statement a job on the W2 path, bench/README
// forty-third pass) — and still notes the arm of a job whose class has a running experiment, or none when the pass's
// own unit stopped it after the context read it (the read is dropped by any write of the table in that unit).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { planAndAssign } from "../../src/durable-objects/coordinator/dispatch/plan.ts";
import { loadJob } from "../../src/durable-objects/coordinator/jobs/rows.ts";
import {
  experimentPolicy,
  noteArmAssignment,
  stopExperiment,
} from "../../src/durable-objects/coordinator/policies/experiments.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client.ts";
import { recordStatements } from "./state";

const CAPS = ["lang:rust"];

/** One dispatch pass for `factoryId` in its own unit; the statements it ran that read or wrote `experiments`. */
function pass(product: string, factoryId: string) {
  return runInDurableObject(env.COORDINATOR.getByName(product), (instance, state) => {
    const units = (instance as unknown as { units: Units }).units;
    const stop = recordStatements(state);
    let assigned: string[] = [];
    let texts: string[] = [];
    try {
      units.transact((tx) => {
        const plan = planAndAssign(tx, new Map([[factoryId, { att: {} }]]));
        assigned = plan.assigns.get(factoryId)?.map((a) => a.job.id) ?? [];
      });
    } finally {
      texts = stop();
    }
    const reads = texts.filter((t) => /FROM experiments\b/.test(t)).length;
    const breakerReads = texts.filter((t) => t.startsWith("SELECT * FROM breakers WHERE factory_id")).length;
    const arms = state.storage.sql.exec("SELECT job_id, arm FROM experiment_jobs").toArray();
    return { assigned, reads, breakerReads, arms };
  });
}

describe("a dispatch pass's experiment reads", () => {
  it("are one, with no experiment", async () => {
    const product = "assign-reads-none";
    const f = await enroll(product, "f", CAPS, 4);
    await claim(product, f.token); // first contact: healthy
    const a = await submit(product, { title: "a", requires: CAPS });
    const b = await submit(product, { title: "b", requires: CAPS });
    expect(await pass(product, f.factoryId)).toEqual({ assigned: [a.id, b.id], reads: 1, breakerReads: 0, arms: [] });
  });

  it("are one with a running experiment, and every job's arm is noted", async () => {
    const product = "assign-reads-running";
    const good = await enroll(product, "good", CAPS, 4);
    const other = await enroll(product, "other", CAPS, 4);
    await claim(product, good.token);
    const id = await startRust(product, good.factoryId, other.factoryId);
    const a = await submit(product, { title: "a", requires: CAPS });
    const b = await submit(product, { title: "b", requires: CAPS });
    const out = await pass(product, good.factoryId);
    expect({ assigned: out.assigned, reads: out.reads }).toEqual({ assigned: [a.id, b.id], reads: 1 });
    expect(out.arms.map((r) => r.job_id).sort()).toEqual([a.id, b.id].sort());
    // Stopped in the same unit after the pass's context read it: no arm noted for a job assigned after that.
    const c = await submit(product, { title: "c", requires: CAPS });
    const noted = await runInDurableObject(env.COORDINATOR.getByName(product), (instance, state) => {
      const units = (instance as unknown as { units: Units }).units;
      return units.transact((tx) => {
        const job = loadJob(tx.sql, c.id)!;
        experimentPolicy(tx)(job); // the context's read
        stopExperiment(tx, id, "test");
        noteArmAssignment(tx, job);
        return state.storage.sql.exec("SELECT job_id FROM experiment_jobs WHERE job_id = ?", c.id).toArray().length;
      });
    });
    expect(noted).toBe(0);
  });
});

/** A running experiment on class `lang:rust`, its arms preferring `a` or `b`; its id. */
async function startRust(product: string, a: string, b: string): Promise<string> {
  const spec = {
    jobClass: "lang:rust",
    arms: { A: { rules: [{ factoryId: a, effect: "prefer" }] }, B: { rules: [{ factoryId: b, effect: "prefer" }] } },
    split: 0.5,
    guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.9 },
    minSamples: 5,
  };
  const started = await api<{ id: string }>("POST", `${P(product)}/routing/experiments`, { token: ADMIN, json: spec });
  expect(started.status).toBe(201);
  return started.body.id;
}
