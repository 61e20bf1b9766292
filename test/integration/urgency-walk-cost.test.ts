// The urgency walk (dispatch/urgency-order) opens a cursor — a statement — only for a priority class some queued job
// is in: a queue of single submits (one bucket, one class) is walked in 3 statements — the class seek, its cursor,
// the seek that finds no more — where a cursor for each of the four classes made it 6 (bench/README, forty-third
// pass); with two classes queued, 5. A bucket `admit` refuses is passed in one seek, its jobs never read, and the
// class and bucket seeks keep to the bucket index (query plans). The order it yields is orderJobs' (pinned over
// every mix of priority and age by router-conformance).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { keyOfCapabilities } from "../../src/core/capability-key.ts";
import { dueJobIdsByUrgency } from "../../src/durable-objects/coordinator/dispatch/urgency-order.ts";
import { NEXT_CLASS_SQL } from "../../src/durable-objects/coordinator/jobs/buckets.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import { submit } from "./client";
import { countingSql } from "./counting-sql.ts";
import { queryPlan } from "./state";

/** The walk over `product`'s queue with its statements counted (admitting the buckets `admit` names, default all). */
function countedWalk(product: string, admit: (key: string) => boolean = () => true) {
  return runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const count = { reads: 0 };
    const tx: Tx = { sql: countingSql(state.storage.sql, count), productId: product, now: Date.now() };
    const ids = [...dueJobIdsByUrgency(tx, 0, 1000, undefined, { admit: (b) => admit(b.key) })];
    return { ids, statements: count.reads };
  });
}

describe("the urgency walk's statements", () => {
  it("are 3 for a queue of one class, one more seek and one more cursor per class", async () => {
    const product = "walk-cost";
    const a = await submit(product, { title: "a" });
    const b = await submit(product, { title: "b" });
    expect(await countedWalk(product)).toEqual({ ids: [a.id, b.id], statements: 3 });
    const urgent = await submit(product, { title: "u", priority: "high" });
    expect(await countedWalk(product)).toEqual({ ids: [urgent.id, a.id, b.id], statements: 5 });
  });

  it("pass a refused bucket in one seek, whatever its classes", async () => {
    const product = "walk-cost-refused";
    const gpu = keyOfCapabilities(["gpu:h100"]);
    for (const priority of ["low", "medium", "high", "critical"])
      await submit(product, { title: `gpu ${priority}`, requires: ["gpu:h100"], priority });
    const cpu = await submit(product, { title: "cpu" });
    // The gpu bucket's first class, then past it to the cpu bucket's, its cursor, the end: 4.
    expect(await countedWalk(product, (key) => key !== gpu)).toEqual({ ids: [cpu.id], statements: 4 });
  });

  it("seek along the bucket index", async () => {
    const product = "walk-cost-plan";
    await submit(product, { title: "a" });
    const plans = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => [
      queryPlan(state.storage.sql, NEXT_CLASS_SQL, "", 0),
      queryPlan(state.storage.sql, NEXT_CLASS_SQL, "[]", Number.MAX_SAFE_INTEGER),
    ]);
    for (const plan of plans) {
      expect(plan).toMatch(
        /SEARCH jobs USING COVERING INDEX jobs_by_bucket \(stage=\? AND \(cap_key,priority_value\)>\(\?,\?\)\)/,
      );
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });
});
